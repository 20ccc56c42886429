//! Live updates: what a reader's stream hears about a discussion and what a moderator's hears
//! about the queue. The rules, without I/O: which change makes which event, who may hear it,
//! how long the log keeps events, and where a stream that comes back starts again.

use chrono::{Duration, NaiveDateTime};

use super::thread::Status;

/// How long the event log keeps an event. A stream that comes back after a longer gap is told
/// to reload: what it missed may be gone.
pub const KEPT_FOR: Duration = Duration::hours(24);

/// What happened, as a stream names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A comment became public: posted, approved, or brought back.
    Published,
    /// A public comment's text changed.
    Edited,
    /// A public comment left public view: removed, deleted, or held again.
    Gone,
    /// The discussion stopped taking comments.
    Closed,
    /// The discussion takes comments again.
    Reopened,
    /// The moderation queue changed (for moderators only).
    Queue,
}

/// Who may hear an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone reading the discussion.
    Public,
    /// Moderators and admins.
    Staff,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Published, Kind::Edited, Kind::Gone, Kind::Closed, Kind::Reopened, Kind::Queue];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Published => "published",
            Kind::Edited => "edited",
            Kind::Gone => "gone",
            Kind::Closed => "closed",
            Kind::Reopened => "reopened",
            Kind::Queue => "queue",
        }
    }

    /// A kind as stored; `None` for a name this version does not know (written by a newer one).
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn audience(self) -> Audience {
        match self {
            Kind::Queue => Audience::Staff,
            _ => Audience::Public,
        }
    }
}

/// What readers see change when a comment moves from `was` to `now`: it appears when it becomes
/// published, and goes when it stops being published. A held comment is never public, so
/// nothing that happens to it before it is approved is news to readers.
pub fn on_status_change(was: Status, now: Status) -> Option<Kind> {
    match (was == Status::Published, now == Status::Published) {
        (false, true) => Some(Kind::Published),
        (true, false) => Some(Kind::Gone),
        _ => None,
    }
}

/// Whether the change moves a comment into or out of the queue's held tab.
pub fn changes_queue(was: Status, now: Status) -> bool {
    was != now && (was == Status::Pending || now == Status::Pending)
}

/// An edit is news to readers only while the comment is public.
pub fn on_edit(status: Status) -> Option<Kind> {
    (status == Status::Published).then_some(Kind::Edited)
}

/// Events created before this are pruned.
pub fn prune_before(now: NaiveDateTime) -> NaiveDateTime {
    now - KEPT_FOR
}

/// The id of the last event a stream received, as the browser sends it back (`Last-Event-ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventId(i64);

impl EventId {
    /// Digits only, as Civil writes them; anything else is no id at all (the stream starts
    /// afresh).
    pub fn parse(text: &str) -> Option<EventId> {
        let text = text.trim();
        if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok().map(EventId)
    }

    pub fn new(id: i64) -> EventId {
        EventId(id.max(0))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// Where a stream that received up to `last` continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Every event after this one is still in the log.
    After(EventId),
    /// Events it missed may have been pruned, or the id is not one this log gave out: the
    /// reader must load the discussion again.
    Reload,
}

/// `oldest` and `newest` are the ids the log holds now (`None` when it is empty). Ids grow by
/// one per event, so when the oldest kept is `last + 1` or less, nothing after `last` is gone.
pub fn resume(last: EventId, oldest: Option<i64>, newest: Option<i64>) -> Resume {
    let newest = newest.unwrap_or(0);
    if last.0 > newest {
        return Resume::Reload;
    }
    match oldest {
        Some(oldest) if last.0 < oldest - 1 => Resume::Reload,
        _ => Resume::After(last),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const STATUSES: [Status; 4] = [Status::Published, Status::Pending, Status::Removed, Status::Deleted];

    #[test]
    fn kinds_round_trip_and_only_the_queue_is_for_staff() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert_eq!(kind.audience() == Audience::Staff, kind == Kind::Queue);
        }
        assert_eq!(Kind::parse("vote"), None);
    }

    #[test]
    fn a_held_comment_is_news_only_to_moderators_until_approved() {
        assert_eq!(on_status_change(Status::Pending, Status::Published), Some(Kind::Published));
        assert_eq!(on_status_change(Status::Published, Status::Pending), Some(Kind::Gone));
        assert_eq!(on_status_change(Status::Pending, Status::Removed), None);
        assert_eq!(on_status_change(Status::Published, Status::Removed), Some(Kind::Gone));
        assert_eq!(on_status_change(Status::Published, Status::Deleted), Some(Kind::Gone));
        assert_eq!(on_status_change(Status::Removed, Status::Published), Some(Kind::Published));
        assert!(changes_queue(Status::Published, Status::Pending));
        assert!(changes_queue(Status::Pending, Status::Removed));
        assert!(!changes_queue(Status::Published, Status::Removed));
        assert_eq!(on_edit(Status::Pending), None);
        assert_eq!(on_edit(Status::Published), Some(Kind::Edited));
    }

    #[test]
    fn event_ids_are_digits() {
        assert_eq!(EventId::parse("42"), Some(EventId(42)));
        assert_eq!(EventId::parse(" 7 "), Some(EventId(7)));
        for bad in ["", "-1", "1e3", "0x10", "12a", "9999999999999999999", "+5"] {
            assert_eq!(EventId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn resuming() {
        assert_eq!(resume(EventId(10), Some(5), Some(20)), Resume::After(EventId(10)));
        assert_eq!(resume(EventId(4), Some(5), Some(20)), Resume::After(EventId(4)));
        assert_eq!(resume(EventId(3), Some(5), Some(20)), Resume::Reload, "event 4 was pruned");
        assert_eq!(resume(EventId(21), Some(5), Some(20)), Resume::Reload, "not an id this log gave");
        assert_eq!(resume(EventId(0), None, None), Resume::After(EventId(0)));
        assert_eq!(resume(EventId(20), Some(20), Some(20)), Resume::After(EventId(20)));
    }

    proptest! {
        /// Readers hear "published" exactly when a comment becomes public, and never about a
        /// comment that ends up held.
        #[test]
        fn status_events_follow_public_view(was in 0usize..4, now in 0usize..4) {
            let (was, now) = (STATUSES[was], STATUSES[now]);
            let event = on_status_change(was, now);
            prop_assert_eq!(event == Some(Kind::Published), was != Status::Published && now == Status::Published);
            if now == Status::Pending {
                prop_assert_ne!(event, Some(Kind::Published));
            }
            prop_assert!(event.is_none_or(|k| k.audience() == Audience::Public));
        }

        /// A stream continues after `last` only when every later event is still kept, and then
        /// exactly after `last`: nothing skipped, nothing sent twice.
        #[test]
        fn resume_never_skips(last in 0i64..1000, oldest in 1i64..1000, len in 0i64..1000) {
            let newest = oldest + len;
            match resume(EventId(last), Some(oldest), Some(newest)) {
                Resume::After(from) => {
                    prop_assert_eq!(from, EventId(last));
                    prop_assert!(last + 1 >= oldest && last <= newest);
                }
                Resume::Reload => prop_assert!(last + 1 < oldest || last > newest),
            }
        }

        #[test]
        fn ids_written_are_ids_read(id in 0i64..i64::MAX / 1000) {
            prop_assert_eq!(EventId::parse(&id.to_string()), Some(EventId(id)));
        }
    }
}
