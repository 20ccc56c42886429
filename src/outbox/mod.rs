//! The delivery worker. It runs inside `civil serve` and on its own as `civil worker`; several
//! may run against one database. `try_send_next` is one step (claim, send, record), so tests can
//! drive the worker to completion.
//!
//! Each message is claimed atomically and marked `sending` just before its SMTP conversation and
//! `sent` just after, so a worker killed mid-send leaves only that message in doubt. Workers beat
//! a heartbeat; a `sending` message whose worker stopped beating is marked `unknown` for an admin
//! to resend. Everything else resumes after a restart: nothing is sent twice and nothing is lost.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::email::{Email, Mailer, SendError};
use crate::error::Error;
use crate::services::App;
use crate::store::newsletter::{self, IssueRow};
use crate::store::outbox::{self, OutboxRow};
use crate::store::{self, DbConnection};

/// A worker whose heartbeat is older than this is taken for dead.
const HEARTBEAT_TIMEOUT: chrono::TimeDelta = chrono::TimeDelta::seconds(10);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Sent,
    /// Nothing due.
    Empty,
    /// It failed and will be tried again later.
    Retry,
    /// It failed for good.
    Failed,
}

pub struct Worker {
    app: App,
    mailer: Arc<Mailer>,
    pub id: String,
    issues: std::sync::Mutex<HashMap<i64, Arc<IssueRow>>>,
}

/// Backoff before the next attempt: 30 s, 1 min, 2 min … doubling, at most an hour.
pub fn backoff(attempts: i32) -> chrono::TimeDelta {
    let exponent = (attempts.max(1) - 1).min(7) as u32;
    chrono::TimeDelta::seconds((30i64 << exponent).min(3600))
}

impl Worker {
    pub fn new(app: App, mailer: Arc<Mailer>) -> Worker {
        let id =
            format!("{}-{}", std::process::id(), crate::services::tokens::random_token().get(..8).unwrap_or("worker"));
        Worker { app, mailer, id, issues: Default::default() }
    }

    fn conn(&self) -> Result<crate::store::db::PooledDb, Error> {
        Ok(self.app.pool.get()?)
    }

    /// Record that this worker is alive, and mark the claims of dead workers `unknown`.
    pub fn beat(&self) -> Result<usize, Error> {
        let mut conn = self.conn()?;
        let now = store::now();
        crate::store::db::write_transaction(&mut conn, |conn| {
            outbox::heartbeat(conn, &self.id, now)?;
            let abandoned = outbox::abandon_dead_claims(conn, now - HEARTBEAT_TIMEOUT)?;
            newsletter::finish_sent_issues(conn)?;
            Ok::<_, Error>(abandoned)
        })
    }

    /// Claim one due message, send it, and record the outcome.
    pub fn try_send_next(&self) -> Result<Step, Error> {
        let mut conn = self.conn()?;
        let now = store::now();
        let claimed = crate::store::db::write_transaction(&mut conn, |conn| {
            outbox::heartbeat(conn, &self.id, now)?;
            Ok::<_, Error>(outbox::claim_next(conn, &self.id, now)?)
        })?;
        let Some(row) = claimed else {
            return Ok(Step::Empty);
        };
        let email = self.compose(&mut conn, &row)?;
        let outcome = self.mailer.send(&email);
        let now = store::now();
        let step = crate::store::db::write_transaction(&mut conn, |conn| {
            let step = match &outcome {
                Ok(()) => {
                    outbox::mark_sent(conn, row.id, now)?;
                    Step::Sent
                }
                Err(SendError::Permanent(error)) => {
                    outbox::mark_failed(conn, row.id, error)?;
                    if let Some(subscriber) = row.subscriber_id {
                        // The address does not exist: stop writing to it.
                        newsletter::set_subscriber_status(conn, subscriber, "bounced", now)?;
                    }
                    Step::Failed
                }
                Err(SendError::Transient(error)) if row.attempts >= self.app.settings.mail_max_attempts => {
                    outbox::mark_failed(conn, row.id, &format!("gave up after {} attempts: {error}", row.attempts))?;
                    Step::Failed
                }
                Err(SendError::Transient(error)) => {
                    outbox::mark_retry(conn, row.id, error, now + backoff(row.attempts))?;
                    Step::Retry
                }
            };
            Ok::<_, Error>(step)
        })?;
        if let Err(error) = &outcome {
            tracing::warn!(id = row.id, to = %row.recipient, attempts = row.attempts, %error, "e-mail not sent");
        }
        Ok(step)
    }

