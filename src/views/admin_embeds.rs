//! The admins' pages for embedding: the sites allowed to embed (`/admin/sites`) and the
//! external threads, which admins rename, move, merge, close and reopen (`/admin/threads`).

use maud::{html, Markup};

use super::admin::admin_nav;
use super::components::{csrf_field, general_error, text_input, time, FormErrors};
use super::layout::{layout, PageContext};
use crate::services::articles::Article;
use crate::services::embeds::EmbedSite;

fn embed_nav() -> Markup {
    html! {
        nav.admin-nav aria-label="Embedding" {
            a href="/admin/sites" { "Sites that embed" }
            a href="/admin/threads" { "External threads" }
        }
    }
}

pub fn sites(ctx: &PageContext, sites: &[EmbedSite], errors: &FormErrors) -> Markup {
    let content = html! {
        h1 { "Sites that embed" }
        (admin_nav())
        (embed_nav())
        p.hint {
            "Pages on these sites may show discussions: the first view of an article there starts its thread. "
            "Query parameters are dropped from article addresses, except those listed for the site."
        }
        table.admin-table {
            thead { tr { th { "Origin" } th { "Meaningful query parameters" } th { "Added" } th { "Actions" } } }
            tbody {
                @for site in sites {
                    tr {
                        td { (site.origin) }
                        td { @if site.meaningful.names().is_empty() { "none" } @else { (site.meaningful.to_text()) } }
                        td { @match site.created_at { Some(at) => (time(at)), None => "embed_origins setting" } }
                        td.actions {
                            @if let Some(id) = site.id {
                                form.inline method="post" action={ "/admin/sites/" (id) "/delete" }
                                    data-confirm="Remove this site? Its threads stay, but no new ones start there." {
                                    (csrf_field(&ctx.csrf_token))
                                    button.link type="submit" { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Allow a site" }
        (general_error(errors, &["origin", "params"]))
        form method="post" action="/admin/sites" {
            (csrf_field(&ctx.csrf_token))
            (text_input(errors, "origin", "Origin (scheme and host, like https://news.example.com)", "url", "", "off", true))
            (text_input(errors, "params", "Meaningful query parameters (optional, comma-separated, like id,page)", "text", "", "off", false))
            button type="submit" { "Allow" }
        }
    };
    layout(ctx, "Sites that embed", content)
}

pub fn threads(ctx: &PageContext, threads: &[Article], errors: &FormErrors) -> Markup {
    let content = html! {
        h1 { "External threads" }
        (admin_nav())
        (embed_nav())
        (general_error(errors, &[]))
        @if threads.is_empty() {
            p.empty { "No article on another site has a discussion yet." }
        }
        @for t in threads {
            section.external-thread id={ "thread-" (t.id) } {
                h2 { a href={ "/articles/" (t.slug) } { (t.title) } }
                p.meta {
                    a href=(t.canonical_url.as_deref().unwrap_or_default()) { (t.canonical_url.as_deref().unwrap_or_default()) }
                    " · " (t.comment_count) " comments · started " (time(t.created_at))
                    @if !t.comments_open { " · closed" }
                }
                div.actions {
                    form.inline method="post" action={ "/admin/threads/" (t.id) "/rename" } {
                        (csrf_field(&ctx.csrf_token))
                        label for={ "title-" (t.id) } { "Title" }
                        input id={ "title-" (t.id) } name="title" type="text" value=(t.title) maxlength="200" required;
                        button.small type="submit" { "Rename" }
                    }
                    form.inline method="post" action={ "/admin/threads/" (t.id) "/move" } {
                        (csrf_field(&ctx.csrf_token))
                        label for={ "url-" (t.id) } { "Address" }
                        input id={ "url-" (t.id) } name="url" type="url" value=(t.canonical_url.as_deref().unwrap_or_default()) required;
                        button.small type="submit" { "Move" }
                    }
                    @if threads.len() > 1 {
                        form.inline method="post" action={ "/admin/threads/" (t.id) "/merge" }
                            data-confirm="Move every comment of this thread into the chosen one, and remove this thread?" {
                            (csrf_field(&ctx.csrf_token))
                            label for={ "into-" (t.id) } { "Merge into" }
                            select id={ "into-" (t.id) } name="into" {
                                @for other in threads.iter().filter(|o| o.id != t.id) {
                                    option value=(other.id) { (other.title) }
                                }
                            }
                            button.small.secondary type="submit" { "Merge" }
                        }
                    }
                    @let (action, label) = if t.comments_open { ("close", "Close discussion") } else { ("reopen", "Reopen discussion") };
                    form.inline method="post" action={ "/moderation/articles/" (t.slug) "/" (action) } {
                        (csrf_field(&ctx.csrf_token))
                        button.small.secondary type="submit" { (label) }
                    }
                }
            }
        }
    };
    layout(ctx, "External threads", content)
}
