//! The weekly digest: a draft of the week's articles, composed on demand or sent by itself on
//! a schedule.

use chrono::{Duration, NaiveDateTime};

use super::Issue;
use crate::domain::role::Role;
use crate::email::templates::{self, DigestArticle, Site};
use crate::error::Error;
use crate::services::Actor;
use crate::services::App;
use crate::store::newsletter::{self, IssueContent};
use crate::store::outbox;
use crate::store::{articles, DbConnection};

/// A digest draft: the articles of the last 7 days and the most discussed of them.
pub async fn compose_digest(app: &App, by: Actor<'_>) -> Result<Issue, Error> {
    let clock = app.clock.clone();
    let admin_id = by.require(Role::Admin)?.map(|a| a.id);
    let site = Site::of(app);
    app.write(move |conn| compose_digest_in(conn, &site, admin_id, clock.now())).await
}

fn compose_digest_in(
    conn: &mut DbConnection,
    site: &Site,
    admin_id: Option<i64>,
    now: NaiveDateTime,
) -> Result<Issue, Error> {
    let recent: Vec<DigestArticle> = articles::list_published(conn, now, 200)?
        .into_iter()
        .filter(|a| a.published_at.is_some_and(|at| at >= now - Duration::days(7)))
        .map(|a| DigestArticle {
            link: site.link(&format!("/articles/{}", a.slug)),
            title: a.title,
            author: a.author_name,
            summary: a.summary,
            comments: a.comment_count,
        })
        .collect();
    let mut discussed: Vec<DigestArticle> = recent.iter().filter(|a| a.comments > 0).cloned().collect();
    discussed.sort_by_key(|a| std::cmp::Reverse(a.comments));
    discussed.truncate(5);
    let digest = templates::digest(site, now.date(), &recent, &discussed);
    let html = digest.html.into_string();
    let content =
        IssueContent { subject: &digest.subject, body_md: &digest.text, body_html: &html, body_text: &digest.text };
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
    let clock = app.clock.clone();
    let site = Site::of(app);
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
        let issue = compose_digest_in(conn, &site, None, now)?;
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
}
