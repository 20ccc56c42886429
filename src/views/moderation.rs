//! The moderators' pages: the queue, with everything needed to decide on a comment, and the log.
//! Every action is a plain form; the script turns them into inline actions with shortcuts.
//!
//! A comment's original text is shown escaped, never as HTML: highlights are built from slices
//! of it, so nothing the author typed can become markup.

use std::ops::Range;

use chrono::NaiveDateTime;
use maud::{html, Markup, PreEscaped};

use super::components::{csrf_field, general_error, time, FormErrors};
use super::layout::{layout, PageContext};
use crate::domain::moderation::{Check, FlagReason};
use crate::domain::role::Role;
use crate::domain::thread::Status;
use crate::services::moderation::{DecisionNotice, LogEntry, LogPage, QueueItem, QueuePage, QueueTab as Tab};

/// Why a stretch of the original text is highlighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HighlightKind {
    /// The filter masked it for readers.
    Masked,
    /// A site word list (banned or suspect words) matched it.
    Matched,
}

impl HighlightKind {
    fn class(self) -> &'static str {
        match self {
            HighlightKind::Masked => "masked",
            HighlightKind::Matched => "matched",
        }
    }

    fn title(self) -> &'static str {
        match self {
            HighlightKind::Masked => "Masked for readers",
            HighlightKind::Matched => "Matches a site word list",
        }
    }
}

/// A queue item with the highlights of its original text.
pub struct QueueItemView<'a> {
    pub item: &'a QueueItem,
    /// Byte ranges into `item.comment.body_raw`, sorted and not overlapping.
    pub highlights: Vec<(Range<usize>, HighlightKind)>,
}

/// What the queue confirms at its top after an action without JavaScript.
pub enum Confirmation {
    /// A decision (or its undo), with its undo token.
    Decision(DecisionNotice, String),
    Said(&'static str),
}

/// The filters of the log page, as typed.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub action: String,
    /// A moderator's username.
    pub actor: String,
    /// The username of the reader acted on.
    pub user: String,
    /// An article's slug.
    pub article: String,
}

fn is_admin(ctx: &PageContext) -> bool {
    ctx.user.as_ref().is_some_and(|u| u.is_admin())
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "joined 3 days ago", from the account's creation to now.
fn joined_ago(since: NaiveDateTime, now: NaiveDateTime) -> String {
    let age = now - since;
    let minutes = age.num_minutes();
    let days = age.num_days();
    let span = if minutes < 1 {
        return "joined just now".to_owned();
    } else if minutes < 60 {
        plural(minutes, "minute", "minutes")
    } else if age.num_hours() < 24 {
        plural(age.num_hours(), "hour", "hours")
    } else if days < 60 {
        plural(days, "day", "days")
    } else if days < 730 {
        plural(days / 30, "month", "months")
    } else {
        plural(days / 365, "year", "years")
    };
    format!("joined {span} ago")
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Published => "Published",
        Status::Pending => "Held: hidden from readers",
        Status::Removed => "Removed",
        Status::Deleted => "Deleted by its author",
    }
}

fn reason_label(code: &str) -> &str {
    FlagReason::parse(code).map(|r| r.label()).unwrap_or(code)
}

fn empty_message(tab: Tab) -> &'static str {
    match tab {
        Tab::Pending => "Nothing is waiting for a decision. Held comments appear here.",
        Tab::Reported => "No reported comments. Comments readers flag, or the rules report, appear here.",
        Tab::Removed => "No removed comments.",
        Tab::Approved => "No approved comments yet.",
    }
}

/// The original text, escaped, with its highlights. Ranges that do not fit the text (out of
/// bounds, overlapping, or not on a character boundary) are left out rather than trusted.
fn highlighted(body: &str, highlights: &[(Range<usize>, HighlightKind)]) -> Markup {
    let mut pieces: Vec<(&str, Option<HighlightKind>)> = Vec::new();
    let mut at = 0;
    for (range, kind) in highlights {
        if range.start < at || range.start >= range.end {
            continue;
        }
        let (Some(before), Some(marked)) = (body.get(at..range.start), body.get(range.clone())) else {
            continue;
        };
        pieces.push((before, None));
        pieces.push((marked, Some(*kind)));
        at = range.end;
    }
    pieces.push((body.get(at..).unwrap_or_default(), None));
    html! {
        @for (text, kind) in pieces {
            @match kind {
                Some(kind) => { mark class=(kind.class()) title=(kind.title()) { (text) } },
                None => { (text) },
            }
        }
    }
}

