//! `JobKind::NewsletterIssue`: the row names an issue and a subscriber. The message is put
//! together here, at send time, from the issue (read once per worker) and the subscriber's own
//! unsubscribe link, so that sending to every subscriber writes one small row each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Deliverer;
use crate::email::templates::{self, Medium, Recipient, Site};
use crate::email::{Email, Mailer, SendError};
use crate::error::Error;
use crate::services::newsletter::{template_input, unsubscribe_link};
use crate::store::newsletter::{self, IssueRow};
use crate::store::outbox::OutboxRow;
use crate::store::DbConnection;

pub struct IssueDeliverer {
    pub mailer: Arc<Mailer>,
    pub site: Site,
    /// Issues can no longer change once they are being sent.
    issues: Mutex<HashMap<i64, Arc<IssueRow>>>,
}

impl IssueDeliverer {
    pub fn new(mailer: Arc<Mailer>, site: Site) -> IssueDeliverer {
        IssueDeliverer { mailer, site, issues: Mutex::default() }
    }

    fn issue(&self, conn: &mut DbConnection, id: i64) -> Result<Arc<IssueRow>, Error> {
        if let Some(issue) = self.issues.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
            return Ok(issue.clone());
        }
        let issue = Arc::new(newsletter::find_issue(conn, id)?.ok_or_else(|| Error::not_found("That issue"))?);
        self.issues.lock().unwrap_or_else(|e| e.into_inner()).insert(id, issue.clone());
        Ok(issue)
    }
}

impl Deliverer for IssueDeliverer {
    type Prepared = Email;
    type Outcome = Result<(), SendError>;

    fn prepare(&self, conn: &mut DbConnection, row: &OutboxRow) -> Result<Email, Error> {
        let issue_id = row.issue_id.ok_or_else(|| Error::not_found("The issue of this message"))?;
        let issue = self.issue(conn, issue_id)?;
        // Every job of this kind is for a subscriber (tests of an issue are `JobKind::Email`).
        let subscriber = row.subscriber_id.ok_or_else(|| Error::not_found("The subscriber of this message"))?;
        let token = newsletter::unsubscribe_token_of(conn, subscriber)?
            .ok_or_else(|| Error::not_found("The subscriber of this message"))?;
        let link = unsubscribe_link(&self.site, &token);
        let to = Recipient::Subscriber { unsubscribe_link: &link };
        let message = templates::newsletter_issue(&self.site, template_input(&issue), to, Medium::Mail);
        Ok(Email {
            to: row.recipient.clone(),
            subject: message.subject,
            text: message.text,
            html: Some(message.html.into_string()),
            unsubscribe_url: Some(link),
        })
    }

    fn deliver(&self, email: &Email) -> Result<(), SendError> {
        self.mailer.send(email)
    }
}
