//! Every e-mail Civil writes, each as one function from typed inputs to a subject, a plain-text
//! part and an HTML part (maud, so everything interpolated is escaped). Services build the links
//! and choose the recipients; these functions only say things.
//!
//! The HTML is for mail clients, which ignore style sheets, so its styles are inline. Civil's own
//! pages refuse inline styles (Content-Security-Policy): the admin's preview of an issue is the
//! same template rendered for a page (`Medium::Page`), without them.

use chrono::NaiveDate;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::domain::links::{CONFIRM_VALID, VERIFY_VALID};

/// Where links in e-mails point, and what the site is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub base_url: String,
    pub name: String,
}

impl Site {
    /// "the Civil newsletter", but "The Example Herald newsletter": a name that brings its own
    /// article does not get a second one.
    pub fn the_newsletter(&self) -> String {
        let name = self.name.trim();
        let has_article = name.get(..4).is_some_and(|start| start.eq_ignore_ascii_case("the "));
        if has_article {
            format!("{name} newsletter")
        } else {
            format!("the {name} newsletter")
        }
    }

    /// An absolute link to `path` (which starts with `/`).
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// One message, ready for the outbox.
#[derive(Debug, Clone)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: Markup,
}

/// Where an HTML part is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    /// A whole document with inline styles, for mail clients.
    Mail,
    /// The inside of the body, unstyled, for a page of Civil's (civil.css styles it).
    Page,
}

const BODY_STYLE: &str = "font-family:Georgia,serif;max-width:640px;margin:auto;line-height:1.5";
const FOOTER_STYLE: &str = "font-size:12px;color:#555";

fn document(content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html { body style=(BODY_STYLE) { (content) } }
    }
}

/// A paragraph ending in a link whose text is the link itself, as in the plain-text part.
fn link_line(lead: &str, url: &str) -> Markup {
    html! { p { (lead) " " a href=(url) { (url) } } }
}

/// The link that verifies a new account's address.
pub fn verification(site: &Site, link: &str) -> Message {
    let hours = VERIFY_VALID.num_hours();
    let closing = format!("The link works for {hours} hours. If you did not create an account, ignore this e-mail.");
    Message {
        subject: format!("Verify your address for {}", site.name),
        text: format!("Welcome to {}.\n\nPlease verify your e-mail address: {link}\n\n{closing}\n", site.name),
        html: document(html! {
            p { "Welcome to " (site.name) "." }
            (link_line("Please verify your e-mail address:", link))
            p { (closing) }
        }),
    }
}

/// A password reset link for the account `username`.
pub fn password_reset(site: &Site, username: &str, link: &str) -> Message {
    let opening = format!("Someone, probably you, asked to reset the password of {username} on {}.", site.name);
    let closing =
        "The link works once, for one hour. If you did not ask, ignore this e-mail: your password stays as it is.";
    Message {
        subject: format!("Reset your {} password", site.name),
        text: format!("{opening}\n\nChoose a new password: {link}\n\n{closing}\n"),
        html: document(html! {
            p { (opening) }
            (link_line("Choose a new password:", link))
            p { (closing) }
        }),
    }
}

/// Someone registered with an address that already belongs to `username`: the owner hears of
/// it, with a way back in (`reset_link`) in case it was them.
pub fn address_taken(site: &Site, username: &str, reset_link: &str) -> Message {
    let signin = site.link("/signin");
    let opening = format!(
        "Someone tried to create an account on {} with this e-mail address, which already belongs to your account {username}.",
        site.name
    );
    let closing = "That link works once, for one hour. If it was not you, ignore this e-mail: the address stays \
                   with your account, and nobody else can sign in with it or receive mail for it.";
    Message {
        subject: format!("Someone tried to register on {} with your address", site.name),
        text: format!(
            "{opening}\n\nIf it was you, you do not need a new account: sign in as {username} at {signin}, \
             or choose a new password: {reset_link}\n\n{closing}\n"
        ),
        html: document(html! {
            p { (opening) }
            p {
                "If it was you, you do not need a new account: sign in as " (username) " at "
                a href=(signin) { (signin) } ", or choose a new password: " a href=(reset_link) { (reset_link) }
            }
            p { (closing) }
        }),
    }
}

