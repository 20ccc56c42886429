use maud::{html, Markup, PreEscaped};

use super::components::{csrf_field, time};
use super::layout::{layout, layout_with_head, PageContext};
use super::thread::{comment_form, ThreadView};
use crate::domain::thread::Sort;
use crate::services::articles::Article;

fn discussion_label(count: i64) -> String {
    format!("Discussion ({count})")
}

pub fn home(ctx: &PageContext, articles: &[Article]) -> Markup {
    let content = html! {
        h1.visually-hidden { "Latest articles" }
        @if articles.is_empty() {
            p.empty { "Nothing has been published yet." }
        }
        ul.article-list {
            @for article in articles {
                li {
                    h2 { a href={ "/articles/" (article.slug) } { (article.title) } }
                    @if !article.summary.is_empty() { p.summary { (article.summary) } }
                    p.meta {
                        "By " (article.author_name)
                        @if let Some(at) = article.published_at { " · " (time(at)) }
                        " · " a href={ "/articles/" (article.slug) "#comments" } { (discussion_label(article.comment_count)) }
                    }
                }
            }
        }
        (crate::views::newsletter::join_block(&ctx.csrf_token, &ctx.path))
    };
    let feed = html! {
        link rel="alternate" type="application/atom+xml" title={ (ctx.site_name) ": latest comments" } href="/comments.atom";
    };
    layout_with_head(ctx, "Latest", feed, content)
}

/// The state of the comment form on an article page.
pub struct CommentFormState<'a> {
    pub body: &'a str,
    pub error: Option<&'a str>,
}

/// The discussion under an article: its header, the thread, the comment form and the
/// newsletter block. Civil's article page and the embed fragment both show it.
pub struct Discussion<'a> {
    pub article: &'a Article,
    pub sort: Sort,
    /// The cursor the page being read starts after (kept by the comment form).
    pub after: Option<&'a str>,
    /// The rendered comment list (possibly from the cache).
    pub thread: &'a str,
    pub form: CommentFormState<'a>,
    /// A moderator or admin: may close or reopen the discussion.
    pub is_staff: bool,
    /// Why the signed-in reader cannot take part (suspended or banned), shown instead of the form.
    pub restriction: Option<String>,
    /// What links and forms start with: empty on Civil's pages, Civil's public URL in a
    /// fragment another site includes.
    pub base: &'a str,
    /// Where the comment form sends the reader after posting, when not back here.
    pub return_to: Option<&'a str>,
    /// Where the newsletter form comes back to (a path on Civil).
    pub next: &'a str,
    /// The newest live event when the thread was read: the page's stream starts after it, so
    /// nothing that happens between the rendering and the stream's start is missed.
    pub live_from: i64,
}

pub struct ArticlePage<'a> {
    pub discussion: Discussion<'a>,
    pub is_draft: bool,
}

pub fn article_page(ctx: &PageContext, page: &ArticlePage<'_>) -> Markup {
    let article = page.discussion.article;
    let content = html! {
        article.story {
            @if page.is_draft { p.banner { "Draft: only admins can see this article until it is published." } }
            h1 { (article.title) }
            @if !article.summary.is_empty() { p.standfirst { (article.summary) } }
            @match &article.canonical_url {
                Some(url) => {
                    p.external {
                        "The discussion of an article published elsewhere: "
                        a.canonical href=(url) rel="noopener" { "read the article" }
                        "."
                    }
                },
                None => {
                    p.meta {
                        "By " (article.author_name)
                        @if let Some(at) = article.published_at { " · " (time(at)) }
                    }
                    div.story-body { (PreEscaped(&article.body_html)) }
                },
            }
        }
        (discussion(&ctx.csrf_token, ctx.user.is_some(), &page.discussion))
    };
    // A draft's discussion has no feed yet.
    let feed = html! {
        @if !page.is_draft {
            link rel="alternate" type="application/atom+xml" title={ "Comments on " (article.title) }
                href={ "/articles/" (article.slug) "/comments.atom" };
        }
    };
    layout_with_head(ctx, &article.title, feed, content)
}