    /// The message to send. Newsletter rows carry only the issue and subscriber: the body and
    /// the subscriber's own unsubscribe link are put together here.
    fn compose(&self, conn: &mut DbConnection, row: &OutboxRow) -> Result<Email, Error> {
        let (Some(issue_id), true) = (row.issue_id, row.body_text.is_empty()) else {
            return Ok(Email {
                to: row.recipient.clone(),
                subject: row.subject.clone(),
                text: row.body_text.clone(),
                html: row.body_html.clone(),
                unsubscribe_url: row.unsubscribe_url.clone(),
            });
        };
        let issue = self.issue(conn, issue_id)?;
        let token = match row.subscriber_id {
            Some(id) => crate::store::newsletter::unsubscribe_token_of(conn, id)?,
            None => None,
        };
        let base = &self.app.settings.base_url;
        let unsubscribe_url = token.map(|t| format!("{base}/newsletter/unsubscribe/{t}"));
        Ok(crate::services::newsletter::issue_email(&issue, &row.recipient, unsubscribe_url.as_deref(), base))
    }

    fn issue(&self, conn: &mut DbConnection, id: i64) -> Result<Arc<IssueRow>, Error> {
        if let Some(issue) = self.issues.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
            return Ok(issue.clone());
        }
        let issue = Arc::new(newsletter::find_issue(conn, id)?.ok_or_else(|| Error::not_found("That issue"))?);
        self.issues.lock().unwrap_or_else(|e| e.into_inner()).insert(id, issue.clone());
        Ok(issue)
    }

    /// Send everything due now (tests drive the outbox with this). Returns the steps taken.
    pub fn drain(&self) -> Result<Vec<Step>, Error> {
        let mut steps = Vec::new();
        loop {
            match self.try_send_next()? {
                Step::Empty => return Ok(steps),
                step => steps.push(step),
            }
        }
    }

    /// Run until the process ends: send what is due, at most `mail_rate` messages a second.
    pub async fn run(self: Arc<Self>) {
        let interval = Duration::from_secs_f64(1.0 / f64::from(self.app.settings.mail_rate.max(1)));
        tracing::info!(worker = %self.id, "delivery worker started");
        // The heartbeat has its own task, so a slow SMTP conversation (up to its 30 s timeout)
        // never makes this worker look dead to the others.
        let beating = self.clone();
        tokio::spawn(async move {
            loop {
                let worker = beating.clone();
                match tokio::task::spawn_blocking(move || worker.beat()).await {
                    Ok(Ok(abandoned)) if abandoned > 0 => {
                        tracing::warn!(abandoned, "messages left mid-send by a stopped worker are marked unknown")
                    }
                    Ok(Err(error)) => tracing::warn!(%error, "worker heartbeat failed"),
                    _ => {}
                }
                tokio::time::sleep(HEARTBEAT_EVERY).await;
            }
        });
        // Several conversations at once: each message waits on network round trips (and on
        // delayed ACKs, as lettre cannot turn Nagle off), not on this machine.
        let pace = Arc::new(tokio::sync::Mutex::new(Instant::now()));
        let senders = self.app.settings.mail_connections.max(1);
        let mut loops = Vec::new();
        for _ in 0..senders {
            let worker = self.clone();
            let pace = pace.clone();
            loops.push(tokio::spawn(async move { worker.send_loop(pace, interval).await }));
        }
        for sender in loops {
            let _ = sender.await;
        }
    }

    /// One sender: claim, send and record, taking turns on a shared pace so that all senders
    /// together stay under `mail_rate`.
    async fn send_loop(self: Arc<Self>, pace: Arc<tokio::sync::Mutex<Instant>>, interval: Duration) {
        loop {
            {
                let mut next = pace.lock().await;
                let now = Instant::now();
                if *next > now {
                    tokio::time::sleep(*next - now).await;
                }
                *next = Instant::now().max(*next) + interval;
            }
            let worker = self.clone();
            let step = tokio::task::spawn_blocking(move || worker.try_send_next()).await;
            match step {
                Ok(Ok(Step::Empty)) => tokio::time::sleep(Duration::from_millis(250)).await,
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, "delivery step failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => {
                    tracing::error!(%error, "delivery step panicked");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), chrono::TimeDelta::seconds(30));
        assert_eq!(backoff(2), chrono::TimeDelta::seconds(60));
        assert_eq!(backoff(3), chrono::TimeDelta::seconds(120));
        assert_eq!(backoff(20), chrono::TimeDelta::seconds(3600));
    }
}