/// As `address_taken`, to an account made by single sign-on: it has no password on Civil (a
/// reset link would be refused), so the way back in is the publisher's own site.
pub fn address_taken_sso(site: &Site, username: &str) -> Message {
    let opening = format!(
        "Someone tried to create an account on {} with this e-mail address, which already belongs to your account {username}.",
        site.name
    );
    let way_in = format!(
        "If it was you, you do not need a new account: your account {username} signs in through the publisher's site \
         where you joined the discussion. Sign in there and the discussion signs you in; the account has no password on {}.",
        site.name
    );
    let closing = "If it was not you, ignore this e-mail: the address stays with your account, and nobody else can \
                   sign in with it or receive mail for it.";
    Message {
        subject: format!("Someone tried to register on {} with your address", site.name),
        text: format!("{opening}\n\n{way_in}\n\n{closing}\n"),
        html: document(html! {
            p { (opening) }
            p { (way_in) }
            p { (closing) }
        }),
    }
}

/// The link that moves the account `username` to this address, sent to the new address.
pub fn email_change(site: &Site, username: &str, link: &str) -> Message {
    let hours = VERIFY_VALID.num_hours();
    let opening =
        format!("Someone, probably you, asked to use this address for the account {username} on {}.", site.name);
    let closing = format!(
        "Nothing changes until the link is followed. It works for {hours} hours. If you did not ask, ignore this e-mail."
    );
    Message {
        subject: format!("Confirm your new address for {}", site.name),
        text: format!("{opening}\n\nConfirm the change: {link}\n\n{closing}\n"),
        html: document(html! {
            p { (opening) }
            (link_line("Confirm the change:", link))
            p { (closing) }
        }),
    }
}

/// The account `username` moved from this address to `new_address` (shown in part).
pub fn email_changed(site: &Site, username: &str, new_address: &str) -> Message {
    let opening = format!(
        "The e-mail address of your account {username} on {} is now {new_address}. We will not write to this address again.",
        site.name
    );
    let closing = "If you made the change, there is nothing to do. If you did not, someone may be using your \
                   account: reply to this e-mail to reach the site's team.";
    Message {
        subject: format!("Your {} address was changed", site.name),
        text: format!("{opening}\n\n{closing}\n"),
        html: document(html! {
            p { (opening) }
            p { (closing) }
        }),
    }
}

/// `replier` replied to a comment on the article `article_title`.
pub fn reply_notification(
    site: &Site,
    replier: &str,
    article_title: &str,
    reply_link: &str,
    unsubscribe_link: &str,
) -> Message {
    Message {
        subject: format!("{replier} replied to you on {}", site.name),
        text: format!(
            "{replier} replied to your comment on \"{article_title}\":\n{reply_link}\n\n\
             To stop these e-mails: {unsubscribe_link}\n"
        ),
        html: document(html! {
            p { (replier) " replied to your comment on \"" (article_title) "\":" br; a href=(reply_link) { (reply_link) } }
            (link_line("To stop these e-mails:", unsubscribe_link))
        }),
    }
}

/// Double opt-in: confirm that `email` wants the newsletter.
pub fn subscription_confirmation(site: &Site, email: &str, link: &str) -> Message {
    let opening = format!("Please confirm that you want {} at {email}.", site.the_newsletter());
    let closing = format!(
        "The link works for {} hours. If you did not ask for this, ignore this e-mail and nothing will happen.",
        CONFIRM_VALID.num_hours()
    );
    Message {
        subject: format!("Confirm your subscription to {}", site.name),
        text: format!("{opening}\n\nConfirm your subscription: {link}\n\n{closing}\n"),
        html: document(html! {
            p { (opening) }
            (link_line("Confirm your subscription:", link))
            p { (closing) }
        }),
    }
}

