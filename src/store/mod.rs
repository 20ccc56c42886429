//! The only place that speaks SQL. Functions take `&mut DbConnection`, so the caller owns the
//! transaction. Timestamps are always written from Rust, in UTC.

pub mod articles;
pub mod comments;
pub mod db;
pub mod embeds;
pub mod export;
pub mod feeds;
pub mod imports;
pub mod live;
pub mod moderation;
pub mod moderation_log;
pub mod moderation_undo;
pub mod newsletter;
pub mod outbox;
pub mod own_data;
pub mod rate_events;
pub mod schema;
pub mod sessions;
pub mod settings;
pub mod sso;
pub mod users;
pub mod webhooks;

pub use db::{DbConnection, DbPool};

/// `true` when the error is a unique-constraint violation.
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(error, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}
