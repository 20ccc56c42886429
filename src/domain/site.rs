//! Site settings that admins change in the UI: the moderation policy, the auto-close period and
//! the word lists, with the form that edits them.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};

use super::moderation::{PolicySettings, Premoderation};
use super::profanity::SiteWordLists;
use super::thread::Sort;
use super::Invalid;

/// What the auto-close rule needs to know about an article's discussion.
pub struct Discussion {
    /// False once a moderator (or the auto-close sweep) closed it.
    pub open: bool,
    pub published_at: Option<NaiveDateTime>,
    /// Set when a moderator reopened it: auto-close leaves it open from then on.
    pub reopened_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteSettings {
    pub policy: PolicySettings,
    /// Close discussions this many days after publication; 0 leaves them open.
    pub auto_close_days: u32,
    /// The order a discussion opens in when the reader has not chosen one.
    pub default_sort: Sort,
    pub words: SiteWordLists,
}

fn words_to_text(words: &[String]) -> String {
    words.join("\n")
}

fn text_to_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> =
        text.split(['\n', ',']).map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).collect();
    words.sort();
    words.dedup();
    words
}

impl SiteSettings {
    /// Closed by a moderator, or automatically `auto_close_days` after publication unless a
    /// moderator reopened it.
    pub fn is_discussion_closed(&self, discussion: &Discussion, now: NaiveDateTime) -> bool {
        !discussion.open
            || (self.auto_close_days > 0
                && discussion.reopened_at.is_none()
                && discussion
                    .published_at
                    .is_some_and(|at| at + Duration::days(i64::from(self.auto_close_days)) <= now))
    }

    /// Settings from their stored (key, value) pairs; a missing or unreadable value takes its
    /// default.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> SiteSettings {
        let map: HashMap<String, String> = pairs.into_iter().collect();
        let defaults = PolicySettings::default();
        let number = |key: &str, default: u32| map.get(key).and_then(|v| v.parse().ok()).unwrap_or(default);
        SiteSettings {
            policy: PolicySettings {
                premoderation: map
                    .get("premoderation")
                    .and_then(|v| Premoderation::parse(v).ok())
                    .unwrap_or(defaults.premoderation),
                masked_words_threshold: number("masked_words_threshold", defaults.masked_words_threshold),
                new_commenter_comments: number("new_commenter_comments", defaults.new_commenter_comments),
                new_commenter_days: number("new_commenter_days", defaults.new_commenter_days),
                repeat_window_hours: number("repeat_window_hours", defaults.repeat_window_hours),
                flag_threshold: number("flag_threshold", defaults.flag_threshold),
            },
            auto_close_days: number("auto_close_days", 0),
            default_sort: map.get("default_sort").and_then(|v| Sort::parse(Some(v)).ok()).unwrap_or_default(),
            words: SiteWordLists {
                banned: map.get("banned_words").map(|t| text_to_words(t)).unwrap_or_default(),
                suspect: map.get("suspect_words").map(|t| text_to_words(t)).unwrap_or_default(),
                allowed: map.get("allowed_words").map(|t| text_to_words(t)).unwrap_or_default(),
            },
        }
    }

    /// The settings as stored (key, value) pairs, in a fixed order.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("premoderation", self.policy.premoderation.to_string()),
            ("masked_words_threshold", self.policy.masked_words_threshold.to_string()),
            ("new_commenter_comments", self.policy.new_commenter_comments.to_string()),
            ("new_commenter_days", self.policy.new_commenter_days.to_string()),
            ("repeat_window_hours", self.policy.repeat_window_hours.to_string()),
            ("flag_threshold", self.policy.flag_threshold.to_string()),
            ("auto_close_days", self.auto_close_days.to_string()),
            ("default_sort", self.default_sort.as_str().to_owned()),
            ("banned_words", words_to_text(&self.words.banned)),
            ("suspect_words", words_to_text(&self.words.suspect)),
            ("allowed_words", words_to_text(&self.words.allowed)),
        ]
    }
}

/// The settings form, unparsed.
#[derive(Debug, Clone, Default)]
pub struct SettingsForm {
    pub premoderation: String,
    pub premoderation_approvals: String,
    pub masked_words_threshold: String,
    pub new_commenter_comments: String,
    pub new_commenter_days: String,
    pub repeat_window_hours: String,
    pub flag_threshold: String,
    pub auto_close_days: String,
    pub default_sort: String,
    pub banned_words: String,
    pub suspect_words: String,
    pub allowed_words: String,
}

fn number(field: &'static str, label: &str, value: &str, max: u32) -> Result<u32, Invalid> {
    match value.trim().parse::<u32>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(Invalid::new(field, format!("{label} is a whole number from 0 to {max}."))),
    }
}

