//! The moderators' pages: the queue, its actions, sanctions, featuring, closing threads, the
//! log, and the admins' settings page. Every action works as a plain form post.

use std::ops::Range;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::articles::{reshow_with_error, Draft, FlagAgain};
use super::{context, render, render_failed, see_other, PageResult};
use crate::domain::profanity::ProfanityFilter;
use crate::domain::Invalid;
use crate::error::Error;
use crate::http::extract::{safe_next, Csrf, CsrfDraft, LocalPath, Viewer};
use crate::http::State;
use crate::services::moderation::{self, CommentAction, Decision, LogSearch, QueueItem, QueueTab, UserAction};
use crate::services::{settings, threads};
use crate::views::components::FormErrors;
use crate::views::moderation::{self as view, Confirmation, HighlightKind, LogQuery, QueueItemView};
use crate::views::thread::Landed;

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    tab: Option<String>,
    after: Option<String>,
    /// A decision just made (its undo token), to confirm it and offer Undo.
    done: Option<String>,
    /// A decision just undone (its token).
    undone: Option<String>,
    /// An action that has no undo: `banned`, `review-on`, `review-off`.
    notice: Option<String>,
}

/// Mark what the filter masked and which site words it matched in the original text.
fn highlights(filter: &ProfanityFilter, raw: &str) -> Vec<(Range<usize>, HighlightKind)> {
    let analysis = filter.analyze(&crate::domain::markdown::without_emphasis_markers(raw), '*');
    let mut marks: Vec<(Range<usize>, HighlightKind)> =
        analysis.masked_spans.iter().cloned().map(|span| (span, HighlightKind::Masked)).collect();
    let lowered = raw.to_ascii_lowercase();
    for word in analysis.banned_words.iter().chain(&analysis.suspect_words) {
        let word = word.to_ascii_lowercase();
        if word.is_empty() {
            continue;
        }
        let mut from = 0;
        while let Some(at) = lowered[from..].find(&word) {
            let start = from + at;
            marks.push((start..start + word.len(), HighlightKind::Matched));
            from = start + word.len();
        }
    }
    marks.sort_by_key(|(span, _)| (span.start, span.end));
    let mut merged: Vec<(Range<usize>, HighlightKind)> = Vec::with_capacity(marks.len());
    for (span, kind) in marks {
        if merged.last().is_some_and(|(last, _)| span.start < last.end) {
            continue;
        }
        merged.push((span, kind));
    }
    merged
}

async fn show_queue(
    state: &State,
    viewer: &mut Viewer,
    req: &HttpRequest,
    tab: QueueTab,
    after: Option<&str>,
    confirmation: Option<Confirmation>,
    error: Option<Error>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    let page = moderation::queue(&state.app, &user, tab, after).await?;
    let site = settings::current(&state.app).await?;
    let filter = state.app.filters.for_lists(&site.words);
    let items: Vec<QueueItemView<'_>> = page
        .items
        .iter()
        .map(|item: &QueueItem| QueueItemView { item, highlights: highlights(&filter, &item.comment.body_raw) })
        .collect();
    let ctx = context(state, viewer, req);
    let errors = error.as_ref().map(FormErrors::from_error).unwrap_or_default();
    let markup = view::queue_page(&ctx, &page, &items, state.app.clock.now(), confirmation.as_ref(), &errors);
    Ok(match &error {
        Some(error) => render_failed(viewer, error, markup),
        None => render(viewer, StatusCode::OK, markup),
    })
}

pub async fn queue(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    query: web::Query<QueueQuery>,
) -> PageResult {
    let tab = QueueTab::parse(query.tab.as_deref())?;
    let user = viewer.require_user()?.clone();
    let confirmation = match (&query.done, &query.undone, query.notice.as_deref()) {
        (Some(token), _, _) | (None, Some(token), _) => moderation::decision(&state.app, &user, token)
            .await?
            .map(|notice| Confirmation::Decision(notice, token.clone())),
        (None, None, Some("banned")) => Some(Confirmation::Said("Removed the comment and banned its author.")),
        (None, None, Some("review-on")) => {
            Some(Confirmation::Said("From now on, this author's comments wait here for a decision."))
        }
        (None, None, Some("review-off")) => {
            Some(Confirmation::Said("This author's comments are no longer held for review."))
        }
        _ => None,
    };
    show_queue(&state, &mut viewer, &req, tab, query.after.as_deref(), confirmation, None).await
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    tab: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    /// From the thread's inline controls: where to go afterwards (a local path), instead of the
    /// queue, so a moderator in the embed's frame stays in it.
    back: Option<String>,
}

fn back_to_queue(tab: Option<&str>) -> String {
    let tab = QueueTab::parse(tab).unwrap_or(QueueTab::Pending);
    format!("/moderation?tab={}", tab.as_str())
}

