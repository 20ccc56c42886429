//! The moderation policy: what happens to a new or edited comment, and how much a reader's flag
//! weighs. Pure: the store gathers the facts (settings, the author's history, their recent
//! comments, the profanity analysis) and acts on the verdict.
//!
//! **Checks** run in this order, each with one outcome when it fires:
//!
//! | Check | Outcome |
//! |---|---|
//! | the thread is closed | reject |
//! | a site banned word | reject |
//! | a site suspect word | publish and report |
//! | severe profanity or a slur | hold |
//! | many masked words (a setting, default 3; 0 turns it off) | publish (masked) and report |
//! | a link from a new commenter | hold |
//! | pre-moderation: off, new commenters until N comments are approved, or everyone | hold |
//! | the author is on always-review | hold |
//! | the same text posted repeatedly | hold |
//!
//! A reject stops the policy at once, so the author gets one clear message and nothing else is
//! judged. Otherwise every check runs and every reason is kept, so that moderators see all of
//! them; the verdict is the strongest outcome (reject > hold > report > publish).
//!
//! **Staff** (moderators and admins) go through the checks on the text (banned, suspect, severe,
//! masked words), as anyone's words reach the same readers. They skip the checks on trust in the
//! author (links, pre-moderation, always-review, repeats), which their role already settles, and
//! they may post in a closed thread, to explain why it closed or answer a late question.
//!
//! **New commenters** have fewer published comments than a setting (default 3) or an account
//! younger than a number of days (default 2).
//!
//! **Repeats** are compared word by word, ignoring case and punctuation, with the author's own
//! comments from the repeat window (default 24 hours). A text of fewer than 8 words ("+1",
//! "Agreed.", "Great article, thanks!") is ordinary to say again, so it is held only when the same
//! words were already posted twice in the window. A longer text is held the second time, when at
//! least 90% of its words match another comment's in order (one word in ten added, removed or
//! changed).
//!
//! **Links**: markdown links, anything with a scheme (`https://`), `www.` hosts, and bare domains
//! with a common top-level domain (`example.com`) or a path (`example.xyz/page`). E-mail
//! addresses, decimals ("3.5"), abbreviations ("e.g.") and a missing space after a full stop
//! ("home.It") are not links. Spelled-out links ("example dot com") are not caught.
//!
//! **Reader flags** are kept apart from the reasons above: a [`Reason`] is what the system found
//! when the comment was written, a [`FlagReason`] what a reader reported later. Flags are
//! weighted, and when the weighted flags of distinct readers reach the flag threshold (default 3;
//! 0 turns it off), the comment leaves public view and goes to the queue. The weighting, as admins
//! read it on the settings page ([`FLAG_WEIGHT_EXPLAINED`]):
//!
//! Each reader's flag counts as one flag until moderators have dismissed more than two of that
//! reader's flags beyond those they upheld. From then on it counts as (upheld + 2) ÷ dismissed of a
//! flag, never less than a quarter. For example, a reader with no upheld and 3 dismissed flags
//! counts two thirds; 1 upheld and 6 dismissed, a half; none upheld and 8 or more dismissed, a
//! quarter. Flags awaiting a decision count neither way.

use std::fmt;

use chrono::TimeDelta;
use rustrict::Type;

use super::profanity::TextAnalysis;
use super::thread::Status;
use super::Invalid;

// ---------------------------------------------------------------------------------------------
// Decisions, checks and verdicts
// ---------------------------------------------------------------------------------------------

/// What happens to a comment. Ordered by severity, so the verdict is the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Publish,
    /// Published, and listed for moderators to look at.
    #[serde(rename = "report")]
    PublishAndReport,
    /// Held for review: shown only to its author and moderators.
    Hold,
    /// Not saved; the author gets a message and may rephrase.
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Publish => "publish",
            Decision::PublishAndReport => "report",
            Decision::Hold => "hold",
            Decision::Reject => "reject",
        }
    }
}

/// One check of the policy. `as_str` is the code stored with a comment's system reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    ThreadClosed,
    BannedWords,
    SuspectWords,
    SevereContent,
    ManyMaskedWords,
    NewCommenterLinks,
    Premoderation,
    AlwaysReview,
    RepeatedText,
}

impl Check {
    /// The policy, in the order it runs.
    pub const ALL: [Check; 9] = [
        Check::ThreadClosed,
        Check::BannedWords,
        Check::SuspectWords,
        Check::SevereContent,
        Check::ManyMaskedWords,
        Check::NewCommenterLinks,
        Check::Premoderation,
        Check::AlwaysReview,
        Check::RepeatedText,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Check::ThreadClosed => "thread_closed",
            Check::BannedWords => "banned_words",
            Check::SuspectWords => "suspect_words",
            Check::SevereContent => "severe_content",
            Check::ManyMaskedWords => "many_masked_words",
            Check::NewCommenterLinks => "new_commenter_links",
            Check::Premoderation => "premoderation",
            Check::AlwaysReview => "always_review",
            Check::RepeatedText => "repeated_text",
        }
    }

    /// Reads a stored code back; `None` for a code this version no longer knows.
    pub fn parse(code: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// What the check decides when it fires.
    pub fn decision(self) -> Decision {
        match self {
            Check::ThreadClosed | Check::BannedWords => Decision::Reject,
            Check::SuspectWords | Check::ManyMaskedWords => Decision::PublishAndReport,
            Check::SevereContent
            | Check::NewCommenterLinks
            | Check::Premoderation
            | Check::AlwaysReview
            | Check::RepeatedText => Decision::Hold,
        }
    }

    /// For moderators, in the queue and the log.
    pub fn label(self) -> &'static str {
        match self {
            Check::ThreadClosed => "Rejected: the discussion is closed",
            Check::BannedWords => "Rejected: banned words",
            Check::SuspectWords => "Reported: suspect words",
            Check::SevereContent => "Held: severe profanity or hate",
            Check::ManyMaskedWords => "Reported: many masked words",
            Check::NewCommenterLinks => "Held: links from a new commenter",
            Check::Premoderation => "Held: pre-moderation",
            Check::AlwaysReview => "Held: author on always-review",
            Check::RepeatedText => "Held: repeated text",
        }
    }

    /// Checks on trust in the author, which a staff role already settles.
    fn exempts_staff(self) -> bool {
        match self {
            Check::ThreadClosed
            | Check::NewCommenterLinks
            | Check::Premoderation
            | Check::AlwaysReview
            | Check::RepeatedText => true,
            Check::BannedWords | Check::SuspectWords | Check::SevereContent | Check::ManyMaskedWords => false,
        }
    }

    /// `Some(detail for moderators)` when the check fires.
    fn run(self, settings: &PolicySettings, s: &Submission) -> Option<String> {
        let a = s.analysis;
        match self {
            Check::ThreadClosed => s.thread_closed.then(|| "Posted after the discussion closed".to_owned()),
            Check::BannedWords => (!a.banned_words.is_empty()).then(|| a.banned_words.join(", ")),
            Check::SuspectWords => (!a.suspect_words.is_empty()).then(|| a.suspect_words.join(", ")),
            Check::SevereContent => a.severe.then(|| severe_detail(a.detected).to_owned()),
            Check::ManyMaskedWords => {
                let threshold = settings.masked_words_threshold;
                (threshold > 0 && a.masked_words >= threshold as usize)
                    .then(|| format!("{} (threshold {threshold})", plural(a.masked_words as i64, "masked word")))
            }
            Check::NewCommenterLinks => (s.author.is_new(settings) && contains_link(s.body)).then(|| {
                format!(
                    "A link from a new commenter: {}, account {} old",
                    plural(s.author.published_comments, "published comment"),
                    age(s.author.account_age)
                )
            }),
            Check::Premoderation => match settings.premoderation {
                Premoderation::Off => None,
                Premoderation::Everyone => Some(EVERYONE_PREMODERATED.to_owned()),
                Premoderation::NewCommenters { approvals_needed } => {
                    (s.author.approved_comments < i64::from(approvals_needed)).then(|| {
                        format!(
                            "New commenters are pre-moderated: {} of {approvals_needed} approved",
                            plural(s.author.approved_comments, "comment")
                        )
                    })
                }
            },
            Check::AlwaysReview => s.author.always_review.then(|| "The author is on always-review".to_owned()),
            Check::RepeatedText => repeated_text(settings, s.body, s.recent_bodies),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn severe_detail(detected: Type) -> &'static str {
    let hate = detected.is(Type::OFFENSIVE & Type::SEVERE);
    let profane = detected.is(Type::PROFANE & Type::SEVERE);
    match (hate, profane) {
        (true, true) => "A slur and severe profanity",
        (true, false) => "A slur or hate speech",
        (false, true) => "Severe profanity",
        // The analysis says severe without saying which; say what it can mean.
        (false, false) => "Severe profanity or hate",
    }
}

/// Why the system published with a report, held, or rejected a comment. Stored with the comment,
/// apart from reader flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub check: Check,
    pub decision: Decision,
    /// For moderators: the words found, the author's history, the threshold crossed.
    pub detail: String,
}

