-- The device a session was last used from (its User-Agent), shown on the reader's account page.
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
-- When the reader deleted the account. The row stays, emptied, so that the comments kept as
-- placeholders, the votes and the flags still point at something, and the username stays taken.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
-- Links now also move an account to a new address (`change_email`), which they carry in
-- `new_email`. SQLite changes a CHECK only by rebuilding the table; nothing refers to it.
CREATE TABLE email_tokens_new (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'change_email')),
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    new_email TEXT
);
INSERT INTO email_tokens_new (id, user_id, purpose, token_hash, expires_at, used_at, created_at)
    SELECT id, user_id, purpose, token_hash, expires_at, used_at, created_at FROM email_tokens;
DROP TABLE email_tokens;
ALTER TABLE email_tokens_new RENAME TO email_tokens;
