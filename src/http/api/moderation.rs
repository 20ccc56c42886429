//! Moderation over JSON: flags, the queue, actions, sanctions and the log. The same services
//! and permissions as the pages.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::types::{fields, utc, whole, ErrorBody, UserJson};
use super::{ApiResult, JsonObject, OptionalJson};
use crate::domain::moderation::RemovalReason;
use crate::domain::Invalid;
use crate::error::Error;
use crate::http::extract::{Csrf, Viewer};
use crate::http::State;
use crate::services::moderation::{self, CommentAction, LogSearch, QueueItem, QueueTab, UserAction};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagRequest {
    /// spam, abuse, hate, off_topic, misinformation or other (which needs a note).
    #[schema(schema_with = fields::flag_reason)]
    pub reason: String,
    #[serde(default)]
    #[schema(schema_with = fields::flag_note)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlagResponse {
    /// True when this flag took the comment out of public view for review.
    pub hidden: bool,
    pub message: String,
}

/// Flag a comment (not your own, once).
#[utoipa::path(post, path = "/api/v1/comments/{id}/flags", tag = "moderation", request_body = FlagRequest,
    params(("id" = i64, Path), ("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    security(("session" = [])),
    responses((status = 201, description = "Flagged", body = FlagResponse),
        (status = 403, description = "Your own comment, or the CSRF token is missing or wrong", body = ErrorBody),
        (status = 404, description = "No such comment", body = ErrorBody),
        (status = 409, description = "Already flagged", body = ErrorBody),
        (status = 422, description = "`other` without a note", body = ErrorBody),
        (status = 429, description = "Too many flags today", body = ErrorBody)))]
