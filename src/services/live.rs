//! Live updates: new comments, edits, removals and counts as they happen, for the readers of a
//! discussion, and the queue's changes for moderators.
//!
//! Every change a reader may see writes an event to the log in the transaction of the change
//! (`record_*`, on the caller's transaction; the rules are `domain::events`). One task per
//! instance (`run`) reads the log after each commit, once, and hands each event to the
//! discussion's broadcast channel, which every open stream of that discussion listens to: no
//! stream reads the database after it starts. Other instances' commits arrive through
//! PostgreSQL's `LISTEN/NOTIFY` (`spawn_listener`); on SQLite every writer is in this process.
//!
//! It comes early in `services::ORDER`, beside `webhooks`, so that `threads`, `comments` and
//! `moderation`, which make the changes, can record them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;
use serde::Serialize;
use tokio::sync::{broadcast, watch, Notify};

use super::App;
use crate::domain::events::{self, Audience, EventId, Kind, Resume};
use crate::domain::thread::Status;
use crate::error::Error;
use crate::store::live::{self as store_live, EventRow, NewEvent};
use crate::store::moderation::{self as store_moderation, Tab};

/// Events a slow stream may fall behind by before it must catch up from the log.
const CHANNEL_CAPACITY: usize = 256;
/// The most events a returning stream is sent from the log; further behind, it reloads.
const BACKLOG_LIMIT: i64 = 500;
/// How often the listener looks for notifications, and checks a quiet connection.
const LISTEN_POLL: Duration = Duration::from_millis(50);
const LISTEN_PING: Duration = Duration::from_secs(5);

/// One event as a stream sends it: its id, and the JSON a page reads. Small and the same for
/// every reader: nothing personal, no markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `None` for the reload notice, which is no place to resume from.
    pub id: Option<i64>,
    pub data: String,
}

#[derive(Serialize)]
struct Public<'a> {
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<i64>,
    count: i64,
}

#[derive(Serialize)]
struct Queue {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<i64>,
    pending: i64,
    reported: i64,
}

impl Event {
    fn public(row: &EventRow) -> Event {
        let data = Public { kind: &row.kind, comment: row.comment_id, parent: row.parent_id, count: row.comment_count };
        Event { id: Some(row.id), data: serde_json::to_string(&data).unwrap_or_default() }
    }

    fn queue(id: i64, comment: Option<i64>, (pending, reported): (i64, i64)) -> Event {
        let data = Queue { kind: Kind::Queue.as_str(), comment, pending, reported };
        Event { id: Some(id), data: serde_json::to_string(&data).unwrap_or_default() }
    }

    /// Where a stream starts: the id the browser keeps, with nothing to show.
    fn ready(id: i64) -> Event {
        Event { id: Some(id), data: r#"{"kind":"ready"}"#.into() }
    }

    /// What a stream that missed too much is told: load the discussion again.
    pub fn reload() -> Event {
        Event { id: None, data: r#"{"kind":"reload"}"#.into() }
    }
}

/// This instance's open streams and the channels that feed them.
pub struct Hub {
    articles: Mutex<HashMap<i64, broadcast::Sender<Arc<Event>>>>,
    staff: broadcast::Sender<Arc<Event>>,
    wake: Notify,
    open: AtomicI64,
    closing: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            articles: Mutex::default(),
            staff: broadcast::channel(CHANNEL_CAPACITY).0,
            wake: Notify::new(),
            open: AtomicI64::new(0),
            closing: watch::channel(false).0,
        }
    }
}

impl Hub {
    /// Something was committed that streams may want: read the log.
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// Streams open on this instance, for `/metrics`.
    pub fn open_streams(&self) -> i64 {
        self.open.load(Ordering::Relaxed)
    }

    /// End every stream (the server is stopping: a stream would otherwise hold the graceful
    /// shutdown for its whole timeout). Browsers reconnect, to another instance or this one
    /// once it is back, and resume where they were.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn subscribe(&self, article_id: i64) -> broadcast::Receiver<Arc<Event>> {
        let mut articles = self.articles.lock().unwrap_or_else(|e| e.into_inner());
        articles.entry(article_id).or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0).subscribe()
    }

    fn send(&self, article_id: i64, event: Arc<Event>) {
        let mut articles = self.articles.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(channel) = articles.get(&article_id) {
            if channel.send(event).is_err() {
                // Nobody reads this discussion any more.
                articles.remove(&article_id);
            }
        }
    }
}

/// An open stream: where it is in the log, and what feeds it. Counted while it lives.
pub struct Stream {
    hub: Arc<Hub>,
    receiver: broadcast::Receiver<Arc<Event>>,
    closing: watch::Receiver<bool>,
    /// The id of the last event sent: anything at or below it is not sent again.
    sent: i64,
    /// For a reader's stream, its article (a lagging stream catches up from the log).
    article_id: Option<i64>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.hub.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a stream does next.
pub enum Next {
    Send(Arc<Event>),
    /// It fell too far behind: read `catch_up` and go on.
    CatchUp,
    /// The server is stopping.
    End,
}

impl Stream {
    fn open(hub: &Arc<Hub>, receiver: broadcast::Receiver<Arc<Event>>, article_id: Option<i64>) -> Stream {
        hub.open.fetch_add(1, Ordering::Relaxed);
        Stream { hub: hub.clone(), receiver, closing: hub.closing.subscribe(), sent: 0, article_id }
    }

