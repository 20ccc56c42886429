ALTER TABLE users ADD COLUMN notify_replies BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN notify_token TEXT;

CREATE TABLE subscribers (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced')),
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    confirm_token_hash TEXT UNIQUE,
    confirm_expires_at TIMESTAMP,
    confirm_sent_at TIMESTAMP,
    unsubscribe_token TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    unsubscribed_at TIMESTAMP
);
CREATE INDEX subscribers_status ON subscribers (status, id);

CREATE TABLE newsletter_issues (
    id BIGSERIAL PRIMARY KEY,
    subject TEXT NOT NULL,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('manual', 'digest')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'sending', 'sent')),
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    queued_at TIMESTAMP,
    recipients BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    purpose TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    issue_id BIGINT REFERENCES newsletter_issues (id) ON DELETE CASCADE,
    subscriber_id BIGINT REFERENCES subscribers (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    unsubscribe_url TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
CREATE INDEX outbox_issue ON outbox (issue_id, status);

CREATE TABLE email_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE workers (
    id TEXT PRIMARY KEY NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL
);
