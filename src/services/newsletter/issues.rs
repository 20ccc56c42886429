//! Issues: an editor's drafts, a test to the admin, the send to every subscriber, its progress,
//! and sending again what failed or is in doubt.

use chrono::Duration;

use super::{unsubscribe_link, Issue};
use crate::domain::account::User;
use crate::domain::markdown;
use crate::domain::role::Role;
use crate::domain::Invalid;
use crate::email::templates::{self, Medium, Recipient, Site};
use crate::error::Error;
use crate::services::require_role;
use crate::services::App;
use crate::store::newsletter::{self, IssueContent};
use crate::store::outbox::{self, NewMessage};

/// An issue as an editor writes it, unparsed.
#[derive(Debug, Clone, Default)]
pub struct IssueForm {
    pub subject: String,
    pub body: String,
}

struct RenderedIssue {
    subject: String,
    body_md: String,
    body_html: String,
    body_text: String,
}

impl RenderedIssue {
    fn content(&self) -> IssueContent<'_> {
        IssueContent {
            subject: &self.subject,
            body_md: &self.body_md,
            body_html: &self.body_html,
            body_text: &self.body_text,
        }
    }
}

impl IssueForm {
    fn render(&self) -> Result<RenderedIssue, Invalid> {
        let rendered = self.render_as_typed()?;
        if rendered.subject.is_empty() {
            return Err(Invalid::new("subject", "Give the issue a subject of at most 200 characters."));
        }
        if rendered.body_md.is_empty() {
            return Err(Invalid::new("body", "Write the issue before saving it."));
        }
        Ok(rendered)
    }

    /// The issue as it stands, even without a subject or a body yet (a preview while typing).
    fn render_as_typed(&self) -> Result<RenderedIssue, Invalid> {
        let subject = self.subject.trim();
        if subject.chars().count() > 200 {
            return Err(Invalid::new("subject", "Give the issue a subject of at most 200 characters."));
        }
        let body = self.body.trim();
        Ok(RenderedIssue {
            subject: subject.to_owned(),
            body_md: body.to_owned(),
            body_html: markdown::render_article(body),
            body_text: body.to_owned(),
        })
    }
}

pub async fn create_issue(app: &App, admin: &User, form: IssueForm, kind: &'static str) -> Result<Issue, Error> {
    let clock = app.clock.clone();
    require_role(admin, Role::Admin)?;
    let rendered = form.render()?;
    let admin_id = admin.id;
    app.write(move |conn| {
        let content = rendered.content();
        Ok(newsletter::insert_issue(conn, &content, kind, Some(admin_id), clock.now())?)
    })
    .await
}

pub async fn update_issue(app: &App, admin: &User, id: i64, form: IssueForm) -> Result<Issue, Error> {
    let clock = app.clock.clone();
    require_role(admin, Role::Admin)?;
    let rendered = form.render()?;
    app.write(move |conn| {
        let content = rendered.content();
        if newsletter::update_issue(conn, id, &content, clock.now())? == 0 {
            return Err(Error::Conflict(Invalid::new(
                "subject",
                "This issue has been sent and can no longer be changed.",
            )));
        }
        Ok(newsletter::find_issue(conn, id)?.expect("the issue exists"))
    })
    .await
}

pub async fn issue(app: &App, admin: &User, id: i64) -> Result<Issue, Error> {
    require_role(admin, Role::Admin)?;
    app.db(move |conn| newsletter::find_issue(conn, id)?.ok_or_else(|| Error::not_found("That issue"))).await
}

pub async fn issues(app: &App, admin: &User) -> Result<Vec<Issue>, Error> {
    require_role(admin, Role::Admin)?;
    app.db(|conn| Ok(newsletter::list_issues(conn, 50)?)).await
}

/// What a subscriber would get, for the admin's page: the same template as the e-mail.
pub fn preview(app: &App, issue: &Issue) -> templates::Message {
    let site = Site::of(app);
    let link = unsubscribe_link(&site, "…");
    let to = Recipient::Subscriber { unsubscribe_link: &link };
    templates::newsletter_issue(&site, template_input(issue), to, Medium::Page)
}