/// The queue again, confirming the decision with its Undo (or the ban, which has none).
fn confirm_decision(tab: Option<&str>, decision: &Decision) -> String {
    match &decision.undo {
        Some(token) => format!("{}&done={}", back_to_queue(tab), urlencoding::encode(token)),
        None => format!("{}&notice=banned", back_to_queue(tab)),
    }
}

pub async fn act_on_comment(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    path: web::Path<(i64, String)>,
    Csrf(form): Csrf<web::Form<ActionForm>>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    let (id, action) = path.into_inner();
    let result = async {
        let action = CommentAction::parse(&action, form.reason.as_deref(), form.note.as_deref())?;
        moderation::act_on_comments(&state.app, &user, vec![id], action).await
    }
    .await;
    if let Some(back) = form.back.as_deref().and_then(LocalPath::parse) {
        // The thread shows no queue errors: a refusal is the scope's error page.
        result?;
        return Ok(see_other(back.as_str()));
    }
    let result = result.map(|decision| confirm_decision(form.tab.as_deref(), &decision));
    finish_queue_action(&state, &mut viewer, &req, form.tab.as_deref(), result).await
}

async fn finish_queue_action(
    state: &State,
    viewer: &mut Viewer,
    req: &HttpRequest,
    tab: Option<&str>,
    result: Result<String, Error>,
) -> PageResult {
    match result {
        Ok(location) => Ok(see_other(&location)),
        Err(error @ (Error::Invalid(_) | Error::NotFound(_) | Error::Conflict(_))) => {
            let tab = QueueTab::parse(tab).unwrap_or(QueueTab::Pending);
            show_queue(state, viewer, req, tab, None, None, Some(error)).await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct UndoForm {
    tab: Option<String>,
}

/// Undo a decision from its confirmation, without JavaScript.
pub async fn undo(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    token: web::Path<String>,
    Csrf(form): Csrf<web::Form<UndoForm>>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    let token = token.into_inner();
    let result = moderation::undo(&state.app, &user, &token)
        .await
        .map(|_| format!("{}&undone={}", back_to_queue(form.tab.as_deref()), urlencoding::encode(&token)));
    finish_queue_action(&state, &mut viewer, &req, form.tab.as_deref(), result).await
}

/// Bulk actions: the form repeats `ids`, which the usual form extractor cannot collect.
pub async fn bulk(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    Csrf(body): Csrf<web::Bytes>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    let mut ids = Vec::new();
    let (mut action, mut reason, mut note, mut tab) = (None, None, None, None);
    for (key, value) in form_urlencoded::parse(&body) {
        match key.as_ref() {
            "ids" => {
                ids.push(value.parse::<i64>().map_err(|_| Invalid::new("ids", "Those selections are not valid."))?)
            }
            "action" => action = Some(value.into_owned()),
            "reason" => reason = Some(value.into_owned()),
            "note" => note = Some(value.into_owned()),
            "tab" => tab = Some(value.into_owned()),
            _ => {}
        }
    }
    let result = async {
        let action = CommentAction::parse(action.as_deref().unwrap_or(""), reason.as_deref(), note.as_deref())?;
        moderation::act_on_comments(&state.app, &user, ids, action).await
    }
    .await
    .map(|decision| confirm_decision(tab.as_deref(), &decision));
    finish_queue_action(&state, &mut viewer, &req, tab.as_deref(), result).await
}

#[derive(Debug, Deserialize)]
pub struct UserActionForm {
    reason: Option<String>,
    days: Option<String>,
    on: Option<String>,
    /// Where to go afterwards (a local path).
    back: Option<String>,
}

pub async fn act_on_user(
    state: web::Data<State>,
    viewer: Viewer,
    path: web::Path<(i64, String)>,
    Csrf(form): Csrf<web::Form<UserActionForm>>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    let (id, action) = path.into_inner();
    let days = match form.days.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(d.parse::<i64>().map_err(|_| Invalid::new("days", "Suspend for 1 to 365 days."))?),
        None => None,
    };
    let on = form.on.as_deref().map(|v| matches!(v, "1" | "on" | "true"));
    let action = UserAction::parse(&action, form.reason.as_deref(), days, on)?;
    let target = moderation::act_on_user(&state.app, &user, id, action).await?;
    let back =
        form.back.as_deref().map(|b| safe_next(Some(b))).unwrap_or_else(|| format!("/users/{}", target.username));
    Ok(see_other(&back))
}

#[derive(Debug, Deserialize)]
pub struct FeatureForm {
    featured: Option<String>,
}

pub async fn feature(
    state: web::Data<State>,
    viewer: Viewer,
    id: web::Path<i64>,
    Csrf(form): Csrf<web::Form<FeatureForm>>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    let id = id.into_inner();
    let featured = form.featured.as_deref() != Some("0");
    let slug = moderation::feature(&state.app, &user, id, featured).await?;
    Ok(see_other(&format!("/articles/{slug}#comment-{id}")))
}

pub async fn close_thread(state: web::Data<State>, viewer: Viewer, slug: web::Path<String>, _: Csrf) -> PageResult {
    set_thread(state, viewer, slug.into_inner(), false).await
}

pub async fn reopen_thread(state: web::Data<State>, viewer: Viewer, slug: web::Path<String>, _: Csrf) -> PageResult {
    set_thread(state, viewer, slug.into_inner(), true).await
}

async fn set_thread(state: web::Data<State>, viewer: Viewer, slug: String, open: bool) -> PageResult {
    let user = viewer.require_user()?.clone();
    threads::set_thread_open(&state.app, &user, slug.clone(), open).await?;
    Ok(see_other(&format!("/articles/{slug}#comments")))
}

#[derive(Debug, Deserialize)]
pub struct LogParams {
    action: Option<String>,
    actor: Option<String>,
    user: Option<String>,
    article: Option<String>,
    before: Option<i64>,
}

pub async fn log(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    params: web::Query<LogParams>,
) -> PageResult {
    let user = viewer.require_user()?.clone();
    let p = params.into_inner();
    let query = LogQuery {
        action: p.action.clone().unwrap_or_default(),
        actor: p.actor.clone().unwrap_or_default(),
        user: p.user.clone().unwrap_or_default(),
        article: p.article.clone().unwrap_or_default(),
    };
    let search = LogSearch { action: p.action, actor: p.actor, user: p.user, article: p.article, before: p.before };
    let page = moderation::log(&state.app, &user, search).await?;
    let ctx = context(&state, &mut viewer, &req);
    Ok(render(&viewer, StatusCode::OK, view::log_page(&ctx, &page, &query)))
}

#[derive(Debug, Deserialize)]
pub struct FlagForm {
    reason: Option<String>,
    note: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    /// From the article page's one flag form, every comment's boxes: `reason-{id}`, `note-{id}`
    /// (see `views::thread::FLAG_FORM`). The flagged comment's are the ones that count.
    #[serde(flatten)]
    per_comment: std::collections::HashMap<String, String>,
}

impl FlagForm {
    /// The reason and note given for comment `id`, by either form's names.
    fn for_comment(&mut self, id: i64) -> (Option<String>, Option<String>) {
        let reason = self.reason.take().or_else(|| self.per_comment.remove(&format!("reason-{id}")));
        let note = self.note.take().or_else(|| self.per_comment.remove(&format!("note-{id}")));
        (reason, note)
    }
}

/// A reader flags a comment without JavaScript; the article thanks them under it. A flag that
/// cannot be sent as it is ("Something else" with no note) comes back open on the same page,
/// with the reader's choice and what it needs, rather than on an error page.
pub async fn flag(
    state: web::Data<State>,
    mut viewer: Viewer,
    req: HttpRequest,
    id: web::Path<i64>,
    form: CsrfDraft<FlagForm>,
) -> PageResult {
    let (mut form, checked) = form.into_parts();
    let user = viewer.require_user()?.clone();
    // A flag without a valid token is refused outright: there is no draft worth keeping.
    checked?;
    let id = id.into_inner();
    let slug = crate::services::threads::article_slug_of(&state.app, id).await?;
    let (reason, note) = form.for_comment(id);
    let reason = reason.as_deref().unwrap_or("");
    let result = moderation::flag(&state.app, &user, id, reason, note.as_deref()).await;
    let reading = super::comments::reading(&state, form.sort.as_deref(), form.after.as_deref()).await?;
    match result {
        Ok(_) => Ok(super::comments::land(&state, &user, id, &reading, Landed::Flagged).await?),
        Err(error @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let draft = Draft {
                flagging: Some(FlagAgain {
                    comment_id: id,
                    reason: reason.to_owned(),
                    note: note.clone().unwrap_or_default(),
                    error: error.to_string(),
                }),
                ..Draft::default()
            };
            let sort = Some(reading.sort.as_str());
            let after = reading.after.map(|c| c.encode(reading.sort));
            reshow_with_error(&state, &mut viewer, &req, slug, sort, after.as_deref(), draft, error).await
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profanity::SiteWordLists;

    #[test]
    fn highlights_are_sorted_and_do_not_overlap() {
        let filter = ProfanityFilter::new(&SiteWordLists {
            banned: vec!["gammon".into()],
            suspect: vec!["snowflake".into()],
            allowed: vec![],
        });
        let raw = "What a shit take, you gammon. Snowflake!";
        let marks = highlights(&filter, raw);
        assert!(marks.windows(2).all(|w| w[0].0.end <= w[1].0.start));
        let marked: Vec<&str> = marks.iter().map(|(r, _)| &raw[r.clone()]).collect();
        assert!(marked.contains(&"shit"), "{marked:?}");
        assert!(marked.iter().any(|m| m.eq_ignore_ascii_case("snowflake")), "{marked:?}");
        assert!(marked.iter().any(|m| m.starts_with("gammon")), "{marked:?}");
    }
}