/// The outcome of the policy for one comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The strongest decision among the checks that fired; `Publish` when none did.
    pub decision: Decision,
    /// Every check that fired, in policy order. A reject is the last one: it stops the policy.
    pub reasons: Vec<Reason>,
    /// For the author: why a comment was rejected, or that it awaits review (why it waits is
    /// `HeldNotice`, in words that name no setting). `None` when published.
    pub author_message: Option<String>,
}

/// What an author is told when a comment is held, whatever the reason.
pub const HELD_MESSAGE: &str = "Your comment will appear once a moderator has reviewed it.";

pub const THREAD_CLOSED_MESSAGE: &str = "The discussion on this article is closed.";

impl Verdict {
    /// The status to store the comment with; `None` when it is not stored at all.
    pub fn status(&self) -> Option<Status> {
        match self.decision {
            Decision::Publish | Decision::PublishAndReport => Some(Status::Published),
            Decision::Hold => Some(Status::Pending),
            Decision::Reject => None,
        }
    }

    /// The reasons stored with the comment for the queue, and read back by `HeldNotice`: one
    /// `code<TAB>detail` line for each reason that reports or holds.
    pub fn encode_reasons(&self) -> String {
        self.reasons
            .iter()
            .filter(|r| r.decision >= Decision::PublishAndReport)
            .map(|r| format!("{}\t{}", r.check.as_str(), r.detail.replace(['\n', '\t'], " ")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether the comment goes to the moderation queue.
    pub fn needs_moderator(&self) -> bool {
        matches!(self.decision, Decision::PublishAndReport | Decision::Hold)
    }
}

// ---------------------------------------------------------------------------------------------
// What the author of a held comment is told
// ---------------------------------------------------------------------------------------------

/// The detail of `Check::Premoderation` when every comment is held (the author is told so).
const EVERYONE_PREMODERATED: &str = "Every comment is pre-moderated";

/// What the author of a held comment reads under it: why it waits, in words a reader
/// understands, and what happens next (`HELD_NEXT`). Only the checks that hold are explained;
/// reports (suspect words, many masked words) stay between the site and its moderators, and no
/// setting is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldNotice {
    pub reasons: Vec<&'static str>,
}

/// What happens to a held comment, whatever held it.
pub const HELD_NEXT: &str = "A moderator will read it. If they approve it, it appears in the discussion for \
     everyone; if they remove it, you will see why here. Until then only you can see it.";

/// A comment out of public view with no reason of the system's: readers' flags took it there.
const HELD_BY_FLAGS: &str = "Readers flagged it, so it is hidden until a moderator has looked at it.";

impl Check {
    /// Why this check holds a comment, for its author; `None` for checks that do not hold.
    fn why_held(self, detail: &str) -> Option<&'static str> {
        Some(match self {
            Check::SevereContent => "It contains words that may be a slur or severe profanity.",
            Check::NewCommenterLinks => "It contains a link, and links from new commenters are checked first.",
            Check::Premoderation if detail == EVERYONE_PREMODERATED => {
                "Every comment on this site is read by a moderator before it appears."
            }
            Check::Premoderation => "This site reads the first comments of each new commenter before they appear.",
            Check::AlwaysReview => "A moderator has asked to read your comments before they appear.",
            Check::RepeatedText => "It repeats a comment you posted recently.",
            Check::ThreadClosed | Check::BannedWords | Check::SuspectWords | Check::ManyMaskedWords => return None,
        })
    }
}

impl HeldNotice {
    /// The notice for a verdict that holds the comment, before it is posted (the preview).
    pub fn of(verdict: &Verdict) -> Option<HeldNotice> {
        (verdict.decision == Decision::Hold).then(|| HeldNotice {
            reasons: verdict.reasons.iter().filter_map(|r| r.check.why_held(&r.detail)).collect(),
        })
    }

    /// The notice for a held comment, from the reasons stored with it (`code<TAB>detail`, one a
    /// line). Without a reason that holds, readers' flags took it out of view.
    pub fn from_stored(stored: &str) -> HeldNotice {
        let mut reasons: Vec<&'static str> = stored
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .filter_map(|(code, detail)| Check::parse(code)?.why_held(detail))
            .collect();
        reasons.dedup();
        if reasons.is_empty() {
            reasons.push(HELD_BY_FLAGS);
        }
        HeldNotice { reasons }
    }
}

fn rejection_message(check: Check, s: &Submission) -> String {
    match check {
        Check::ThreadClosed => THREAD_CLOSED_MESSAGE.to_owned(),
        // The author sees only their own words, so naming them hides nothing and saves guessing.
        Check::BannedWords => {
            let words: Vec<String> = s.analysis.banned_words.iter().map(|w| format!("“{w}”")).collect();
            let noun = if words.len() == 1 { "word" } else { "words" };
            format!(
                "This site does not accept the {noun} {} in comments. Please rephrase your comment \
                 and post it again.",
                join_list(&words)
            )
        }
        // Only the two checks above reject today; a new one should say more than this.
        _ => "This comment was not accepted.".to_owned(),
    }
}

fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Runs the policy on one new or edited comment.
pub fn evaluate(settings: &PolicySettings, submission: &Submission) -> Verdict {
    let mut reasons = Vec::new();
    for check in Check::ALL {
        if submission.author.is_staff && check.exempts_staff() {
            continue;
        }
        let Some(detail) = check.run(settings, submission) else {
            continue;
        };
        let decision = check.decision();
        reasons.push(Reason { check, decision, detail });
        if decision == Decision::Reject {
            return Verdict { decision, reasons, author_message: Some(rejection_message(check, submission)) };
        }
    }
    let decision = reasons.iter().map(|r| r.decision).max().unwrap_or(Decision::Publish);
    Verdict { decision, reasons, author_message: (decision == Decision::Hold).then(|| HELD_MESSAGE.to_owned()) }
}

// ---------------------------------------------------------------------------------------------
// Settings and facts
// ---------------------------------------------------------------------------------------------

/// Which comments wait for a moderator before anyone else sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Premoderation {
    #[default]
    Off,
    /// Until this many of the author's comments have been approved by a moderator.
    NewCommenters {
        approvals_needed: u32,
    },
    Everyone,
}

pub const MAX_APPROVALS_NEEDED: u32 = 100;

impl Premoderation {
    /// Reads the stored form written by `Display`: `off`, `new:N` or `all`.
    pub fn parse(input: &str) -> Result<Premoderation, Invalid> {
        let invalid = || {
            Invalid::new(
                "premoderation",
                format!(
                    "Pre-moderation is off, all, or new:N to hold new commenters until N of their \
                     comments are approved (N from 1 to {MAX_APPROVALS_NEEDED})."
                ),
            )
        };
        let input = input.trim().to_ascii_lowercase();
        match input.as_str() {
            "off" => Ok(Premoderation::Off),
            "all" => Ok(Premoderation::Everyone),
            _ => {
                let n = input.strip_prefix("new:").ok_or_else(invalid)?;
                let approvals_needed: u32 = n.trim().parse().map_err(|_| invalid())?;
                if !(1..=MAX_APPROVALS_NEEDED).contains(&approvals_needed) {
                    return Err(invalid());
                }
                Ok(Premoderation::NewCommenters { approvals_needed })
            }
        }
    }

