DROP INDEX comments_feed;
