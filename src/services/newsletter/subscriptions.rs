//! Subscriptions: double opt-in, one-click unsubscribe, a verified reader's one-click
//! subscription, and the admin's list of subscribers.

use chrono::{Duration, NaiveDateTime};

use super::{unsubscribe_link, Subscriber};
use crate::domain::account::User;
use crate::domain::email::EmailAddress;
use crate::domain::links::{LinkState, CONFIRM_RESEND_AFTER, CONFIRM_VALID};
use crate::domain::role::Role;
use crate::email::templates::{self, Site};
use crate::error::Error;
use crate::services::require_role;
use crate::services::{rate_limits, tokens, App};
use crate::store::newsletter::{self, SubscriberRow};
use crate::store::outbox::{self, NewMessage};
use crate::store::DbConnection;

/// Subscribe an address. The answer is the same whether or not the address is known, and so is
/// the work: every request records itself (which also feeds the per-IP limit) and commits, and
/// an e-mail goes out (a confirmation, or for a confirmed subscriber a note that they already
/// are) at most once per 10 minutes per address.
pub async fn subscribe(app: &App, email: &str, ip: Option<&str>, user_id: Option<i64>) -> Result<(), Error> {
    let clock = app.clock.clone();
    let email = EmailAddress::parse(email)?;
    let subject = ip.unwrap_or("unknown").to_owned();
    let limit = app
        .limits_on()
        .then(|| rate_limits::Limit { max: app.settings.limits.subscriptions_per_hour, window: Duration::hours(1) });
    let site = Site::of(app);
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
            let unsubscribe = unsubscribe_link(&site, &subscriber.unsubscribe_token);
            let message = templates::already_subscribed(&site, &subscriber.email, &unsubscribe);
            let key = format!("already:{}:{}", subscriber.id, now.and_utc().timestamp());
            outbox::enqueue(conn, &NewMessage::email("already_subscribed", key, &subscriber.email, message, now))?;
            return Ok(());
        }
        let token = tokens::random_token();
        let hash = tokens::hash(&token);
        newsletter::set_confirmation(conn, subscriber.id, &hash, now + CONFIRM_VALID, now)?;
        if subscriber.status != "pending" {
            // Resubscribing after unsubscribing (or a bounce) goes through double opt-in again.
            newsletter::set_subscriber_status(conn, subscriber.id, "pending", now)?;
        }
        let link = site.link(&format!("/newsletter/confirm/{token}"));
        let message = templates::subscription_confirmation(&site, &subscriber.email, &link);
        let key = format!("confirm:{}:{}", subscriber.id, &hash[..16]);
        let mut confirmation = NewMessage::email("confirm", key, &subscriber.email, message, now);
        confirmation.subscriber_id = Some(subscriber.id);
        outbox::enqueue(conn, &confirmation)?;
        Ok(())
    })
    .await
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
    let clock = app.clock.clone();
    let user_id = user.id;
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

/// A signed-in reader takes their own address off the list (no link needed: it is their account's).
pub async fn unsubscribe_account(app: &App, user: &User) -> Result<(), Error> {
    let clock = app.clock.clone();
    let user_id = user.id;
    app.write(move |conn| {
        let row = crate::store::users::find(conn, user_id)?.ok_or(Error::Unauthenticated)?;
        end_subscription(conn, &row.email_key, clock.now())
    })
    .await
}

/// Take an address off the list, if it is on it. The row stays, unsubscribed, so that nothing
/// is sent to the address again (an issue being sent skips it).
pub fn end_subscription(conn: &mut DbConnection, email_key: &str, now: NaiveDateTime) -> Result<(), Error> {
    if let Some(subscriber) = newsletter::find_subscriber_by_key(conn, email_key)? {
        if subscriber.status != "unsubscribed" {
            newsletter::set_subscriber_status(conn, subscriber.id, "unsubscribed", now)?;
        }
    }
    Ok(())
}

/// A reader's account moved to a new, proven address: their subscription goes with it, so that
/// the newsletter follows the account (the account page shows the new address's state) and stops
/// going to the address they left. An address that has its own row already keeps it, confirmed.
pub fn follow_account_address(
    conn: &mut DbConnection,
    old_key: &str,
    new_email: &str,
    new_key: &str,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let Some(old) = newsletter::find_subscriber_by_key(conn, old_key)?.filter(|s| s.status == "confirmed") else {
        return Ok(());
    };
    match newsletter::find_subscriber_by_key(conn, new_key)? {
        None => {
            newsletter::set_subscriber_address(conn, old.id, new_email, new_key)?;
        }
        Some(new) => {
            if new.status != "confirmed" {
                newsletter::set_subscriber_status(conn, new.id, "confirmed", now)?;
            }
            newsletter::set_subscriber_status(conn, old.id, "unsubscribed", now)?;
        }
    }
    Ok(())
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

pub async fn counts(app: &App, admin: &User) -> Result<SubscriberCounts, Error> {
    require_role(admin, Role::Admin)?;
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
    admin: &User,
    search: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
) -> Result<Vec<Subscriber>, Error> {
    require_role(admin, Role::Admin)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
