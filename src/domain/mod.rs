//! Civil's rules, free of I/O: parsing input into values that cannot be invalid, profanity
//! analysis, markdown rendering, and the shape of a thread.

pub mod account;
pub mod article;
pub mod canonical_url;
pub mod comment_body;
pub mod email;
pub mod events;
pub mod import;
pub mod links;
pub mod markdown;
pub mod moderation;
pub mod password;
pub mod profanity;
pub mod role;
pub mod site;
pub mod sso;
pub mod thread;
pub mod username;
pub mod webhook;

/// A value refused at the edge, with a message written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    /// The form or JSON field the message is about.
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Invalid {
        Invalid { field, message: message.into() }
    }
}
