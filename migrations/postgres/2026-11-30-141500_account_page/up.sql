-- The device a session was last used from (its User-Agent), shown on the reader's account page.
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
-- The address an e-mail change link moves the account to, once it is followed.
ALTER TABLE email_tokens ADD COLUMN new_email TEXT;
-- When the reader deleted the account. The row stays, emptied, so that the comments kept as
-- placeholders, the votes and the flags still point at something, and the username stays taken.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
