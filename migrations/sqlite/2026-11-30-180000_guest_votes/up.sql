-- Likes from Isso's client, which readers send without an account: one per comment and
-- visitor, `voter` being a keyed hash of the visitor's address (never the address itself).
-- Each adds one to the comment's score, as an account's vote does.
CREATE TABLE guest_votes (
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    voter TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (comment_id, voter)
);
