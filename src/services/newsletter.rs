//! The newsletter: double opt-in, one-click unsubscribe, issues and the weekly digest; and the
//! account e-mails (verification, password reset, reply notifications). Every e-mail is written
//! to the outbox in the same transaction as the change that causes it.

use chrono::{Duration, NaiveDateTime};

use super::{rate_limits, tokens, App};
use crate::domain::account::User;
use crate::domain::email::EmailAddress;
use crate::domain::markdown;
use crate::domain::Invalid;
use crate::email::Email;
use crate::error::Error;
use crate::store::newsletter::{self, IssueContent, IssueRow, SubscriberRow};
use crate::store::outbox::{self, NewMessage};
use crate::store::{articles, DbConnection};

pub const CONFIRM_VALID: Duration = Duration::hours(48);
pub const CONFIRM_RESEND_AFTER: Duration = Duration::minutes(10);
pub const RESET_VALID: Duration = Duration::hours(1);
pub const VERIFY_VALID: Duration = Duration::hours(48);

pub type Subscriber = SubscriberRow;
pub type Issue = IssueRow;

fn site_name(app: &App) -> &str {
    &app.settings.site_name
}

/// Subscribe an address. The answer is the same whether or not the address is known, and so is
/// the work: every request records itself (which also feeds the per-IP limit) and commits, and
/// an e-mail goes out (a confirmation, or for a confirmed subscriber a note that they already
/// are) at most once per 10 minutes per address.
pub async fn subscribe(app: &App, email: &str, ip: Option<&str>, user_id: Option<i64>) -> Result<(), Error> {
    let email = EmailAddress::parse(email)?;
    let subject = ip.unwrap_or("unknown").to_owned();
    let limit = app
        .limits_on()
        .then(|| rate_limits::Limit { max: app.settings.limits.subscriptions_per_hour, window: Duration::hours(1) });
    let base = app.settings.base_url.clone();
    let site = site_name(app).to_owned();
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        if let Some(limit) = limit {
            let message = "Too many subscriptions from your network.";
            rate_limits::check(conn, rate_limits::Action::Subscribe, &subject, limit, now, message)?;
        }
        rate_limits::record(conn, rate_limits::Action::Subscribe, &subject, now)?;
        let key = email.key();
        let subscriber = match newsletter::find_subscriber_by_key(conn, &key)? {
            Some(existing) => existing,
            None => newsletter::insert_subscriber(
                conn,
                email.as_str(),
                &key,
                "pending",
                user_id,
                &tokens::random_token(),
                now,
            )?,
        };
        // A pending or confirmed address hears from us at most once per 10 minutes; coming
        // back after unsubscribing is a new opt-in and gets its confirmation at once.
        let recently_written = subscriber.confirm_sent_at.is_some_and(|at| at + CONFIRM_RESEND_AFTER > now);
        if recently_written && matches!(subscriber.status.as_str(), "pending" | "confirmed") {
            return Ok(());
        }
        if subscriber.status == "confirmed" {
            newsletter::mark_reminded(conn, subscriber.id, now)?;
            let unsubscribe = format!("{base}/newsletter/unsubscribe/{}", subscriber.unsubscribe_token);
            let text = format!(
                "Someone, probably you, asked to subscribe {} to the {site} newsletter.\n\n\
                 You are already subscribed, so nothing has changed.\n\nTo stop receiving it: {unsubscribe}\n",
                subscriber.email
            );
            let key = format!("already:{}:{}", subscriber.id, now.and_utc().timestamp());
            outbox::enqueue(
                conn,
                &NewMessage::plain(
                    "already_subscribed",
                    key,
                    &subscriber.email,
                    format!("You are subscribed to {site}"),
                    text,
                    now,
                ),
            )?;
            return Ok(());
        }
        let token = tokens::random_token();
        let hash = tokens::hash(&token);
        newsletter::set_confirmation(conn, subscriber.id, &hash, now + CONFIRM_VALID, now)?;
        if subscriber.status != "pending" {
            // Resubscribing after unsubscribing (or a bounce) goes through double opt-in again.
            newsletter::set_subscriber_status(conn, subscriber.id, "pending", now)?;
        }
        let link = format!("{base}/newsletter/confirm/{token}");
        let text = format!(
            "Please confirm that you want the {site} newsletter at {}.\n\n\
             Confirm your subscription: {link}\n\n\
             The link works for 48 hours. If you did not ask for this, ignore this e-mail and nothing will happen.\n",
            subscriber.email
        );
        let mut confirmation = NewMessage::plain(
            "confirm",
            format!("confirm:{}:{}", subscriber.id, &hash[..16]),
            &subscriber.email,
            format!("Confirm your subscription to {site}"),
            text,
            now,
        );
        confirmation.subscriber_id = Some(subscriber.id);
        outbox::enqueue(conn, &confirmation)?;
        Ok(())
    })
    .await
}