    /// For the settings page.
    pub fn label(self) -> String {
        match self {
            Premoderation::Off => "Off".to_owned(),
            Premoderation::NewCommenters { approvals_needed } => {
                format!("New commenters, until {} approved", plural(i64::from(approvals_needed), "comment"))
            }
            Premoderation::Everyone => "Everyone".to_owned(),
        }
    }
}

/// The stored form: `off`, `new:N` or `all`.
impl fmt::Display for Premoderation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Premoderation::Off => f.write_str("off"),
            Premoderation::NewCommenters { approvals_needed } => {
                write!(f, "new:{approvals_needed}")
            }
            Premoderation::Everyone => f.write_str("all"),
        }
    }
}

pub const DEFAULT_MASKED_WORDS_THRESHOLD: u32 = 3;
pub const DEFAULT_NEW_COMMENTER_COMMENTS: u32 = 3;
pub const DEFAULT_NEW_COMMENTER_DAYS: u32 = 2;
pub const DEFAULT_REPEAT_WINDOW_HOURS: u32 = 24;
pub const DEFAULT_FLAG_THRESHOLD: u32 = 3;

/// The site's moderation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicySettings {
    pub premoderation: Premoderation,
    /// A comment with at least this many masked words is reported; 0 turns the check off.
    pub masked_words_threshold: u32,
    /// An author is new while they have fewer published comments than this...
    pub new_commenter_comments: u32,
    /// ...or their account is younger than this many days.
    pub new_commenter_days: u32,
    /// How far back the store looks for the author's comments to compare; 0 turns repeats off.
    pub repeat_window_hours: u32,
    /// Weighted reader flags that take a comment out of public view; 0 turns it off.
    pub flag_threshold: u32,
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            premoderation: Premoderation::Off,
            masked_words_threshold: DEFAULT_MASKED_WORDS_THRESHOLD,
            new_commenter_comments: DEFAULT_NEW_COMMENTER_COMMENTS,
            new_commenter_days: DEFAULT_NEW_COMMENTER_DAYS,
            repeat_window_hours: DEFAULT_REPEAT_WINDOW_HOURS,
            flag_threshold: DEFAULT_FLAG_THRESHOLD,
        }
    }
}

impl PolicySettings {
    /// How far back `Submission::recent_bodies` should reach.
    pub fn repeat_window(&self) -> TimeDelta {
        TimeDelta::hours(i64::from(self.repeat_window_hours))
    }
}

/// What the policy needs to know about the author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// A moderator or admin.
    pub is_staff: bool,
    /// A moderator has put this reader on always-review.
    pub always_review: bool,
    pub account_age: TimeDelta,
    /// Their comments that are public now.
    pub published_comments: i64,
    /// Their comments a moderator approved from the queue: what ends pre-moderation of new
    /// commenters.
    pub approved_comments: i64,
}

impl Author {
    /// By history alone; staff are new like anyone, but no check on new commenters applies to them.
    pub fn is_new(&self, settings: &PolicySettings) -> bool {
        self.published_comments < i64::from(settings.new_commenter_comments)
            || self.account_age < TimeDelta::days(i64::from(settings.new_commenter_days))
    }
}

/// One new or edited comment, with what the policy needs to judge it.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// As the author wrote it (not masked).
    pub body: &'a str,
    pub analysis: &'a TextAnalysis,
    pub thread_closed: bool,
    pub author: &'a Author,
    /// The author's own comment bodies within the repeat window, excluding this one.
    pub recent_bodies: &'a [String],
}

fn plural(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn age(age: TimeDelta) -> String {
    if age.num_days() >= 1 {
        plural(age.num_days(), "day")
    } else {
        plural(age.num_hours().max(0), "hour")
    }
}

// ---------------------------------------------------------------------------------------------
// Repeated text
// ---------------------------------------------------------------------------------------------

/// Texts with fewer words than this are short: ordinary to say again.
pub const REPEAT_SHORT_WORDS: usize = 8;
/// A short text is held when the author already posted the same words this many times.
pub const REPEAT_SHORT_EARLIER: usize = 2;
/// A longer text is held when at least this share of its words, in order, matches another.
pub const REPEAT_SIMILARITY_PERCENT: usize = 90;

/// Lowercase words, punctuation and spacing ignored. A text with no letters or digits at all
/// ("👍", "!!!") is one word, itself, so that it can still be compared.
fn repeat_words(text: &str) -> Vec<String> {
    let words: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    if words.is_empty() {
        let rest = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if rest.is_empty() {
            return Vec::new();
        }
        return vec![rest.to_lowercase()];
    }
    words
}

fn repeated_text(settings: &PolicySettings, body: &str, recent: &[String]) -> Option<String> {
    let words = repeat_words(body);
    let hours = plural(i64::from(settings.repeat_window_hours), "hour");
    if words.len() < REPEAT_SHORT_WORDS {
        let earlier = recent.iter().filter(|r| repeat_words(r) == words).count();
        return (earlier >= REPEAT_SHORT_EARLIER)
            .then(|| format!("The same short text for the {} time in {hours}", ordinal(earlier + 1)));
    }
    let best =
        recent.iter().filter_map(|r| similarity_percent(&words, &repeat_words(r), REPEAT_SIMILARITY_PERCENT)).max()?;
    Some(if best == 100 {
        format!("The same words as another of their comments in the last {hours}")
    } else {
        format!("{best}% the same words as another of their comments in the last {hours}")
    })
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The share of words, in percent rounded down, that two texts have in common in order (100 less
/// the word edit distance over the longer length), or `None` below `min_percent`.
fn similarity_percent(a: &[String], b: &[String], min_percent: usize) -> Option<usize> {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return Some(100);
    }
    let max_distance = longest * (100 - min_percent.min(100)) / 100;
    let distance = bounded_edit_distance(a, b, max_distance)?;
    Some((longest - distance) * 100 / longest)
}

/// Levenshtein distance when it is at most `k`. Only the diagonal band `|i - j| <= k` can hold
/// such a path, so a long body costs O(length × k), not O(length²), and differing texts stop early.
fn bounded_edit_distance<T: PartialEq>(a: &[T], b: &[T], k: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > k {
        return None;
    }
    let over = k + 1;
    let mut prev: Vec<usize> = (0..=m).map(|j| j.min(over)).collect();
    let mut cur = vec![over; m + 1];
    for i in 1..=n {
        let lo = i.saturating_sub(k).max(1);
        let hi = (i + k).min(m);
        cur[0] = i.min(over);
        // Cells just outside the band read as "too far"; they may hold stale values otherwise.
        cur[lo - 1] = if lo == 1 { cur[0] } else { over };
        let mut row_min = cur[lo - 1];
        for j in lo..=hi {
            let substitute = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let value = substitute.min(prev[j] + 1).min(cur[j - 1] + 1).min(over);
            cur[j] = value;
            row_min = row_min.min(value);
        }
        if hi < m {
            cur[hi + 1] = over;
        }
        if row_min > k {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[m]).filter(|&d| d <= k)
}

// ---------------------------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------------------------

/// Top-level domains that count without a path. Country codes that are also English words ("it",
/// "in", "is", "me", "so", "to", "be", "us", "at", "no") are left out, since "home.It was" is a
/// missing space far more often than a link; a path ("example.me/page") still counts.
const LINK_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "edu", "gov", "io", "co", "uk", "eu", "de", "fr", "nl", "es", "ru", "cn", "jp",
    "ca", "au", "nz", "ie", "ch", "se", "pl", "br", "ly", "tv", "gg", "cc", "ws", "tk", "ml", "ga", "cf", "gq", "pw",
    "su", "xyz", "top", "online", "site", "shop", "store", "club", "icu", "vip", "app", "dev", "ai", "link", "click",
    "buzz", "mobi", "asia",
];

/// Whether a comment body contains a link (see the module doc for what counts).
pub fn contains_link(body: &str) -> bool {
    let text = body.to_ascii_lowercase();
    has_scheme(&text) || has_markdown_link(&text) || has_domain(&text)
}

/// `scheme://` followed by a host: `https://x`, `ftp://x`, and `hxxp://x` as spammers write it.
fn has_scheme(text: &str) -> bool {
    let b = text.as_bytes();
    text.match_indices("://").any(|(i, _)| {
        i > 0 && b[i - 1].is_ascii_alphabetic() && b.get(i + 3).is_some_and(|&c| !c.is_ascii_whitespace() && c != b'/')
    })
}

/// `[text](destination)`: clickable, whatever the destination looks like.
fn has_markdown_link(text: &str) -> bool {
    let b = text.as_bytes();
    text.match_indices("](").any(|(i, _)| b.get(i + 2).is_some_and(|&c| !c.is_ascii_whitespace() && c != b')'))
}

fn is_host_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'-'
}

fn has_domain(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !is_host_byte(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_host_byte(b[i]) {
            i += 1;
        }
        let before = start.checked_sub(1).map(|p| b[p]);
        let after = b.get(i).copied();
        // Either half of an e-mail address.
        if before == Some(b'@') || after == Some(b'@') {
            continue;
        }
        let has_path = after == Some(b'/') && b.get(i + 1).is_some_and(u8::is_ascii_alphanumeric);
        if looks_like_host(&text[start..i], has_path) {
            return true;
        }
    }
    false
}

fn looks_like_host(run: &str, has_path: bool) -> bool {
    let host = run.trim_matches(|c| c == '.' || c == '-');
    let labels: Vec<&str> = host.split('.').collect();
    let valid_labels = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'));
    if !valid_labels {
        return false;
    }
    let tld = labels[labels.len() - 1];
    let punycode = tld.starts_with("xn--");
    // Decimals ("3.5"), versions and abbreviations ("e.g", "u.s.a") end in a digit or one letter.
    let alphabetic = tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic());
    if !(punycode || alphabetic) {
        return false;
    }
    (labels[0] == "www" && labels.len() >= 3) || has_path || punycode || LINK_TLDS.contains(&tld)
}

