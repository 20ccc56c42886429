DROP TABLE comment_votes;
DROP TABLE comments;
DROP TABLE articles;
DROP TABLE setup_tokens;
DROP TABLE sessions;
DROP TABLE users;
