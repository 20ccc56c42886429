-- Accounts made by single sign-on: the publisher's id for the reader, unique per account.
-- Accounts that register on Civil have none.
ALTER TABLE users ADD COLUMN sso_subject TEXT;
CREATE UNIQUE INDEX users_sso_subject ON users (sso_subject);

-- Single sign-on tokens already used, kept until they would be refused as expired anyway, so
-- that one cannot be used twice.
CREATE TABLE sso_tokens_used (
    token_hash TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sso_tokens_used_expires_at ON sso_tokens_used (expires_at);