// ---------------------------------------------------------------------------------------------
// Reader flags
// ---------------------------------------------------------------------------------------------

/// Why a reader flagged a comment; the same codes say why a moderator removed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    Spam,
    /// Abusive, or harassment.
    Abuse,
    Hate,
    OffTopic,
    Misinformation,
    /// Needs a note saying what is wrong.
    Other,
}

/// A moderator removes a comment for the reasons a reader flags one, so that a flag's reason can
/// stand as the removal's.
pub type RemovalReason = FlagReason;

pub const MAX_FLAG_NOTE_CHARS: usize = 500;

impl FlagReason {
    pub const ALL: [FlagReason; 6] = [
        FlagReason::Spam,
        FlagReason::Abuse,
        FlagReason::Hate,
        FlagReason::OffTopic,
        FlagReason::Misinformation,
        FlagReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::Spam => "spam",
            FlagReason::Abuse => "abuse",
            FlagReason::Hate => "hate",
            FlagReason::OffTopic => "off_topic",
            FlagReason::Misinformation => "misinformation",
            FlagReason::Other => "other",
        }
    }

    pub fn parse(input: &str) -> Result<FlagReason, Invalid> {
        let input = input.trim().to_ascii_lowercase();
        FlagReason::ALL
            .into_iter()
            .find(|r| r.as_str() == input)
            .ok_or_else(|| Invalid::new("reason", "Choose a reason for flagging this comment."))
    }

    pub fn label(self) -> &'static str {
        match self {
            FlagReason::Spam => "Spam",
            FlagReason::Abuse => "Abuse or harassment",
            FlagReason::Hate => "Hate speech",
            FlagReason::OffTopic => "Off topic",
            FlagReason::Misinformation => "Misinformation",
            FlagReason::Other => "Something else",
        }
    }
}

impl fmt::Display for FlagReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reader's flag as submitted: the reason code and an optional note (required for "other").
/// The note is trimmed, and an empty one is no note.
pub fn validate_flag(reason: &str, note: Option<&str>) -> Result<(FlagReason, Option<String>), Invalid> {
    let reason = FlagReason::parse(reason)?;
    // Counted as browsers count `maxlength`, a line break once (as comment bodies are).
    let note = note.map(|n| n.replace("\r\n", "\n").trim().to_owned()).filter(|n| !n.is_empty());
    if let Some(n) = &note {
        let chars = n.chars().count();
        if chars > MAX_FLAG_NOTE_CHARS {
            return Err(Invalid::new(
                "note",
                format!("A note has at most {MAX_FLAG_NOTE_CHARS} characters; this one has {chars}."),
            ));
        }
    }
    if reason == FlagReason::Other && note.is_none() {
        return Err(Invalid::new("note", "Say briefly what is wrong with this comment."));
    }
    Ok((reason, note))
}

/// The flag weighting rule in plain words, for the settings page. The module doc says the same.
pub const FLAG_WEIGHT_EXPLAINED: &str = "Each reader's flag counts as one flag until moderators \
have dismissed more than two of that reader's flags beyond those they upheld. From then on it \
counts as (upheld + 2) ÷ dismissed of a flag, never less than a quarter. For example, a reader \
with no upheld and 3 dismissed flags counts two thirds; 1 upheld and 6 dismissed, a half; none \
upheld and 8 or more dismissed, a quarter. Flags awaiting a decision count neither way.";

/// One flag, in thousandths.
pub const FULL_FLAG_MILLI: i64 = 1000;
/// The least a flag counts, in thousandths.
pub const MIN_FLAG_MILLI: i64 = 250;
/// Dismissed flags beyond upheld ones that cost a reader nothing: honest readers misjudge too.
const FORGIVEN_DISMISSALS: i64 = 2;

/// How much a reader's new flag counts, in thousandths (`MIN_FLAG_MILLI..=FULL_FLAG_MILLI`),
/// from how moderators resolved their earlier flags. See [`FLAG_WEIGHT_EXPLAINED`]. Rounded up,
/// so that three readers at two thirds make two flags.
pub fn flag_weight_milli(upheld: i64, dismissed: i64) -> i64 {
    let upheld = i128::from(upheld.max(0));
    let dismissed = i128::from(dismissed.max(0));
    let forgiven = i128::from(FORGIVEN_DISMISSALS);
    if dismissed <= upheld + forgiven {
        return FULL_FLAG_MILLI;
    }
    let full = i128::from(FULL_FLAG_MILLI);
    let weight = ((upheld + forgiven) * full + dismissed - 1) / dismissed;
    weight.clamp(i128::from(MIN_FLAG_MILLI), full) as i64
}

