//! The delivery worker. It runs inside `civil serve` and on its own as `civil worker`; several
//! may run against one database. `try_send_next` is one step (claim, send, record), so tests can
//! drive the worker to completion.
//!
//! Each message is claimed atomically and marked `sending` just before its SMTP conversation and
//! `sent` just after, so a worker killed mid-send leaves only that message in doubt. Workers beat
//! a heartbeat; a `sending` message whose worker stopped beating is marked `unknown` for an admin
//! to resend. Everything else resumes after a restart: nothing is sent twice and nothing is lost.
//! Stopped on purpose (`stop`, on SIGTERM), a worker claims nothing more and finishes and
//! records the conversations it has started.
//!
//! The worker never holds a database connection while it talks SMTP: it claims and composes on
//! one, gives it back, sends, and takes one again to record the outcome. All its senders
//! together hold at most a quarter of the pool (at least one connection), so a slow or hung
//! relay can never leave pages waiting for a connection.
//!
//! Each row names its kind of job (`JobKind`), and each kind has its deliverer: `email` (the
//! row holds the whole message), `newsletter_issue` (put together at send time) and `webhook`
//! (signed at send time and posted to the endpoint). A new kind joins with a variant of
//! `JobKind` and a `Deliverer`.
//!
//! When the relay (or our configuration of it) is at fault, the message goes back to the queue
//! as it was, without using up an attempt, and e-mail pauses, 5 s at first and twice as long
//! each time after, up to 5 minutes, because every other message would meet the same fault.
//! Webhooks have their own outcomes: each endpoint fails on its own, so a failing one is retried
//! with backoff (up to `WEBHOOK_MAX_ATTEMPTS`) and pauses nothing, and webhooks still go out
//! while e-mail is paused. Each attempt's outcome is written on the endpoint, for the admin page.

mod email;
mod newsletter_issue;
mod webhook;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use self::email::EmailDeliverer;
use self::newsletter_issue::IssueDeliverer;
use self::webhook::WebhookDeliverer;
use crate::email::templates::Site;
use crate::email::{Mailer, SendError};
use crate::error::Error;
use crate::services::App;
use crate::store::db::PooledDb;
use crate::store::outbox::{self, JobKind, OutboxRow};
use crate::store::DbConnection;
use crate::store::{newsletter, webhooks};

/// A worker whose heartbeat is older than this is taken for dead.
const HEARTBEAT_TIMEOUT: chrono::TimeDelta = chrono::TimeDelta::seconds(10);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// How often an empty queue is looked at, by one sender while the others wait for work.
const EMPTY_QUEUE_POLL: Duration = Duration::from_millis(250);
/// The longest a waiting sender waits without being told of work (in case it was told just
/// before it began to listen).
const WAIT_FOR_WORK_AT_MOST: Duration = Duration::from_secs(10);
/// The first pause after the relay failed; it doubles with each failure after it, up to the last.
const RELAY_PAUSE_FIRST: Duration = Duration::from_secs(5);
const RELAY_PAUSE_LAST: Duration = Duration::from_secs(300);
/// A webhook is tried this many times (with `backoff`, about three hours in all), then given up.
pub const WEBHOOK_MAX_ATTEMPTS: i32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Sent,
    /// Nothing due.
    Empty,
    /// It failed and will be tried again later.
    Retry,
    /// It failed for good.
    Failed,
    /// The relay or its configuration failed: the message went back to the queue as it was, and
    /// the worker pauses before it tries anything again.
    Waiting,
    /// The worker is pausing after a relay failure and claimed nothing.
    Paused,
}

/// Delivers one kind of job. The worker claims the row, calls `prepare` on a connection, gives
/// the connection back, and only then calls `deliver`, which may wait on the network for long.
pub trait Deliverer: Send + Sync {
    /// What `prepare` reads from the database, for `deliver`.
    type Prepared;
    /// How a delivery went, as this kind of job records it.
    type Outcome;

    /// Put the delivery together. An error puts the job back in the queue, to be tried again.
    fn prepare(&self, conn: &mut DbConnection, row: &OutboxRow) -> Result<Self::Prepared, Error>;

    /// Deliver it, holding no database connection.
    fn deliver(&self, prepared: &Self::Prepared) -> Self::Outcome;
}

/// How many database connections the worker may hold at once, for a pool of `pool_size`.
pub fn database_share(pool_size: u32) -> u32 {
    (pool_size / 4).max(1)
}

/// A counting semaphore for blocking code: the worker's share of the pool.
struct Slots {
    free: Mutex<u32>,
    freed: Condvar,
}