fn tabs(page: &QueuePage) -> Markup {
    html! {
        nav.tabs aria-label="Queue" {
            @for (tab, count) in page.counts {
                @let current = tab == page.tab;
                a href={ "/moderation?tab=" (tab.as_str()) } aria-current=[current.then_some("page")] {
                    (tab.label()) " "
                    span.count data-tab=(tab.as_str()) { (count) }
                }
            }
            a.log-link href="/moderation/log" { "Log" }
        }
    }
}

fn reason_select(id: &str, required: bool, prompt: &str) -> Markup {
    html! {
        label for=(id) { "Reason" }
        select id=(id) name="reason" required[required] {
            option value="" { (prompt) }
            @for reason in FlagReason::ALL {
                option value=(reason.as_str()) { (reason.label()) }
            }
        }
    }
}

fn hidden_tab(tab: Tab) -> Markup {
    html! { input type="hidden" name="tab" value=(tab.as_str()); }
}

pub fn queue_page(
    ctx: &PageContext,
    page: &QueuePage,
    items: &[QueueItemView<'_>],
    now: NaiveDateTime,
    confirmation: Option<&Confirmation>,
    errors: &FormErrors,
) -> Markup {
    let admin = is_admin(ctx);
    let content = html! {
        section.moderation data-live="/moderation/events" {
            h1 { "Moderation" }
            (tabs(page))
            (general_error(errors, &[]))
            // What the last action did; the script says it here too, with its Undo.
            div #queue-status.queue-status role="status" {
                @match confirmation {
                    Some(Confirmation::Decision(notice, token)) => {
                        // A div: a form cannot sit inside a paragraph.
                        div.banner.success {
                            (notice.describe())
                            @if notice.undo_until.is_some() {
                                " "
                                form.inline.undo method="post" action={ "/moderation/undo/" (token) } {
                                    (csrf_field(&ctx.csrf_token)) (hidden_tab(page.tab))
                                    button.small.secondary type="submit" { "Undo" }
                                }
                            }
                        }
                    },
                    Some(Confirmation::Said(text)) => { p.banner.success { (text) } },
                    None => {},
                }
            }
            @if items.is_empty() {
                p.empty { (empty_message(page.tab)) }
            } @else {
                p.hint.keys { "Keys: j/k next/previous · a approve · r remove (Esc closes) · d dismiss flags · x select" }
                (bulk_bar(ctx, page.tab, admin))
                ol.queue {
                    @for view in items {
                        li { (queue_item(ctx, page.tab, view, now, admin)) }
                    }
                }
            }
            @if let Some(next) = &page.next {
                nav.pager {
                    a.button rel="next" href={ "/moderation?tab=" (page.tab.as_str()) "&after=" (urlencoding::encode(next)) } { "Next page" }
                }
            }
        }
    };
    layout(ctx, "Moderation", content)
}

fn bulk_bar(ctx: &PageContext, tab: Tab, admin: bool) -> Markup {
    html! {
        form #bulk.bulk-bar method="post" action="/moderation/bulk" aria-label="Act on the selected comments" {
            (csrf_field(&ctx.csrf_token))
            (hidden_tab(tab))
            div.field {
                label for="bulk-action" { "Selected comments" }
                select #bulk-action name="action" required {
                    option value="approve" { "Approve" }
                    option value="dismiss-flags" { "Dismiss flags" }
                    option value="remove" { "Remove" }
                    @if admin { option value="remove-and-ban" { "Remove and ban the authors" } }
                }
            }
            div.field {
                (reason_select("bulk-reason", false, "Reason (for removals)"))
            }
            div.field.grow {
                label for="bulk-note" { "Note to the authors (optional)" }
                input #bulk-note type="text" name="note" maxlength="1000";
            }
            button type="submit" { "Apply to selected" }
            p.selected-count aria-live="polite" {}
        }
    }
}

