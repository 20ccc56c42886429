-- What `civil import` brought in, by the source's own id, so that importing the same export
-- again adds nothing: `kind` is 'comment' or 'author', `source_key` names the source and its id
-- (`disqus:123`, `wordpress:<item link>#7`, `isso:<database key>:5`, or for an author without
-- an address, `name:<source>:<name>`), `target_id` the comment or account made from it.
CREATE TABLE import_sources (
    kind TEXT NOT NULL,
    source_key TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, source_key)
);
