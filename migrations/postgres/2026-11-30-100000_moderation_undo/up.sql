-- What a moderator's decision on a comment changed, kept so that they can undo it for a few
-- seconds (UNDO_WINDOW in services/moderation.rs). One row per comment; a bulk action shares
-- one `batch` token. The columns hold the comment's moderation state before the decision;
-- `resolved_flags` lists the ids of the flags it closed (comma-separated), and
-- `flags_upheld` how, since each flagger's record counted it. `log_id` is the decision's
-- log entry, and `status_after` what it left: a later entry, or another status, means someone
-- acted since, and undo refuses.
CREATE TABLE moderation_undo (
    id BIGSERIAL PRIMARY KEY,
    batch TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    log_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    status_after TEXT NOT NULL,
    reported BOOLEAN NOT NULL,
    flag_weight BIGINT NOT NULL,
    system_reasons TEXT NOT NULL,
    queued_at TIMESTAMP,
    removal_reason TEXT,
    removal_note TEXT,
    moderated_at TIMESTAMP,
    moderated_by BIGINT,
    resolved_flags TEXT NOT NULL,
    flags_upheld BOOLEAN NOT NULL,
    counted_approval BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    undone_at TIMESTAMP
);
CREATE INDEX moderation_undo_batch ON moderation_undo (batch);
CREATE INDEX moderation_undo_comment ON moderation_undo (comment_id);
