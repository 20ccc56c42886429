use maud::{html, Markup, PreEscaped};

use super::components::{csrf_field, time};
use super::layout::{layout, layout_with_head, PageContext};
use super::thread::comment_form;
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

pub struct ArticlePage<'a> {
    pub article: &'a Article,
    pub sort: Sort,
    /// The rendered comment list (possibly from the cache).
    pub thread: &'a str,
    pub form: CommentFormState<'a>,
    pub is_draft: bool,
    /// A moderator or admin: may close or reopen the discussion.
    pub is_staff: bool,
    /// Why the signed-in reader cannot take part (suspended or banned), shown instead of the form.
    pub restriction: Option<String>,
}

pub fn article_page(ctx: &PageContext, page: &ArticlePage<'_>) -> Markup {
    let article = page.article;
    let here = format!("/articles/{}#comment-form", article.slug);
    let content = html! {
        article.story {
            @if page.is_draft { p.banner { "Draft: only admins can see this article until it is published." } }
            h1 { (article.title) }
            @if !article.summary.is_empty() { p.standfirst { (article.summary) } }
            p.meta {
                "By " (article.author_name)
                @if let Some(at) = article.published_at { " · " (time(at)) }
            }
            div.story-body { (PreEscaped(&article.body_html)) }
        }
        section #comments.discussion aria-labelledby="discussion-heading" {
            header.discussion-header {
                h2 #discussion-heading { (discussion_label(article.comment_count)) }
                p.notice { "Profanity is auto-masked. Be civil." }
                @if article.comment_count > 0 {
                    nav.sort aria-label="Sort comments" {
                        "Sort: "
                        @for sort in Sort::ALL {
                            @if sort == page.sort {
                                strong aria-current="true" { (sort.label()) }
                            } @else {
                                a href={ "/articles/" (article.slug) "?sort=" (sort.as_str()) "#comments" } { (sort.label()) }
                            }
                            " "
                        }
                    }
                }
                @if page.is_staff {
                    @let (action, label) = if article.comments_open { ("close", "Close discussion") } else { ("reopen", "Reopen discussion") };
                    div.staff-tools {
                        form.inline method="post" action={ "/moderation/articles/" (article.slug) "/" (action) }
                            data-confirm=[article.comments_open.then_some("Close the discussion on this article? Readers will no longer be able to comment.")] {
                            (csrf_field(&ctx.csrf_token))
                            button.small.secondary type="submit" { (label) }
                        }
                        " "
                        a href="/moderation" { "Moderation queue" }
                    }
                }
            }
            @if article.comment_count == 0 {
                p.empty { "Be the first to comment." }
            }
            (PreEscaped(page.thread))
            @if !article.comments_open {
                p.closed { "The discussion on this article is closed." }
            } @else {
                h3 { "Leave a Comment" }
                @match &ctx.user {
                    Some(_) if page.restriction.is_some() => {
                        p.restriction role="note" { (page.restriction.as_deref().unwrap_or_default()) }
                    },
                    Some(_) => (comment_form(&article.slug, &ctx.csrf_token, None, page.form.body, page.form.error, page.sort)),
                    None => {
                        @if let Some(error) = page.form.error { p.error role="alert" { (error) } }
                        p.signin-prompt {
                            a href={ "/signin?next=" (urlencoding::encode(&here)) } { "Sign in" }
                            " or "
                            a href={ "/register?next=" (urlencoding::encode(&here)) } { "register" }
                            " to join the discussion."
                        }
                    },
                }
            }
        }
        (crate::views::newsletter::join_block(&ctx.csrf_token, &ctx.path))
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

pub fn error_page(ctx: &PageContext, status: u16, title: &str, message: &str) -> Markup {
    let content = html! {
        section.error-page {
            h1 { (title) }
            p { (message) }
            p { a href="/" { "Go to the front page" } }
            @if status == 401 {
                p { a href={ "/signin?next=" (urlencoding::encode(&ctx.path)) } { "Sign in" } }
            }
        }
    };
    layout(ctx, title, content)
}