/// The state of a link from an e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Valid { email: String },
    Expired,
    Invalid,
}

pub fn link_problem(state: &LinkState) -> Option<&'static str> {
    match state {
        LinkState::Valid { .. } => None,
        LinkState::Expired => Some("This link has expired. Subscribe again to get a new one."),
        LinkState::Invalid => Some("This link is not valid, or it was already used. Nothing has changed."),
    }
}

fn confirm_state(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<(LinkState, Option<SubscriberRow>), Error> {
    let Some(subscriber) = newsletter::find_subscriber_by_confirm_hash(conn, &tokens::hash(token))? else {
        return Ok((LinkState::Invalid, None));
    };
    if subscriber.status != "pending" {
        return Ok((LinkState::Invalid, None));
    }
    if subscriber.confirm_expires_at.is_none_or(|at| at <= now) {
        return Ok((LinkState::Expired, None));
    }
    Ok((LinkState::Valid { email: subscriber.email.clone() }, Some(subscriber)))
}

/// What a confirmation link shows (it changes nothing: only the button confirms, so link
/// scanners in mail systems cannot).
pub async fn check_confirmation(app: &App, token: String) -> Result<LinkState, Error> {
    let clock = app.clock.clone();
    app.db(move |conn| Ok(confirm_state(conn, &token, clock.now())?.0)).await
}

pub async fn confirm(app: &App, token: String) -> Result<LinkState, Error> {
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let (state, subscriber) = confirm_state(conn, &token, now)?;
        if let Some(subscriber) = subscriber {
            newsletter::set_subscriber_status(conn, subscriber.id, "confirmed", now)?;
        }
        Ok(state)
    })
    .await
}

pub async fn check_unsubscribe(app: &App, token: String) -> Result<LinkState, Error> {
    app.db(move |conn| {
        Ok(match newsletter::find_subscriber_by_unsubscribe_token(conn, &token)? {
            Some(s) => LinkState::Valid { email: s.email },
            None => LinkState::Invalid,
        })
    })
    .await
}

/// One click (RFC 8058): unsubscribe at once. Unsubscribing twice is fine.
pub async fn unsubscribe(app: &App, token: String) -> Result<LinkState, Error> {
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let Some(subscriber) = newsletter::find_subscriber_by_unsubscribe_token(conn, &token)? else {
            return Ok(LinkState::Invalid);
        };
        if subscriber.status != "unsubscribed" {
            newsletter::set_subscriber_status(conn, subscriber.id, "unsubscribed", now)?;
        }
        Ok(LinkState::Valid { email: subscriber.email })
    })
    .await
}

/// A signed-in reader with a verified address subscribes with one click: the address is
/// already proven, so no confirmation is needed.
pub async fn subscribe_verified(app: &App, user: &User) -> Result<(), Error> {
    let user_id = user.id;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let row = crate::store::users::find(conn, user_id)?.ok_or(Error::Unauthenticated)?;
        if row.email_verified_at.is_none() {
            return Err(Error::forbidden("Verify your e-mail address first: we sent you a link when you registered."));
        }
        match newsletter::find_subscriber_by_key(conn, &row.email_key)? {
            Some(s) if s.status == "confirmed" => {}
            Some(s) => {
                newsletter::set_subscriber_status(conn, s.id, "confirmed", now)?;
            }
            None => {
                newsletter::insert_subscriber(
                    conn,
                    &row.email,
                    &row.email_key,
                    "confirmed",
                    Some(user_id),
                    &tokens::random_token(),
                    now,
                )?;
            }
        }
        Ok(())
    })
    .await
}