/// The whole discussion block, as a fragment: no page around it.
pub fn discussion(csrf_token: &str, signed_in: bool, d: &Discussion<'_>) -> Markup {
    let article = d.article;
    let base = d.base;
    let here = format!("/articles/{}#comment-form", article.slug);
    let form_view =
        ThreadView { base, slug: &article.slug, return_to: d.return_to, sort: d.sort, after: d.after, reader: None };
    html! {
        section #comments.discussion aria-labelledby="discussion-heading" {
            header.discussion-header {
                h2 #discussion-heading { (discussion_label(article.comment_count)) }
                p.notice { "Profanity is auto-masked. Be civil." }
                @if d.is_staff {
                    @let (action, label) = if article.comments_open { ("close", "Close discussion") } else { ("reopen", "Reopen discussion") };
                    div.staff-tools {
                        form.inline method="post" action={ (base) "/moderation/articles/" (article.slug) "/" (action) }
                            data-confirm=[article.comments_open.then_some("Close the discussion on this article? Readers will no longer be able to comment.")] {
                            (csrf_field(csrf_token))
                            button.small.secondary type="submit" { (label) }
                        }
                        " "
                        a href={ (base) "/moderation" } { "Moderation queue" }
                    }
                }
            }
            // The composer comes first, the thread after it: a reader need not scroll through
            // every comment to join in.
            @if !article.comments_open {
                p.closed { "The discussion on this article is closed." }
            } @else {
                div.composer {
                    h3 #composer-heading { "Leave a Comment" }
                    @if signed_in && d.restriction.is_some() {
                        p.restriction role="note" { (d.restriction.as_deref().unwrap_or_default()) }
                    } @else if signed_in {
                        (comment_form(&form_view, csrf_token, None, d.form.body, d.form.error))
                    } @else {
                        @if let Some(error) = d.form.error { p.error role="alert" { (error) } }
                        p.signin-prompt {
                            a href={ (base) "/signin?next=" (urlencoding::encode(&here)) } { "Sign in" }
                            " or "
                            a href={ (base) "/register?next=" (urlencoding::encode(&here)) } { "register" }
                            " to join the discussion."
                        }
                    }
                }
            }
            @if article.comment_count > 0 {
                nav.sort aria-label="Sort comments" {
                    "Sort: "
                    @for sort in Sort::ALL {
                        @if sort == d.sort {
                            strong aria-current="true" { (sort.label()) }
                        } @else {
                            a data-page href={ (base) "/articles/" (article.slug) "?sort=" (sort.as_str()) "#comments" } { (sort.label()) }
                        }
                        " "
                    }
                }
            }
            @if article.comment_count == 0 {
                p.empty { "Be the first to comment." }
            }
            div #thread-status.visually-hidden role="status" aria-live="polite" {}
            // Filled by the script when comments arrive live ("3 new comments · Show").
            div.live-bar aria-live="polite" data-live={ (base) "/articles/" (article.slug) "/events?last=" (d.live_from) } {}
            div.thread-body {
                (PreEscaped(d.thread))
            }
        }
        (crate::views::newsletter::join_block_at(base, csrf_token, d.next))
    }
}

pub fn error_page(ctx: &PageContext, status: u16, title: &str, message: &str, reference: Option<&str>) -> Markup {
    let content = html! {
        section.error-page {
            h1 { (title) }
            p { (message) }
            @if let Some(reference) = reference {
                p.error-reference { "If you tell us about this, quote the reference " code { (reference) } "." }
            }
            p { a href="/" { "Go to the front page" } }
            @if status == 401 {
                p { a href={ "/signin?next=" (urlencoding::encode(&ctx.path)) } { "Sign in" } }
            }
        }
    };
    layout(ctx, title, content)
}
