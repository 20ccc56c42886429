use maud::{html, Markup, DOCTYPE};

use crate::assets::url as asset;

use crate::services::accounts::User;

/// What every page knows about the request.
pub struct PageContext {
    pub site_name: String,
    pub user: Option<User>,
    pub csrf_token: String,
    /// The current path, so sign-in links can bring the reader back.
    pub path: String,
    /// Shown inside the embed's frame on a publisher's page: without Civil's header and
    /// footer, and with the script that sizes the frame to the page.
    pub framed: bool,
}

impl PageContext {
    /// The moderators' and editors' pages, which load the staff script readers never need.
    fn is_staff_page(&self) -> bool {
        ["/moderation", "/admin"].iter().any(|prefix| {
            self.path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
        })
    }
}

pub fn layout(ctx: &PageContext, title: &str, content: Markup) -> Markup {
    layout_with_head(ctx, title, html! {}, content)
}

/// `layout`, with more in the page's head (such as a feed's `link rel="alternate"`).
pub fn layout_with_head(ctx: &PageContext, title: &str, head: Markup, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (ctx.site_name) }
                link rel="stylesheet" href=(asset("civil.css"));
                link rel="icon" href=(asset("favicon.svg")) type="image/svg+xml";
                script src=(asset("civil.js")) defer {}
                @if ctx.is_staff_page() {
                    script src=(asset("civil-staff.js")) defer {}
                }
                @if ctx.framed {
                    link rel="stylesheet" href=(asset("embed.css"));
                    script src=(asset("embed-frame.js")) defer {}
                }
                (head)
            }
            body.embed-frame[ctx.framed] data-signed-in=(ctx.user.is_some()) {
                @if ctx.framed {
                    main #main { (content) }
                } @else {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    div.wrap {
                        a.brand href="/" { (ctx.site_name) }
                        nav aria-label="Account" {
                            @match &ctx.user {
                                Some(user) => {
                                    @if user.is_staff() {
                                        a href="/moderation" { "Moderation" }
                                    }
                                    @if user.is_admin() {
                                        a href="/admin" { "Admin" }
                                    }
                                    a href="/account" title="Your account" { (user.name()) }
                                    form.inline method="post" action="/signout" {
                                        input type="hidden" name="csrf_token" value=(ctx.csrf_token);
                                        button.link type="submit" { "Sign out" }
                                    }
                                }
                                None => {
                                    a href={ "/signin?next=" (urlencoding::encode(&ctx.path)) } { "Sign in" }
                                    a.button href={ "/register?next=" (urlencoding::encode(&ctx.path)) } { "Register" }
                                }
                            }
                        }
                    }
                }
                main #main.wrap { (content) }
                footer.site { div.wrap { "Comments powered by Civil." } }
                }
            }
        }
    }
}