/// A pooled connection taken within the worker's share; both go back on drop.
pub struct WorkerConn<'a> {
    conn: Option<PooledDb>,
    slots: &'a Slots,
}

impl std::ops::Deref for WorkerConn<'_> {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        self.conn.as_ref().expect("held until drop")
    }
}

impl std::ops::DerefMut for WorkerConn<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        self.conn.as_mut().expect("held until drop")
    }
}

impl Drop for WorkerConn<'_> {
    fn drop(&mut self) {
        drop(self.conn.take());
        *self.slots.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.slots.freed.notify_one();
    }
}

/// Failures of the relay in a row, and until when the worker leaves it alone.
#[derive(Default)]
struct RelayHealth {
    failures: u32,
    paused_until: Option<Instant>,
}

pub struct Worker {
    app: App,
    email: EmailDeliverer,
    issues: IssueDeliverer,
    webhooks: WebhookDeliverer,
    pub id: String,
    slots: Slots,
    relay: Mutex<RelayHealth>,
    stop: tokio::sync::watch::Sender<bool>,
    /// Whether a sender is watching the empty queue.
    watching: AtomicBool,
    /// A sender found work: the waiting ones look too.
    work_found: tokio::sync::Notify,
}

/// Backoff before the next attempt: 30 s, 1 min, 2 min … doubling, at most an hour.
pub fn backoff(attempts: i32) -> chrono::TimeDelta {
    let exponent = (attempts.max(1) - 1).min(7) as u32;
    chrono::TimeDelta::seconds((30i64 << exponent).min(3600))
}

/// The pause after `failures` relay failures in a row.
fn relay_pause(failures: u32) -> Duration {
    RELAY_PAUSE_FIRST.saturating_mul(1 << failures.saturating_sub(1).min(10)).min(RELAY_PAUSE_LAST)
}

impl Worker {
    pub fn new(app: App, mailer: Arc<Mailer>) -> Worker {
        let id =
            format!("{}-{}", std::process::id(), crate::services::tokens::random_token().get(..8).unwrap_or("worker"));
        let share = database_share(app.settings.db_pool_size);
        let site = Site::of(&app);
        let webhooks = WebhookDeliverer::new(site.base_url.clone(), app.clock.clone());
        Worker {
            app,
            email: EmailDeliverer { mailer: mailer.clone() },
            issues: IssueDeliverer::new(mailer, site),
            webhooks,
            id,
            slots: Slots { free: Mutex::new(share), freed: Condvar::new() },
            relay: Mutex::new(RelayHealth::default()),
            stop: tokio::sync::watch::channel(false).0,
            watching: AtomicBool::new(false),
            work_found: tokio::sync::Notify::new(),
        }
    }

