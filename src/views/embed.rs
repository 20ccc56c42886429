//! The page inside the embed's iframe: the discussion block and nothing around it (the
//! publisher's page is the frame's surroundings), with the script that talks to that page.

use maud::{html, Markup, DOCTYPE};

use super::components::csrf_field;
use super::PageContext;
use crate::assets::url as asset;
use crate::services::articles::Article;

/// `here` is the frame's own address (with the page of a large thread), where signing out
/// comes back to.
pub fn frame_page(ctx: &PageContext, article: &Article, here: &str, discussion: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Discussion: " (article.title) " · " (ctx.site_name) }
                link rel="stylesheet" href=(asset("civil.css"));
                link rel="stylesheet" href=(asset("embed.css"));
                script src=(asset("civil.js")) defer {}
                script src=(asset("embed-frame.js")) defer {}
            }
            body.embed-frame data-signed-in=(ctx.user.is_some()) {
                main #main {
                    @if let Some(user) = &ctx.user {
                        p.embed-account {
                            "Signed in as " a href={ "/users/" (user.username) } target="_blank" { (user.name()) }
                            " · "
                            form.inline method="post" action={ "/signout?next=" (urlencoding::encode(here)) } {
                                (csrf_field(&ctx.csrf_token))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                    (discussion)
                }
            }
        }
    }
}
