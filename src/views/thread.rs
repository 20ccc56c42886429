//! The comment tree. For anonymous readers the same markup is cached per article version, so
//! nothing here may depend on who is looking unless `reader` is given.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use maud::{html, Markup, PreEscaped};

use super::components::{csrf_field, time};
use crate::domain::thread::{Node, Sort, Status, MAX_DISPLAY_DEPTH};
use crate::services::comments::Comment;

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
}

pub struct ReplyForm<'a> {
    pub parent_id: i64,
    pub body: &'a str,
    pub error: Option<&'a str>,
}

pub struct ThreadView<'a> {
    pub slug: &'a str,
    pub sort: Sort,
    pub reader: Option<ReaderControls<'a>>,
}

pub fn comment_list(view: &ThreadView<'_>, nodes: &[Node<Comment>], next: Option<&str>) -> Markup {
    html! {
        ol.thread {
            @for node in nodes {
                li { (comment_node(view, node, 0, None)) }
            }
        }
        @if let Some(next) = next {
            nav.pager {
                a.button rel="next" href={ "/articles/" (view.slug) "?sort=" (view.sort.as_str()) "&after=" (next) "#comments" } {
                    "More comments"
                }
            }
        }
    }
}

/// A comment and its replies. Replies nest visually to `MAX_DISPLAY_DEPTH`; below that they
/// follow at the same level, each saying whom it answers.
fn comment_node(view: &ThreadView<'_>, node: &Node<Comment>, visual_depth: usize, answering: Option<&Comment>) -> Markup {
    let nest = visual_depth + 1 < MAX_DISPLAY_DEPTH;
    html! {
        (comment(view, &node.item, answering))
        @if !node.replies.is_empty() {
            @if nest {
                ol.replies {
                    @for reply in &node.replies {
                        li { (comment_node(view, reply, visual_depth + 1, None)) }
                    }
                }
            } @else {
                @for reply in &node.replies {
                    (comment_node(view, reply, visual_depth, Some(&node.item)))
                }
            }
        }
    }
}

fn comment(view: &ThreadView<'_>, c: &Comment, answering: Option<&Comment>) -> Markup {
    let placeholder = c.status != Status::Published;
    html! {
        article.comment.placeholder[placeholder] id={ "comment-" (c.id) } data-id=(c.id) {
            @if placeholder {
                p.gone {
                    @if c.status == Status::Removed { "Removed by a moderator" } @else { "[deleted]" }
                }
            } @else {
                header {
                    a.author href={ "/users/" (c.author_username) } { (c.author_name()) }
                    @if c.author_display_name.is_some() { " " span.handle { "@" (c.author_username) } }
                    " · "
                    a.permalink href={ "/comments/" (c.id) } title="Link to this comment" { (time(c.created_at)) }
                    @if c.edited_at.is_some() { " · " span.edited { "edited" } }
                    @if let Some(parent) = answering {
                        " · " a.reply-to href={ "#comment-" (parent.id) } { "in reply to " (if parent.is_placeholder() { "[deleted]" } else { parent.author_name() }) }
                    }
                }
                div.body { (PreEscaped(&c.body_html)) }
                (actions(view, c))
            }
        }
    }
}

fn actions(view: &ThreadView<'_>, c: &Comment) -> Markup {
    let points = if c.score == 1 { "point" } else { "points" };
    html! {
        footer.actions {
            @match &view.reader {
                None => {
                    span.score { (c.score) " " (points) }
                    a href={ "/signin?next=" (urlencoding::encode(&format!("/articles/{}#comment-{}", view.slug, c.id))) } { "Sign in to reply" }
                }
                Some(reader) => {
                    @let own = c.author_id == reader.user_id;
                    @let voted = reader.voted.contains(&c.id);
                    @if own {
                        span.score { (c.score) " " (points) }
                    } @else {
                        form.inline.vote method="post" action={ "/comments/" (c.id) "/vote" } {
                            (csrf_field(reader.csrf_token))
                            input type="hidden" name="value" value=(if voted { 0 } else { 1 });
                            button.vote.voted[voted] type="submit" aria-pressed=(voted)
                                title=(if voted { "Take back your upvote" } else { "Upvote" }) {
                                span aria-hidden="true" { "▲ " }
                                span.visually-hidden { "Upvote, " }
                                span.score { (c.score) } " " (points)
                            }
                        }
                    }
                    @if reader.comments_open {
                        a.reply href={ "/articles/" (view.slug) "?reply=" (c.id) "#reply-" (c.id) } data-reply=(c.id) { "Reply" }
                    }
                    @if own {
                        @if c.created_at > reader.editable_after {
                            a href={ "/comments/" (c.id) "/edit" } { "Edit" }
                        }
                        form.inline method="post" action={ "/comments/" (c.id) "/delete" } data-confirm="Delete this comment?" {
                            (csrf_field(reader.csrf_token))
                            button.link type="submit" { "Delete" }
                        }
                    }
                }
            }
        }
        @if let Some(reader) = &view.reader {
            @if let Some(form) = reader.replying.as_ref().filter(|f| f.parent_id == c.id) {
                (comment_form(view.slug, reader.csrf_token, Some(c.id), form.body, form.error, view.sort))
            }
        }
    }
}

/// The form for a new comment or a reply. The draft comes back with any error.
pub fn comment_form(slug: &str, csrf_token: &str, parent_id: Option<i64>, body: &str, error: Option<&str>, sort: Sort) -> Markup {
    let id = match parent_id {
        Some(parent) => format!("reply-{parent}"),
        None => "comment-form".to_owned(),
    };
    html! {
        form.comment-form id=(id) method="post" action={ "/articles/" (slug) "/comments" } {
            (csrf_field(csrf_token))
            input type="hidden" name="sort" value=(sort.as_str());
            @if let Some(parent) = parent_id {
                input type="hidden" name="parent_id" value=(parent);
            }
            label for={ (id) "-body" } { @if parent_id.is_some() { "Your reply" } @else { "Your comment" } }
            textarea id={ (id) "-body" } name="body" rows="5" maxlength="10000" required
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
