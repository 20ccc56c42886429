//! The comment tree. For anonymous readers the same markup is cached per article version, so
//! nothing here may depend on who is looking unless `reader` is given.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use maud::{html, Markup, PreEscaped};

use super::components::{csrf_field, time};
use crate::domain::moderation::{FlagReason, HELD_NEXT};
use crate::domain::role::Role;
use crate::domain::thread::{Node, Sort, Status};
use crate::services::threads::{Comment, PageBack, ThreadPage};

/// Top-level replies shown before the rest fold under "N more replies".
const REPLIES_SHOWN: usize = 3;

/// What a signed-in reader sees that others do not.
pub struct ReaderControls<'a> {
    pub user_id: i64,
    pub csrf_token: &'a str,
    pub voted: &'a HashSet<i64>,
    /// Comments created after this can still be edited.
    pub editable_after: NaiveDateTime,
    pub comments_open: bool,
    /// The comment whose inline reply form is open (no-JS flow), with the draft and error.
    pub replying: Option<ReplyForm<'a>>,
    /// A moderator or admin: feature and moderate controls on published comments.
    pub is_staff: bool,
    /// False for a suspended or banned reader: no vote, reply, flag or edit controls.
    pub can_participate: bool,
    /// What the reader has just done, announced where they did it.
    pub landing: Option<Landing>,
    /// A flag sent without what it needs (no JavaScript), shown again open with its error.
    pub flagging: Option<FlagDraft<'a>>,
    /// Rendered once for every participating reader alike (`user_id` is nobody's): each
    /// comment's controls are marked (`CONTROLS_START`, `CONTROLS_END`), the only part of it that
    /// differs for a participating reader, so that a reader's own controls for their own and
    /// voted comments can be put in their place (`http::thread`).
    pub shared: bool,
}

/// The page's one form for votes (and the other one-button actions on others' comments): the
/// buttons name it with `form=` and their own `formaction`, so the session's token is written
/// once per page, not once per comment, and a comment's markup is the same for every reader.
pub const ACT_FORM: &str = "civil-act";
/// The page's one form for flags: each comment's reason and note (`reason-{id}`, `note-{id}`)
/// belong to it, apart from the vote form so that a vote does not carry every note box.
pub const FLAG_FORM: &str = "civil-flag";
/// Around each comment's controls in a shared rendering. HTML comments, which neither escaped
/// text nor sanitised comment bodies can contain.
pub const CONTROLS_START: &str = "<!--c:";
pub const CONTROLS_END: &str = "<!--/c-->";

/// The session's token, once: the forms every comment's vote and flag buttons submit.
pub fn reader_forms(view: &ThreadView<'_>, csrf_token: &str) -> Markup {
    html! {
        form #(ACT_FORM) method="post" hidden {
            (csrf_field(csrf_token))
            (view.reading_fields())
        }
        form #(FLAG_FORM) method="post" hidden {
            (csrf_field(csrf_token))
            (view.reading_fields())
        }
    }
}

/// What a reader just did to a comment, announced under it once the page comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landed {
    Posted,
    Edited,
    Deleted,
    Voted,
    Flagged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Landing {
    pub id: i64,
    pub what: Landed,
}

impl Landing {
    /// From the query of the page a write sent the reader to (`?posted=7`, `?flagged=7`, ...).
    pub fn from_query(pairs: [(Landed, Option<i64>); 5]) -> Option<Landing> {
        pairs.into_iter().find_map(|(what, id)| id.map(|id| Landing { id, what }))
    }

    pub fn query_name(what: Landed) -> &'static str {
        match what {
            Landed::Posted => "posted",
            Landed::Edited => "edited",
            Landed::Deleted => "deleted",
            Landed::Voted => "voted",
            Landed::Flagged => "flagged",
        }
    }
}

pub struct FlagDraft<'a> {
    pub comment_id: i64,
    pub reason: &'a str,
    pub note: &'a str,
    pub error: &'a str,
}

pub struct ReplyForm<'a> {
    pub parent_id: i64,
    pub body: &'a str,
    pub error: Option<&'a str>,
}

