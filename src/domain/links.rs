//! Links sent by e-mail: how long each kind works, how soon another may be sent, and what a
//! followed link turns out to be. Shared by the account e-mails and the newsletter.

use chrono::Duration;

/// A newsletter confirmation link.
pub const CONFIRM_VALID: Duration = Duration::hours(48);
/// A pending or confirmed address hears from the newsletter at most this often.
pub const CONFIRM_RESEND_AFTER: Duration = Duration::minutes(10);
/// A password reset link (it also works once only).
pub const RESET_VALID: Duration = Duration::hours(1);
/// A reset link is written at most this often for one account.
pub const RESET_RESEND_AFTER: Duration = Duration::minutes(2);
/// A link that verifies an account's address.
pub const VERIFY_VALID: Duration = Duration::hours(48);
/// A verification link is sent again at most this often.
pub const VERIFY_RESEND_AFTER: Duration = Duration::minutes(10);

/// The state of a link from an e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Valid { email: String },
    Expired,
    Invalid,
}

/// What to tell someone whose link does not work.
pub fn link_problem(state: &LinkState) -> Option<&'static str> {
    match state {
        LinkState::Valid { .. } => None,
        LinkState::Expired => Some("This link has expired. Subscribe again to get a new one."),
        LinkState::Invalid => Some("This link is not valid, or it was already used. Nothing has changed."),
    }
}