/// What subscribers would get from a draft as the editor types it, before it is saved: the
/// same rendering and template as the sent issue (`preview` is the saved one).
pub fn draft_preview(app: &App, admin: &User, form: &IssueForm) -> Result<templates::Message, Error> {
    require_role(admin, Role::Admin)?;
    let rendered = form.render_as_typed()?;
    let site = Site::of(app);
    let link = unsubscribe_link(&site, "…");
    let to = Recipient::Subscriber { unsubscribe_link: &link };
    let issue =
        templates::Issue { subject: &rendered.subject, body_html: &rendered.body_html, body_text: &rendered.body_text };
    Ok(templates::newsletter_issue(&site, issue, to, Medium::Page))
}

/// An issue as the e-mail templates take it.
pub fn template_input(issue: &Issue) -> templates::Issue<'_> {
    templates::Issue { subject: &issue.subject, body_html: &issue.body_html, body_text: &issue.body_text }
}

/// Send a test of an issue to the admin alone.
pub async fn send_test(app: &App, admin: &User, id: i64) -> Result<(), Error> {
    let clock = app.clock.clone();
    require_role(admin, Role::Admin)?;
    let to = admin.email.clone();
    let site = Site::of(app);
    app.write(move |conn| {
        let issue = newsletter::find_issue(conn, id)?.ok_or_else(|| Error::not_found("That issue"))?;
        let now = clock.now();
        let message = templates::newsletter_issue(&site, template_input(&issue), Recipient::Test, Medium::Mail);
        let key = format!("test:{id}:{}", now.and_utc().timestamp_micros());
        outbox::enqueue(conn, &NewMessage::email("newsletter_test", key, &to, message, now))?;
        Ok(())
    })
    .await
}

/// Send an issue to every confirmed subscriber: one outbox row each, written with the status
/// change in one transaction. Returns the number of recipients.
pub async fn send(app: &App, admin: &User, id: i64) -> Result<i64, Error> {
    let clock = app.clock.clone();
    require_role(admin, Role::Admin)?;
    app.write(move |conn| {
        let now = clock.now();
        let issue = newsletter::find_issue(conn, id)?.ok_or_else(|| Error::not_found("That issue"))?;
        if newsletter::start_sending(conn, id, now)? == 0 {
            return Err(Error::Conflict(Invalid::new("issue", "This issue has already been sent.")));
        }
        let recipients = outbox::enqueue_issue(conn, id, &issue.subject, now)? as i64;
        newsletter::set_recipients(conn, id, recipients)?;
        Ok(recipients)
    })
    .await
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub recipients: i64,
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub unknown: i64,
    /// Messages sent in the last minute, per second.
    pub rate_per_second: f64,
    /// The issue's status as an editor should read it: "sent" as soon as no message is left to
    /// send, though the worker marks the issue itself only at its next heartbeat.
    pub status: String,
}

pub async fn progress(app: &App, admin: &User, id: i64) -> Result<Progress, Error> {
    let clock = app.clock.clone();
    require_role(admin, Role::Admin)?;
    app.db(move |conn| {
        let issue = newsletter::find_issue(conn, id)?.ok_or_else(|| Error::not_found("That issue"))?;
        let mut progress = Progress { recipients: issue.recipients, ..Progress::default() };
        progress.status = issue.status;
        for (status, n) in outbox::issue_progress(conn, id)? {
            match status.as_str() {
                "queued" => progress.queued = n,
                "sending" => progress.sending = n,
                "sent" => progress.sent = n,
                "failed" => progress.failed = n,
                "unknown" => progress.unknown = n,
                _ => {}
            }
        }
        progress.rate_per_second = outbox::sent_since(conn, id, clock.now() - Duration::seconds(60))? as f64 / 60.0;
        if progress.status == "sending" && progress.queued + progress.sending == 0 {
            progress.status = "sent".to_owned();
        }
        Ok(progress)
    })
    .await
}

/// Send again the messages of an issue whose delivery is unknown (or that failed).
pub async fn resend(app: &App, admin: &User, id: i64, status: &'static str) -> Result<usize, Error> {
    let clock = app.clock.clone();
    require_role(admin, Role::Admin)?;
    app.write(move |conn| Ok(outbox::requeue(conn, Some(id), status, clock.now())?)).await
}
