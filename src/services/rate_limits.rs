//! Rate limits. Their state is in the database, so they hold across instances.
//! `CIVIL_RATE_LIMITS=off` turns them all off.
//!
//! A limit is checked and its event recorded in one write transaction, with the
//! (action, subject) pair locked in between, so concurrent requests on any instance are counted
//! one after another and none slips through between another's check and its record.

use chrono::{Duration, NaiveDateTime};

use super::App;
use crate::error::Error;
use crate::store::{rate_events, DbConnection};

/// An action counted per subject (an IP address, or an account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Register,
    SignInFailure,
    /// Keyed by account and client address together, so that failures from one address never
    /// delay the owner signing in from another.
    SignInFailureForAccount,
    Subscribe,
    PasswordReset,
    Vote,
    /// A comment or an edit the moderation policy refused: it writes the moderation log, so it
    /// waits out the posting interval like a published comment.
    RejectedPost,
}

impl Action {
    fn key(self) -> &'static str {
        match self {
            Action::Register => "register",
            Action::SignInFailure => "sign_in_failure",
            Action::SignInFailureForAccount => "sign_in_failure_account",
            Action::Subscribe => "subscribe",
            Action::PasswordReset => "password_reset",
            Action::Vote => "vote",
            Action::RejectedPost => "rejected_post",
        }
    }
}

/// At most `max` events per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i64,
    pub window: Duration,
}

pub fn seconds_until(now: NaiveDateTime, then: NaiveDateTime) -> u64 {
    (then - now).num_seconds().max(1) as u64
}

pub fn limited(retry_after: u64, message: impl Into<String>) -> Error {
    Error::RateLimited { retry_after, message: message.into() }
}

