//! The one source of "now" for rules that depend on time: the edit window, auto-close, link and
//! session lifetimes, rate limits, retry backoff and the digest schedule.
//!
//! In production it is the system clock. Tests build the app with a movable clock and move it
//! forward, so a rule about time is tested by moving time rather than by rewriting rows.
//! Sleeping and timeouts between processes are wall-clock matters and use `std::time::Instant`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{NaiveDateTime, TimeDelta, Utc};

/// UTC "now", cheap to clone and to read; every clone of a movable clock moves together.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// How far a movable clock runs ahead of the system clock, in microseconds (the precision
    /// PostgreSQL keeps). `None` is the system clock, read with nothing in between.
    ahead: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock, which nothing can move.
    pub fn system() -> Clock {
        Clock { ahead: None }
    }

    /// A clock that starts at the system time and keeps running with it, and that `advance` and
    /// `set` move. Time keeps flowing so that rows written one after another still get
    /// increasing timestamps, as they do in production.
    pub fn movable() -> Clock {
        Clock { ahead: Some(Arc::new(AtomicI64::new(0))) }
    }

    /// The current UTC time, as the database stores it.
    pub fn now(&self) -> NaiveDateTime {
        let system = Utc::now().naive_utc();
        match &self.ahead {
            None => system,
            Some(ahead) => system + TimeDelta::microseconds(ahead.load(Ordering::Relaxed)),
        }
    }

    /// Move the clock forward (or back, with a negative duration) for every clone of it.
    ///
    /// # Panics
    /// On the system clock: only a clock built with `movable` can be moved.
    pub fn advance(&self, by: TimeDelta) {
        let micros = by.num_microseconds().expect("a clock moves by less than 290,000 years");
        self.ahead().fetch_add(micros, Ordering::Relaxed);
    }

    /// Make it `at` now; the clock keeps running from there.
    ///
    /// # Panics
    /// On the system clock, as `advance`.
    pub fn set(&self, at: NaiveDateTime) {
        let ahead = self.ahead();
        let micros = (at - Utc::now().naive_utc()).num_microseconds().expect("a clock is set within 290,000 years");
        ahead.store(micros, Ordering::Relaxed);
    }

    fn ahead(&self) -> &AtomicI64 {
        self.ahead.as_deref().expect("the system clock cannot be moved; build the app with Clock::movable()")
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeDelta, Utc};

    use super::Clock;

    /// Within this of the expected time: the clock keeps running while a test reads it.
    fn close(a: chrono::NaiveDateTime, b: chrono::NaiveDateTime) -> bool {
        (a - b).abs() < TimeDelta::seconds(5)
    }

    #[test]
    fn the_system_clock_reads_the_system_time() {
        let before = Utc::now().naive_utc();
        let now = Clock::system().now();
        assert!(before <= now && now <= Utc::now().naive_utc());
    }

    #[test]
    fn a_movable_clock_starts_at_the_system_time_and_keeps_running() {
        let clock = Clock::movable();
        let before = Utc::now().naive_utc();
        let first = clock.now();
        assert!(before <= first && first <= Utc::now().naive_utc());
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(clock.now() > first, "time flows on a movable clock too");
    }

    #[test]
    fn advancing_moves_every_clone() {
        let clock = Clock::movable();
        let clone = clock.clone();
        let start = clock.now();
        clone.advance(TimeDelta::days(3));
        assert!(close(clock.now(), start + TimeDelta::days(3)), "{} vs {}", clock.now(), start);
        clock.advance(TimeDelta::hours(-1));
        assert!(close(clone.now(), start + TimeDelta::days(3) - TimeDelta::hours(1)));
        assert!(clone.now() >= start + TimeDelta::days(3) - TimeDelta::hours(1));
    }

    #[test]
    fn setting_jumps_to_a_time_and_runs_on_from_it() {
        let clock = Clock::movable();
        let at = NaiveDate::from_ymd_opt(2030, 1, 7).unwrap().and_hms_opt(9, 0, 0).unwrap();
        clock.set(at);
        let now = clock.now();
        assert!(now >= at && close(now, at), "{now} vs {at}");
        clock.advance(TimeDelta::minutes(90));
        assert!(close(clock.now(), at + TimeDelta::minutes(90)));
        clock.set(at - TimeDelta::days(400));
        assert!(close(clock.now(), at - TimeDelta::days(400)), "a clock can be set back");
    }

    #[test]
    #[should_panic(expected = "the system clock cannot be moved")]
    fn the_system_clock_cannot_be_moved() {
        Clock::system().advance(TimeDelta::minutes(1));
    }

    /// Every file under `src`, with its path relative to `src`.
    fn sources(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }

    /// A rule that read the wall clock itself could not be tested by moving time. The mailer
    /// may: it only names `.eml` files with the time, and it has no app to ask.
    #[test]
    fn nothing_else_reads_the_wall_clock() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root, &root, &mut files);
        assert!(files.len() > 20, "found the sources");
        let mut readers = Vec::new();
        for (name, text) in &files {
            if name == "clock.rs" || name.starts_with("email/") {
                continue;
            }
            for (number, line) in text.lines().enumerate() {
                if ["Utc::now(", "Local::now(", "SystemTime::now("].iter().any(|call| line.contains(call)) {
                    readers.push(format!("src/{name}:{}: {}", number + 1, line.trim()));
                }
            }
        }
        assert!(readers.is_empty(), "read the time from `app.clock` instead:\n{}", readers.join("\n"));
    }

    #[test]
    fn the_default_clock_is_the_system_clock() {
        assert!(Clock::default().ahead.is_none());
    }
}
