DROP TABLE moderation_undo;