fn queue_item(ctx: &PageContext, tab: Tab, view: &QueueItemView<'_>, now: NaiveDateTime, admin: bool) -> Markup {
    let item = view.item;
    let c = &item.comment;
    let id = c.id;
    let status = Status::from_db(&c.status);
    let open_flags = item.flags.iter().filter(|f| f.status == "open").count();
    html! {
        article.queue-item id={ "item-" (id) } data-id=(id) tabindex="0" aria-label=(item_name(item)) {
            header.queue-head {
                input.pick type="checkbox" name="ids" value=(id) form="bulk" aria-label={ "Select comment " (id) " by @" (item.author_username) };
                div {
                    h2 id={ "item-" (id) "-title" } {
                        "On " a href={ "/articles/" (item.article_slug) "#comment-" (id) } { (item.article_title) }
                    }
                    p.meta {
                        span class={ "status status-" (status.as_str()) } { (status_label(status)) }
                        " · written " (time(c.created_at))
                        @if let Some(at) = c.queued_at { " · queued " (time(at)) }
                        @if let Some(at) = c.edited_at { " · " span.edited { "edited " (time(at)) } }
                        @if let Some(at) = c.moderated_at { " · decided " (time(at)) }
                        @if c.featured_at.is_some() { " · " span.badge { "Featured" } }
                    }
                    @if status == Status::Removed {
                        @if let Some(reason) = &c.removal_reason {
                            p.meta { "Removed for: " (reason_label(reason))
                                @if let Some(note) = &c.removal_note { " · note: " q { (note) } } }
                        }
                    }
                }
            }
            @if let Some((parent_author, parent_html, parent_status)) = &item.parent {
                div.parent {
                    p.meta { "In reply to @" (parent_author) ":" }
                    @match parent_status {
                        Status::Published | Status::Pending => { div.body { (PreEscaped(parent_html)) } },
                        Status::Removed => { p.gone { "Removed" } },
                        Status::Deleted => { p.gone { "[deleted]" } },
                    }
                }
            }
            div.raw aria-label="Original text" { (highlighted(&c.body_raw, &view.highlights)) }
            @if !item.reasons.is_empty() {
                div.reasons {
                    h3 { "Why the rules flagged it" }
                    ul {
                        @for (check, detail) in &item.reasons {
                            li {
                                strong { (check.map(Check::label).unwrap_or("A rule")) }
                                @if !detail.is_empty() { ": " (detail) }
                            }
                        }
                    }
                }
            }
            @if !item.flags.is_empty() {
                div.flags {
                    h3 { (plural(item.flags.len() as i64, "flag", "flags")) @if open_flags > 0 && open_flags < item.flags.len() { " (" (open_flags) " open)" } }
                    ul.flag-list {
                        @for flag in &item.flags {
                            li {
                                strong { (reason_label(&flag.reason)) }
                                " by " a href={ "/users/" (flag.flagger) } { "@" (flag.flagger) }
                                " · " (time(flag.created_at))
                                " · " span class={ "flag-status " (flag.status) } { (flag.status) }
                                @if flag.weight != 1000 {
                                    " · " span.weight title="How much this reader's flags count, from their history" {
                                        "counts " (format!("{:.2}", flag.weight as f64 / 1000.0))
                                    }
                                }
                                @if let Some(note) = &flag.note { p.note { (note) } }
                            }
                        }
                    }
                }
            }
            (author_box(item, now))
            // The service refuses these anyway; say so instead of offering buttons that fail.
            @if ctx.user.as_ref().is_some_and(|me| me.id == item.author_id) {
                p.meta.own-comment { "This is your comment: another moderator decides on it." }
            } @else if item.removed_by_admin && !admin {
                p.meta { "An admin removed this comment: only an admin can change that decision." }
            } @else {
                (item_actions(ctx, tab, item, status, open_flags > 0, admin))
            }
        }
    }
}

