ALTER TABLE users DROP COLUMN deleted_at;
ALTER TABLE email_tokens DROP COLUMN new_email;
ALTER TABLE sessions DROP COLUMN user_agent;
