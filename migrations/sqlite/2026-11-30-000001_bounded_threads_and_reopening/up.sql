-- Threads nest at most six levels (src/domain/thread.rs, MAX_NESTING). A reply deeper than
-- that keeps its parent_id but is placed beside the sixth level, under its fifth-level
-- ancestor: its path becomes that ancestor's five segments (60 characters) plus its own id.
-- This re-places chains written before the cap, so their paths stop growing with the square
-- of their length and the thread no longer nests past what its readers can hold.
UPDATE comments
SET path = substr(path, 1, 60) || substr(path, length(path) - 11, 12), depth = 5
WHERE length(path) > 72;

-- live_replies counts a comment's shown replies in the structure. Sixth-level comments now
-- have none. Each fifth-level comment holds every sixth-level one placed under it, which is
-- shown only when published (a placeholder needs replies below it). Higher levels keep their
-- counts: a fifth-level comment was shown before exactly when it is shown now.
UPDATE comments SET live_replies = 0 WHERE depth = 5;
UPDATE comments
SET live_replies = (
    SELECT COUNT(*) FROM comments AS below
    WHERE below.root_id = comments.root_id
      AND below.depth = 5
      AND substr(below.path, 1, 60) = comments.path
      AND below.status = 'published'
)
WHERE depth = 4;

-- A discussion a moderator reopened stays open: the automatic closing by age skips it.
ALTER TABLE articles ADD COLUMN reopened_at TIMESTAMP;
