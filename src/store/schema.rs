// One schema for both backends: the migrations in migrations/sqlite and migrations/postgres
// create the same tables with the same column types.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        username_key -> Text,
        email -> Text,
        email_key -> Text,
        display_name -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamp,
        email_verified_at -> Nullable<Timestamp>,
        always_review -> Bool,
        suspended_until -> Nullable<Timestamp>,
        banned_at -> Nullable<Timestamp>,
        sanction_reason -> Nullable<Text>,
        flags_upheld -> BigInt,
        flags_dismissed -> BigInt,
        approved_comments -> BigInt,
        notify_replies -> Bool,
        notify_token -> Nullable<Text>,
        sso_subject -> Nullable<Text>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sso_tokens_used (token_hash) {
        token_hash -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    subscribers (id) {
        id -> BigInt,
        email -> Text,
        email_key -> Text,
        status -> Text,
        user_id -> Nullable<BigInt>,
        confirm_token_hash -> Nullable<Text>,
        confirm_expires_at -> Nullable<Timestamp>,
        confirm_sent_at -> Nullable<Timestamp>,
        unsubscribe_token -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        unsubscribed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    newsletter_issues (id) {
        id -> BigInt,
        subject -> Text,
        body_md -> Text,
        body_html -> Text,
        body_text -> Text,
        kind -> Text,
        status -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        queued_at -> Nullable<Timestamp>,
        recipients -> BigInt,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        purpose -> Text,
        dedup_key -> Text,
        recipient -> Text,
        issue_id -> Nullable<BigInt>,
        subscriber_id -> Nullable<BigInt>,
        subject -> Text,
        body_text -> Text,
        body_html -> Nullable<Text>,
        unsubscribe_url -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        kind -> Text,
        webhook_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        events -> Text,
        secret -> Text,
        created_at -> Timestamp,
        last_status -> Nullable<Text>,
        last_status_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    live_events (id) {
        id -> BigInt,
        article_id -> BigInt,
        kind -> Text,
        staff -> Bool,
        comment_id -> Nullable<BigInt>,
        parent_id -> Nullable<BigInt>,
        comment_count -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        new_email -> Nullable<Text>,
    }
}

diesel::table! {
    workers (id) {
        id -> Text,
        heartbeat_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_seen_at -> Timestamp,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    setup_tokens (token_hash) {
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    articles (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        summary -> Text,
        body_md -> Text,
        body_html -> Text,
        author_name -> Text,
        published_at -> Nullable<Timestamp>,
        comments_open -> Bool,
        comment_count -> BigInt,
        comment_version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        reopened_at -> Nullable<Timestamp>,
        canonical_url -> Nullable<Text>,
    }
}

diesel::table! {
    embed_sites (id) {
        id -> BigInt,
        origin -> Text,
        meaningful_params -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        article_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        root_id -> BigInt,
        path -> Text,
        depth -> Integer,
        author_id -> BigInt,
        body_raw -> Text,
        body_html -> Text,
        status -> Text,
        score -> BigInt,
        live_replies -> BigInt,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        reported -> Bool,
        flag_weight -> BigInt,
        system_reasons -> Text,
        queued_at -> Nullable<Timestamp>,
        removal_reason -> Nullable<Text>,
        removal_note -> Nullable<Text>,
        moderated_at -> Nullable<Timestamp>,
        moderated_by -> Nullable<BigInt>,
        featured_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    comment_flags (id) {
        id -> BigInt,
        comment_id -> BigInt,
        user_id -> BigInt,
        reason -> Text,
        note -> Nullable<Text>,
        weight -> BigInt,
        status -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    moderation_log (id) {
        id -> BigInt,
        actor_id -> Nullable<BigInt>,
        rule -> Nullable<Text>,
        action -> Text,
        comment_id -> Nullable<BigInt>,
        target_user_id -> Nullable<BigInt>,
        article_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    site_settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rate_events (id) {
        id -> BigInt,
        action -> Text,
        subject -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    comment_votes (comment_id, user_id) {
        comment_id -> BigInt,
        user_id -> BigInt,
        value -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    guest_votes (comment_id, voter) {
        comment_id -> BigInt,
        voter -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    moderation_undo (id) {
        id -> BigInt,
        batch -> Text,
        actor_id -> BigInt,
        comment_id -> BigInt,
        action -> Text,
        log_id -> BigInt,
        status -> Text,
        status_after -> Text,
        reported -> Bool,
        flag_weight -> BigInt,
        system_reasons -> Text,
        queued_at -> Nullable<Timestamp>,
        removal_reason -> Nullable<Text>,
        removal_note -> Nullable<Text>,
        moderated_at -> Nullable<Timestamp>,
        moderated_by -> Nullable<BigInt>,
        resolved_flags -> Text,
        flags_upheld -> Bool,
        counted_approval -> Bool,
        created_at -> Timestamp,
        undone_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    import_sources (kind, source_key) {
        kind -> Text,
        source_key -> Text,
        target_id -> BigInt,
        imported_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(comments -> articles (article_id));
diesel::joinable!(comments -> users (author_id));
diesel::joinable!(comment_votes -> comments (comment_id));
diesel::joinable!(comment_votes -> users (user_id));
diesel::joinable!(guest_votes -> comments (comment_id));
diesel::joinable!(comment_flags -> comments (comment_id));
diesel::joinable!(comment_flags -> users (user_id));
diesel::joinable!(moderation_log -> articles (article_id));
diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(outbox -> newsletter_issues (issue_id));
diesel::joinable!(outbox -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    setup_tokens,
    articles,
    embed_sites,
    comments,
    comment_votes,
    guest_votes,
    comment_flags,
    moderation_log,
    site_settings,
    rate_events,
    subscribers,
    newsletter_issues,
    outbox,
    email_tokens,
    workers,
    sso_tokens_used,
    webhooks,
    moderation_undo,
    import_sources,
);