    /// Wait for the next event this stream has not sent.
    pub async fn next(&mut self) -> Next {
        loop {
            if *self.closing.borrow() {
                return Next::End;
            }
            tokio::select! {
                received = self.receiver.recv() => match received {
                    Ok(event) if event.id.is_some_and(|id| id > self.sent) => {
                        self.sent = event.id.unwrap_or(self.sent);
                        return Next::Send(event);
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return Next::CatchUp,
                    Err(broadcast::error::RecvError::Closed) => return Next::End,
                },
                _ = self.closing.changed() => return Next::End,
            }
        }
    }

    /// The events a lagging stream missed, from the log (or a reload when too many).
    pub async fn catch_up(&mut self, app: &App) -> Result<Vec<Arc<Event>>, Error> {
        let Some(article_id) = self.article_id else {
            // A moderator's stream carries the queue's counts: the latest says it all.
            return Ok(Vec::new());
        };
        let events = backlog(app, article_id, EventId::new(self.sent)).await?;
        if let Some(last) = events.last().and_then(|e| e.id) {
            self.sent = last;
        }
        Ok(events)
    }
}

/// Open a stream of one discussion's public events. `last` is the last event the reader
/// received (from `Last-Event-ID`); the stream first sends what came after it, or, without
/// one, an event that marks where it starts.
pub async fn open(app: &App, article_id: i64, last: Option<EventId>) -> Result<(Stream, Vec<Arc<Event>>), Error> {
    // Subscribed before reading the log, so that nothing committed in between is missed; what
    // both deliver is sent once (`Stream::sent`).
    let mut stream = Stream::open(&app.live, app.live.subscribe(article_id), Some(article_id));
    let first = match last {
        Some(last) => {
            let events = backlog(app, article_id, last).await?;
            stream.sent = events.last().and_then(|e| e.id).unwrap_or(0).max(last.get());
            events
        }
        None => {
            let newest = app.db(|conn| Ok(store_live::newest(conn)?.unwrap_or(0))).await?;
            stream.sent = newest;
            vec![Arc::new(Event::ready(newest))]
        }
    };
    Ok((stream, first))
}

/// Open a moderator's stream: the queue's counts now, then each change.
pub async fn open_staff(app: &App, moderator: &crate::domain::account::User) -> Result<(Stream, Arc<Event>), Error> {
    super::require_role(moderator, crate::domain::role::Role::Moderator)?;
    let stream = Stream::open(&app.live, app.live.staff.subscribe(), None);
    let (newest, counts) = app.db(|conn| Ok((store_live::newest(conn)?.unwrap_or(0), queue_counts(conn)?))).await?;
    Ok((stream, Arc::new(Event::queue(newest, None, counts))))
}

/// A discussion's public events after `last`, or a reload when some may be gone.
async fn backlog(app: &App, article_id: i64, last: EventId) -> Result<Vec<Arc<Event>>, Error> {
    app.db(move |conn| {
        let (oldest, newest) = store_live::bounds(conn)?;
        let Resume::After(from) = events::resume(last, oldest, newest) else {
            return Ok(vec![Arc::new(Event::reload())]);
        };
        let rows = store_live::public_after(conn, article_id, from.get(), BACKLOG_LIMIT + 1)?;
        if rows.len() as i64 > BACKLOG_LIMIT {
            return Ok(vec![Arc::new(Event::reload())]);
        }
        Ok(rows.iter().map(|row| Arc::new(Event::public(row))).collect())
    })
    .await
}

fn queue_counts(conn: &mut crate::store::DbConnection) -> Result<(i64, i64), Error> {
    Ok((store_moderation::tab_count(conn, Tab::Pending)?, store_moderation::tab_count(conn, Tab::Reported)?))
}

/// The newest id in the log, where this instance starts reading.
pub async fn newest(app: &App) -> Result<i64, Error> {
    app.lookup(|conn| Ok(store_live::newest(conn)?.unwrap_or(0))).await
}

/// Read the log after each commit (this instance's, or another's when notified) and hand the
/// events to the streams, until `stop`.
pub async fn run(app: App, mut tip: i64, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = app.live.wake.notified() => {}
            _ = stop.wait_for(|stopping| *stopping) => return,
        }
        loop {
            let rows = app.db(move |conn| Ok(store_live::after(conn, tip, BACKLOG_LIMIT)?)).await;
            let rows = match rows {
                Ok(rows) => rows,
                Err(error) => {
                    tracing::warn!(error = ?error, "reading the live event log failed; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    app.live.poke();
                    break;
                }
            };
            let Some(last) = rows.last() else { break };
            tip = last.id;
            let mut queue_news = None;
            for row in &rows {
                match Kind::parse(&row.kind).map(Kind::audience) {
                    Some(Audience::Public) => app.live.send(row.article_id, Arc::new(Event::public(row))),
                    Some(Audience::Staff) => queue_news = Some((row.id, row.comment_id)),
                    None => {}
                }
            }
            if let Some((id, comment)) = queue_news.filter(|_| app.live.staff.receiver_count() > 0) {
                match app.db(queue_counts).await {
                    Ok(counts) => {
                        let _ = app.live.staff.send(Arc::new(Event::queue(id, comment, counts)));
                    }
                    Err(error) => tracing::warn!(error = ?error, "reading the queue's counts failed"),
                }
            }
            if (rows.len() as i64) < BACKLOG_LIMIT {
                break;
            }
        }
    }
}

/// On PostgreSQL, a thread with a connection of its own that listens for the events other
/// instances commit, and wakes `run`. When the connection is lost it connects again, and then
/// `run` reads everything after where it was: nothing is missed while it was away.
pub fn spawn_listener(app: &App, stop: watch::Receiver<bool>) -> Option<std::thread::JoinHandle<()>> {
    if app.settings.backend().is_sqlite() {
        return None;
    }
    let url = app.settings.database_url.clone();
    let hub = app.live.clone();
    std::thread::Builder::new().name("civil-listen".into()).spawn(move || listen(&url, &hub, &stop)).ok()
}

fn listen(url: &str, hub: &Hub, stop: &watch::Receiver<bool>) {
    let mut backoff = Duration::from_secs(1);
    while !*stop.borrow() {
        let mut listener = match store_live::Listener::connect(url) {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(error = ?error, "cannot listen for other instances' events; trying again");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        backoff = Duration::from_secs(1);
        // Whatever was committed while nobody listened.
        hub.poke();
        let mut pinged = std::time::Instant::now();
        while !*stop.borrow() {
            let heard = listener.heard().and_then(|heard| {
                if pinged.elapsed() >= LISTEN_PING {
                    pinged = std::time::Instant::now();
                    listener.ping()?;
                }
                Ok(heard)
            });
            match heard {
                Ok(true) => hub.poke(),
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(error = ?error, "lost the connection that listens for other instances' events");
                    break;
                }
            }
            std::thread::sleep(LISTEN_POLL);
        }
    }
}

/// Forget events older than `domain::events::KEPT_FOR`.
pub async fn prune(app: &App) -> Result<usize, Error> {
    let before = events::prune_before(app.clock.now());
    app.write(move |conn| Ok(store_live::prune(conn, before)?)).await
}

// Recording, on the caller's transaction. Each writes nothing until the transaction commits
// (`store::live`).

fn record(kind: Kind, article_id: i64, comment: Option<(i64, Option<i64>)>, at: NaiveDateTime) -> Result<(), Error> {
    Ok(store_live::record(NewEvent {
        article_id,
        kind: kind.as_str(),
        staff: kind.audience() == Audience::Staff,
        comment_id: comment.map(|c| c.0),
        parent_id: comment.and_then(|c| c.1),
        created_at: at,
    })?)
}

/// A comment is new (`status` is where the policy put it): published, readers hear of it; held,
/// only moderators do.
pub fn record_new(
    article_id: i64,
    comment_id: i64,
    parent_id: Option<i64>,
    status: Status,
    at: NaiveDateTime,
) -> Result<(), Error> {
    match status {
        Status::Published => record(Kind::Published, article_id, Some((comment_id, parent_id)), at),
        _ => record_queue(article_id, comment_id, at),
    }
}

/// A comment moved from `was` to `now`.
pub fn record_status(
    article_id: i64,
    comment_id: i64,
    parent_id: Option<i64>,
    was: Status,
    now: Status,
    at: NaiveDateTime,
) -> Result<(), Error> {
    if let Some(kind) = events::on_status_change(was, now) {
        record(kind, article_id, Some((comment_id, parent_id)), at)?;
    }
    if events::changes_queue(was, now) {
        record_queue(article_id, comment_id, at)?;
    }
    Ok(())
}

/// A comment's text changed while it had `status`.
pub fn record_edit(
    article_id: i64,
    comment_id: i64,
    parent_id: Option<i64>,
    status: Status,
    at: NaiveDateTime,
) -> Result<(), Error> {
    match events::on_edit(status) {
        Some(kind) => record(kind, article_id, Some((comment_id, parent_id)), at),
        None => Ok(()),
    }
}

/// Something in the moderation queue changed (a flag, a decision, a held edit).
pub fn record_queue(article_id: i64, comment_id: i64, at: NaiveDateTime) -> Result<(), Error> {
    record(Kind::Queue, article_id, Some((comment_id, None)), at)
}

/// The discussion was closed or reopened.
pub fn record_discussion(article_id: i64, open: bool, at: NaiveDateTime) -> Result<(), Error> {
    record(if open { Kind::Reopened } else { Kind::Closed }, article_id, None, at)
}
