//! `JobKind::Email`: the row holds the whole message, written when it was queued.

use std::sync::Arc;

use super::Deliverer;
use crate::email::{Email, Mailer, SendError};
use crate::error::Error;
use crate::store::outbox::OutboxRow;
use crate::store::DbConnection;

pub struct EmailDeliverer {
    pub mailer: Arc<Mailer>,
}

impl Deliverer for EmailDeliverer {
    type Prepared = Email;
    type Outcome = Result<(), SendError>;

    fn prepare(&self, _conn: &mut DbConnection, row: &OutboxRow) -> Result<Email, Error> {
        Ok(Email {
            to: row.recipient.clone(),
            subject: row.subject.clone(),
            text: row.body_text.clone(),
            html: row.body_html.clone(),
            unsubscribe_url: row.unsubscribe_url.clone(),
        })
    }

    fn deliver(&self, email: &Email) -> Result<(), SendError> {
        self.mailer.send(email)
    }
}
