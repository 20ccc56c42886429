DROP TABLE sso_tokens_used;
DROP INDEX users_sso_subject;
ALTER TABLE users DROP COLUMN sso_subject;
