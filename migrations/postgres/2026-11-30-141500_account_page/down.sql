ALTER TABLE email_tokens DROP COLUMN new_email;
DELETE FROM email_tokens WHERE purpose = 'change_email';
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check CHECK (purpose IN ('verify', 'reset'));
ALTER TABLE users DROP COLUMN deleted_at;
ALTER TABLE sessions DROP COLUMN user_agent;