/// The advisory lock key of an (action, subject) pair: FNV-1a, so every instance and every
/// version of Civil computes the same key.
fn lock_key(action: Action, subject: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in action.key().bytes().chain([0]).chain(subject.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// Hold off concurrent checks of the same (action, subject) until this transaction ends.
fn lock(conn: &mut DbConnection, action: Action, subject: &str) -> Result<(), Error> {
    rate_events::lock(conn, lock_key(action, subject))?;
    Ok(())
}

/// Refuse when `subject` already did `action` `limit.max` times within the window. Call it in
/// the write transaction that then records the event: it locks the pair until that ends.
pub fn check(
    conn: &mut DbConnection,
    action: Action,
    subject: &str,
    limit: Limit,
    now: NaiveDateTime,
    message: &str,
) -> Result<(), Error> {
    lock(conn, action, subject)?;
    let (count, earliest) = rate_events::count_since(conn, action.key(), subject, now - limit.window)?;
    if count >= limit.max {
        let free_at = earliest.unwrap_or(now) + limit.window;
        let wait = seconds_until(now, free_at);
        return Err(limited(wait, format!("{message} Try again in {}.", human_wait(wait))));
    }
    Ok(())
}

/// Record an event; the id lets `release` take it back.
pub fn record(conn: &mut DbConnection, action: Action, subject: &str, now: NaiveDateTime) -> Result<i64, Error> {
    Ok(rate_events::record(conn, action.key(), subject, now)?)
}

/// Check the limit and count this event in one step.
pub fn take(
    conn: &mut DbConnection,
    action: Action,
    subject: &str,
    limit: Limit,
    now: NaiveDateTime,
    message: &str,
) -> Result<i64, Error> {
    check(conn, action, subject, limit, now, message)?;
    record(conn, action, subject, now)
}

/// Take back an event recorded for something that did not happen after all.
pub fn release(conn: &mut DbConnection, event: i64) -> Result<(), Error> {
    rate_events::delete(conn, event)?;
    Ok(())
}

pub fn clear(conn: &mut DbConnection, action: Action, subject: &str) -> Result<(), Error> {
    rate_events::clear(conn, action.key(), subject)?;
    Ok(())
}

/// Refuse when `subject` did `action` less than `interval` ago; `message` is given the wait.
pub fn check_interval(
    conn: &mut DbConnection,
    action: Action,
    subject: &str,
    interval: Duration,
    now: NaiveDateTime,
    message: impl FnOnce(u64) -> String,
) -> Result<(), Error> {
    lock(conn, action, subject)?;
    if let Some(last) = rate_events::latest(conn, action.key(), subject)? {
        if last + interval > now {
            let wait = seconds_until(now, last + interval);
            return Err(limited(wait, message(wait)));
        }
    }
    Ok(())
}

/// A limit counted in this process only, per account, in fixed windows: for work that costs
/// this instance CPU and writes nothing (previews while a reader types), where a database row
/// per request would cost more than the work it guards. Each instance allows the limit, so
/// behind N instances a reader may do N times as much, which is harmless for such work.
#[derive(Debug)]
pub struct LocalLimit {
    limit: Limit,
    /// Account id -> (start of its current window, events in it).
    windows: std::sync::Mutex<std::collections::HashMap<i64, (NaiveDateTime, i64)>>,
}

impl LocalLimit {
    pub fn new(limit: Limit) -> LocalLimit {
        LocalLimit { limit, windows: Default::default() }
    }

    /// Count one event for `account`, or refuse with `message` and the wait.
    pub fn take(&self, account: i64, now: NaiveDateTime, message: &str) -> Result<(), Error> {
        // A poisoned lock only means another request panicked mid-count: the counts are fine.
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Windows that have ended count for nothing; dropping them keeps the map to the
        // accounts active in the last window.
        if windows.len() > 1_000 {
            windows.retain(|_, (start, _)| *start + self.limit.window > now);
        }
        let (start, count) = windows.entry(account).or_insert((now, 0));
        if *start + self.limit.window <= now {
            (*start, *count) = (now, 0);
        }
        if *count >= self.limit.max {
            let wait = seconds_until(now, *start + self.limit.window);
            return Err(limited(wait, format!("{message} Try again in {}.", human_wait(wait))));
        }
        *count += 1;
        Ok(())
    }
}

/// A sign-in attempt in progress. It counts as a failure from the start, so that attempts
/// running at the same time see each other; `sign_in_succeeded` takes it back.
#[derive(Debug, Clone)]
pub struct SignInAttempt {
    ip_event: i64,
    account_subject: String,
}

/// The subject of the per-account delay: the account (or, for a login no account has, that
/// login, so both cost the same) as seen from one client address.
pub fn account_subject(account: &str, ip: &str) -> String {
    format!("{account} from {ip}")
}

/// Before a password is checked: refuse while this account must wait after failures from
/// `ip`, or when `ip` has failed too often; otherwise count the attempt as a failure.
pub fn begin_sign_in(
    conn: &mut DbConnection,
    account: &str,
    ip: &str,
    per_ip: Limit,
    now: NaiveDateTime,
) -> Result<SignInAttempt, Error> {
    let account_subject = account_subject(account, ip);
    lock(conn, Action::SignInFailureForAccount, &account_subject)?;
    check_account_delay(conn, &account_subject, now)?;
    let ip_event = take(conn, Action::SignInFailure, ip, per_ip, now, "Too many failed sign-ins from your network.")?;
    record(conn, Action::SignInFailureForAccount, &account_subject, now)?;
    Ok(SignInAttempt { ip_event, account_subject })
}

/// The password was right: the attempt was no failure, and the account's delay from this
/// address starts again from nothing.
pub fn sign_in_succeeded(conn: &mut DbConnection, attempt: &SignInAttempt) -> Result<(), Error> {
    release(conn, attempt.ip_event)?;
    clear(conn, Action::SignInFailureForAccount, &attempt.account_subject)
}

/// After repeated failed sign-ins to one account from one address, each further try from there
/// waits longer: 2 s after the fourth failure, doubling each time, capped at 15 minutes. Only
/// that address waits: the owner elsewhere signs in as usual, and a success clears the count.
pub fn account_delay(failures: i64) -> Duration {
    const FREE_TRIES: i64 = 3;
    if failures <= FREE_TRIES {
        return Duration::zero();
    }
    let exponent = (failures - FREE_TRIES).min(10) as u32;
    Duration::seconds((1i64 << exponent).min(15 * 60))
}

/// Check the growing delay for an account, from one address, before verifying its password.
fn check_account_delay(conn: &mut DbConnection, account_key: &str, now: NaiveDateTime) -> Result<(), Error> {
    let action = Action::SignInFailureForAccount.key();
    let (failures, _) = rate_events::count_since(conn, action, account_key, now - Duration::days(1))?;
    let delay = account_delay(failures);
    if delay > Duration::zero() {
        if let Some(last) = rate_events::latest(conn, action, account_key)? {
            if last + delay > now {
                let wait = seconds_until(now, last + delay);
                return Err(limited(
                    wait,
                    format!("Too many failed sign-ins to this account. Wait {} and try again.", human_wait(wait)),
                ));
            }
        }
    }
    Ok(())
}

pub fn human_wait(seconds: u64) -> String {
    match seconds {
        0..=1 => "a second".into(),
        2..=59 => format!("{seconds} seconds"),
        60..=119 => "a minute".into(),
        120..=3599 => format!("{} minutes", seconds.div_ceil(60)),
        3600..=7199 => "an hour".into(),
        _ => format!("{} hours", seconds.div_ceil(3600)),
    }
}

impl App {
    pub fn limits_on(&self) -> bool {
        self.settings.rate_limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_limit_counts_per_account_and_window() {
        let at = |s: i64| chrono::DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap().naive_utc();
        let limit = LocalLimit::new(Limit { max: 2, window: Duration::minutes(1) });
        assert!(limit.take(1, at(0), "Slow down.").is_ok());
        assert!(limit.take(1, at(10), "Slow down.").is_ok());
        match limit.take(1, at(20), "Slow down.") {
            Err(Error::RateLimited { retry_after, message }) => {
                assert_eq!(retry_after, 40);
                assert_eq!(message, "Slow down. Try again in 40 seconds.");
            }
            other => panic!("{other:?}"),
        }
        assert!(limit.take(2, at(20), "Slow down.").is_ok(), "another account has its own count");
        assert!(limit.take(1, at(60), "Slow down.").is_ok(), "a new window");
    }

    #[test]
    fn the_account_delay_grows_and_is_capped() {
        assert_eq!(account_delay(0), Duration::zero());
        assert_eq!(account_delay(3), Duration::zero());
        assert_eq!(account_delay(4), Duration::seconds(2));
        assert_eq!(account_delay(5), Duration::seconds(4));
        assert_eq!(account_delay(40), Duration::seconds(900));
        let mut previous = Duration::zero();
        for n in 0..100 {
            assert!(account_delay(n) >= previous);
            previous = account_delay(n);
        }
    }

    #[test]
    fn lock_keys_are_stable_and_tell_pairs_apart() {
        assert_eq!(lock_key(Action::Vote, "17"), lock_key(Action::Vote, "17"));
        assert_ne!(lock_key(Action::Vote, "17"), lock_key(Action::Vote, "18"));
        assert_ne!(lock_key(Action::Vote, "17"), lock_key(Action::RejectedPost, "17"));
        // The same on every instance and in every version: it is part of the protocol.
        assert_eq!(lock_key(Action::Register, ""), 0x8126_287c_71be_79e0_u64 as i64);
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(human_wait(1), "a second");
        assert_eq!(human_wait(30), "30 seconds");
        assert_eq!(human_wait(61), "a minute");
        assert_eq!(human_wait(3000), "50 minutes");
        assert_eq!(human_wait(86_000), "24 hours");
    }
}