impl SettingsForm {
    pub fn from_settings(s: &SiteSettings) -> SettingsForm {
        let (mode, approvals) = match s.policy.premoderation {
            Premoderation::Off => ("off", 3),
            Premoderation::NewCommenters { approvals_needed } => ("new", approvals_needed),
            Premoderation::Everyone => ("all", 3),
        };
        SettingsForm {
            premoderation: mode.into(),
            premoderation_approvals: approvals.to_string(),
            masked_words_threshold: s.policy.masked_words_threshold.to_string(),
            new_commenter_comments: s.policy.new_commenter_comments.to_string(),
            new_commenter_days: s.policy.new_commenter_days.to_string(),
            repeat_window_hours: s.policy.repeat_window_hours.to_string(),
            flag_threshold: s.policy.flag_threshold.to_string(),
            auto_close_days: s.auto_close_days.to_string(),
            default_sort: s.default_sort.as_str().to_owned(),
            banned_words: words_to_text(&s.words.banned),
            suspect_words: words_to_text(&s.words.suspect),
            allowed_words: words_to_text(&s.words.allowed),
        }
    }

    pub fn parse(&self) -> Result<SiteSettings, Invalid> {
        let premoderation = match self.premoderation.as_str() {
            "new" => Premoderation::parse(&format!("new:{}", self.premoderation_approvals.trim()))
                .map_err(|e| Invalid::new("premoderation_approvals", e.message))?,
            other => Premoderation::parse(other)?,
        };
        Ok(SiteSettings {
            policy: PolicySettings {
                premoderation,
                masked_words_threshold: number(
                    "masked_words_threshold",
                    "The masked-word threshold",
                    &self.masked_words_threshold,
                    1000,
                )?,
                new_commenter_comments: number(
                    "new_commenter_comments",
                    "The comment count for new commenters",
                    &self.new_commenter_comments,
                    1000,
                )?,
                new_commenter_days: number(
                    "new_commenter_days",
                    "The account age for new commenters",
                    &self.new_commenter_days,
                    3650,
                )?,
                repeat_window_hours: number(
                    "repeat_window_hours",
                    "The repeat window",
                    &self.repeat_window_hours,
                    24 * 365,
                )?,
                flag_threshold: number("flag_threshold", "The flag threshold", &self.flag_threshold, 1000)?,
            },
            auto_close_days: number("auto_close_days", "Auto-close", &self.auto_close_days, 3650)?,
            // A form from before the setting existed leaves it out: that is oldest, as it was.
            default_sort: Sort::parse(Some(&self.default_sort)).map_err(|e| Invalid::new("default_sort", e.message))?,
            words: SiteWordLists {
                banned: text_to_words(&self.banned_words),
                suspect: text_to_words(&self.suspect_words),
                allowed: text_to_words(&self.allowed_words),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discussions_close_by_hand_or_by_age_unless_reopened() {
        let day = |d: i64| chrono::DateTime::from_timestamp(d * 86_400, 0).unwrap().naive_utc();
        let mut site = SiteSettings::default();
        let published = Discussion { open: true, published_at: Some(day(10)), reopened_at: None };
        assert!(!site.is_discussion_closed(&published, day(1000)), "0 days leaves discussions open");
        site.auto_close_days = 30;
        assert!(!site.is_discussion_closed(&published, day(39)));
        assert!(site.is_discussion_closed(&published, day(40)));
        let reopened = Discussion { reopened_at: Some(day(41)), ..published };
        assert!(!site.is_discussion_closed(&reopened, day(400)));
        let closed = Discussion { open: false, published_at: None, reopened_at: None };
        assert!(site.is_discussion_closed(&closed, day(0)));
    }

    #[test]
    fn settings_round_trip_through_storage() {
        let mut s = SiteSettings::default();
        s.policy.premoderation = Premoderation::NewCommenters { approvals_needed: 4 };
        s.policy.flag_threshold = 5;
        s.auto_close_days = 30;
        s.words.banned = vec!["gammon".into(), "snowflake".into()];
        let pairs = s.to_pairs().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        assert_eq!(SiteSettings::from_pairs(pairs), s);
        assert_eq!(SiteSettings::from_pairs(Vec::new()), SiteSettings::default());
    }

    #[test]
    fn the_form_parses_and_refuses_nonsense() {
        let mut form = SettingsForm::from_settings(&SiteSettings::default());
        form.banned_words = "Gammon\n snowflake , gammon\n\n".into();
        let parsed = form.parse().unwrap();
        assert_eq!(parsed.words.banned, vec!["gammon", "snowflake"]);
        form.flag_threshold = "many".into();
        assert_eq!(form.parse().unwrap_err().field, "flag_threshold");
        let mut form = SettingsForm::from_settings(&SiteSettings::default());
        form.premoderation = "new".into();
        form.premoderation_approvals = "0".into();
        assert_eq!(form.parse().unwrap_err().field, "premoderation_approvals");
    }
}
