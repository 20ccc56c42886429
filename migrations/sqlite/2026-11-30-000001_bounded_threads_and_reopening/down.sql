-- Re-placed replies keep their place: their deeper paths are not recoverable, nor needed.
ALTER TABLE articles DROP COLUMN reopened_at;
