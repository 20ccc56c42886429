-- A thread's latest comments in id order, for its Atom feed: without it a poll sorts every comment
-- of the thread to find the newest fifty.
CREATE INDEX comments_feed ON comments (article_id, id);
