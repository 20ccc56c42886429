-- Endpoints that hear about comments and flags. `events` is a comma-separated list of event
-- names, parsed by the application; `last_status` describes the latest delivery attempt, for
-- the admin page.
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_status TEXT,
    last_status_at TIMESTAMP
);

-- A webhook delivery is an outbox job (kind 'webhook') naming its endpoint; removing the
-- endpoint takes its deliveries, queued or past, with it.
ALTER TABLE outbox ADD COLUMN webhook_id BIGINT REFERENCES webhooks (id) ON DELETE CASCADE;
CREATE INDEX outbox_webhook ON outbox (webhook_id);
