//! Other systems' exports read as a stream of typed records: Disqus XML, WordPress WXR and
//! Isso's SQLite database. Readers keep nothing of a record once it is yielded, so memory stays
//! flat however large the file; what resolving parents needs (ids) is the importer's to keep.
//!
//! A reader stops at the first thing that makes the file not what it claims (not XML, the
//! wrong format, cut short) with a `FormatError` naming the line. A single record whose fields
//! cannot be read (a date that is not a date) is yielded as `Record::Skipped`, with its line, so
//! one bad post in a real export does not lose the other thousands. No reader resolves a DTD or
//! an external entity: an entity other than XML's five and character references is an error.

pub mod disqus;
pub mod html;
pub mod isso;
pub mod wxr;
mod xml;

use std::fmt;

use chrono::NaiveDateTime;

/// A thread as the source names it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceThread {
    /// The source's id for it, unique within the file.
    pub key: String,
    /// The article's address as the source has it (Isso: a path, joined to the site later).
    pub url: String,
    pub title: Option<String>,
    /// Deleted in the source: its comments are skipped, as the source no longer shows them.
    pub deleted: bool,
}

/// What state a comment was in at the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceState {
    Published,
    /// Waiting for approval.
    Pending,
    /// Marked as spam by the source's moderators.
    Spam,
    /// Put in the bin by the source's moderators.
    Trashed,
    /// Deleted: kept only as a placeholder while it has replies.
    Deleted,
}

impl SourceState {
    pub fn label(self) -> &'static str {
        match self {
            SourceState::Published => "published",
            SourceState::Pending => "pending",
            SourceState::Spam => "spam",
            SourceState::Trashed => "trashed",
            SourceState::Deleted => "deleted",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceComment {
    /// Unique across sources and files of one site: the source's name and its ids.
    pub key: String,
    pub thread_key: String,
    /// The `key` of the comment it replies to.
    pub parent_key: Option<String>,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    /// Markdown (HTML bodies are converted by the reader).
    pub body: String,
    pub created_at: NaiveDateTime,
    pub state: SourceState,
    pub likes: i64,
    pub dislikes: i64,
    /// The line (or Isso row id) it was read from, for the report.
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Thread(SourceThread),
    Comment(SourceComment),
    /// Not imported, and why (pingbacks, trackbacks, unreadable records).
    Skipped {
        line: u64,
        reason: SkipReason,
        detail: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    Pingback,
    Trackback,
    Unreadable,
}

impl SkipReason {
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::Pingback => "pingback",
            SkipReason::Trackback => "trackback",
            SkipReason::Unreadable => "unreadable record",
        }
    }
}

/// The file is not what it claims: nothing of it is imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: u64,
    pub message: String,
}

impl FormatError {
    pub fn at(line: u64, message: impl Into<String>) -> FormatError {
        FormatError { line, message: message.into() }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for FormatError {}

/// The formats `civil import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Disqus,
    WordPress,
    Isso,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Disqus => "disqus",
            Format::WordPress => "wordpress",
            Format::Isso => "isso",
        }
    }
}

/// A source that can be read from the start any number of times (the importer reads it once
/// to check it, then again to write).
pub trait Source {
    fn records(&self) -> Result<Box<dyn Iterator<Item = Result<Record, FormatError>> + '_>, FormatError>;
    /// Says which database or site the ids belong to, so that two different sources' id 7
    /// are two comments (Disqus ids are global; WordPress and Isso ids are per site).
    fn format(&self) -> Format;
}

/// Collapse runs of white space and trim; `None` when nothing is left.
pub(crate) fn clean_line(text: &str) -> Option<String> {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}