pub async fn flag(
    state: web::Data<State>,
    viewer: Viewer,
    id: web::Path<i64>,
    Csrf(body): Csrf<JsonObject<FlagRequest>>,
) -> ApiResult {
    let user = viewer.require_user()?;
    let flagged = moderation::flag(&state.app, user, id.into_inner(), &body.reason, body.note.as_deref()).await?;
    Ok(HttpResponse::Created().json(FlagResponse {
        hidden: flagged.hidden,
        message: "Thanks — you flagged this comment. Moderators will review it.".into(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueCounts {
    pub pending: i64,
    pub reported: i64,
    pub removed: i64,
    pub approved: i64,
}

impl QueueCounts {
    fn from(counts: &[(QueueTab, i64); 4]) -> QueueCounts {
        let get = |tab: QueueTab| counts.iter().find(|(t, _)| *t == tab).map_or(0, |(_, n)| *n);
        QueueCounts {
            pending: get(QueueTab::Pending),
            reported: get(QueueTab::Reported),
            removed: get(QueueTab::Removed),
            approved: get(QueueTab::Approved),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueFlagJson {
    pub reason: String,
    pub note: Option<String>,
    pub flagger: String,
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItemJson {
    pub comment_id: i64,
    pub status: String,
    /// The original, unmasked text.
    pub body_raw: String,
    /// What the public sees (masked, sanitised).
    pub body_html: String,
    pub article_slug: String,
    pub article_title: String,
    pub parent_id: Option<i64>,
    pub author: QueueAuthorJson,
    pub flags: Vec<QueueFlagJson>,
    /// Why the rules held or reported it: `code: detail`.
    pub reasons: Vec<String>,
    pub removal_reason: Option<String>,
    pub queued_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueAuthorJson {
    pub id: i64,
    pub username: String,
    pub joined_at: chrono::DateTime<chrono::Utc>,
    pub published_comments: i64,
    pub removed_comments: i64,
    pub always_review: bool,
    pub suspended_until: Option<chrono::DateTime<chrono::Utc>>,
    pub banned: bool,
}

impl From<&QueueItem> for QueueItemJson {
    fn from(item: &QueueItem) -> QueueItemJson {
        let c = &item.comment;
        QueueItemJson {
            comment_id: c.id,
            status: c.status.clone(),
            body_raw: c.body_raw.clone(),
            body_html: c.body_html.clone(),
            article_slug: item.article_slug.clone(),
            article_title: item.article_title.clone(),
            parent_id: c.parent_id,
            author: QueueAuthorJson {
                id: item.author_id,
                username: item.author_username.clone(),
                joined_at: utc(item.author_since),
                published_comments: item.author_published,
                removed_comments: item.author_removed,
                always_review: item.author_always_review,
                suspended_until: item.author_suspended_until.map(utc),
                banned: item.author_banned,
            },
            flags: item
                .flags
                .iter()
                .map(|f| QueueFlagJson {
                    reason: f.reason.clone(),
                    note: f.note.clone(),
                    flagger: f.flagger.clone(),
                    status: f.status.clone(),
                    created_at: utc(f.created_at),
                })
                .collect(),
            reasons: item
                .reasons
                .iter()
                .map(|(check, detail)| format!("{}: {detail}", check.map_or("other", |c| c.as_str())))
                .collect(),
            removal_reason: c.removal_reason.clone(),
            queued_at: c.queued_at.map(utc),
            created_at: utc(c.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueJson {
    pub tab: String,
    pub items: Vec<QueueItemJson>,
    pub next_cursor: Option<String>,
    pub counts: QueueCounts,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// pending (default), reported, removed or approved.
    #[param(schema_with = fields::queue_tab)]
    tab: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = fields::queue_cursor)]
    after: Option<String>,
}

/// A page of the moderation queue (moderators and admins).
#[utoipa::path(get, path = "/api/v1/moderation/queue", tag = "moderation", params(QueueQuery),
    security(("session" = [])),
    responses((status = 200, description = "One page of the tab", body = QueueJson),
        (status = 403, description = "Not a moderator", body = ErrorBody),
        (status = 422, description = "No such tab, or a cursor that is not valid", body = ErrorBody)))]
pub async fn queue(state: web::Data<State>, viewer: Viewer, query: web::Query<QueueQuery>) -> ApiResult {
    let user = viewer.require_user()?;
    let tab = QueueTab::parse(query.tab.as_deref())?;
    let page = moderation::queue(&state.app, user, tab, query.after.as_deref()).await?;
    Ok(HttpResponse::Ok().json(QueueJson {
        tab: tab.as_str().into(),
        items: page.items.iter().map(QueueItemJson::from).collect(),
        next_cursor: page.next,
        counts: QueueCounts::from(&page.counts),
    }))
}

/// Counts per queue tab.
#[utoipa::path(get, path = "/api/v1/moderation/queue/counts", tag = "moderation",
    security(("session" = [])),
    responses((status = 200, description = "Counts", body = QueueCounts),
        (status = 403, description = "Not a moderator", body = ErrorBody)))]
pub async fn queue_counts(state: web::Data<State>, viewer: Viewer) -> ApiResult {
    let user = viewer.require_user()?;
    let counts = moderation::queue_counts(&state.app, user).await?;
    Ok(HttpResponse::Ok().json(QueueCounts::from(&counts)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    /// For remove (where it is required): spam, abuse, hate, off_topic, misinformation or other.
    #[serde(default)]
    #[schema(schema_with = fields::removal_reason)]
    pub reason: Option<String>,
    /// For remove: an optional note to the author.
    #[serde(default)]
    #[schema(schema_with = fields::removal_note)]
    pub note: Option<String>,
}

/// What `POST /moderation/comments/{id}/{action}` can do.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CommentActionName {
    Approve,
    Remove,
    DismissFlags,
}

/// What `POST /moderation/users/{id}/{action}` can do.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UserActionName {
    Suspend,
    Ban,
    Unban,
    Review,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResponse {
    pub done: usize,
    /// What was done, in words for the moderator ("Approved the comment by @ada.").
    pub message: String,
    /// The token for `POST /api/v1/moderation/undo/{token}`.
    pub undo: String,
    /// How long, from now, the undo works.
    pub undo_seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UndoResponse {
    /// How many comments are back as they were.
    pub undone: usize,
    /// The decision that was undone: approve, remove or dismiss-flags.
    pub action: String,
    pub message: String,
}

/// Approve, remove or dismiss the flags of a comment.
#[utoipa::path(post, path = "/api/v1/moderation/comments/{id}/{action}", tag = "moderation",
    request_body(content = Option<ModerationRequest>, description = "remove takes {reason, note?}; the others an empty object or no body"),
    params(("id" = i64, Path), ("action" = CommentActionName, Path), ("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    security(("session" = [])),
    responses((status = 200, description = "Done", body = ActionResponse),
        (status = 403, description = "Not a moderator, one's own comment, a moderator on an admin's removal, or the CSRF token is missing or wrong", body = ErrorBody),
        (status = 404, description = "No such comment", body = ErrorBody),
        (status = 422, description = "remove without a reason", body = ErrorBody)))]
pub async fn act_on_comment(
    state: web::Data<State>,
    viewer: Viewer,
    path: web::Path<(i64, String)>,
    Csrf(body): Csrf<OptionalJson<ModerationRequest>>,
) -> ApiResult {
    let user = viewer.require_user()?;
    let (id, action) = path.into_inner();
    let body = body.0.unwrap_or_default();
    if !matches!(action.as_str(), "approve" | "remove" | "dismiss-flags") {
        return Err(Error::NotFound("There is no such moderation action.".into()).into());
    }
    // A field is checked whenever it is sent, whatever the action, as the schema says.
    if let Some(reason) = body.reason.as_deref() {
        RemovalReason::parse(reason).map_err(|_| Invalid::new("reason", "Choose a reason for the removal."))?;
    }
    let action = CommentAction::parse(&action, body.reason.as_deref(), body.note.as_deref())?;
    let decision = moderation::act_on_comments(&state.app, user, vec![id], action).await?;
    let undo = decision.undo.expect("approve, remove and dismiss-flags can be undone");
    let notice = moderation::decision(&state.app, user, &undo).await?.expect("one's own decision");
    Ok(HttpResponse::Ok().json(ActionResponse {
        done: decision.done,
        message: notice.describe(),
        undo,
        undo_seconds: moderation::UNDO_SECONDS,
    }))
}

/// Undo one's own decision on comments, within `undo_seconds` of making it: each comment gets
/// back its status, reasons and flags, and the log records the undo.
#[utoipa::path(post, path = "/api/v1/moderation/undo/{token}", tag = "moderation",
    params(("token" = String, Path, pattern = r"^[A-Za-z0-9_-]+$", max_length = 100, description = "The undo token of an action's answer"),
        ("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    security(("session" = [])),
    responses((status = 200, description = "Undone", body = UndoResponse),
        (status = 403, description = "Not a moderator, or the CSRF token is missing or wrong", body = ErrorBody),
        (status = 404, description = "No such decision of yours", body = ErrorBody),
        (status = 409, description = "Too late, already undone, or the comment has changed since", body = ErrorBody)))]
pub async fn undo(state: web::Data<State>, viewer: Viewer, token: web::Path<String>, _: Csrf) -> ApiResult {
    let user = viewer.require_user()?;
    let notice = moderation::undo(&state.app, user, &token.into_inner()).await?;
    Ok(HttpResponse::Ok().json(UndoResponse {
        undone: notice.count,
        message: notice.describe(),
        action: notice.action,
    }))
}

/// What a suspension may last, and a sanction's reason may hold (as `UserAction` checks them).
pub const SUSPENSION_DAYS: std::ops::RangeInclusive<i64> = 1..=365;
pub const SANCTION_REASON_MAX_CHARS: usize = 500;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserActionRequest {
    /// For suspend and ban (where it is required): shown to the reader.
    #[serde(default)]
    #[schema(schema_with = fields::sanction_reason)]
    pub reason: Option<String>,
    /// For suspend (where it is required): 1 to 365.
    #[serde(default, deserialize_with = "whole::optional")]
    #[schema(schema_with = fields::suspension_days)]
    pub days: Option<i64>,
    /// For review: true (the default) to always review the reader's comments, false to stop.
    #[serde(default)]
    pub on: Option<bool>,
}

/// Suspend, ban, lift sanctions, or set a reader to always review.
#[utoipa::path(post, path = "/api/v1/moderation/users/{id}/{action}", tag = "moderation",
    request_body(content = Option<UserActionRequest>, description = "suspend takes {reason, days}; ban {reason}; review {on?}; unban nothing"),
    params(("id" = i64, Path), ("action" = UserActionName, Path), ("X-CSRF-Token" = String, Header, description = "The csrf_token from GET /api/v1/session")),
    security(("session" = [])),
    responses((status = 200, description = "The reader, as they are now", body = UserJson),
        (status = 403, description = "Not a moderator (bans: not an admin), the reader outranks you, or the CSRF token is missing or wrong", body = ErrorBody),
        (status = 404, description = "No such reader", body = ErrorBody),
        (status = 422, description = "suspend or ban without a reason, or suspend without days", body = ErrorBody)))]
pub async fn act_on_user(
    state: web::Data<State>,
    viewer: Viewer,
    path: web::Path<(i64, String)>,
    Csrf(body): Csrf<OptionalJson<UserActionRequest>>,
) -> ApiResult {
    let user = viewer.require_user()?;
    let (id, action) = path.into_inner();
    let body = body.0.unwrap_or_default();
    // A field is checked whenever it is sent, whatever the action, as the schema says.
    if body.days.is_some_and(|days| !SUSPENSION_DAYS.contains(&days)) {
        return Err(Invalid::new("days", "Suspend for 1 to 365 days.").into());
    }
    if body.reason.as_deref().is_some_and(|r| r.trim().chars().count() > SANCTION_REASON_MAX_CHARS) {
        return Err(Invalid::new("reason", "A reason has at most 500 characters.").into());
    }
    let action = UserAction::parse(&action, body.reason.as_deref(), body.days, body.on)?;
    let target = moderation::act_on_user(&state.app, user, id, action).await?;
    Ok(HttpResponse::Ok().json(UserJson::from(&target)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogQueryParams {
    /// An action as the entries name it, e.g. `removed`.
    #[param(schema_with = fields::query_text)]
    action: Option<String>,
    /// The moderator's username.
    #[param(schema_with = fields::query_text)]
    actor: Option<String>,
    /// The reader acted on.
    #[param(schema_with = fields::query_text)]
    user: Option<String>,
    /// The article's slug.
    #[param(schema_with = fields::query_text)]
    article: Option<String>,
    /// Entries older than this id.
    #[param(schema_with = fields::log_before)]
    before: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntryJson {
    pub id: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub action: String,
    /// The moderator, or null for a rule.
    pub actor: Option<String>,
    pub rule: Option<String>,
    pub comment_id: Option<i64>,
    pub target_user: Option<String>,
    pub article_slug: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogJson {
    pub entries: Vec<LogEntryJson>,
    pub next_before: Option<i64>,
}

/// The moderation log, newest first.
#[utoipa::path(get, path = "/api/v1/moderation/log", tag = "moderation", params(LogQueryParams),
    security(("session" = [])),
    responses((status = 200, description = "One page of the log", body = LogJson),
        (status = 403, description = "Not a moderator", body = ErrorBody)))]
pub async fn log(state: web::Data<State>, viewer: Viewer, query: web::Query<LogQueryParams>) -> ApiResult {
    let user = viewer.require_user()?;
    let q = query.into_inner();
    let search = LogSearch { action: q.action, actor: q.actor, user: q.user, article: q.article, before: q.before };
    let page = moderation::log(&state.app, user, search).await?;
    Ok(HttpResponse::Ok().json(LogJson {
        entries: page
            .entries
            .iter()
            .map(|e| LogEntryJson {
                id: e.row.id,
                created_at: utc(e.row.created_at),
                action: e.row.action.clone(),
                actor: e.actor.clone(),
                rule: e.row.rule.clone(),
                comment_id: e.row.comment_id,
                target_user: e.target.clone(),
                article_slug: e.article.as_ref().map(|(slug, _)| slug.clone()),
                reason: e.row.reason.clone(),
                note: e.row.note.clone(),
            })
            .collect(),
        next_before: page.next,
    }))
}
