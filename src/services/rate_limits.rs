//! Rate limits. Their state is in the database, so they hold across instances.
//! `CIVIL_RATE_LIMITS=off` turns them all off.

use chrono::{Duration, NaiveDateTime};

use super::App;
use crate::error::Error;
use crate::store::{rate_events, DbConnection};

/// An action counted per subject (an IP address, or an account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Register,
    SignInFailure,
    SignInFailureForAccount,
    Subscribe,
}

impl Action {
    fn key(self) -> &'static str {
        match self {
            Action::Register => "register",
            Action::SignInFailure => "sign_in_failure",
            Action::SignInFailureForAccount => "sign_in_failure_account",
            Action::Subscribe => "subscribe",
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

/// Refuse when `subject` already did `action` `limit.max` times within the window.
pub fn check(
    conn: &mut DbConnection,
    action: Action,
    subject: &str,
    limit: Limit,
    now: NaiveDateTime,
    message: &str,
) -> Result<(), Error> {
    let (count, earliest) = rate_events::count_since(conn, action.key(), subject, now - limit.window)?;
    if count >= limit.max {
        let free_at = earliest.unwrap_or(now) + limit.window;
        let wait = seconds_until(now, free_at);
        return Err(limited(wait, format!("{message} Try again in {}.", human_wait(wait))));
    }
    Ok(())
}

pub fn record(conn: &mut DbConnection, action: Action, subject: &str, now: NaiveDateTime) -> Result<(), Error> {
    rate_events::record(conn, action.key(), subject, now)?;
    Ok(())
}

pub fn clear(conn: &mut DbConnection, action: Action, subject: &str) -> Result<(), Error> {
    rate_events::clear(conn, action.key(), subject)?;
    Ok(())
}

/// After repeated failed sign-ins to one account, each further try waits longer: 2 s after the
/// fourth failure, doubling each time, capped at 15 minutes. The wait only slows guessing: the
/// owner can always sign in once it has passed, and a success clears the count.
pub fn account_delay(failures: i64) -> Duration {
    const FREE_TRIES: i64 = 3;
    if failures <= FREE_TRIES {
        return Duration::zero();
    }
    let exponent = (failures - FREE_TRIES).min(10) as u32;
    Duration::seconds((1i64 << exponent).min(15 * 60))
}

/// Check the growing delay for an account before verifying its password.
pub fn check_account_delay(conn: &mut DbConnection, account_key: &str, now: NaiveDateTime) -> Result<(), Error> {
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
    fn waits_read_naturally() {
        assert_eq!(human_wait(1), "a second");
        assert_eq!(human_wait(30), "30 seconds");
        assert_eq!(human_wait(61), "a minute");
        assert_eq!(human_wait(3000), "50 minutes");
        assert_eq!(human_wait(86_000), "24 hours");
    }
}
