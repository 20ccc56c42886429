-- What kind of job a row is, which decides who delivers it: an 'email' carries its whole
-- message; a 'newsletter_issue' names an issue and a subscriber, and is put together when sent.
-- Before this column, issue deliveries were the rows with an issue and an empty body.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'email';
UPDATE outbox SET kind = 'newsletter_issue' WHERE issue_id IS NOT NULL AND body_text = '';