/// An item's accessible name: who wrote it and how it starts, so that no two items on a page
/// sound alike ("Comment by @ada: I think the council should…").
fn item_name(item: &QueueItem) -> String {
    const START: usize = 60;
    let words = item.comment.body_raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.chars().count() <= START {
        return format!("Comment by @{}: {words}", item.author_username);
    }
    let cut: String = words.chars().take(START + 1).collect();
    // At a word's end, unless the first word alone is longer.
    let start =
        cut.rsplit_once(' ').map_or(&cut[..cut.len() - cut.chars().last().map_or(0, char::len_utf8)], |(s, _)| s);
    format!("Comment by @{}: {start}…", item.author_username)
}

fn author_box(item: &QueueItem, now: NaiveDateTime) -> Markup {
    let suspended = item.author_suspended_until.filter(|until| *until > now);
    html! {
        aside.author-box aria-label="The author" {
            p {
                a.author href={ "/users/" (item.author_username) } {
                    @if let Some(name) = &item.author_display_name { (name) " " }
                    span.handle { "@" (item.author_username) }
                }
                @if item.author_role != Role::Reader { " " span.badge.role { (item.author_role) } }
                @if item.author_banned { " " span.badge.danger { "Banned" } }
                @if let Some(until) = suspended { " " span.badge.warn { "Suspended until " (time(until)) } }
                @if item.author_always_review { " " span.badge.warn { "Always review" } }
            }
            p.meta {
                span title=(item.author_since.format("%-d %b %Y, %H:%M UTC")) { (joined_ago(item.author_since, now)) }
                " · " (plural(item.author_published, "published comment", "published comments"))
                " · " span.removals.warn-text[item.author_removed > 0] { (plural(item.author_removed, "earlier removal", "earlier removals")) }
            }
        }
    }
}

