ALTER TABLE users ADD COLUMN always_review BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN suspended_until TIMESTAMP;
ALTER TABLE users ADD COLUMN banned_at TIMESTAMP;
ALTER TABLE users ADD COLUMN sanction_reason TEXT;
ALTER TABLE users ADD COLUMN flags_upheld BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN flags_dismissed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN approved_comments BIGINT NOT NULL DEFAULT 0;

ALTER TABLE comments ADD COLUMN reported BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE comments ADD COLUMN flag_weight BIGINT NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN system_reasons TEXT NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN queued_at TIMESTAMP;
ALTER TABLE comments ADD COLUMN removal_reason TEXT;
ALTER TABLE comments ADD COLUMN removal_note TEXT;
ALTER TABLE comments ADD COLUMN moderated_at TIMESTAMP;
ALTER TABLE comments ADD COLUMN moderated_by BIGINT;
ALTER TABLE comments ADD COLUMN featured_at TIMESTAMP;
-- The queue's tabs, as partial indexes: small, and they answer the tab counts without a scan.
CREATE INDEX comments_pending ON comments (queued_at, id) WHERE status = 'pending' AND NOT reported;
CREATE INDEX comments_reported ON comments (queued_at, id) WHERE reported;
CREATE INDEX comments_removed ON comments (moderated_at, id) WHERE status = 'removed';
CREATE INDEX comments_approved ON comments (moderated_at, id) WHERE status = 'published' AND NOT reported AND moderated_at IS NOT NULL;
CREATE INDEX comments_author_status ON comments (author_id, status);

CREATE TABLE comment_flags (
    id BIGSERIAL PRIMARY KEY,
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    note TEXT,
    weight BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'dismissed')),
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    UNIQUE (comment_id, user_id)
);
CREATE INDEX comment_flags_user ON comment_flags (user_id, created_at);

CREATE TABLE moderation_log (
    id BIGSERIAL PRIMARY KEY,
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    rule TEXT,
    action TEXT NOT NULL,
    comment_id BIGINT REFERENCES comments (id) ON DELETE SET NULL,
    target_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    article_id BIGINT REFERENCES articles (id) ON DELETE SET NULL,
    reason TEXT,
    note TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX moderation_log_created ON moderation_log (created_at, id);
CREATE INDEX moderation_log_article ON moderation_log (article_id, action);

CREATE TABLE site_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE rate_events (
    id BIGSERIAL PRIMARY KEY,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX rate_events_lookup ON rate_events (action, subject, created_at);
