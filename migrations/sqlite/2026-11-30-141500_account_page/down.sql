DELETE FROM email_tokens WHERE purpose = 'change_email';
CREATE TABLE email_tokens_old (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO email_tokens_old (id, user_id, purpose, token_hash, expires_at, used_at, created_at)
    SELECT id, user_id, purpose, token_hash, expires_at, used_at, created_at FROM email_tokens;
DROP TABLE email_tokens;
ALTER TABLE email_tokens_old RENAME TO email_tokens;
ALTER TABLE users DROP COLUMN deleted_at;
ALTER TABLE sessions DROP COLUMN user_agent;