fn item_actions(
    ctx: &PageContext,
    tab: Tab,
    item: &QueueItem,
    status: Status,
    has_open_flags: bool,
    admin: bool,
) -> Markup {
    let id = item.comment.id;
    let action = |name: &str| format!("/moderation/comments/{id}/{name}");
    html! {
        div.action-bar {
            @if !(tab == Tab::Approved && status == Status::Published) {
                form.inline method="post" action=(action("approve")) data-action="approve" {
                    (csrf_field(&ctx.csrf_token)) (hidden_tab(tab))
                    button.small.approve type="submit" { @if status == Status::Removed { "Approve (restore)" } @else { "Approve" } }
                }
            }
            @if has_open_flags {
                form.inline method="post" action=(action("dismiss-flags")) data-action="dismiss-flags" {
                    (csrf_field(&ctx.csrf_token)) (hidden_tab(tab))
                    button.small.secondary type="submit" { "Dismiss flags" }
                }
            }
            @if status != Status::Removed {
                details.remove {
                    summary { "Remove…" }
                    form.remove-form method="post" action=(action("remove")) data-action="remove" {
                        (csrf_field(&ctx.csrf_token)) (hidden_tab(tab))
                        div.field { (reason_select(&format!("remove-{id}-reason"), true, "Choose a reason")) }
                        div.field {
                            label for={ "remove-" (id) "-note" } { "Note to the author (optional)" }
                            textarea id={ "remove-" (id) "-note" } name="note" rows="2" maxlength="1000" {}
                        }
                        button.small.danger type="submit" { "Remove" }
                    }
                }
                @if admin {
                    details.remove.ban {
                        summary { "Remove and ban…" }
                        form.remove-form method="post" action=(action("remove-and-ban")) data-action="remove-and-ban"
                            data-confirm={ "Remove this comment and ban @" (item.author_username) "?" } {
                            (csrf_field(&ctx.csrf_token)) (hidden_tab(tab))
                            div.field { (reason_select(&format!("ban-{id}-reason"), true, "Choose a reason")) }
                            div.field {
                                label for={ "ban-" (id) "-note" } { "Note to the author (optional)" }
                                textarea id={ "ban-" (id) "-note" } name="note" rows="2" maxlength="1000" {}
                            }
                            button.small.danger type="submit" { "Remove and ban" }
                        }
                    }
                }
            }
            form.inline method="post" action={ "/moderation/users/" (item.author_id) "/review" } data-action="review" {
                (csrf_field(&ctx.csrf_token)) (hidden_tab(tab))
                input type="hidden" name="back" value={ "/moderation?tab=" (tab.as_str()) "&notice=review-" (if item.author_always_review { "off" } else { "on" }) };
                input type="hidden" name="on" value=(if item.author_always_review { "0" } else { "1" });
                button.link type="submit" {
                    @if item.author_always_review { "Stop always reviewing" } @else { "Always review this author" }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The log
// ---------------------------------------------------------------------------------------------

/// Every action the log records, with what moderators read.
const LOG_ACTIONS: [(&str, &str); 23] = [
    ("hold", "Held"),
    ("report", "Reported"),
    ("reject", "Rejected"),
    ("hide", "Hidden by flags"),
    ("approve", "Approved"),
    ("remove", "Removed"),
    ("dismiss_flags", "Flags dismissed"),
    ("feature", "Featured"),
    ("unfeature", "Unfeatured"),
    ("suspend", "Suspended"),
    ("ban", "Banned"),
    ("unban", "Sanctions lifted"),
    ("review_on", "Always review on"),
    ("review_off", "Always review off"),
    ("set_role", "Role changed"),
    ("delete_account", "Account deleted by its owner"),
    ("close", "Discussion closed"),
    ("reopen", "Discussion reopened"),
    ("rename_thread", "Thread renamed"),
    ("move_thread", "Thread moved"),
    ("merge_thread", "Threads merged"),
    ("settings", "Settings changed"),
    ("undo", "Undone"),
];

fn action_label(code: &str) -> &str {
    LOG_ACTIONS.iter().find(|(c, _)| *c == code).map_or(code, |(_, label)| label)
}

/// A log entry's reason: a removal reason, a rule, or free text (a sanction's reason, a role).
fn log_reason(code: &str) -> String {
    if let Some(check) = Check::parse(code) {
        return check.label().to_owned();
    }
    if code == "flag_threshold" {
        return "Flags reached the threshold".to_owned();
    }
    match FlagReason::parse(code) {
        Ok(reason) if reason.as_str() == code => reason.label().to_owned(),
        _ => code.to_owned(),
    }
}

fn log_url(query: &LogQuery, before: i64) -> String {
    let mut url = String::from("/moderation/log?");
    for (key, value) in
        [("action", &query.action), ("actor", &query.actor), ("user", &query.user), ("article", &query.article)]
    {
        if !value.is_empty() {
            url.push_str(&format!("{key}={}&", urlencoding::encode(value)));
        }
    }
    url.push_str(&format!("before={before}"));
    url
}

pub fn log_page(ctx: &PageContext, page: &LogPage, query: &LogQuery) -> Markup {
    let filtered =
        !(query.action.is_empty() && query.actor.is_empty() && query.user.is_empty() && query.article.is_empty());
    let content = html! {
        section.moderation {
            h1 { "Moderation log" }
            nav.tabs aria-label="Moderation" {
                a href="/moderation" { "Queue" }
                a href="/moderation/log" aria-current="page" { "Log" }
            }
            form.log-filter method="get" action="/moderation/log" {
                div.field {
                    label for="log-action" { "Action" }
                    select #log-action name="action" {
                        option value="" { "Any action" }
                        @for (code, label) in LOG_ACTIONS {
                            option value=(code) selected[query.action == code] { (label) }
                        }
                    }
                }
                div.field {
                    label for="log-actor" { "By (username)" }
                    input #log-actor type="text" name="actor" value=(query.actor) autocomplete="off" spellcheck="false";
                }
                div.field {
                    label for="log-user" { "Reader (username)" }
                    input #log-user type="text" name="user" value=(query.user) autocomplete="off" spellcheck="false";
                }
                div.field {
                    label for="log-article" { "Article (slug)" }
                    input #log-article type="text" name="article" value=(query.article) autocomplete="off" spellcheck="false";
                }
                div.form-actions {
                    button type="submit" { "Filter" }
                    @if filtered { a href="/moderation/log" { "Clear" } }
                }
            }
            @if page.entries.is_empty() {
                p.empty { @if filtered { "No entries match these filters." } @else { "Nothing has been logged yet." } }
            } @else {
                div.table-scroll {
                    table.admin-table.log-table {
                        thead {
                            tr { th { "Time" } th { "Who" } th { "Action" } th { "Reader" } th { "Comment" } th { "Article" } th { "Reason" } th { "Note" } }
                        }
                        tbody {
                            @for entry in &page.entries { (log_row(entry)) }
                        }
                    }
                }
            }
            @if let Some(before) = page.next {
                nav.pager {
                    a.button rel="next" href=(log_url(query, before)) { "Older entries" }
                }
            }
        }
    };
    layout(ctx, "Moderation log", content)
}

fn log_row(entry: &LogEntry) -> Markup {
    let row = &entry.row;
    html! {
        tr data-action=(row.action) {
            td.nowrap data-label="Time" { (time(row.created_at)) }
            td data-label="Who" {
                @if let Some(actor) = &entry.actor {
                    a href={ "/users/" (actor) } { "@" (actor) }
                } @else if let Some(rule) = &row.rule {
                    span.rule { "rule: " (rule) }
                } @else {
                    span.muted { "—" }
                }
            }
            td data-label="Action" { span class={ "log-action action-" (row.action) } { (action_label(&row.action)) } }
            td data-label="Reader" {
                @if let Some(target) = &entry.target {
                    a href={ "/users/" (target) } { "@" (target) }
                }
            }
            td data-label="Comment" {
                @if let Some(comment) = row.comment_id {
                    a href={ "/comments/" (comment) } { "#" (comment) }
                }
            }
            td data-label="Article" {
                @if let Some((slug, title)) = &entry.article {
                    a href={ "/articles/" (slug) } { (title) }
                }
            }
            td data-label="Reason" {
                @if let Some(reason) = &row.reason {
                    @if row.action == "undo" { (action_label(&reason.replace('-', "_"))) } @else { (log_reason(reason)) }
                }
            }
            td.note data-label="Note" { @if let Some(note) = &row.note { (note) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(body: &str, highlights: &[(Range<usize>, HighlightKind)]) -> String {
        highlighted(body, highlights).into_string()
    }

    #[test]
    fn highlights_escape_the_text_around_and_inside_marks() {
        let body = "<b>hi</b> you darn <script>";
        let start = body.find("darn").unwrap();
        let html = render(body, &[(0..3, HighlightKind::Matched), (start..start + 4, HighlightKind::Masked)]);
        assert_eq!(
            html,
            "<mark class=\"matched\" title=\"Matches a site word list\">&lt;b&gt;</mark>hi&lt;/b&gt; you \
             <mark class=\"masked\" title=\"Masked for readers\">darn</mark> &lt;script&gt;"
        );
    }

    #[test]
    fn bad_ranges_are_left_out() {
        let body = "héllo world";
        // 2 is inside "é"; 5..3 is backwards; 100 is past the end; 0..4 overlaps 1..5.
        let html = render(
            body,
            &[
                (0..2, HighlightKind::Masked),
                (1..5, HighlightKind::Masked),
                #[allow(clippy::reversed_empty_ranges)]
                (5..3, HighlightKind::Masked),
                (7..100, HighlightKind::Matched),
            ],
        );
        assert_eq!(html, "h<mark class=\"masked\" title=\"Masked for readers\">éll</mark>o world");
        assert_eq!(render("", &[(0..1, HighlightKind::Masked)]), "");
    }

    #[test]
    fn account_age() {
        let now = chrono::NaiveDate::from_ymd_opt(2024, 5, 10).unwrap().and_hms_opt(12, 0, 0).unwrap();
        assert_eq!(joined_ago(now, now), "joined just now");
        assert_eq!(joined_ago(now - chrono::Duration::minutes(1), now), "joined 1 minute ago");
        assert_eq!(joined_ago(now - chrono::Duration::hours(5), now), "joined 5 hours ago");
        assert_eq!(joined_ago(now - chrono::Duration::days(3), now), "joined 3 days ago");
        assert_eq!(joined_ago(now - chrono::Duration::days(100), now), "joined 3 months ago");
        assert_eq!(joined_ago(now - chrono::Duration::days(800), now), "joined 2 years ago");
    }

    #[test]
    fn log_reasons_read_well() {
        assert_eq!(log_reason("spam"), "Spam");
        assert_eq!(log_reason("premoderation"), "Held: pre-moderation");
        assert_eq!(log_reason("Posting spam links"), "Posting spam links");
        assert_eq!(
            log_url(&LogQuery { action: "remove".into(), user: "a b".into(), ..LogQuery::default() }, 7),
            "/moderation/log?action=remove&user=a%20b&before=7"
        );
    }

    fn at(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2024, 5, day).unwrap().and_hms_opt(12, 0, 0).unwrap()
    }

    fn ctx(role: Role) -> PageContext {
        PageContext {
            site_name: "Civil".into(),
            user: Some(crate::services::accounts::User {
                id: 1,
                username: "mod".into(),
                display_name: None,
                email: "m@example.com".into(),
                role,
                created_at: at(1),
                always_review: false,
                suspended_until: None,
                banned: false,
                sanction_reason: None,
            }),
            csrf_token: "tok\"en".into(),
            path: "/moderation".into(),
            framed: false,
        }
    }

    fn item() -> QueueItem {
        QueueItem {
            comment: crate::services::moderation::QueuedComment {
                id: 42,
                article_id: 7,
                parent_id: Some(41),
                root_id: 41,
                path: String::new(),
                depth: 1,
                author_id: 9,
                body_raw: "<img src=x onerror=alert(1)>\nyou darn fool".into(),
                body_html: String::new(),
                status: "pending".into(),
                score: 0,
                live_replies: 0,
                created_at: at(9),
                edited_at: Some(at(9)),
                reported: true,
                flag_weight: 1000,
                system_reasons: String::new(),
                queued_at: Some(at(9)),
                removal_reason: None,
                removal_note: None,
                moderated_at: None,
                moderated_by: None,
                featured_at: None,
            },
            article_slug: "a-story".into(),
            article_title: "A <story>".into(),
            author_id: 9,
            author_username: "troll".into(),
            author_display_name: Some("T & T".into()),
            author_role: Role::Reader,
            author_since: at(7),
            author_always_review: true,
            author_suspended_until: None,
            author_banned: false,
            author_published: 1,
            author_removed: 2,
            removed_by_admin: false,
            parent: Some(("alice".into(), "<p>Hello</p>".into(), Status::Published)),
            flags: vec![crate::services::moderation::FlagView {
                comment_id: 42,
                reason: "abuse".into(),
                note: Some("<b>rude</b>".into()),
                weight: 667,
                status: "open".into(),
                created_at: at(9),
                flagger: "bob".into(),
            }],
            reasons: vec![(Some(Check::RepeatedText), "posted twice".into()), (None, "old rule".into())],
        }
    }

    #[test]
    fn queue_page_renders_everything_escaped() {
        let item = item();
        let start = item.comment.body_raw.find("darn").unwrap();
        let views = [QueueItemView { item: &item, highlights: vec![(start..start + 4, HighlightKind::Masked)] }];
        let page = QueuePage {
            tab: Tab::Reported,
            items: Vec::new(),
            next: Some("123_42".into()),
            counts: [(Tab::Pending, 2), (Tab::Reported, 1), (Tab::Removed, 0), (Tab::Approved, 5)],
        };
        let html = queue_page(&ctx(Role::Admin), &page, &views, at(10), None, &FormErrors::none()).into_string();
        if std::env::var("SHOW_HTML").is_ok() {
            println!("{html}");
        }
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;\nyou <mark class=\"masked\""), "{html}");
        assert!(!html.contains("<img src=x"));
        assert!(html.contains("&lt;b&gt;rude&lt;/b&gt;"));
        assert!(html.contains("<p>Hello</p>"), "the parent's sanitised HTML");
        assert!(html.contains("A &lt;story&gt;"));
        assert!(html.contains("href=\"/moderation?tab=reported\" aria-current=\"page\""));
        assert!(html.contains("<span class=\"count\" data-tab=\"approved\">5</span>"));
        assert!(html.contains("joined 3 days ago"));
        assert!(html.contains("action=\"/moderation/comments/42/dismiss-flags\""));
        assert!(html.contains("action=\"/moderation/comments/42/remove-and-ban\""));
        assert!(html.contains("action=\"/moderation/users/9/review\""));
        assert!(html.contains("Stop always reviewing"));
        assert!(html.contains("value=\"tok&quot;en\""));
        assert!(html.contains("form=\"bulk\""));
        assert!(html.contains("/moderation?tab=reported&amp;after=123_42"));
        assert!(html.contains("Held: repeated text"));

        let moderator =
            queue_page(&ctx(Role::Moderator), &page, &views, at(10), None, &FormErrors::none()).into_string();
        assert!(!moderator.contains("remove-and-ban"));
    }

    #[test]
    fn a_moderator_is_not_offered_decisions_on_their_own_comment() {
        let mut item = item();
        item.author_id = 1;
        item.comment.author_id = 1;
        let views = [QueueItemView { item: &item, highlights: Vec::new() }];
        let page = QueuePage {
            tab: Tab::Pending,
            items: Vec::new(),
            next: None,
            counts: [(Tab::Pending, 1), (Tab::Reported, 0), (Tab::Removed, 0), (Tab::Approved, 0)],
        };
        let html = queue_page(&ctx(Role::Moderator), &page, &views, at(10), None, &FormErrors::none()).into_string();
        assert!(html.contains("This is your comment: another moderator decides on it."), "{html}");
        assert!(!html.contains("/moderation/comments/42/approve"), "{html}");
    }

    #[test]
    fn only_an_admin_is_offered_decisions_on_an_admins_removal() {
        let mut item = item();
        item.comment.status = "removed".into();
        item.removed_by_admin = true;
        let views = [QueueItemView { item: &item, highlights: Vec::new() }];
        let page = QueuePage {
            tab: Tab::Removed,
            items: Vec::new(),
            next: None,
            counts: [(Tab::Pending, 0), (Tab::Reported, 0), (Tab::Removed, 1), (Tab::Approved, 0)],
        };
        let moderator =
            queue_page(&ctx(Role::Moderator), &page, &views, at(10), None, &FormErrors::none()).into_string();
        assert!(moderator.contains("only an admin can change that decision"), "{moderator}");
        assert!(!moderator.contains("/moderation/comments/42/approve"), "{moderator}");
        let admin = queue_page(&ctx(Role::Admin), &page, &views, at(10), None, &FormErrors::none()).into_string();
        assert!(admin.contains("/moderation/comments/42/approve"), "{admin}");
    }

    #[test]
    fn log_page_renders() {
        let entry = |action: &str, actor: Option<&str>, rule: Option<&str>| LogEntry {
            row: crate::services::moderation::LogRow {
                id: 3,
                created_at: at(9),
                action: action.into(),
                actor_id: actor.map(|_| 1),
                rule: rule.map(str::to_owned),
                comment_id: Some(42),
                target_user_id: Some(9),
                article_id: Some(7),
                reason: Some("spam".into()),
                note: Some("<i>x</i>".into()),
            },
            actor: actor.map(str::to_owned),
            target: Some("troll".into()),
            article: Some(("a-story".into(), "A story".into())),
        };
        let page = LogPage {
            entries: vec![entry("remove", Some("mod"), None), entry("hold", None, Some("premoderation"))],
            next: Some(3),
        };
        let query = LogQuery { action: "remove".into(), actor: "mod".into(), ..LogQuery::default() };
        let html = log_page(&ctx(Role::Moderator), &page, &query).into_string();
        if std::env::var("SHOW_HTML").is_ok() {
            println!("{html}");
        }
        assert!(html.contains("rule: premoderation"));
        assert!(html.contains("&lt;i&gt;x&lt;/i&gt;"));
        assert!(html.contains("href=\"/comments/42\""));
        assert!(html.contains("/moderation/log?action=remove&amp;actor=mod&amp;before=3"));
        assert!(html.contains("<option value=\"remove\" selected>"));
    }
}