/// Someone asked to subscribe an address that already is.
pub fn already_subscribed(site: &Site, email: &str, unsubscribe_link: &str) -> Message {
    let opening = format!("Someone, probably you, asked to subscribe {email} to {}.", site.the_newsletter());
    let middle = "You are already subscribed, so nothing has changed.";
    Message {
        subject: format!("You are subscribed to {}", site.name),
        text: format!("{opening}\n\n{middle}\n\nTo stop receiving it: {unsubscribe_link}\n"),
        html: document(html! {
            p { (opening) }
            p { (middle) }
            (link_line("To stop receiving it:", unsubscribe_link))
        }),
    }
}

/// An issue of the newsletter as an editor wrote it.
#[derive(Debug, Clone, Copy)]
pub struct Issue<'a> {
    pub subject: &'a str,
    /// Sanitised when the issue was saved (`markdown::render_article`, or this module's digest).
    pub body_html: &'a str,
    pub body_text: &'a str,
}

/// Who an issue goes to, which decides its footer.
#[derive(Debug, Clone, Copy)]
pub enum Recipient<'a> {
    /// A subscriber, with their own one-click unsubscribe link.
    Subscriber { unsubscribe_link: &'a str },
    /// The admin, testing the issue before sending it.
    Test,
}

/// An issue for one recipient.
pub fn newsletter_issue(site: &Site, issue: Issue<'_>, to: Recipient<'_>, medium: Medium) -> Message {
    let base = &site.base_url;
    let (subject, footer_text) = match to {
        Recipient::Subscriber { unsubscribe_link } => (
            issue.subject.to_owned(),
            format!(
                "You receive this because you subscribed at {base}.\nUnsubscribe with one click: {unsubscribe_link}"
            ),
        ),
        Recipient::Test => (format!("[Test] {}", issue.subject), format!("A test of this issue, sent from {base}.")),
    };
    let footer_style = (medium == Medium::Mail).then_some(FOOTER_STYLE);
    let content = html! {
        h1 { (issue.subject) }
        (PreEscaped(issue.body_html))
        hr;
        p style=[footer_style] {
            @match to {
                Recipient::Subscriber { unsubscribe_link } => {
                    "You receive this because you subscribed at " (base) ". "
                    a href=(unsubscribe_link) { "Unsubscribe" } " with one click."
                }
                Recipient::Test => { "A test of this issue." }
            }
        }
    };
    Message {
        subject,
        text: format!("{}\n\n--\n{footer_text}\n", issue.body_text),
        html: match medium {
            Medium::Mail => document(content),
            Medium::Page => content,
        },
    }
}

fn comments(n: i64) -> String {
    format!("{n} {}", if n == 1 { "comment" } else { "comments" })
}

/// An article in the weekly digest.
#[derive(Debug, Clone)]
pub struct DigestArticle {
    pub title: String,
    pub link: String,
    pub author: String,
    pub summary: String,
    pub comments: i64,
}

