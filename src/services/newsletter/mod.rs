//! The newsletter: subscriptions (double opt-in, one-click unsubscribe), issues and the weekly
//! digest. Every e-mail is written to the outbox in the same transaction as the change that
//! causes it; an issue's e-mails are put together by the outbox worker when they are sent.

mod digest;
mod issues;
mod subscriptions;

pub use self::digest::{compose_digest, send_scheduled_digest, DigestSchedule};
pub use self::issues::{
    create_issue, draft_preview, issue, issues, preview, progress, resend, send, send_test, template_input,
    update_issue, IssueForm, Progress,
};
pub use self::subscriptions::{
    check_confirmation, check_unsubscribe, confirm, counts, end_subscription, follow_account_address, is_subscribed,
    subscribe, subscribe_verified, subscribers, to_csv, unsubscribe, unsubscribe_account, SubscriberCounts,
};
// Pages that follow links from e-mails use these with the newsletter's.
pub use crate::domain::links::{link_problem, LinkState};

use crate::email::templates::Site;
use crate::store::newsletter::{IssueRow, SubscriberRow};

pub type Subscriber = SubscriberRow;
pub type Issue = IssueRow;

/// A subscriber's own one-click unsubscribe link.
pub fn unsubscribe_link(site: &Site, token: &str) -> String {
    site.link(&format!("/newsletter/unsubscribe/{token}"))
}
