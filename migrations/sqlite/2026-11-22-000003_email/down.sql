DROP TABLE workers;
DROP TABLE email_tokens;
DROP TABLE outbox;
DROP TABLE newsletter_issues;
DROP TABLE subscribers;
ALTER TABLE users DROP COLUMN notify_token;
ALTER TABLE users DROP COLUMN notify_replies;
