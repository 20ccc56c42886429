//! Signed webhooks: the endpoints admins register, and the announcements of what happens to
//! comments. An announcement is an outbox job per endpoint that chose the event, written in the
//! transaction of the change itself, so a change that rolls back announces nothing; the worker
//! signs and sends it after the commit (`crate::outbox`).
//!
//! It comes early in `services::ORDER` so that `threads`, `comments` and `moderation`, which
//! make the changes, can all announce them.

use chrono::NaiveDateTime;

use super::{tokens, Actor, App};
use crate::domain::role::Role;
use crate::domain::thread::Status;
use crate::domain::webhook::{Announcement, EndpointUrl, Event, Events, Secret};
use crate::error::Error;
use crate::store::outbox::{self, NewMessage};
use crate::store::webhooks::{self, WebhookRow};
use crate::store::{articles, comments, users, DbConnection};

/// An endpoint as admins see it: never its secret, which is shown once, when it is added.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    pub events: Vec<Event>,
    pub created_at: NaiveDateTime,
    pub last_status: Option<String>,
    pub last_status_at: Option<NaiveDateTime>,
}

impl From<WebhookRow> for Endpoint {
    fn from(row: WebhookRow) -> Endpoint {
        Endpoint {
            id: row.id,
            url: row.url,
            events: Events::from_db(&row.events),
            created_at: row.created_at,
            last_status: row.last_status,
            last_status_at: row.last_status_at,
        }
    }
}

/// A new endpoint and its secret, for the admin to copy into the receiving end.
#[derive(Debug, Clone)]
pub struct Added {
    pub endpoint: Endpoint,
    pub secret: String,
}

/// Register an endpoint for `events` (names, or comma-separated lists of them). Without a
/// secret, one is generated.
pub async fn add(
    app: &App,
    actor: Actor<'_>,
    url: &str,
    events: &[String],
    secret: Option<&str>,
) -> Result<Added, Error> {
    actor.require(Role::Admin)?;
    let url = EndpointUrl::parse(url)?;
    let events = Events::parse(events)?;
    let secret = match secret.filter(|s| !s.is_empty()) {
        Some(given) => Secret::parse(given)?,
        None => Secret::generated(&tokens::random_token()),
    };
    let now = app.clock.now();
    let row =
        app.write(move |conn| Ok(webhooks::insert(conn, url.as_str(), &events.to_db(), secret.as_str(), now)?)).await?;
    let secret = row.secret.clone();
    Ok(Added { endpoint: row.into(), secret })
}

pub async fn list(app: &App, actor: Actor<'_>) -> Result<Vec<Endpoint>, Error> {
    actor.require(Role::Admin)?;
    app.db(|conn| Ok(webhooks::list(conn)?.into_iter().map(Endpoint::from).collect())).await
}

/// Remove an endpoint, with the deliveries still waiting for it.
pub async fn remove(app: &App, actor: Actor<'_>, id: i64) -> Result<(), Error> {
    actor.require(Role::Admin)?;
    app.write(move |conn| match webhooks::delete(conn, id)? {
        0 => Err(Error::not_found("That webhook")),
        _ => Ok(()),
    })
    .await
}

/// Choose again which events an endpoint hears.
pub async fn set_events(app: &App, actor: Actor<'_>, id: i64, events: &[String]) -> Result<Endpoint, Error> {
    actor.require(Role::Admin)?;
    let events = Events::parse(events)?;
    app.write(move |conn| {
        if webhooks::set_events(conn, id, &events.to_db())? == 0 {
            return Err(Error::not_found("That webhook"));
        }
        Ok(webhooks::find(conn, id)?.ok_or_else(|| Error::not_found("That webhook"))?.into())
    })
    .await
}

/// What an event says beyond the comment as it now is.
#[derive(Debug, Clone, Copy, Default)]
pub enum Detail<'a> {
    #[default]
    None,
    /// The author edited the comment.
    Edited,
    /// A reader flagged it for `reason`; `hidden` when that flag took it out of public view.
    Flag { reason: &'a str, hidden: bool },
}

/// Queue `event` about comment `comment_id` for every endpoint that chose it, on the caller's
/// transaction. Costs one small read when no endpoint listens.
pub fn announce(
    conn: &mut DbConnection,
    event: Event,
    comment_id: i64,
    detail: Detail<'_>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let listening: Vec<WebhookRow> =
        webhooks::list(conn)?.into_iter().filter(|w| Events::from_db(&w.events).contains(&event)).collect();
    if listening.is_empty() {
        return Ok(());
    }
    let comment = comments::find(conn, comment_id)?.ok_or_else(|| Error::not_found("That comment"))?;
    let article = articles::find(conn, comment.article_id)?.ok_or_else(|| Error::not_found("That article"))?;
    let author = users::find(conn, comment.author_id)?.map(|u| u.username).unwrap_or_default();
    let status = Status::from_db(&comment.status);
    let (flag_reason, hidden) = match detail {
        Detail::Flag { reason, hidden } => (Some(reason.to_owned()), Some(hidden)),
        _ => (None, None),
    };
    let announcement = Announcement {
        event: event.as_str().to_owned(),
        created_at: now,
        comment_id: comment.id,
        parent_id: comment.parent_id,
        status: status.as_str().to_owned(),
        author,
        article_slug: article.slug,
        article_title: article.title,
        // What the public sees, and only while it sees it.
        body_html: (status == Status::Published).then_some(comment.body_html),
        edited: matches!(detail, Detail::Edited) || comment.edited_at.is_some(),
        removal_reason: comment.removal_reason.filter(|_| status == Status::Removed),
        flag_reason,
        hidden,
    };
    let json = serde_json::to_string(&announcement).map_err(|e| Error::Internal(e.into()))?;
    for endpoint in listening {
        let key = format!("webhook:{}:{}", endpoint.id, tokens::random_token());
        outbox::enqueue(
            conn,
            &NewMessage::webhook(endpoint.id, &endpoint.url, event.as_str(), json.clone(), key, now),
        )?;
    }
    Ok(())
}