    /// A connection within the worker's share of the pool.
    fn conn(&self) -> Result<WorkerConn<'_>, Error> {
        {
            let mut free = self.slots.free.lock().unwrap_or_else(|e| e.into_inner());
            while *free == 0 {
                free = self.slots.freed.wait(free).unwrap_or_else(|e| e.into_inner());
            }
            *free -= 1;
        }
        // Built before the pool is asked, so the slot goes back if the pool has no connection.
        let mut held = WorkerConn { conn: None, slots: &self.slots };
        held.conn = Some(self.app.pool.get()?);
        Ok(held)
    }

    /// Ask the worker to stop: it claims nothing more, and `run` returns once the conversations
    /// it has started are finished and recorded.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Sleep for `duration`, or less if the worker is asked to stop.
    async fn sleep(&self, duration: Duration) {
        let mut stop = self.stop.subscribe();
        tokio::select! {
            () = tokio::time::sleep(duration) => {}
            _ = stop.wait_for(|stopping| *stopping) => {}
        }
    }

    /// After finding the queue empty: one sender looks again every `EMPTY_QUEUE_POLL`, and the
    /// others wait until a sender finds work. Every sender polling on its own was 64 write
    /// transactions a second per idle instance, with the default 16 senders.
    async fn wait_for_work(&self) {
        if !self.watching.swap(true, Ordering::AcqRel) {
            self.sleep(EMPTY_QUEUE_POLL).await;
            self.watching.store(false, Ordering::Release);
            return;
        }
        let found = self.work_found.notified();
        tokio::pin!(found);
        found.as_mut().enable();
        tokio::select! {
            () = found => {}
            () = self.sleep(WAIT_FOR_WORK_AT_MOST) => {}
        }
    }

    /// How long the worker still leaves a failing relay alone.
    fn relay_pause_left(&self) -> Option<Duration> {
        let health = self.relay.lock().unwrap_or_else(|e| e.into_inner());
        health.paused_until.and_then(|until| until.checked_duration_since(Instant::now())).filter(|d| !d.is_zero())
    }

    /// Note a relay failure; returns the pause, and whether this failure began it (several
    /// senders meeting the same fault at once count once).
    fn relay_failed(&self) -> (Duration, bool) {
        let mut health = self.relay.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some(until) = health.paused_until.filter(|until| *until > now) {
            return (until - now, false);
        }
        health.failures += 1;
        let pause = relay_pause(health.failures);
        health.paused_until = Some(now + pause);
        (pause, true)
    }

    fn relay_worked(&self) {
        let mut health = self.relay.lock().unwrap_or_else(|e| e.into_inner());
        if health.failures > 0 {
            tracing::info!(failures = health.failures, "the SMTP relay takes mail again; the waiting mail goes out");
        }
        *health = RelayHealth::default();
    }

    /// Record that this worker is alive, and mark the claims of dead workers `unknown`.
    pub fn beat(&self) -> Result<usize, Error> {
        let mut conn = self.conn()?;
        let now = self.app.clock.now();
        crate::store::db::write_transaction(&mut conn, |conn| {
            outbox::heartbeat(conn, &self.id, now)?;
            let abandoned = outbox::abandon_dead_claims(conn, now - HEARTBEAT_TIMEOUT)?;
            newsletter::finish_sent_issues(conn)?;
            Ok::<_, Error>(abandoned)
        })
    }

    /// Claim one due job, deliver it, and record the outcome.
    pub fn try_send_next(&self) -> Result<Step, Error> {
        // While the relay is failing, only webhooks go out: they do not need it.
        let relay_paused = self.relay_pause_left().is_some();
        let kinds: &[JobKind] = if relay_paused { &[JobKind::Webhook] } else { &JobKind::ALL };
        let mut conn = self.conn()?;
        let now = self.app.clock.now();
        // A claim is made with a beat, so no other worker takes it for a dead worker's; an empty
        // queue is only read, and the worker's own heartbeat keeps it alive meanwhile.
        let claimed = crate::store::db::write_transaction(&mut conn, |conn| {
            let claimed = outbox::claim_next(conn, &self.id, now, kinds)?;
            if claimed.is_some() {
                outbox::heartbeat(conn, &self.id, now)?;
            }
            Ok::<_, Error>(claimed)
        })?;
        let Some(row) = claimed else {
            return Ok(if relay_paused { Step::Paused } else { Step::Empty });
        };
        match row.kind {
            JobKind::Email => self.deliver_claimed(&self.email, conn, row),
            JobKind::NewsletterIssue => self.deliver_claimed(&self.issues, conn, row),
            JobKind::Webhook => self.deliver_webhook(conn, row),
        }
    }

    /// Prepare a claimed job on `conn`; on failure the job goes back to the queue.
    fn prepare_claimed<D: Deliverer>(
        &self,
        deliverer: &D,
        conn: &mut WorkerConn<'_>,
        row: &OutboxRow,
    ) -> Result<D::Prepared, Error> {
        deliverer.prepare(conn, row).inspect_err(|error| {
            // Not left `sending`: it goes back to the queue like any failed attempt.
            let next = self.app.clock.now() + backoff(row.attempts);
            let _ = outbox::mark_retry(conn, row.id, &error.to_string(), next);
        })
    }

    /// Sign a claimed webhook on `conn`, give the connection back, post it, and record how it
    /// went on the job and on its endpoint. Whatever the receiver does, e-mail goes on.
    fn deliver_webhook(&self, mut conn: WorkerConn<'_>, row: OutboxRow) -> Result<Step, Error> {
        let signed = self.prepare_claimed(&self.webhooks, &mut conn, &row)?;
        drop(conn); // The connection goes back to the pool before the request.
        let outcome = self.webhooks.deliver(&signed);
        if let Err(error) = &outcome {
            tracing::warn!(id = row.id, url = %row.recipient, attempts = row.attempts, %error, "webhook not delivered");
        }
        let endpoint = row.webhook_id.unwrap_or_default();
        self.record(&row, |conn, now| {
            let (step, status) = match &outcome {
                Ok(code) => {
                    outbox::mark_sent(conn, row.id, now)?;
                    (Step::Sent, format!("delivered (HTTP {code})"))
                }
                Err(error) if row.attempts >= WEBHOOK_MAX_ATTEMPTS => {
                    let status = format!("{error}; gave up after {} attempts", row.attempts);
                    outbox::mark_failed(conn, row.id, &status)?;
                    (Step::Failed, status)
                }
                Err(error) => {
                    outbox::mark_retry(conn, row.id, error, now + backoff(row.attempts))?;
                    (Step::Retry, format!("{error}; will try again"))
                }
            };
            webhooks::record_status(conn, endpoint, &status, now)?;
            Ok(step)
        })
    }

    /// Prepare a claimed e-mail on `conn`, give the connection back, deliver, and record.
    fn deliver_claimed<D: Deliverer<Outcome = Result<(), SendError>>>(
        &self,
        deliverer: &D,
        mut conn: WorkerConn<'_>,
        row: OutboxRow,
    ) -> Result<Step, Error> {
        let prepared = self.prepare_claimed(deliverer, &mut conn, &row)?;
        drop(conn); // The connection goes back to the pool before the conversation.
        let outcome = deliverer.deliver(&prepared);
        let relay_pause = match &outcome {
            Err(SendError::Relay(error)) => {
                let (pause, began) = self.relay_failed();
                if began {
                    tracing::error!(%error, pause_seconds = pause.as_secs(), "e-mail cannot be sent; it waits, and the worker tries again after the pause");
                }
                Some(pause)
            }
            Ok(()) => {
                self.relay_worked();
                None
            }
            Err(_) => None,
        };
        let step = self.record(&row, |conn, now| self.record_email(conn, now, &row, &outcome, relay_pause))?;
        match &outcome {
            Err(SendError::Relay(_)) | Ok(()) => {}
            Err(error) => {
                tracing::warn!(id = row.id, to = %row.recipient, attempts = row.attempts, %error, "e-mail not sent")
            }
        }
        Ok(step)
    }

    /// Record the outcome of a delivery with `write`, in one transaction. The message is out (or
    /// not) whatever the database says, so a failed write is tried again until it works, for at
    /// most 10 s once stopping.
    fn record(
        &self,
        row: &OutboxRow,
        write: impl Fn(&mut DbConnection, chrono::NaiveDateTime) -> Result<Step, Error>,
    ) -> Result<Step, Error> {
        let mut wait = Duration::from_millis(100);
        let mut stopping_since = None;
        loop {
            let written = self.conn().and_then(|mut conn| {
                let now = self.app.clock.now();
                crate::store::db::write_transaction(&mut conn, |conn| write(conn, now))
            });
            match written {
                Ok(step) => {
                    if matches!(step, Step::Sent) {
                        let waited = (self.app.clock.now() - row.created_at).to_std().unwrap_or_default();
                        self.app.metrics.delivered(row.kind.as_str(), waited);
                    }
                    return Ok(step);
                }
                Err(error) => {
                    if self.stopping()
                        && stopping_since.get_or_insert_with(Instant::now).elapsed() > Duration::from_secs(10)
                    {
                        return Err(error);
                    }
                    tracing::warn!(id = row.id, error = ?error, "cannot record the outcome of a delivery yet; trying again");
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    fn record_email(
        &self,
        conn: &mut DbConnection,
        now: chrono::NaiveDateTime,
        row: &OutboxRow,
        outcome: &Result<(), SendError>,
        relay_pause: Option<Duration>,
    ) -> Result<Step, Error> {
        {
            let step = match outcome {
                Ok(()) => {
                    outbox::mark_sent(conn, row.id, now)?;
                    Step::Sent
                }
                Err(SendError::Mailbox(error)) => {
                    outbox::mark_failed(conn, row.id, error)?;
                    if let Some(subscriber) = row.subscriber_id {
                        // The address does not exist: stop writing to it.
                        newsletter::set_subscriber_status(conn, subscriber, "bounced", now)?;
                    }
                    Step::Failed
                }
                Err(SendError::Unsendable(error)) => {
                    outbox::mark_failed(conn, row.id, error)?;
                    Step::Failed
                }
                Err(SendError::Relay(error)) => {
                    let pause = relay_pause.unwrap_or(RELAY_PAUSE_FIRST);
                    let next = now + chrono::TimeDelta::from_std(pause).unwrap_or(chrono::TimeDelta::seconds(5));
                    outbox::put_back(conn, row.id, error, next)?;
                    Step::Waiting
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
        }
    }

    /// Send everything due now (tests drive the outbox with this). Returns the steps taken; it
    /// stops at the first relay failure, as the worker pauses then.
    pub fn drain(&self) -> Result<Vec<Step>, Error> {
        let mut steps = Vec::new();
        loop {
            match self.try_send_next()? {
                Step::Empty | Step::Paused => return Ok(steps),
                step => steps.push(step),
            }
        }
    }

    /// Run until `stop`: send what is due, at most `mail_rate` messages a second.
    pub async fn run(self: Arc<Self>) {
        let interval = Duration::from_secs_f64(1.0 / f64::from(self.app.settings.mail_rate.max(1)));
        let senders = self.app.settings.mail_connections.max(1);
        tracing::info!(
            worker = %self.id,
            senders,
            database_connections = database_share(self.app.settings.db_pool_size),
            "delivery worker started"
        );
        // The heartbeat has its own task, so a slow SMTP conversation (up to its 30 s timeout)
        // never makes this worker look dead to the others. It beats until the last sender is done.
        let beating = self.clone();
        let heartbeat = tokio::spawn(async move {
            loop {
                let worker = beating.clone();
                match tokio::task::spawn_blocking(move || worker.beat()).await {
                    Ok(Ok(abandoned)) if abandoned > 0 => {
                        tracing::warn!(abandoned, "messages left mid-send by a stopped worker are marked unknown")
                    }
                    Ok(Err(error)) => tracing::warn!(error = ?error, "worker heartbeat failed"),
                    _ => {}
                }
                tokio::time::sleep(HEARTBEAT_EVERY).await;
            }
        });
        // Several conversations at once: each message waits on network round trips (and on
        // delayed ACKs, as lettre cannot turn Nagle off), not on this machine.
        let pace = Arc::new(tokio::sync::Mutex::new(Instant::now()));
        let mut loops = Vec::new();
        for _ in 0..senders {
            let worker = self.clone();
            let pace = pace.clone();
            loops.push(tokio::spawn(async move { worker.send_loop(pace, interval).await }));
        }
        for sender in loops {
            let _ = sender.await;
        }
        heartbeat.abort();
        let worker = self.clone();
        if let Ok(Err(error)) = tokio::task::spawn_blocking(move || worker.forget()).await {
            tracing::warn!(error = ?error, "the stopped worker's heartbeat could not be removed");
        }
        tracing::info!(worker = %self.id, "delivery worker stopped");
    }

    /// Remove this worker's heartbeat: it has nothing in flight.
    fn forget(&self) -> Result<usize, Error> {
        let mut conn = self.conn()?;
        Ok(outbox::forget_worker(&mut conn, &self.id)?)
    }

    /// One sender: claim, send and record, taking turns on a shared pace so that all senders
    /// together stay under `mail_rate`, until the worker is stopped.
    async fn send_loop(self: Arc<Self>, pace: Arc<tokio::sync::Mutex<Instant>>, interval: Duration) {
        while !self.stopping() {
            {
                let mut next = pace.lock().await;
                let now = Instant::now();
                if *next > now {
                    self.sleep(*next - now).await;
                }
                *next = Instant::now().max(*next) + interval;
            }
            if self.stopping() {
                break;
            }
            let worker = self.clone();
            let step = tokio::task::spawn_blocking(move || worker.try_send_next()).await;
            match step {
                Ok(Ok(Step::Empty)) => self.wait_for_work().await,
                Ok(Ok(Step::Paused | Step::Waiting)) => {
                    self.sleep(self.relay_pause_left().unwrap_or(EMPTY_QUEUE_POLL)).await
                }
                Ok(Ok(_)) => self.work_found.notify_waiters(),
                Ok(Err(error)) => {
                    // The cause, not only what a reader would be told: this line is for the operator.
                    tracing::warn!(error = ?error, "delivery step failed");
                    self.sleep(Duration::from_secs(1)).await;
                }
                Err(error) => {
                    tracing::error!(%error, "delivery step panicked");
                    self.sleep(Duration::from_secs(1)).await;
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

    #[test]
    fn relay_pauses_double_up_to_five_minutes() {
        assert_eq!(relay_pause(1), Duration::from_secs(5));
        assert_eq!(relay_pause(2), Duration::from_secs(10));
        assert_eq!(relay_pause(4), Duration::from_secs(40));
        assert_eq!(relay_pause(7), Duration::from_secs(300));
        assert_eq!(relay_pause(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn the_worker_takes_a_quarter_of_the_pool_at_most() {
        assert_eq!(database_share(16), 4);
        assert_eq!(database_share(8), 2);
        assert_eq!(database_share(3), 1);
        assert_eq!(database_share(1), 1);
    }
}