/// Whether the weighted flags of distinct readers on a comment take it out of public view. A
/// threshold of 0 turns this off.
pub fn flags_reach_threshold(total_weight_milli: i64, threshold: u32) -> bool {
    threshold > 0 && total_weight_milli >= i64::from(threshold) * FULL_FLAG_MILLI
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn clean(body: &str) -> TextAnalysis {
        TextAnalysis {
            masked: body.to_owned(),
            masked_spans: Vec::new(),
            masked_words: 0,
            severe: false,
            sexual: false,
            mean: false,
            spam: false,
            banned_words: Vec::new(),
            suspect_words: Vec::new(),
            detected: Type::NONE,
        }
    }

    /// A regular: old account, plenty of comments, approved before.
    fn regular() -> Author {
        Author {
            is_staff: false,
            always_review: false,
            account_age: TimeDelta::days(400),
            published_comments: 50,
            approved_comments: 10,
        }
    }

    fn newcomer() -> Author {
        Author { account_age: TimeDelta::hours(3), published_comments: 0, approved_comments: 0, ..regular() }
    }

    fn staff() -> Author {
        Author { is_staff: true, ..newcomer() }
    }

    /// Everything a test may vary, with harmless defaults.
    struct Case {
        settings: PolicySettings,
        body: String,
        analysis: TextAnalysis,
        closed: bool,
        author: Author,
        recent: Vec<String>,
    }

    impl Case {
        fn new(body: &str) -> Case {
            Case {
                settings: PolicySettings::default(),
                body: body.to_owned(),
                analysis: clean(body),
                closed: false,
                author: regular(),
                recent: Vec::new(),
            }
        }

        fn run(&self) -> Verdict {
            evaluate(
                &self.settings,
                &Submission {
                    body: &self.body,
                    analysis: &self.analysis,
                    thread_closed: self.closed,
                    author: &self.author,
                    recent_bodies: &self.recent,
                },
            )
        }
    }

    fn checks(v: &Verdict) -> Vec<Check> {
        v.reasons.iter().map(|r| r.check).collect()
    }

    const LONG: &str = "The council should publish the full budget before the vote next week, \
                        because residents deserve to see where the money goes.";

    // --- decisions and checks ----------------------------------------------------------------

    #[test]
    fn decisions_are_ordered_by_severity() {
        use Decision::*;
        assert!(Publish < PublishAndReport && PublishAndReport < Hold && Hold < Reject);
        for d in [Publish, PublishAndReport, Hold, Reject] {
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
    }

    #[test]
    fn check_codes_round_trip_and_match_serde() {
        for check in Check::ALL {
            assert_eq!(Check::parse(check.as_str()), Some(check));
            assert_eq!(serde_json::to_value(check).unwrap(), check.as_str());
            assert_eq!(check.to_string(), check.as_str());
            let prefix = match check.decision() {
                Decision::Reject => "Rejected: ",
                Decision::Hold => "Held: ",
                Decision::PublishAndReport => "Reported: ",
                Decision::Publish => unreachable!("no check only publishes"),
            };
            assert!(check.label().starts_with(prefix), "{}", check.label());
        }
        assert_eq!(Check::parse("nonsense"), None);
        let mut codes: Vec<_> = Check::ALL.iter().map(|c| c.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Check::ALL.len());
    }

    #[test]
    fn checks_run_in_the_order_of_the_issue() {
        assert_eq!(
            Check::ALL.map(Check::as_str),
            [
                "thread_closed",
                "banned_words",
                "suspect_words",
                "severe_content",
                "many_masked_words",
                "new_commenter_links",
                "premoderation",
                "always_review",
                "repeated_text",
            ]
        );
    }

    #[test]
    fn a_clean_comment_is_published_without_reasons() {
        for author in [regular(), newcomer(), staff()] {
            let mut case = Case::new(LONG);
            case.author = author;
            let v = case.run();
            assert_eq!(v.decision, Decision::Publish);
            assert!(v.reasons.is_empty() && v.author_message.is_none());
            assert_eq!(v.status(), Some(Status::Published));
            assert!(!v.needs_moderator());
        }
    }

    // --- closed threads ----------------------------------------------------------------------

    #[test]
    fn a_closed_thread_rejects_readers_and_stops_there() {
        let mut case = Case::new("Visit https://spam.example now");
        case.closed = true;
        case.author = Author { always_review: true, ..newcomer() };
        case.analysis.banned_words = vec!["gammon".into()];
        case.settings.premoderation = Premoderation::Everyone;
        let v = case.run();
        assert_eq!(v.decision, Decision::Reject);
        assert_eq!(checks(&v), [Check::ThreadClosed]);
        assert_eq!(v.author_message.as_deref(), Some(THREAD_CLOSED_MESSAGE));
        assert_eq!(v.status(), None);
        assert!(!v.needs_moderator());

        case.author = regular();
        assert_eq!(checks(&case.run()), [Check::ThreadClosed]);
    }

    #[test]
    fn staff_may_post_in_a_closed_thread() {
        let mut case = Case::new("Comments are now closed on this article. Thanks, all.");
        case.closed = true;
        case.author = staff();
        let v = case.run();
        assert_eq!(v.decision, Decision::Publish);
        assert!(v.reasons.is_empty());
    }

    // --- what the author of a held comment reads ----------------------------------------------

    #[test]
    fn the_author_of_a_held_comment_reads_why_and_the_same_after_storing() {
        let mut case = Case::new("Read this https://example.com");
        case.author = newcomer();
        case.settings.premoderation = Premoderation::Everyone;
        case.analysis.severe = true;
        case.analysis.suspect_words = vec!["snowflake".into()];
        let v = case.run();
        assert_eq!(v.decision, Decision::Hold);
        let notice = HeldNotice::of(&v).unwrap();
        assert_eq!(
            notice.reasons,
            [
                "It contains words that may be a slur or severe profanity.",
                "It contains a link, and links from new commenters are checked first.",
                "Every comment on this site is read by a moderator before it appears.",
            ]
        );
        // Reports are not explained: suspect words stay between the site and its moderators.
        assert!(!notice.reasons.iter().any(|r| r.contains("snowflake")));
        assert_eq!(HeldNotice::from_stored(&v.encode_reasons()), notice);

        case.settings.premoderation = Premoderation::NewCommenters { approvals_needed: 2 };
        case.analysis.severe = false;
        case.author.always_review = true;
        let v = case.run();
        assert_eq!(
            HeldNotice::from_stored(&v.encode_reasons()).reasons,
            [
                "It contains a link, and links from new commenters are checked first.",
                "This site reads the first comments of each new commenter before they appear.",
                "A moderator has asked to read your comments before they appear.",
            ]
        );
    }

    #[test]
    fn a_comment_held_by_flags_alone_says_readers_flagged_it() {
        assert_eq!(HeldNotice::from_stored("").reasons, [HELD_BY_FLAGS]);
        // Published with a report, then flagged out of view: the report is not the reason.
        assert_eq!(HeldNotice::from_stored("suspect_words\tsnowflake").reasons, [HELD_BY_FLAGS]);
        // A code this version no longer knows is skipped.
        assert_eq!(
            HeldNotice::from_stored("gone\tx\nrepeated_text\tx").reasons,
            ["It repeats a comment you posted recently."]
        );
        // A verdict that does not hold has no notice.
        assert_eq!(HeldNotice::of(&Case::new("fine").run()), None);
    }

    // --- banned words ------------------------------------------------------------------------

    #[test]
    fn banned_words_reject_naming_the_words() {
        let mut case = Case::new("what a gammon");
        case.analysis.banned_words = vec!["gammon".into()];
        let v = case.run();
        assert_eq!(v.decision, Decision::Reject);
        assert_eq!(checks(&v), [Check::BannedWords]);
        assert_eq!(v.reasons[0].detail, "gammon");
        assert_eq!(
            v.author_message.as_deref(),
            Some(
                "This site does not accept the word “gammon” in comments. Please rephrase your \
                 comment and post it again."
            )
        );

        case.analysis.banned_words = vec!["gammon".into(), "remoaner".into(), "x y".into()];
        let v = case.run();
        assert_eq!(v.reasons[0].detail, "gammon, remoaner, x y");
        let message = v.author_message.unwrap();
        assert!(message.contains("the words “gammon”, “remoaner” and “x y” in comments"), "{message}");
    }

    #[test]
    fn banned_words_apply_to_staff_and_stop_every_later_check() {
        let mut case = Case::new("a gammon at https://example.com");
        case.analysis.banned_words = vec!["gammon".into()];
        case.analysis.suspect_words = vec!["snowflake".into()];
        case.analysis.severe = true;
        case.analysis.masked_words = 9;
        case.settings.premoderation = Premoderation::Everyone;
        case.author = Author { always_review: true, ..newcomer() };
        case.recent = vec![case.body.clone(); 3];
        assert_eq!(checks(&case.run()), [Check::BannedWords]);

        case.author = staff();
        let v = case.run();
        assert_eq!((v.decision, checks(&v)), (Decision::Reject, vec![Check::BannedWords]));
    }

    // --- suspect words, severe content, masked words ------------------------------------------

    #[test]
    fn suspect_words_publish_and_report_for_everyone() {
        for author in [regular(), staff()] {
            let mut case = Case::new(LONG);
            case.author = author;
            case.analysis.suspect_words = vec!["snowflake".into(), "globalist".into()];
            let v = case.run();
            assert_eq!(v.decision, Decision::PublishAndReport);
            assert_eq!(checks(&v), [Check::SuspectWords]);
            assert_eq!(v.reasons[0].detail, "snowflake, globalist");
            assert_eq!(v.reasons[0].decision, Decision::PublishAndReport);
            assert!(v.author_message.is_none());
            assert_eq!(v.status(), Some(Status::Published));
            assert!(v.needs_moderator());
        }
    }

    #[test]
    fn severe_content_is_held_for_everyone_with_what_was_found() {
        let cases = [
            (Type::OFFENSIVE & Type::SEVERE, "A slur or hate speech"),
            (Type::PROFANE & Type::SEVERE, "Severe profanity"),
            (Type::OFFENSIVE & Type::SEVERE | Type::PROFANE & Type::SEVERE, "A slur and severe profanity"),
            (Type::NONE, "Severe profanity or hate"),
        ];
        for author in [regular(), staff()] {
            for (detected, detail) in cases {
                let mut case = Case::new("something vile");
                case.author = author.clone();
                case.analysis.severe = true;
                case.analysis.detected = detected;
                let v = case.run();
                assert_eq!(v.decision, Decision::Hold);
                assert_eq!(checks(&v), [Check::SevereContent]);
                assert_eq!(v.reasons[0].detail, detail);
                assert_eq!(v.author_message.as_deref(), Some(HELD_MESSAGE));
                assert_eq!(v.status(), Some(Status::Pending));
            }
        }
        // Severe bits in the analysis without the severe flag decide nothing on their own.
        let mut case = Case::new("x");
        case.analysis.detected = Type::OFFENSIVE & Type::SEVERE;
        assert_eq!(case.run().decision, Decision::Publish);
    }

    #[test]
    fn many_masked_words_report_from_the_threshold() {
        let mut case = Case::new("lots of swearing");
        case.analysis.masked_words = 2;
        assert_eq!(case.run().decision, Decision::Publish);

        case.analysis.masked_words = 3;
        let v = case.run();
        assert_eq!(v.decision, Decision::PublishAndReport);
        assert_eq!(checks(&v), [Check::ManyMaskedWords]);
        assert_eq!(v.reasons[0].detail, "3 masked words (threshold 3)");

        case.settings.masked_words_threshold = 1;
        case.analysis.masked_words = 1;
        assert_eq!(case.run().reasons[0].detail, "1 masked word (threshold 1)");

        case.author = staff();
        assert_eq!(case.run().decision, Decision::PublishAndReport);

        case.settings.masked_words_threshold = 0;
        case.analysis.masked_words = 40;
        assert_eq!(case.run().decision, Decision::Publish);
    }

    // --- new commenters and links --------------------------------------------------------------

    #[test]
    fn new_commenter_boundaries() {
        let s = PolicySettings::default();
        let old = |published| Author { published_comments: published, ..regular() };
        assert!(old(0).is_new(&s) && old(2).is_new(&s));
        assert!(!old(3).is_new(&s) && !old(100).is_new(&s));

        let aged = |age| Author { account_age: age, ..regular() };
        assert!(aged(TimeDelta::days(2) - TimeDelta::seconds(1)).is_new(&s));
        assert!(!aged(TimeDelta::days(2)).is_new(&s));
        assert!(aged(TimeDelta::seconds(-5)).is_new(&s), "clock skew is not seniority");

        let never = PolicySettings { new_commenter_comments: 0, new_commenter_days: 0, ..s };
        assert!(!newcomer().is_new(&never));
    }

    #[test]
    fn links_from_new_commenters_are_held() {
        let mut case = Case::new("Read more at www.example.org");
        case.author = Author { published_comments: 2, ..regular() };
        let v = case.run();
        assert_eq!(v.decision, Decision::Hold);
        assert_eq!(checks(&v), [Check::NewCommenterLinks]);
        assert_eq!(v.reasons[0].detail, "A link from a new commenter: 2 published comments, account 400 days old");

        case.author = newcomer();
        assert_eq!(
            case.run().reasons[0].detail,
            "A link from a new commenter: 0 published comments, account 3 hours old"
        );

        case.author = Author { account_age: TimeDelta::days(1), ..regular() };
        assert_eq!(case.run().decision, Decision::Hold, "young account");

        case.author = Author { published_comments: 3, ..regular() };
        assert_eq!(case.run().decision, Decision::Publish, "no longer new");

        case.author = staff();
        assert_eq!(case.run().decision, Decision::Publish, "staff");

        case.author = newcomer();
        case.body = LONG.to_owned();
        assert_eq!(case.run().decision, Decision::Publish, "no link");
    }

    // --- pre-moderation and always-review ------------------------------------------------------

    #[test]
    fn premoderation_modes() {
        let mut case = Case::new(LONG);
        case.settings.premoderation = Premoderation::Off;
        assert_eq!(case.run().decision, Decision::Publish);

        case.settings.premoderation = Premoderation::Everyone;
        let v = case.run();
        assert_eq!((v.decision, checks(&v)), (Decision::Hold, vec![Check::Premoderation]));
        assert_eq!(v.reasons[0].detail, "Every comment is pre-moderated");
        assert_eq!(v.author_message.as_deref(), Some(HELD_MESSAGE));

        case.author = staff();
        assert_eq!(case.run().decision, Decision::Publish);
    }

    #[test]
    fn premoderation_of_new_commenters_ends_at_n_approvals() {
        let mut case = Case::new(LONG);
        case.settings.premoderation = Premoderation::NewCommenters { approvals_needed: 3 };
        for (approved, held) in [(0, true), (1, true), (2, true), (3, false), (4, false)] {
            case.author = Author { approved_comments: approved, ..regular() };
            let v = case.run();
            assert_eq!(v.decision == Decision::Hold, held, "{approved} approved");
        }
        case.author = Author { approved_comments: 1, ..regular() };
        assert_eq!(case.run().reasons[0].detail, "New commenters are pre-moderated: 1 comment of 3 approved");
        case.author = staff();
        assert_eq!(case.run().decision, Decision::Publish);
    }

    #[test]
    fn always_review_holds_readers_only() {
        let mut case = Case::new(LONG);
        case.author = Author { always_review: true, ..regular() };
        let v = case.run();
        assert_eq!((v.decision, checks(&v)), (Decision::Hold, vec![Check::AlwaysReview]));

        case.author = Author { always_review: true, ..staff() };
        assert_eq!(case.run().decision, Decision::Publish);
    }

    #[test]
    fn premoderation_settings_round_trip() {
        for p in [
            Premoderation::Off,
            Premoderation::Everyone,
            Premoderation::NewCommenters { approvals_needed: 1 },
            Premoderation::NewCommenters { approvals_needed: MAX_APPROVALS_NEEDED },
        ] {
            assert_eq!(Premoderation::parse(&p.to_string()).unwrap(), p);
        }
        assert_eq!(Premoderation::parse(" NEW:5 ").unwrap(), Premoderation::NewCommenters { approvals_needed: 5 });
        for bad in ["", "on", "new", "new:", "new:0", "new:-1", "new:x", "new:101", "everyone"] {
            let err = Premoderation::parse(bad).unwrap_err();
            assert_eq!(err.field, "premoderation", "{bad}");
        }
        assert_eq!(Premoderation::default(), Premoderation::Off);
        assert_eq!(Premoderation::Off.label(), "Off");
        assert_eq!(Premoderation::Everyone.label(), "Everyone");
        assert_eq!(
            Premoderation::NewCommenters { approvals_needed: 1 }.label(),
            "New commenters, until 1 comment approved"
        );
        assert_eq!(
            Premoderation::NewCommenters { approvals_needed: 3 }.label(),
            "New commenters, until 3 comments approved"
        );
    }

    #[test]
    fn default_settings() {
        let s = PolicySettings::default();
        assert_eq!(s.premoderation, Premoderation::Off);
        assert_eq!(
            (
                s.masked_words_threshold,
                s.new_commenter_comments,
                s.new_commenter_days,
                s.repeat_window_hours,
                s.flag_threshold
            ),
            (3, 3, 2, 24, 3)
        );
        assert_eq!(s.repeat_window(), TimeDelta::hours(24));
    }

    // --- repeated text -----------------------------------------------------------------------

    fn repeat(body: &str, recent: &[&str]) -> Verdict {
        let mut case = Case::new(body);
        case.recent = recent.iter().map(|s| s.to_string()).collect();
        case.run()
    }

    #[test]
    fn identical_long_text_is_held_the_second_time() {
        assert_eq!(repeat(LONG, &[]).decision, Decision::Publish);
        let v = repeat(LONG, &["Something else entirely.", LONG]);
        assert_eq!((v.decision, checks(&v)), (Decision::Hold, vec![Check::RepeatedText]));
        assert_eq!(v.reasons[0].detail, "The same words as another of their comments in the last 24 hours");
    }

    #[test]
    fn case_punctuation_and_spacing_do_not_hide_a_repeat() {
        let shouted = LONG.to_uppercase().replace(", ", " ... ").replace(' ', "\n  ");
        let v = repeat(&shouted, &[LONG]);
        assert_eq!(v.decision, Decision::Hold);
    }

    #[test]
    fn near_identical_long_text_is_held() {
        // 20 words; one in ten changed still counts.
        let base = "one two three four five six seven eight nine ten eleven twelve thirteen \
                    fourteen fifteen sixteen seventeen eighteen nineteen twenty";
        let two_changed = base.replace("three", "THREE!!! 3").replace("nine ", "");
        assert_eq!(repeat_words(base).len(), 20);
        let v = repeat(&two_changed, &[base]);
        assert_eq!(v.decision, Decision::Hold, "{two_changed}");
        assert_eq!(v.reasons[0].detail, "90% the same words as another of their comments in the last 24 hours");

        let three_changed = base.replace("three", "3").replace("nine", "9").replace("fifteen", "15");
        assert_eq!(repeat(&three_changed, &[base]).decision, Decision::Publish);

        let appended = format!("{base} twentyone twentytwo");
        assert_eq!(repeat(&appended, &[base]).decision, Decision::Hold);
        let appended = format!("{base} and a few more words");
        assert_eq!(repeat(&appended, &[base]).decision, Decision::Publish);
    }

    #[test]
    fn short_texts_are_held_only_the_third_time() {
        for short in ["+1", "Agreed.", "Great article, thanks!", "👍", "I could not agree more here"] {
            assert_eq!(repeat(short, &[]).decision, Decision::Publish, "{short}");
            assert_eq!(repeat(short, &[short]).decision, Decision::Publish, "{short}");
            let v = repeat(short, &[short, "other", short]);
            assert_eq!(v.decision, Decision::Hold, "{short}");
            assert_eq!(v.reasons[0].detail, "The same short text for the 3rd time in 24 hours");
        }
        // Only the very same words count for short texts.
        assert_eq!(
            repeat("Agreed.", &["Agreed!!", "agreed", "AGREED"]).reasons[0].detail,
            "The same short text for the 4th time in 24 hours"
        );
        assert_eq!(repeat("Agreed.", &["Agreed, mostly.", "Not agreed."]).decision, Decision::Publish);
        // A short text is not a near copy of the long text it starts.
        assert_eq!(repeat("The council should", &[LONG, LONG]).decision, Decision::Publish);
    }

    #[test]
    fn different_texts_are_not_repeats() {
        let other = "I disagree: the budget was published last month and nobody read it, \
                     which says more about us than about the council.";
        assert_eq!(repeat(LONG, &[other, other, other]).decision, Decision::Publish);
    }

    #[test]
    fn staff_may_repeat_themselves() {
        let mut case = Case::new("Please keep it civil.");
        case.author = staff();
        case.recent = vec![case.body.clone(); 5];
        assert_eq!(case.run().decision, Decision::Publish);
    }

    #[test]
    fn the_repeat_detail_names_the_window() {
        let mut case = Case::new(LONG);
        case.recent = vec![LONG.to_owned()];
        case.settings.repeat_window_hours = 1;
        assert_eq!(case.run().reasons[0].detail, "The same words as another of their comments in the last 1 hour");
    }

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].map(ordinal).into();
        assert_eq!(got, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]);
    }

    fn edit_distance(a: &[u8], b: &[u8]) -> usize {
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for i in 1..=a.len() {
            let mut cur = vec![i; b.len() + 1];
            for j in 1..=b.len() {
                cur[j] = (prev[j - 1] + usize::from(a[i - 1] != b[j - 1])).min(prev[j] + 1).min(cur[j - 1] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn bounded_edit_distance_examples() {
        assert_eq!(bounded_edit_distance(b"kitten", b"sitting", 3), Some(3));
        assert_eq!(bounded_edit_distance(b"kitten", b"sitting", 2), None);
        assert_eq!(bounded_edit_distance(b"", b"", 0), Some(0));
        assert_eq!(bounded_edit_distance(b"", b"ab", 2), Some(2));
        assert_eq!(bounded_edit_distance(b"abc", b"", 2), None);
        assert_eq!(bounded_edit_distance(b"abc", b"abc", 0), Some(0));
    }

    #[test]
    fn long_bodies_compare_quickly() {
        let words: Vec<String> = (0..1_700).map(|i| format!("w{i}")).collect();
        let mut other = words.clone();
        other.reverse();
        let start = std::time::Instant::now();
        for _ in 0..20 {
            assert_eq!(similarity_percent(&words, &other, 90), None);
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    // --- ordering and combinations -----------------------------------------------------------

    #[test]
    fn the_strongest_decision_wins_and_every_reason_is_kept() {
        let mut case = Case::new("Buy at https://pills.example/cheap now, snowflakes");
        case.author = Author { always_review: true, ..newcomer() };
        case.analysis.suspect_words = vec!["snowflake".into()];
        case.analysis.severe = true;
        case.analysis.masked_words = 3;
        case.settings.premoderation = Premoderation::Everyone;
        case.recent = vec![case.body.clone(); 2];
        let v = case.run();
        assert_eq!(v.decision, Decision::Hold);
        assert_eq!(checks(&v), Check::ALL[2..].to_vec());
        for r in &v.reasons {
            assert_eq!(r.decision, r.check.decision());
            assert!(!r.detail.is_empty());
        }
        assert_eq!(v.author_message.as_deref(), Some(HELD_MESSAGE));
    }

    #[test]
    fn reports_alone_publish_without_a_message() {
        let mut case = Case::new(LONG);
        case.analysis.suspect_words = vec!["globalist".into()];
        case.analysis.masked_words = 5;
        let v = case.run();
        assert_eq!(v.decision, Decision::PublishAndReport);
        assert_eq!(checks(&v), [Check::SuspectWords, Check::ManyMaskedWords]);
        assert!(v.author_message.is_none());
    }

    #[test]
    fn a_report_and_a_hold_make_a_hold() {
        let mut case = Case::new(LONG);
        case.analysis.suspect_words = vec!["globalist".into()];
        case.author = Author { always_review: true, ..regular() };
        let v = case.run();
        assert_eq!(v.decision, Decision::Hold);
        assert_eq!(checks(&v), [Check::SuspectWords, Check::AlwaysReview]);
    }

    #[test]
    fn with_the_real_profanity_filter() {
        use super::super::profanity::{ProfanityFilter, SiteWordLists};
        let filter = ProfanityFilter::new(&SiteWordLists {
            banned: vec!["gammon".into()],
            suspect: vec!["snowflake".into()],
            allowed: vec![],
        });
        let judge = |body: &str| {
            let mut case = Case::new(body);
            case.analysis = filter.analyze(body, '*');
            case.run()
        };
        let v = judge("Typical gammon response.");
        assert_eq!((v.decision, checks(&v)), (Decision::Reject, vec![Check::BannedWords]));
        let v = judge("Another snowflake take.");
        assert_eq!(checks(&v), [Check::SuspectWords]);
        let v = judge("typical faggot");
        assert_eq!(checks(&v), [Check::SevereContent]);
        assert_eq!(v.reasons[0].detail, "A slur or hate speech");
        let v = judge("oh fuck, the bastard, what a shit show");
        assert_eq!((v.decision, checks(&v)), (Decision::PublishAndReport, vec![Check::ManyMaskedWords]));
        assert_eq!(judge(LONG).decision, Decision::Publish);
    }

    // --- link detection ----------------------------------------------------------------------

    #[test]
    fn links_are_found() {
        for text in [
            "see https://example.com",
            "HTTP://EXAMPLE.COM",
            "(http://localhost:8080/x)",
            "ftp://files.example",
            "hxxps://evil.example",
            "<https://example.com>",
            "[my site](/about)",
            "[click here](example)",
            "[ref]: https://example.com",
            "go to www.example.org now",
            "www.example.zz",
            "example.com",
            "Visit Example.COM.",
            "cheap-pills.xyz today",
            "bit.ly",
            "news.bbc.co.uk",
            "**example.net**",
            "\"example.io\"",
            "example.zz/path",
            "example.me/about",
            "xn--e1afmkfd.xn--p1ai",
            "first line\nexample.org\nlast line",
            "é example.org",
        ] {
            assert!(contains_link(text), "{text:?} should be a link");
        }
    }

    #[test]
    fn things_that_are_not_links() {
        for text in [
            "",
            "Write to me at someone@example.com please",
            "first.last@mail.example.co.uk",
            "It rose 3.5% to 12.75 million.",
            "version 1.2.3 is out",
            "Bring snacks, e.g. crisps, i.e. food.",
            "The U.S.A. and the U.K. agree.",
            "She has a Ph.D. and a B.Sc.",
            "I went home.It was late.",
            "Call me.So what?",
            "Mr.Smith and St.Ives",
            "well...so",
            "file:///etc/passwd",
            "ratio 16:9 and time 10:30",
            "http:// nothing",
            "[sic] (sic)",
            "[] ()",
            "a ](",
            "and/or",
            "README.md and main.rs and photo.jpg",
            "Node.js and Vue.js",
            "mailto",
            "-.com",
        ] {
            assert!(!contains_link(text), "{text:?} should not be a link");
        }
    }

    fn prose() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9 ,;!?'\"()\n-]{0,200}"
    }

    proptest! {
        #[test]
        fn link_detection_never_panics(text in any::<String>()) {
            let _ = contains_link(&text);
        }

        #[test]
        fn plain_prose_has_no_links(text in prose()) {
            prop_assert!(!contains_link(&text));
        }

        #[test]
        fn a_url_anywhere_is_found(
            before in prose(),
            after in prose(),
            scheme in "(http|https|ftp)",
            host in "[a-z][a-z0-9-]{0,20}(\\.[a-z0-9]{1,10}){0,2}",
            path in "(/[a-z0-9._~-]{0,10}){0,3}",
        ) {
            let text = format!("{before} {scheme}://{host}{path} {after}");
            prop_assert!(contains_link(&text), "{}", text);
        }

        #[test]
        fn a_bare_domain_anywhere_is_found(
            before in prose(),
            after in prose(),
            name in "[a-z0-9]([a-z0-9-]{0,15}[a-z0-9])?",
            tld in prop::sample::select(LINK_TLDS),
            trailing in "[.,!?)]?",
        ) {
            let text = format!("{before} {name}.{tld}{trailing} {after}");
            prop_assert!(contains_link(&text), "{}", text);
        }

        #[test]
        fn email_addresses_and_decimals_are_not_links(
            before in prose(),
            after in prose(),
            local in "[a-z0-9_+]{1,10}(\\.[a-z0-9]{1,10})?",
            domain in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,10})?",
            tld in prop::sample::select(LINK_TLDS),
            whole in 0u32..100_000,
            fraction in 0u32..100_000,
        ) {
            let text = format!("{before} {local}@{domain}.{tld} {whole}.{fraction} {after}");
            prop_assert!(!contains_link(&text), "{}", text);
        }

        #[test]
        fn bounded_edit_distance_agrees_with_the_full_table(
            a in prop::collection::vec(0u8..4, 0..30),
            b in prop::collection::vec(0u8..4, 0..30),
            k in 0usize..35,
        ) {
            let d = edit_distance(&a, &b);
            prop_assert_eq!(bounded_edit_distance(&a, &b, k), (d <= k).then_some(d));
        }

        #[test]
        fn a_text_always_repeats_itself(text in "\\PC{1,300}") {
            prop_assert_eq!(
                similarity_percent(&repeat_words(&text), &repeat_words(&text), 90),
                Some(100)
            );
        }
    }

    // --- reader flags ------------------------------------------------------------------------

    #[test]
    fn flag_reasons_round_trip() {
        for r in FlagReason::ALL {
            assert_eq!(FlagReason::parse(r.as_str()).unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
            assert_eq!(r.to_string(), r.as_str());
            assert!(!r.label().is_empty());
        }
        assert_eq!(FlagReason::parse(" Off_Topic ").unwrap(), FlagReason::OffTopic);
        let err = FlagReason::parse("boring").unwrap_err();
        assert_eq!(err.field, "reason");
        let removal: RemovalReason = FlagReason::Spam;
        assert_eq!(removal.as_str(), "spam");
    }

    #[test]
    fn flag_validation() {
        assert_eq!(validate_flag("spam", None).unwrap(), (FlagReason::Spam, None));
        assert_eq!(validate_flag("hate", Some("   ")).unwrap(), (FlagReason::Hate, None));
        assert_eq!(
            validate_flag("abuse", Some("  targets another reader \r\n")).unwrap(),
            (FlagReason::Abuse, Some("targets another reader".to_owned()))
        );
        assert_eq!(
            validate_flag("other", Some("copied from another site")).unwrap(),
            (FlagReason::Other, Some("copied from another site".to_owned()))
        );
        for note in [None, Some(""), Some(" \n ")] {
            let err = validate_flag("other", note).unwrap_err();
            assert_eq!(err.field, "note");
        }
        assert_eq!(validate_flag("nope", Some("x")).unwrap_err().field, "reason");

        let longest = "é".repeat(MAX_FLAG_NOTE_CHARS);
        assert!(validate_flag("other", Some(&longest)).is_ok());
        let err = validate_flag("spam", Some(&format!("{longest}x"))).unwrap_err();
        assert_eq!(err.field, "note");
        assert!(err.message.contains("501"), "{}", err.message);
        // A line break counts once, as the browser counted it.
        let lines = "ab\r\n".repeat(166);
        assert_eq!(lines.replace("\r\n", "\n").trim().chars().count(), 497);
        assert!(validate_flag("other", Some(&lines)).is_ok());
    }

    #[test]
    fn flag_weight_examples() {
        assert_eq!(flag_weight_milli(0, 0), 1000, "no history");
        assert_eq!(flag_weight_milli(0, 2), 1000, "two dismissals forgiven");
        assert_eq!(flag_weight_milli(10, 12), 1000);
        assert_eq!(flag_weight_milli(50, 0), 1000);
        assert_eq!(flag_weight_milli(0, 3), 667, "two thirds, rounded up");
        assert_eq!(flag_weight_milli(1, 6), 500);
        assert_eq!(flag_weight_milli(0, 7), 286);
        assert_eq!(flag_weight_milli(0, 8), 250);
        assert_eq!(flag_weight_milli(0, 1_000), 250, "the floor");
        assert_eq!(flag_weight_milli(-3, -3), 1000, "nonsense counts as no history");
        assert_eq!(flag_weight_milli(i64::MAX, i64::MAX), 1000);
        assert_eq!(flag_weight_milli(0, i64::MAX), 250);
    }

    #[test]
    fn three_readers_at_two_thirds_make_two_flags() {
        let total = 3 * flag_weight_milli(0, 3);
        assert!(flags_reach_threshold(total, 2));
        assert!(!flags_reach_threshold(total, 3));
    }

    #[test]
    fn flag_threshold() {
        assert!(!flags_reach_threshold(2_999, 3));
        assert!(flags_reach_threshold(3_000, 3));
        assert!(flags_reach_threshold(1_000, 1));
        assert!(!flags_reach_threshold(1_000_000, 0), "0 turns it off");
        assert!(!flags_reach_threshold(0, 1));
    }

    #[test]
    fn the_module_doc_states_the_flag_rule() {
        let doc: String = include_str!("moderation.rs")
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| l.trim_start_matches("//!").trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(doc.contains(FLAG_WEIGHT_EXPLAINED), "{doc}");
    }

    proptest! {
        #[test]
        fn flag_weight_is_bounded_and_monotonic(upheld in 0i64..200, dismissed in 0i64..200) {
            let w = flag_weight_milli(upheld, dismissed);
            prop_assert!((MIN_FLAG_MILLI..=FULL_FLAG_MILLI).contains(&w));
            prop_assert!(flag_weight_milli(upheld + 1, dismissed) >= w);
            prop_assert!(flag_weight_milli(upheld, dismissed + 1) <= w);
            if dismissed <= upheld {
                prop_assert_eq!(w, FULL_FLAG_MILLI, "mostly upheld counts fully");
            }
        }
    }
}
