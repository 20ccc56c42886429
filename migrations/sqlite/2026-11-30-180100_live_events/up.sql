-- What live streams announce: one row per change a reader (or, for staff = true, a moderator)
-- may see, written in the transaction of the change, last, so that ids grow in commit order
-- and a stream resuming after id N reads exactly what it missed. Rows are transient: pruned
-- after a day (never the newest, which marks where the ids have reached). No foreign keys: a
-- deleted comment's event outlives it, and an insert here must not lock the article's row.
CREATE TABLE live_events (
    id INTEGER PRIMARY KEY,
    article_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    staff BOOLEAN NOT NULL,
    comment_id BIGINT,
    parent_id BIGINT,
    comment_count BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX live_events_article ON live_events (article_id, id);
CREATE INDEX live_events_created ON live_events (created_at);