pub struct ThreadView<'a> {
    /// What links and forms start with: empty on Civil's pages, Civil's public URL in a
    /// fragment another site includes.
    pub base: &'a str,
    pub slug: &'a str,
    /// Where the comment forms send the reader after posting, when not to Civil's own page
    /// (the canonical address of an external article).
    pub return_to: Option<&'a str>,
    pub sort: Sort,
    /// The cursor the page being read starts after, kept in every form so a write lands the
    /// reader back on this page.
    pub after: Option<&'a str>,
    pub reader: Option<ReaderControls<'a>>,
}

impl ThreadView<'_> {
    /// The article page at this order and page, with more query pairs (already encoded).
    fn page_href(&self, after: Option<&str>, extra: &str) -> String {
        let mut href = format!("{}/articles/{}?sort={}", self.base, self.slug, self.sort.as_str());
        if let Some(after) = after {
            href.push_str("&after=");
            href.push_str(&urlencoding::encode(after));
        }
        href.push_str(extra);
        href
    }

    /// Hidden fields that tell a write which page the reader is on.
    fn reading_fields(&self) -> Markup {
        html! {
            input type="hidden" name="sort" value=(self.sort.as_str());
            @if let Some(after) = self.after {
                input type="hidden" name="after" value=(after);
            }
        }
    }

    /// The comment the server opens folded replies for: where the reader is acting.
    fn acting_on(&self) -> Option<i64> {
        let reader = self.reader.as_ref()?;
        reader
            .landing
            .map(|l| l.id)
            .or(reader.flagging.as_ref().map(|f| f.comment_id))
            .or(reader.replying.as_ref().map(|r| r.parent_id))
    }
}

/// What follows the discussion header: the featured comments, the thread with its pager, and the
/// public count of removals.
pub fn discussion_body(view: &ThreadView<'_>, page: &ThreadPage, removal_summary: Option<&str>) -> Markup {
    html! {
        @if !page.featured.is_empty() {
            (featured_block(view.base, page))
        }
        @if let Some(landing) = view.reader.as_ref().and_then(|r| r.landing).filter(|l| !contains(&page.comments, l.id)) {
            // The comment is gone from the page (deleted with nothing under it): say so here.
            p.landed #landed role="status" tabindex="-1" { (landing_message(landing.what, false, false)) }
        }
        (comment_list(view, &page.comments, page.next.as_deref(), page.previous.as_ref()))
        @if let Some(summary) = removal_summary {
            p.removal-summary { (summary) }
        }
    }
}

fn contains(nodes: &[Node<Comment>], id: i64) -> bool {
    nodes.iter().any(|n| n.item.id == id || contains(&n.replies, id))
}

