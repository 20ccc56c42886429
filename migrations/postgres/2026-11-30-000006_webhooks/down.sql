DROP INDEX outbox_webhook;
ALTER TABLE outbox DROP COLUMN webhook_id;
DROP TABLE webhooks;
