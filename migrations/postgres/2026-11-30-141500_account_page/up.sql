-- The device a session was last used from (its User-Agent), shown on the reader's account page.
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
-- When the reader deleted the account. The row stays, emptied, so that the comments kept as
-- placeholders, the votes and the flags still point at something, and the username stays taken.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
-- Links now also move an account to a new address (`change_email`), which they carry in
-- `new_email`.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check CHECK (purpose IN ('verify', 'reset', 'change_email'));
ALTER TABLE email_tokens ADD COLUMN new_email TEXT;