/// Comments moderators chose, shown compactly, each linking to its place in the thread (or to
/// its permalink when it is on another page).
fn featured_block(base: &str, page: &ThreadPage) -> Markup {
    html! {
        section.featured aria-labelledby="featured-heading" {
            h3 #featured-heading { "Featured" }
            ol.featured-list {
                @for c in &page.featured {
                    li.featured-comment {
                        p.meta {
                            a.author href={ (base) "/users/" (c.author_username) } { (c.author_name()) }
                            @if c.author_display_name.is_some() { " " span.handle { "@" (c.author_username) } }
                            " · " (time(c.created_at))
                        }
                        div.body { (PreEscaped(&c.body_html)) }
                        p.goto {
                            @if contains(&page.comments, c.id) {
                                a href={ "#comment-" (c.id) } { "Read in the thread" }
                            } @else {
                                a href={ (base) "/comments/" (c.id) } { "Read in the thread" }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn comment_list(
    view: &ThreadView<'_>,
    nodes: &[Node<Comment>],
    next: Option<&str>,
    previous: Option<&PageBack>,
) -> Markup {
    html! {
        @if let Some(back) = previous {
            nav.pager.pager-back aria-label="Earlier comments" {
                @if let PageBack::After(after) = back {
                    a.button.secondary data-page href=(view.page_href(None, "#comments")) { "First page" }
                    " "
                    a.button.secondary rel="prev" data-page href=(view.page_href(Some(after), "#comments")) { "Previous comments" }
                } @else {
                    a.button.secondary rel="prev" data-page href=(view.page_href(None, "#comments")) { "Previous comments" }
                }
            }
        }
        ol.thread {
            @for node in nodes {
                li { (comment_node(view, node, None)) }
            }
        }
        @if let Some(next) = next {
            nav.pager.pager-next aria-label="Later comments" {
                a.button rel="next" data-more href=(view.page_href(Some(next), "#comments")) {
                    "More comments"
                }
            }
        }
    }
}

/// A comment and its replies, nested as the thread's structure has them: at most
/// `MAX_NESTING` levels (`nest` guarantees it), so this recursion stays shallow. `answering` is
/// whom it replies to, when that is not the comment it hangs under: replies below the deepest
/// level sit beside their parent and say whom they answer.
fn comment_node(view: &ThreadView<'_>, node: &Node<Comment>, answering: Option<Answering<'_>>) -> Markup {
    // A long run of replies shows its first few; the rest wait behind "N more replies", which
    // opens in place with or without JavaScript (and is open where the reader is acting).
    let fold = node.replies.len() > REPLIES_SHOWN + 1;
    let (shown, rest) = node.replies.split_at(if fold { REPLIES_SHOWN } else { node.replies.len() });
    let open = fold && view.acting_on().is_some_and(|id| contains(rest, id));
    html! {
        (comment(view, &node.item, answering))
        @if !node.replies.is_empty() {
            ol.replies {
                @for reply in shown {
                    li { (comment_node(view, reply, answering_of(node, reply))) }
                }
                @if fold {
                    li.more-replies {
                        details open[open] {
                            summary { (rest.len()) " more replies" }
                            ol.replies-rest {
                                @for reply in rest {
                                    li { (comment_node(view, reply, answering_of(node, reply))) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The controls of the comments of the page that `pick` chooses, as `view` shows them, in page
/// order: what replaces their marked controls in a shared rendering.
pub fn render_picked(
    view: &ThreadView<'_>,
    page: &ThreadPage,
    pick: &dyn Fn(&Comment) -> bool,
    out: &mut Vec<(i64, String)>,
) {
    fn walk(
        view: &ThreadView<'_>,
        nodes: &[Node<Comment>],
        pick: &dyn Fn(&Comment) -> bool,
        out: &mut Vec<(i64, String)>,
    ) {
        for node in nodes {
            let c = &node.item;
            let (held, placeholder) = standing(view, c);
            if !placeholder && pick(c) {
                out.push((c.id, actions(view, c, held).into_string()));
            }
            walk(view, &node.replies, pick, out);
        }
    }
    walk(view, &page.comments, pick, out);
}

/// Initials on a colour of the author's own, drawn here: no image service learns who reads.
fn avatar(c: &Comment) -> Markup {
    let initials: String = c
        .author_name()
        .split(|ch: char| ch.is_whitespace() || ch == '_' || ch == '-' || ch == '.')
        .filter_map(|word| word.chars().next())
        .filter(|ch| ch.is_alphanumeric())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    // Spread neighbouring ids around the colour wheel; dark enough for white letters.
    let hue = (c.author_id.rem_euclid(360) * 137) % 360;
    html! {
        svg.avatar width="36" height="36" viewBox="0 0 36 36" aria-hidden="true" focusable="false" {
            circle cx="18" cy="18" r="18" fill={ "hsl(" (hue) ", 55%, 32%)" } {}
            text x="18" y="23" text-anchor="middle" font-size="14" font-weight="600" fill="#fff" { (initials) }
        }
    }
}

fn staff_badge(role: Role) -> Option<&'static str> {
    match role {
        Role::Admin => Some("Admin"),
        Role::Moderator => Some("Moderator"),
        Role::Reader => None,
    }
}

fn landing_message(what: Landed, held: bool, voted: bool) -> &'static str {
    match what {
        Landed::Posted if held => "Your comment is saved and waits for a moderator.",
        Landed::Posted => "Your comment is posted.",
        Landed::Edited => "Your edit is saved.",
        Landed::Deleted => "Your comment is deleted.",
        Landed::Voted if voted => "Your upvote is counted.",
        Landed::Voted => "Your upvote is taken back.",
        Landed::Flagged => "Thanks — you flagged this comment. Moderators will review it.",
    }
}

/// Whom a reply answers, when it is shown beside its parent rather than under it.
enum Answering<'a> {
    Shown(&'a Comment),
    /// Its parent is not shown (removed or deleted, with nothing left under it).
    Hidden,
}

fn answering_of<'a>(holder: &'a Node<Comment>, reply: &Node<Comment>) -> Option<Answering<'a>> {
    let parent_id = reply.item.parent_id?;
    if parent_id == holder.item.id {
        return None;
    }
    // A reply beside its parent hangs under the same comment, and siblings come in path order,
    // which is id order: a binary search finds the parent without allocating.
    Some(match holder.replies.binary_search_by_key(&parent_id, |n| n.item.id) {
        Ok(at) => Answering::Shown(&holder.replies[at].item),
        Err(_) => Answering::Hidden,
    })
}

/// One comment alone, as it stands in the thread (without its replies): what a page that heard
/// of it live puts in place.
pub fn single_comment(view: &ThreadView<'_>, c: &Comment) -> Markup {
    comment(view, c, None)
}

/// Whether a comment shows held (marked as waiting), and whether it shows only as a placeholder.
fn standing(view: &ThreadView<'_>, c: &Comment) -> (bool, bool) {
    let own = view.reader.as_ref().is_some_and(|r| r.user_id == c.author_id);
    let staff = view.reader.as_ref().is_some_and(|r| r.is_staff);
    // A held comment reaches the page only for its author and moderators: it shows, marked as
    // waiting.
    let held = c.status == Status::Pending && (own || staff);
    (held, c.status != Status::Published && !held)
}

fn comment(view: &ThreadView<'_>, c: &Comment, answering: Option<Answering<'_>>) -> Markup {
    let own = view.reader.as_ref().is_some_and(|r| r.user_id == c.author_id);
    let (held, placeholder) = standing(view, c);
    let marked = view.reader.as_ref().is_some_and(|r| r.shared);
    html! {
        article.comment.placeholder[placeholder].held[held].is-featured[c.featured && !placeholder && !held]
            id={ "comment-" (c.id) } data-id=(c.id) {
            @if placeholder {
                @if c.status == Status::Removed {
                    p.gone { "Removed by a moderator" }
                    @if let Some((reason, note)) = c.removal.as_ref().filter(|_| own) {
                        div.removal-notice {
                            p { "Reason: " (FlagReason::parse(reason).map(|r| r.label()).unwrap_or("Something else")) }
                            @if let Some(note) = note {
                                p { "Note from the moderator: " span.note { (note) } }
                            }
                            p.hint { "Only you can see why it was removed." }
                        }
                    }
                } @else if c.status == Status::Pending {
                    p.gone { "Awaiting moderation" }
                } @else {
                    p.gone { "[deleted]" }
                }
                @if let Some(landing) = view.reader.as_ref().and_then(|r| r.landing).filter(|l| l.id == c.id) {
                    p.landed #landed role="status" tabindex="-1" { (landing_message(landing.what, false, false)) }
                }
            } @else {
                header {
                    (avatar(c))
                    a.author href={ (view.base) "/users/" (c.author_username) } { (c.author_name()) }
                    @if c.author_display_name.is_some() { " " span.handle { "@" (c.author_username) } }
                    @if let Some(badge) = staff_badge(c.author_role) { " " span.badge.staff-badge { (badge) } }
                    " · "
                    a.permalink href={ (view.base) "/comments/" (c.id) } title="Link to this comment" { (time(c.created_at)) }
                    @if c.edited_at.is_some() { " · " span.edited { "edited" } }
                    @match answering {
                        Some(Answering::Shown(parent)) => {
                            " · " a.reply-to href={ "#comment-" (parent.id) } { "in reply to " (if parent.is_placeholder() { "[deleted]" } else { parent.author_name() }) }
                        }
                        Some(Answering::Hidden) => {
                            " · " span.reply-to { "in reply to [deleted]" }
                        }
                        None => {}
                    }
                    @if c.featured && !held { " " span.badge.featured-badge { "Featured" } }
                    @if held { " " span.pending-label { "Awaiting moderation" } }
                }
                @if held && own {
                    div.pending-note {
                        @if let Some(notice) = &c.held {
                            p { "Why it is waiting:" }
                            ul { @for reason in &notice.reasons { li { (reason) } } }
                        }
                        p { (HELD_NEXT) }
                    }
                }
                div.body { (PreEscaped(&c.body_html)) }
                @if marked {
                    (PreEscaped(CONTROLS_START)) (c.id) (PreEscaped("-->"))
                    (actions(view, c, held))
                    (PreEscaped(CONTROLS_END))
                } @else {
                    (actions(view, c, held))
                }
            }
        }
    }
}

fn actions(view: &ThreadView<'_>, c: &Comment, held: bool) -> Markup {
    let points = if c.score == 1 { "point" } else { "points" };
    // Without JavaScript "Share" is the permalink; with it, it copies the permalink.
    let share = html! {
        a.share href={ (view.base) "/comments/" (c.id) } data-share { "Share" }
    };
    html! {
        footer.actions {
            @match &view.reader {
                None => {
                    span.score { (c.score) " " (points) }
                    a href={ (view.base) "/signin?next=" (urlencoding::encode(&format!("/articles/{}#comment-{}", view.slug, c.id))) } { "Sign in to reply" }
                    (share)
                }
                Some(reader) => {
                    @let own = c.author_id == reader.user_id;
                    @let voted = reader.voted.contains(&c.id);
                    @let takes_part = reader.can_participate;
                    @if own || held || !takes_part {
                        span.score { (c.score) " " (points) }
                    } @else {
                        button.vote.voted[voted] type="submit" form=(ACT_FORM) formaction={ (view.base) "/comments/" (c.id) "/vote" }
                            name="value" value=(if voted { 0 } else { 1 }) aria-pressed=(voted)
                            title=(if voted { "Take back your upvote" } else { "Upvote" }) {
                            span aria-hidden="true" { "▲ " }
                            span.visually-hidden { "Upvote, " }
                            span.score { (c.score) } " " (points)
                        }
                    }
                    @if reader.comments_open && takes_part && !held {
                        a.reply href=(view.page_href(view.after, &format!("&reply={}#reply-{}", c.id, c.id))) data-reply=(c.id) { "Reply" }
                    }
                    (share)
                    @if own {
                        @if takes_part && c.created_at > reader.editable_after {
                            a.edit href={ (view.base) "/comments/" (c.id) "/edit?sort=" (view.sort.as_str()) @if let Some(after) = view.after { "&after=" (urlencoding::encode(after)) } } data-edit=(c.id) { "Edit" }
                        }
                        (delete_control(view, reader, c))
                    }
                    @if reader.is_staff {
                        (moderator_controls(view, reader, c, held))
                    }
                    @let flagged_here = reader.landing.is_some_and(|l| l.id == c.id && l.what == Landed::Flagged);
                    @if !own && !held && takes_part && !flagged_here {
                        (flag_control(view, reader, c))
                    }
                }
            }
        }
        @if let Some(reader) = &view.reader {
            @if let Some(landing) = reader.landing.filter(|l| l.id == c.id) {
                p.landed.flagged[landing.what == Landed::Flagged] #landed role="status" tabindex="-1" {
                    (landing_message(landing.what, held, reader.voted.contains(&c.id)))
                }
            }
            @if let Some(form) = reader.replying.as_ref().filter(|f| f.parent_id == c.id && reader.can_participate) {
                (comment_form(view, reader.csrf_token, Some(c.id), form.body, form.error))
            }
        }
    }
}

/// A moderator's controls on a comment, in place (on Civil's page and in the embed's frame):
/// approve a held one, remove one with a reason, feature a published one. Each comes back to the
/// thread (`back`), not to the queue; the queue opens apart, since the frame does not show it.
fn moderator_controls(view: &ThreadView<'_>, reader: &ReaderControls<'_>, c: &Comment, held: bool) -> Markup {
    let id = c.id;
    let page = view.after.map(|after| format!("&after={}", urlencoding::encode(after))).unwrap_or_default();
    let back = format!("/articles/{}?sort={}{page}#comment-{id}", view.slug, view.sort.as_str());
    html! {
        @if held {
            form.inline.approve method="post" action={ (view.base) "/moderation/comments/" (id) "/approve" } {
                (csrf_field(reader.csrf_token))
                input type="hidden" name="back" value=(back);
                button.link type="submit" { "Approve" }
            }
        } @else {
            form.inline.feature method="post" action={ (view.base) "/moderation/comments/" (id) "/feature" } {
                (csrf_field(reader.csrf_token))
                input type="hidden" name="featured" value=(if c.featured { "0" } else { "1" });
                button.link type="submit" { @if c.featured { "Unfeature" } @else { "Feature" } }
            }
        }
        details.remove-inline {
            summary { "Remove" }
            form method="post" action={ (view.base) "/moderation/comments/" (id) "/remove" } {
                (csrf_field(reader.csrf_token))
                input type="hidden" name="back" value=(back);
                label for={ "remove-" (id) "-reason" } { "Reason" }
                select id={ "remove-" (id) "-reason" } name="reason" required {
                    @for reason in FlagReason::ALL {
                        option value=(reason.as_str()) { (reason.label()) }
                    }
                }
                button.small type="submit" { "Remove comment" }
            }
        }
        a.moderate href={ (view.base) "/moderation?tab=reported" } target="_blank" { "Moderate" }
    }
}

/// Delete, behind a confirmation step in the page: the button that deletes is inside, so a
/// stray tap only opens the question (with or without JavaScript).
fn delete_control(view: &ThreadView<'_>, reader: &ReaderControls<'_>, c: &Comment) -> Markup {
    html! {
        details.delete {
            summary { "Delete" }
            form.delete-form method="post" action={ (view.base) "/comments/" (c.id) "/delete" } {
                (csrf_field(reader.csrf_token))
                (view.reading_fields())
                p { "Delete this comment? This cannot be undone." }
                div.form-actions {
                    button.small.danger type="submit" { "Yes, delete it" }
                }
            }
        }
    }
}

/// Flag a comment for moderators: a reason, and a note (needed for "Something else"). Sent
/// without what it needs, it comes back open with the reader's choice and the error.
fn flag_control(view: &ThreadView<'_>, reader: &ReaderControls<'_>, c: &Comment) -> Markup {
    let id = c.id;
    let draft = reader.flagging.as_ref().filter(|f| f.comment_id == id);
    let note_id = format!("flag-{id}-note");
    // Every comment's boxes belong to the page's one flag form: named for their comment. Not
    // `required`: the browser would check every comment's reason before sending any flag. A flag
    // without a reason comes back open with the error, as one without its note does.
    let (reason_name, note_name) = (format!("reason-{id}"), format!("note-{id}"));
    html! {
        details.flag open[draft.is_some()] {
            summary { "Flag" }
            div.flag-form {
                fieldset {
                    legend { "Why should moderators look at this comment?" }
                    @for reason in FlagReason::ALL {
                        div.field.radio {
                            input type="radio" id={ "flag-" (id) "-" (reason.as_str()) } form=(FLAG_FORM) name=(reason_name) value=(reason.as_str())
                                checked[draft.is_some_and(|d| d.reason == reason.as_str())];
                            label for={ "flag-" (id) "-" (reason.as_str()) } { (reason.label()) }
                        }
                    }
                }
                div.field {
                    label for=(note_id) { "Note (needed for “" (FlagReason::Other.label()) "”)" }
                    textarea id=(note_id) form=(FLAG_FORM) name=(note_name) rows="2" maxlength="500" autofocus[draft.is_some()]
                        aria-invalid=[draft.map(|_| "true")] aria-describedby=[draft.map(|_| format!("flag-{id}-error"))] {
                        (draft.map_or("", |d| d.note))
                    }
                }
                @if let Some(draft) = draft {
                    p.error id={ "flag-" (id) "-error" } role="alert" { (draft.error) }
                }
                div.form-actions {
                    button.small type="submit" form=(FLAG_FORM) formaction={ (view.base) "/comments/" (id) "/flag" } { "Send flag" }
                }
            }
        }
    }
}

/// The form for a new comment or a reply. The draft comes back with any error.
pub fn comment_form(
    view: &ThreadView<'_>,
    csrf_token: &str,
    parent_id: Option<i64>,
    body: &str,
    error: Option<&str>,
) -> Markup {
    let (base, slug, sort) = (view.base, view.slug, view.sort);
    let id = match parent_id {
        Some(parent) => format!("reply-{parent}"),
        None => "comment-form".to_owned(),
    };
    html! {
        form.comment-form id=(id) method="post" action={ (base) "/articles/" (slug) "/comments" } {
            (csrf_field(csrf_token))
            input type="hidden" name="sort" value=(sort.as_str());
            @if let Some(after) = view.after {
                input type="hidden" name="after" value=(after);
            }
            @if let Some(back) = view.return_to {
                input type="hidden" name="return" value=(back);
            }
            @if let Some(parent) = parent_id {
                input type="hidden" name="parent_id" value=(parent);
            }
            label for={ (id) "-body" } { @if parent_id.is_some() { "Your reply" } @else { "Your comment" } }
            textarea id={ (id) "-body" } name="body" rows="5" maxlength="10000" required autofocus[error.is_some()]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{id}-error"))]
                placeholder="Share your thoughts. Markdown works: *emphasis*, [links](https://…), > quotes, `code`." { (body) }
            @if let Some(error) = error {
                p.error id={ (id) "-error" } role="alert" { (error) }
            }
            div.form-actions {
                button type="submit" { @if parent_id.is_some() { "Post reply" } @else { "Post comment" } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2024, 5, day).unwrap().and_hms_opt(12, 0, 0).unwrap()
    }

    fn comment(id: i64, author_id: i64, status: Status) -> Comment {
        Comment {
            id,
            parent_id: None,
            thread_parent_id: None,
            depth: 0,
            author_id,
            author_username: format!("user{author_id}"),
            author_display_name: None,
            author_role: Role::Reader,
            body_html: if matches!(status, Status::Published | Status::Pending) {
                format!("<p>Body {id}</p>")
            } else {
                String::new()
            },
            status,
            score: 1,
            created_at: at(9),
            edited_at: None,
            featured: false,
            removal: None,
            held: None,
        }
    }

    fn node(c: Comment) -> Node<Comment> {
        Node { item: c, replies: Vec::new() }
    }

    fn render(reader: Option<ReaderControls<'_>>, page: &ThreadPage, summary: Option<&str>) -> String {
        let view = ThreadView { base: "", slug: "story", return_to: None, sort: Sort::Oldest, after: None, reader };
        discussion_body(&view, page, summary).into_string()
    }

    fn reader(voted: &HashSet<i64>, is_staff: bool, can_participate: bool, flagged: Option<i64>) -> ReaderControls<'_> {
        ReaderControls {
            user_id: 1,
            csrf_token: "tok",
            voted,
            editable_after: at(1),
            comments_open: true,
            replying: None,
            is_staff,
            can_participate,
            landing: flagged.map(|id| Landing { id, what: Landed::Flagged }),
            flagging: None,
            shared: false,
        }
    }

    fn page() -> ThreadPage {
        let mut featured = comment(2, 2, Status::Published);
        featured.featured = true;
        let mut held = comment(3, 1, Status::Pending);
        held.body_html = "<p>Held body</p>".into();
        held.held = Some(crate::domain::moderation::HeldNotice::from_stored("repeated_text\tThe same words"));
        let mut removed = comment(4, 1, Status::Removed);
        removed.removal = Some(("off_topic".into(), Some("<b>stay on topic</b>".into())));
        ThreadPage {
            comments: vec![node(featured.clone()), node(held), node(removed), node(comment(5, 3, Status::Removed))],
            featured: vec![featured, comment(99, 3, Status::Published)],
            next: None,
            previous: None,
            total: 2,
        }
    }

    #[test]
    fn anonymous_readers_see_featured_and_the_summary_but_no_controls() {
        let html = render(None, &page(), Some("2 comments removed: spam ×2"));
        if std::env::var("SHOW_HTML").is_ok() {
            println!("{html}");
        }
        assert!(html.contains("<section class=\"featured\""));
        assert!(html.contains("href=\"#comment-2\""), "on this page");
        assert!(html.contains("href=\"/comments/99\">Read in the thread"), "on another page");
        assert!(html.contains("<p class=\"removal-summary\">2 comments removed: spam ×2</p>"));
        assert!(!html.contains("/flag\""));
        assert!(!html.contains("/feature\""));
    }

    #[test]
    fn authors_see_their_held_and_removed_comments() {
        let voted = HashSet::new();
        let html = render(Some(reader(&voted, false, true, Some(2))), &page(), None);
        if std::env::var("SHOW_HTML").is_ok() {
            println!("{html}");
        }
        assert!(html.contains("<span class=\"pending-label\">Awaiting moderation</span>"));
        assert!(html.contains("<li>It repeats a comment you posted recently.</li>"));
        assert!(html.contains("Until then only you can see it."));
        assert!(html.contains("<p>Held body</p>"));
        assert!(html.contains("Reason: Off topic"));
        assert!(html.contains("&lt;b&gt;stay on topic&lt;/b&gt;"));
        assert!(html.contains("Thanks — you flagged this comment. Moderators will review it."));
        // Flagged already: no second flag form on comment 2; nothing to flag on own comments.
        assert!(!html.contains("action=\"/comments/2/flag\""));
        assert!(!html.contains("action=\"/comments/3/flag\""));
        assert!(html.contains("Featured</span>"));
        assert!(!html.contains("/moderation/comments/"));
    }

    #[test]
    fn readers_flag_staff_feature_and_restricted_readers_only_read() {
        let voted = HashSet::new();
        let mut p = page();
        p.comments.push(node(comment(6, 3, Status::Published)));
        let html = render(Some(reader(&voted, true, true, None)), &p, None);
        if std::env::var("SHOW_HTML").is_ok() {
            println!("{html}");
        }
        assert!(html.contains("action=\"/comments/6/flag\""));
        assert!(html.contains("form=\"civil-flag\" name=\"reason-6\" value=\"off_topic\""));
        assert!(html.contains("action=\"/moderation/comments/6/feature\""));
        assert!(html.contains("name=\"featured\" value=\"0\""), "unfeature comment 2");
        assert!(html.contains("href=\"/moderation?tab=reported\""));

        let html = render(Some(reader(&voted, false, false, None)), &p, None);
        assert!(!html.contains("/flag\""));
        assert!(!html.contains("/vote\""));
        assert!(!html.contains("class=\"reply\""));
        assert!(!html.contains("/edit\""));
        assert!(html.contains("<span class=\"score\">1 point</span>"));
    }

    /// A chain of replies, each to the one before, placed as the paths place it; with
    /// `as_stored_before_the_cap`, hanging each under its true parent (as unmigrated data would).
    fn chain(length: i64, as_stored_before_the_cap: bool) -> ThreadPage {
        use crate::domain::thread::{child_path, nest, thread_parent};
        let mut path: Option<String> = None;
        let mut items = Vec::new();
        for id in 1..=length {
            let placed = child_path(path.as_deref(), id);
            let mut c = comment(id, id % 2 + 1, Status::Published);
            c.parent_id = (id > 1).then_some(id - 1);
            c.thread_parent_id = if as_stored_before_the_cap { c.parent_id } else { thread_parent(&placed) };
            items.push(c);
            path = Some(placed);
        }
        ThreadPage { comments: nest(items), featured: Vec::new(), next: None, previous: None, total: length }
    }

    #[test]
    fn a_ten_thousand_reply_chain_renders_in_six_levels_saying_whom_each_answers() {
        for as_stored_before_the_cap in [false, true] {
            let html = render(None, &chain(10_000, as_stored_before_the_cap), None);
            assert_eq!(html.matches("<ol class=\"replies\">").count(), 5, "six visual levels");
            assert_eq!(html.matches("<article class=\"comment\"").count(), 10_000);
            assert!(html.contains("href=\"#comment-9999\">in reply to user2</a>"));
            assert!(!html.contains("href=\"#comment-5\">in reply to"), "the sixth level hangs under its parent");
            assert!(html.contains("href=\"#comment-6\">in reply to user1</a>"));
        }
    }
}