/// Whether a reader's address is on the list.
pub async fn is_subscribed(app: &App, email: &str) -> Result<bool, Error> {
    let key = email.to_lowercase();
    app.db(move |conn| Ok(newsletter::find_subscriber_by_key(conn, &key)?.is_some_and(|s| s.status == "confirmed")))
        .await
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriberCounts {
    pub pending: i64,
    pub confirmed: i64,
    pub unsubscribed: i64,
    pub bounced: i64,
}

pub async fn counts(app: &App) -> Result<SubscriberCounts, Error> {
    app.db(|conn| {
        let mut counts = SubscriberCounts::default();
        for (status, n) in newsletter::subscriber_counts(conn)? {
            match status.as_str() {
                "pending" => counts.pending = n,
                "confirmed" => counts.confirmed = n,
                "unsubscribed" => counts.unsubscribed = n,
                "bounced" => counts.bounced = n,
                _ => {}
            }
        }
        Ok(counts)
    })
    .await
}

pub async fn subscribers(
    app: &App,
    search: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
) -> Result<Vec<Subscriber>, Error> {
    app.db(move |conn| Ok(newsletter::list_subscribers(conn, search.as_deref(), status.as_deref(), limit)?)).await
}

/// The subscriber list as CSV (RFC 4180 quoting).
pub fn to_csv(rows: &[Subscriber]) -> String {
    fn field(value: &str) -> String {
        // A leading = + - @ would make a spreadsheet read the cell as a formula.
        let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
        if value.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value
        }
    }
    let time = |t: Option<NaiveDateTime>| t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default();
    let mut csv = String::from("email,status,subscribed_at,confirmed_at,unsubscribed_at\r\n");
    for row in rows {
        csv.push_str(&format!(
            "{},{},{},{},{}\r\n",
            field(&row.email),
            row.status,
            time(Some(row.created_at)),
            time(row.confirmed_at),
            time(row.unsubscribed_at)
        ));
    }
    csv
}

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

impl IssueForm {
    fn render(&self) -> Result<RenderedIssue, Invalid> {
        let subject = self.subject.trim();
        if subject.is_empty() || subject.chars().count() > 200 {
            return Err(Invalid::new("subject", "Give the issue a subject of at most 200 characters."));
        }
        let body = self.body.trim();
        if body.is_empty() {
            return Err(Invalid::new("body", "Write the issue before saving it."));
        }
        Ok(RenderedIssue {
            subject: subject.to_owned(),
            body_md: body.to_owned(),
            body_html: markdown::render_article(body),
            body_text: body.to_owned(),
        })
    }
}

pub async fn create_issue(app: &App, admin: &User, form: IssueForm, kind: &'static str) -> Result<Issue, Error> {
    let rendered = form.render()?;
    let admin_id = admin.id;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let content = IssueContent {
            subject: &rendered.subject,
            body_md: &rendered.body_md,
            body_html: &rendered.body_html,
            body_text: &rendered.body_text,
        };
        Ok(newsletter::insert_issue(conn, &content, kind, Some(admin_id), clock.now())?)
    })
    .await
}

