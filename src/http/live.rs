//! Live updates over server-sent events: a discussion's stream (`/articles/{slug}/events`, the
//! embed's external threads included, by their slug), the moderators' stream
//! (`/moderation/events`), and the one comment a page fetches, as its reader sees it, when the
//! reader chooses to show what arrived (`/comments/{id}/fragment`). The streams carry only
//! small, shared events (a kind, ids and counts): nothing personal, and nothing rendered per
//! stream.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::extract::Viewer;
use super::pages::{render, PageResult};
use super::State;
use crate::domain::events::EventId;
use crate::domain::role::Role;
use crate::services::live::{self, Event, Next, Stream};
use crate::services::{articles, threads, App};
use crate::views::thread::{single_comment, ReaderControls, ThreadView};

/// A comment line every so often, so that proxies and browsers keep a quiet stream open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long a browser waits before it reconnects a dropped stream.
const RETRY_MS: u32 = 3000;

#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    /// The last event id, for a client that cannot send `Last-Event-ID` (the header wins).
    last: Option<String>,
}

/// `Last-Event-ID`, or the `last` query parameter. An id that does not parse starts afresh.
fn last_event_id(req: &HttpRequest, query: &StreamQuery) -> Option<EventId> {
    let header = req.headers().get("last-event-id").and_then(|v| v.to_str().ok());
    header.or(query.last.as_deref()).and_then(EventId::parse)
}

pub async fn article_events(
    state: web::Data<State>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<StreamQuery>,
) -> PageResult {
    let article = articles::find_by_slug(&state.app, slug.into_inner(), false).await?;
    let (stream, first) = live::open(&state.app, article.id, last_event_id(&req, &query)).await?;
    Ok(respond(state.app.clone(), stream, first))
}

pub async fn staff_events(state: web::Data<State>, viewer: Viewer) -> PageResult {
    let moderator = viewer.require_role(Role::Moderator)?;
    let (stream, counts) = live::open_staff(&state.app, moderator).await?;
    Ok(respond(state.app.clone(), stream, vec![counts]))
}

/// One comment as this reader sees it in the thread, with their controls: no page around it.
pub async fn comment_fragment(state: web::Data<State>, mut viewer: Viewer, id: web::Path<i64>) -> PageResult {
    let reader = viewer.user().map_or(threads::Reader::Anyone, |u| threads::Reader::for_account(u.id, u.is_staff()));
    let (comment, article, voted) = threads::shown_comment(&state.app, id.into_inner(), reader).await?;
    if !articles::is_public(&article, state.app.clock.now()) {
        return Err(crate::error::Error::not_found("That comment").into());
    }
    let csrf_token = viewer.csrf_token();
    let sort = threads::default_sort(&state.app).await?;
    let voted: HashSet<i64> = voted.then_some(comment.id).into_iter().collect();
    let user = viewer.user();
    let now = state.app.clock.now();
    let view = ThreadView {
        base: "",
        slug: &article.slug,
        return_to: None,
        sort,
        after: None,
        reader: user.map(|user| ReaderControls {
            user_id: user.id,
            csrf_token: &csrf_token,
            voted: &voted,
            editable_after: now - chrono::Duration::minutes(state.app.settings.edit_window_minutes),
            comments_open: article.comments_open,
            replying: None,
            is_staff: user.is_staff(),
            can_participate: user.restriction(now).is_none(),
            landing: None,
            flagging: None,
            shared: false,
        }),
    };
    Ok(render(&viewer, StatusCode::OK, single_comment(&view, &comment)))
}

/// What one stream has still to send.
struct Feed {
    app: App,
    stream: Stream,
    queued: VecDeque<Arc<Event>>,
    keep_alive: tokio::time::Interval,
    preamble: Option<Bytes>,
}

fn frame(event: &Event) -> Bytes {
    Bytes::from(match event.id {
        None => format!("data: {}\n\n", event.data),
        Some(id) => format!("id: {id}\ndata: {}\n\n", event.data),
    })
}

/// A `text/event-stream` response that never goes through `Compress` (it carries its own
/// `Content-Encoding`) nor through a proxy's buffer, and ends when the server stops.
fn respond(app: App, stream: Stream, first: Vec<Arc<Event>>) -> HttpResponse {
    let start = tokio::time::Instant::now() + KEEP_ALIVE;
    let feed = Feed {
        app,
        stream,
        queued: first.into(),
        keep_alive: tokio::time::interval_at(start, KEEP_ALIVE),
        preamble: Some(Bytes::from(format!("retry: {RETRY_MS}\n\n"))),
    };
    let body = futures_util::stream::unfold(feed, |mut feed| async move {
        if let Some(preamble) = feed.preamble.take() {
            return Some((Ok::<_, actix_web::Error>(preamble), feed));
        }
        if let Some(event) = feed.queued.pop_front() {
            return Some((Ok(frame(&event)), feed));
        }
        tokio::select! {
            next = feed.stream.next() => match next {
                Next::Send(event) => Some((Ok(frame(&event)), feed)),
                Next::CatchUp => {
                    let missed = feed.stream.catch_up(&feed.app).await.ok()?;
                    feed.queued.extend(missed);
                    Some((Ok(Bytes::from_static(b": caught up\n\n")), feed))
                }
                Next::End => None,
            },
            _ = feed.keep_alive.tick() => Some((Ok(Bytes::from_static(b": keep-alive\n\n")), feed)),
        }
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("identity")))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}
