//! The reader's side of the newsletter: the sign-up block and page, the pages behind the links
//! in e-mails (confirm, unsubscribe, stop reply notifications). A link from an e-mail never
//! changes anything by itself: the page it opens has a button that posts, so the link scanners
//! of mail systems, which only GET, cannot confirm or unsubscribe anyone.

use maud::{html, Markup};

use super::components::{csrf_field, general_error, text_input, FormErrors};
use super::layout::{layout, PageContext};

const HEADING: &str = "Join the Conversation";
const PITCH: &str = "Share your thoughts below, or subscribe to our newsletter for weekly deep dives.";
const SUBSCRIBE: &str = "Subscribe Now";

/// The "Join the Conversation" block under every article and on the home page. Works without
/// JavaScript: a plain form post, and `next` brings the reader back.
pub fn join_block(csrf_token: &str, next: &str) -> Markup {
    join_block_at("", csrf_token, next)
}

/// The block with its form posting to `base` (Civil's URL, in a fragment another site includes).
pub fn join_block_at(base: &str, csrf_token: &str, next: &str) -> Markup {
    html! {
        aside #newsletter.join aria-labelledby="newsletter-heading" {
            h2 #newsletter-heading { (HEADING) }
            p { (PITCH) }
            form.subscribe method="post" action={ (base) "/newsletter" } {
                (csrf_field(csrf_token))
                input type="hidden" name="next" value=(next);
                label for="newsletter-email" { "Email address" }
                div.subscribe-row {
                    input #newsletter-email type="email" name="email" autocomplete="email" inputmode="email"
                        placeholder="you@example.com" maxlength="254" required;
                    button type="submit" { (SUBSCRIBE) }
                }
            }
        }
    }
}

/// A page with one message and a way on.
fn message_page(ctx: &PageContext, title: &str, content: Markup) -> Markup {
    layout(ctx, title, html! { section.newsletter-page { (content) } })
}

/// /newsletter: the sign-up form with its errors, and for a signed-in reader with a verified
/// address a one-click subscription (`Some(true)`) or the news that they already are
/// (`Some(false)`).
pub fn newsletter_page(ctx: &PageContext, email: &str, errors: &FormErrors, one_click: Option<bool>) -> Markup {
    let user_email = ctx.user.as_ref().map(|u| u.email.as_str());
    let content = html! {
        h1 { "Our newsletter" }
        p.lead { "Weekly deep dives into the stories our readers discuss most, in your inbox." }
        @match (one_click, user_email) {
            (Some(true), Some(address)) => {
                form.one-click method="post" action="/newsletter/me" {
                    (csrf_field(&ctx.csrf_token))
                    button type="submit" { "Subscribe with one click (" (address) ")" }
                }
                p.or { "Or subscribe another address:" }
            },
            (Some(false), _) => {
                p.banner.success role="status" { "You are subscribed." }
            },
            _ => {},
        }
        (general_error(errors, &["email"]))
        form.subscribe-page method="post" action="/newsletter" {
            (csrf_field(&ctx.csrf_token))
            input type="hidden" name="next" value="/newsletter";
            (text_input(errors, "email", "Email address", "email", email, "email", true))
            button type="submit" { (SUBSCRIBE) }
        }
        p.hint.after {
            "We send a link to confirm the address first. Every issue has a one-click unsubscribe link."
        }
    };
    message_page(ctx, "Newsletter", content)
}

/// After a subscription: the same words whatever the address, so the page tells nobody who is
/// subscribed.
/// After subscribing: what happens next, and the way back to the page the reader subscribed
/// from (`back`, a local path), when that was not the newsletter page itself.
pub fn check_inbox(ctx: &PageContext, back: &str) -> Markup {
    let elsewhere = back != "/newsletter" && back.starts_with('/');
    let content = html! {
        h1 { "Check your inbox" }
        p {
            "If that address can receive our newsletter, a message is on its way with a link to confirm your subscription. "
            "The link works for 48 hours."
        }
        p.hint.after { "Nothing arrived? Look in your spam folder, or " a href="/newsletter" { "try again" } " in a few minutes." }
        @if elsewhere {
            p { a.back href=(back) { "Back to where you were" } }
        }
    };
    message_page(ctx, "Check your inbox", content)
}

/// GET /newsletter/confirm/{token}: nothing changes until the button.
pub fn confirm_page(ctx: &PageContext, token: &str, email: &str) -> Markup {
    let content = html! {
        h1 { "Confirm your subscription for " span.address { (email) } }
        form method="post" action={ "/newsletter/confirm/" (urlencoding::encode(token)) } {
            (csrf_field(&ctx.csrf_token))
            button type="submit" { "Confirm subscription" }
        }
        p.hint.after { "Did not ask for this? Close this page and nothing will happen." }
    };
    message_page(ctx, "Confirm your subscription", content)
}

pub fn confirmed(ctx: &PageContext) -> Markup {
    let content = html! {
        h1 { "You're subscribed." }
        p { "Every issue has a one-click unsubscribe link." }
        p { a href="/" { "Back to the articles" } }
    };
    message_page(ctx, "Subscribed", content)
}

/// GET /newsletter/unsubscribe/{token}: nothing changes until the button. (Mail programs that
/// support one-click unsubscribe POST to the same address directly.)
pub fn unsubscribe_page(ctx: &PageContext, token: &str, email: &str) -> Markup {
    let content = html! {
        h1 { "Unsubscribe " span.address { (email) } "?" }
        p { "You will get no more issues of the newsletter." }
        form method="post" action={ "/newsletter/unsubscribe/" (urlencoding::encode(token)) } {
            (csrf_field(&ctx.csrf_token))
            button type="submit" { "Unsubscribe" }
        }
    };
    message_page(ctx, "Unsubscribe", content)
}

pub fn unsubscribed(ctx: &PageContext) -> Markup {
    let content = html! {
        h1 { "You're unsubscribed." }
        p { "You will get no more issues. Changed your mind? " a href="/newsletter" { "Subscribe again" } "." }
    };
    message_page(ctx, "Unsubscribed", content)
}

/// Expired, used or forged links.
pub fn link_problem(ctx: &PageContext, message: &str) -> Markup {
    let content = html! {
        h1 { "This link does not work" }
        p { (message) }
        p { a href="/newsletter" { "Go to the newsletter page" } }
    };
    message_page(ctx, "This link does not work", content)
}

/// GET /notifications/unsubscribe/{token}: nothing changes until the button.
pub fn notifications_unsubscribe_page(ctx: &PageContext, token: &str) -> Markup {
    let content = html! {
        h1 { "Stop e-mails about replies to your comments?" }
        form method="post" action={ "/notifications/unsubscribe/" (urlencoding::encode(token)) } {
            (csrf_field(&ctx.csrf_token))
            button type="submit" { "Stop these e-mails" }
        }
    };
    message_page(ctx, "Reply e-mails", content)
}

pub fn notifications_off(ctx: &PageContext) -> Markup {
    let content = html! {
        h1 { "You will no longer get e-mails about replies." }
        p {
            "You can turn them back on at any time in "
            @match &ctx.user {
                Some(_) => { a href="/account#mail" { "your account page" } "." },
                None => { "your account page (" a href="/signin?next=%2Faccount" { "sign in" } " first)." },
            }
        }
    };
    message_page(ctx, "Reply e-mails", content)
}