pub async fn update_issue(app: &App, id: i64, form: IssueForm) -> Result<Issue, Error> {
    let rendered = form.render()?;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let content = IssueContent {
            subject: &rendered.subject,
            body_md: &rendered.body_md,
            body_html: &rendered.body_html,
            body_text: &rendered.body_text,
        };
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

pub async fn issue(app: &App, id: i64) -> Result<Issue, Error> {
    app.db(move |conn| newsletter::find_issue(conn, id)?.ok_or_else(|| Error::not_found("That issue"))).await
}

pub async fn issues(app: &App) -> Result<Vec<Issue>, Error> {
    app.db(|conn| Ok(newsletter::list_issues(conn, 50)?)).await
}

/// The e-mail of an issue for one recipient: multipart text and HTML, with their own
/// one-click unsubscribe link.
pub fn issue_email(issue: &Issue, to: &str, unsubscribe_url: Option<&str>, base_url: &str) -> Email {
    let footer_text = match unsubscribe_url {
        Some(url) => format!(
            "\n\n--\nYou receive this because you subscribed at {base_url}.\nUnsubscribe with one click: {url}\n"
        ),
        None => format!("\n\n--\nA test of this issue, sent from {base_url}.\n"),
    };
    let footer_html = match unsubscribe_url {
        Some(url) => format!(
            "<hr><p style=\"font-size:12px;color:#555\">You receive this because you subscribed at {}. <a href=\"{}\">Unsubscribe</a> with one click.</p>",
            html_escape(base_url),
            html_escape(url)
        ),
        None => "<hr><p style=\"font-size:12px;color:#555\">A test of this issue.</p>".to_owned(),
    };
    Email {
        to: to.to_owned(),
        subject: issue.subject.clone(),
        text: format!("{}{footer_text}", issue.body_text),
        html: Some(format!(
            "<!DOCTYPE html><html><body style=\"font-family:Georgia,serif;max-width:640px;margin:auto;line-height:1.5\"><h1>{}</h1>{}{footer_html}</body></html>",
            html_escape(&issue.subject),
            issue.body_html
        )),
        unsubscribe_url: unsubscribe_url.map(str::to_owned),
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Send a test of an issue to the admin alone.
pub async fn send_test(app: &App, admin: &User, id: i64) -> Result<(), Error> {
    let to = admin.email.clone();
    let base = app.settings.base_url.clone();
    let clock = app.clock.clone();
    app.write(move |conn| {
        let issue = newsletter::find_issue(conn, id)?.ok_or_else(|| Error::not_found("That issue"))?;
        let now = clock.now();
        let email = issue_email(&issue, &to, None, &base);
        let mut test = NewMessage::plain(
            "newsletter_test",
            format!("test:{id}:{}", now.and_utc().timestamp_micros()),
            &to,
            format!("[Test] {}", email.subject),
            email.text,
            now,
        );
        test.body_html = email.html;
        outbox::enqueue(conn, &test)?;
        Ok(())
    })
    .await
}

/// Send an issue to every confirmed subscriber: one outbox row each, written with the status
/// change in one transaction. Returns the number of recipients.
pub async fn send(app: &App, id: i64) -> Result<i64, Error> {
    let clock = app.clock.clone();
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
}

pub async fn progress(app: &App, id: i64) -> Result<Progress, Error> {
    let clock = app.clock.clone();
    app.db(move |conn| {
        let issue = newsletter::find_issue(conn, id)?.ok_or_else(|| Error::not_found("That issue"))?;
        let mut progress = Progress { recipients: issue.recipients, ..Progress::default() };
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
        Ok(progress)
    })
    .await
}

/// Send again the messages of an issue whose delivery is unknown (or that failed).
pub async fn resend(app: &App, id: i64, status: &'static str) -> Result<usize, Error> {
    let clock = app.clock.clone();
    app.write(move |conn| Ok(outbox::requeue(conn, Some(id), status, clock.now())?)).await
}

/// A digest draft: the articles of the last 7 days and the most discussed of them.
pub async fn compose_digest(app: &App, admin: Option<&User>) -> Result<Issue, Error> {
    let (base, site) = (app.settings.base_url.clone(), site_name(app).to_owned());
    let admin_id = admin.map(|a| a.id);
    let clock = app.clock.clone();
    app.write(move |conn| compose_digest_in(conn, &base, &site, admin_id, clock.now())).await
}

fn compose_digest_in(
    conn: &mut DbConnection,
    base: &str,
    site: &str,
    admin_id: Option<i64>,
    now: NaiveDateTime,
) -> Result<Issue, Error> {
    let recent: Vec<_> = articles::list_published(conn, now, 200)?
        .into_iter()
        .filter(|a| a.published_at.is_some_and(|at| at >= now - Duration::days(7)))
        .collect();
    let mut body = format!("Here is what happened on {site} this week.\n\n## New articles\n\n");
    if recent.is_empty() {
        body.push_str("Nothing new was published this week.\n");
    }
    for a in &recent {
        body.push_str(&format!("- [{}]({base}/articles/{}) by {}: {}\n", a.title, a.slug, a.author_name, a.summary));
    }
    let mut discussed: Vec<_> = recent.iter().filter(|a| a.comment_count > 0).collect();
    discussed.sort_by_key(|a| std::cmp::Reverse(a.comment_count));
    if !discussed.is_empty() {
        body.push_str("\n## Most discussed\n\n");
        for a in discussed.iter().take(5) {
            body.push_str(&format!(
                "- [{}]({base}/articles/{}#comments): {} comments\n",
                a.title, a.slug, a.comment_count
            ));
        }
    }
    let subject = format!("{site}: the week in review, {}", now.format("%-d %B %Y"));
    let html = markdown::render_article(&body);
    let content = IssueContent { subject: &subject, body_md: &body, body_html: &html, body_text: &body };
    Ok(newsletter::insert_issue(conn, &content, "digest", admin_id, now)?)
}

/// When the weekly digest goes out by itself: a weekday and a time, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestSchedule {
    pub weekday: chrono::Weekday,
    pub hour: u32,
    pub minute: u32,
}

impl DigestSchedule {
    /// "off", or a weekday and a time such as "mon 08:00".
    pub fn parse(input: &str) -> Result<Option<DigestSchedule>, String> {
        let input = input.trim().to_ascii_lowercase();
        if input.is_empty() || input == "off" {
            return Ok(None);
        }
        let invalid =
            || format!("the digest schedule is \"off\" or a weekday and a UTC time like \"mon 08:00\", not {input:?}");
        let (day, time) = input.split_once(' ').ok_or_else(invalid)?;
        let weekday: chrono::Weekday = day.parse().map_err(|_| invalid())?;
        let (hour, minute) = time.trim().split_once(':').ok_or_else(invalid)?;
        let (hour, minute): (u32, u32) = (hour.parse().map_err(|_| invalid())?, minute.parse().map_err(|_| invalid())?);
        if hour > 23 || minute > 59 {
            return Err(invalid());
        }
        Ok(Some(DigestSchedule { weekday, hour, minute }))
    }

    /// The most recent scheduled moment at or before `now`.
    pub fn last_slot(&self, now: NaiveDateTime) -> NaiveDateTime {
        use chrono::Datelike;
        let days_back =
            (7 + now.weekday().num_days_from_monday() as i64 - self.weekday.num_days_from_monday() as i64) % 7;
        let day = now.date() - Duration::days(days_back);
        let slot = day.and_hms_opt(self.hour, self.minute, 0).expect("a valid time");
        if slot > now {
            slot - Duration::days(7)
        } else {
            slot
        }
    }
}

/// Compose and send this week's digest if its time has come and it has not gone out yet.
/// Instances race harmlessly: the check and the send are one transaction, serialised by
/// SQLite's single writer or a PostgreSQL advisory lock.
pub async fn send_scheduled_digest(app: &App, schedule: DigestSchedule) -> Result<Option<i64>, Error> {
    let (base, site) = (app.settings.base_url.clone(), site_name(app).to_owned());
    let clock = app.clock.clone();
    app.write(move |conn| {
        let now = clock.now();
        let slot = schedule.last_slot(now);
        if now - slot > Duration::hours(24) {
            return Ok(None);
        }
        if let DbConnection::Pg(pg) = conn {
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT pg_advisory_xact_lock(7266872)").execute(pg)?;
        }
        if newsletter::latest_digest_since(conn, slot)? {
            return Ok(None);
        }
        let issue = compose_digest_in(conn, &base, &site, None, now)?;
        newsletter::start_sending(conn, issue.id, now)?;
        let recipients = outbox::enqueue_issue(conn, issue.id, &issue.subject, now)? as i64;
        newsletter::set_recipients(conn, issue.id, recipients)?;
        Ok(Some(issue.id))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_schedules_parse_and_find_their_slot() {
        assert_eq!(DigestSchedule::parse("off").unwrap(), None);
        let monday = DigestSchedule::parse("Mon 08:30").unwrap().unwrap();
        assert_eq!((monday.weekday, monday.hour, monday.minute), (chrono::Weekday::Mon, 8, 30));
        assert!(DigestSchedule::parse("someday").is_err());
        assert!(DigestSchedule::parse("mon 25:00").is_err());
        // Sunday 22 November 2026, 12:00: the last Monday 08:30 was the 16th.
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap().and_hms_opt(12, 0, 0).unwrap();
        assert_eq!(
            monday.last_slot(now),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap().and_hms_opt(8, 30, 0).unwrap()
        );
        let sunday = DigestSchedule::parse("sun 12:00").unwrap().unwrap();
        assert_eq!(sunday.last_slot(now), now);
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap().and_hms_opt(12, 0, 0).unwrap();
        let row = SubscriberRow {
            id: 1,
            email: "odd,\"name\"@example.com".into(),
            email_key: String::new(),
            status: "confirmed".into(),
            user_id: None,
            confirm_token_hash: None,
            confirm_expires_at: None,
            confirm_sent_at: None,
            unsubscribe_token: String::new(),
            created_at: now,
            confirmed_at: Some(now),
            unsubscribed_at: None,
        };
        let csv = to_csv(&[row]);
        assert!(
            csv.contains("\"odd,\"\"name\"\"@example.com\",confirmed,2026-11-22T12:00:00Z,2026-11-22T12:00:00Z,"),
            "{csv}"
        );
    }
}
