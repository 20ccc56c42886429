DROP TABLE embed_sites;
DROP INDEX articles_canonical_url;
ALTER TABLE articles DROP COLUMN canonical_url;