/// The weekly digest as a draft issue: its text is markdown, which the editor may change before
/// sending (the issue's HTML is then rendered from it again).
pub fn digest(site: &Site, week_of: NaiveDate, new: &[DigestArticle], discussed: &[DigestArticle]) -> Message {
    let opening = format!("Here is what happened on {} this week.", site.name);
    let nothing_new = "Nothing new was published this week.";
    let mut text = format!("{opening}\n\n## New articles\n\n");
    if new.is_empty() {
        text.push_str(nothing_new);
        text.push('\n');
    }
    for a in new {
        text.push_str(&format!("- [{}]({}) by {}: {}\n", a.title, a.link, a.author, a.summary));
    }
    if !discussed.is_empty() {
        text.push_str("\n## Most discussed\n\n");
        for a in discussed {
            text.push_str(&format!("- [{}]({}#comments): {}\n", a.title, a.link, comments(a.comments)));
        }
    }
    // A fragment: it becomes an issue's body, which `newsletter_issue` wraps.
    let html = html! {
        p { (opening) }
        h2 { "New articles" }
        @if new.is_empty() {
            p { (nothing_new) }
        } @else {
            ul {
                @for a in new {
                    li { a href=(a.link) rel="noopener" { (a.title) } " by " (a.author) ": " (a.summary) }
                }
            }
        }
        @if !discussed.is_empty() {
            h2 { "Most discussed" }
            ul {
                @for a in discussed {
                    li { a href={ (a.link) "#comments" } rel="noopener" { (a.title) } ": " (comments(a.comments)) }
                }
            }
        }
    };
    Message { subject: format!("{}: the week in review, {}", site.name, week_of.format("%-d %B %Y")), text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(\"x\")</script> & 'Bob'";

    fn site() -> Site {
        Site { base_url: "https://news.example".into(), name: "Tom & Jerry's \"<b>Daily</b>\"".into() }
    }

    /// The hostile text is escaped in the HTML and appears as written in the text.
    fn assert_safe(message: &Message, hostile: &str) {
        let html = message.html.0.as_str();
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'Bob'"), "{html}");
        assert!(message.text.contains(hostile), "{}", message.text);
        assert!(!message.text.contains("&amp;") && !message.text.contains("&lt;"), "{}", message.text);
    }

    #[test]
    fn a_site_name_with_its_own_article_gets_no_second_one() {
        let herald = Site { base_url: "https://herald.example".into(), name: "The Example Herald".into() };
        let confirm = subscription_confirmation(&herald, "a@example.com", "https://herald.example/c");
        assert!(
            confirm.text.starts_with("Please confirm that you want The Example Herald newsletter at"),
            "{}",
            confirm.text
        );
        assert!(!confirm.html.0.contains("the The"), "{}", confirm.html.0);
        let again = already_subscribed(&herald, "a@example.com", "https://herald.example/u");
        assert!(again.text.contains("to The Example Herald newsletter."), "{}", again.text);
        let civil = Site { base_url: "https://news.example".into(), name: "Civil".into() };
        assert_eq!(civil.the_newsletter(), "the Civil newsletter");
        assert_eq!(Site { name: "Theatre Weekly".into(), ..civil }.the_newsletter(), "the Theatre Weekly newsletter");
    }

    #[test]
    fn account_messages_escape_names_in_html_and_keep_them_readable_in_text() {
        let link = "https://news.example/account/verify/abc?x=1&y=2";
        let verify = verification(&site(), link);
        assert_eq!(verify.subject, "Verify your address for Tom & Jerry's \"<b>Daily</b>\"");
        assert!(verify.text.contains("Tom & Jerry's \"<b>Daily</b>\"") && verify.text.contains(link));
        assert!(verify.html.0.contains("Tom &amp; Jerry's &quot;&lt;b&gt;Daily&lt;/b&gt;&quot;"), "{}", verify.html.0);
        assert!(verify.html.0.contains("href=\"https://news.example/account/verify/abc?x=1&amp;y=2\""));
        assert!(verify.text.contains("48 hours"));

        let reset = password_reset(&site(), HOSTILE, link);
        assert_safe(&reset, HOSTILE);
        assert!(reset.text.starts_with(&format!("Someone, probably you, asked to reset the password of {HOSTILE} on")));

        let taken = address_taken(&site(), HOSTILE, link);
        assert_safe(&taken, HOSTILE);
        let sso_taken = address_taken_sso(&site(), HOSTILE);
        assert_safe(&sso_taken, HOSTILE);
        assert!(sso_taken.text.contains("signs in through the publisher's site"), "{}", sso_taken.text);
        assert!(!sso_taken.text.contains("/password/") && !sso_taken.html.0.contains("/password/"));
        assert!(taken.text.contains(&format!("sign in as {HOSTILE} at https://news.example/signin")));

        let reply = reply_notification(&site(), HOSTILE, HOSTILE, link, "https://news.example/n/1");
        assert_safe(&reply, HOSTILE);
        assert_eq!(reply.subject, format!("{HOSTILE} replied to you on {}", site().name));
        assert!(reply.text.contains(&format!("on \"{HOSTILE}\":\n{link}")), "{}", reply.text);
    }

    #[test]
    fn subscription_messages_escape_the_address() {
        let address = "\"<script>alert('x')</script>\"@example.com";
        for message in [
            subscription_confirmation(&site(), address, "https://news.example/newsletter/confirm/t"),
            already_subscribed(&site(), address, "https://news.example/newsletter/unsubscribe/t"),
        ] {
            assert!(!message.html.0.contains("<script>"), "{}", message.html.0);
            assert!(message.html.0.contains("&quot;&lt;script&gt;alert('x')&lt;/script&gt;&quot;@example.com"));
            assert!(message.text.contains(address), "{}", message.text);
        }
    }

    #[test]
    fn an_issue_escapes_its_subject_and_keeps_its_sanitised_body() {
        // The subject is only in the HTML (and the header); the text part is what the editor wrote.
        let body_text = format!("Dear {HOSTILE},\n\nHello *readers*.");
        let issue = Issue { subject: HOSTILE, body_html: "<p>Hello <em>readers</em>.</p>", body_text: &body_text };
        let to = Recipient::Subscriber { unsubscribe_link: "https://news.example/newsletter/unsubscribe/a&b" };
        let mail = newsletter_issue(&site(), issue, to, Medium::Mail);
        assert_safe(&mail, HOSTILE);
        assert_eq!(mail.subject, HOSTILE);
        assert!(mail.html.0.starts_with("<!DOCTYPE html><html><body style="), "{}", mail.html.0);
        assert!(mail.html.0.contains("<p>Hello <em>readers</em>.</p>"));
        assert!(mail.html.0.contains("href=\"https://news.example/newsletter/unsubscribe/a&amp;b\""));
        assert!(mail.text.ends_with(
            "Hello *readers*.\n\n--\nYou receive this because you subscribed at https://news.example.\n\
             Unsubscribe with one click: https://news.example/newsletter/unsubscribe/a&b\n"
        ));

        let test = newsletter_issue(&site(), issue, Recipient::Test, Medium::Mail);
        assert_eq!(test.subject, format!("[Test] {HOSTILE}"));
        assert!(test.text.ends_with("--\nA test of this issue, sent from https://news.example.\n"), "{}", test.text);
    }

    #[test]
    fn the_preview_is_the_same_issue_without_a_document_or_inline_styles() {
        let issue = Issue { subject: "Hi", body_html: "<p>x</p>", body_text: "x" };
        let to = Recipient::Subscriber { unsubscribe_link: "https://example.com/u" };
        let page = newsletter_issue(&site(), issue, to, Medium::Page);
        let mail = newsletter_issue(&site(), issue, to, Medium::Mail);
        assert!(!page.html.0.contains("style") && !page.html.0.contains("<body"), "{}", page.html.0);
        assert!(page.html.0.starts_with("<h1>Hi</h1><p>x</p><hr>"), "{}", page.html.0);
        assert!(page.html.0.contains("href=\"https://example.com/u\">Unsubscribe</a>"), "{}", page.html.0);
        assert_eq!((page.subject, page.text), (mail.subject, mail.text));
    }

    #[test]
    fn the_digest_escapes_titles_in_html_and_lists_them_in_markdown() {
        let article = DigestArticle {
            title: HOSTILE.into(),
            link: "https://news.example/articles/a".into(),
            author: "Ann & <i>Co</i>".into(),
            summary: "\"Quoted\"".into(),
            comments: 3,
        };
        let week = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let digest = digest(&site(), week, std::slice::from_ref(&article), std::slice::from_ref(&article));
        assert_safe(&digest, HOSTILE);
        assert!(!digest.html.0.contains("<i>"), "{}", digest.html.0);
        assert_eq!(digest.subject, format!("{}: the week in review, 22 November 2026", site().name));
        assert!(digest
            .text
            .contains(&format!("- [{HOSTILE}](https://news.example/articles/a) by Ann & <i>Co</i>: \"Quoted\"\n")));
        assert!(digest.text.contains(&format!(
            "## Most discussed\n\n- [{HOSTILE}](https://news.example/articles/a#comments): 3 comments\n"
        )));
        assert!(digest.html.0.contains("href=\"https://news.example/articles/a#comments\""), "{}", digest.html.0);

        let empty = super::digest(&site(), week, &[], &[]);
        assert!(empty.text.contains("## New articles\n\nNothing new was published this week.\n"));
        assert!(!empty.text.contains("Most discussed") && !empty.html.0.contains("<ul>"));
    }
}
