-- An external article lives on a publisher's site: Civil keeps its normalised address (the
-- thread's key, src/domain/canonical_url.rs) and its title, and no body. Civil's own articles
-- have no address. A unique index, as SQLite cannot add a UNIQUE column; NULLs never collide.
ALTER TABLE articles ADD COLUMN canonical_url TEXT;
CREATE UNIQUE INDEX articles_canonical_url ON articles (canonical_url);

-- The sites admins allow to embed (beside those in embed_origins), each with the query
-- parameters that change which article its URLs show (comma-separated names).
CREATE TABLE embed_sites (
    id BIGSERIAL PRIMARY KEY,
    origin TEXT NOT NULL UNIQUE,
    meaningful_params TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
