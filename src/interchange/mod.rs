//! Other systems' exports read as a stream of typed records: Disqus XML, WordPress WXR and
//! Isso's SQLite database. Readers keep nothing of a record once it is yielded, so memory stays
//! flat however large the file; what resolving parents needs (ids) is the importer's to keep.
//!
//! A reader stops at the first thing that makes the file not what it claims (not XML, the
//! wrong format, cut short) with a `FormatError` naming the line. A single record whose fields
//! cannot be read (a date that is not a date) is yielded as `Record::Skipped`, with its line, so
//! one bad post in a real export does not lose the other thousands. No reader resolves a DTD or
//! an external entity: an entity other than XML's five and character references is an error.

pub mod civil;
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

/// The records that `read` gives one at a time, until it says the file ended (`Ok(None)`) or
/// fails: a failure is the last item, since a streaming reader cannot go on past it.
fn until_end_or_error<'a>(
    mut read: impl FnMut() -> Result<Option<Record>, FormatError> + 'a,
) -> Box<dyn Iterator<Item = Result<Record, FormatError>> + 'a> {
    let mut done = false;
    Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let record = read();
        if !matches!(record, Ok(Some(_))) {
            done = true;
        }
        record.transpose()
    }))
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::disqus::DisqusFile;
    use super::wxr::WxrFile;
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name)
    }

    fn read(source: &dyn Source) -> Vec<Record> {
        source.records().unwrap().collect::<Result<_, _>>().unwrap()
    }

    fn comments(records: &[Record]) -> Vec<&SourceComment> {
        records.iter().filter_map(|r| if let Record::Comment(c) = r { Some(c) } else { None }).collect()
    }

    #[test]
    fn disqus_posts_keep_their_thread_parent_and_state() {
        let records = read(&DisqusFile::new(&fixture("isso-disqus.xml")));
        let posts = comments(&records);
        assert_eq!(posts.len(), 6, "posts 4, 5, 6, 8, 9 and 11");
        let reply = posts.iter().find(|c| c.key == "disqus:5").unwrap();
        assert_eq!(reply.parent_key.as_deref(), Some("disqus:4"));
        assert_eq!(reply.body, "Hello, World.");
        assert_eq!(reply.author_email.as_deref(), Some("foo@bar.com"));
        assert_eq!(posts.iter().find(|c| c.key == "disqus:9").unwrap().state, SourceState::Deleted);
        let threads: Vec<&SourceThread> =
            records.iter().filter_map(|r| if let Record::Thread(t) = r { Some(t) } else { None }).collect();
        assert_eq!(threads[0].title.as_deref(), Some("Hello, World!"));
        assert_eq!(threads[0].url, "http://example.org/");
    }

    #[test]
    fn a_post_without_dsq_id_takes_its_id_and_a_malformed_one_is_skipped_with_its_line() {
        let records = read(&DisqusFile::new(&fixture("remark42-disqus.xml")));
        assert!(comments(&records).iter().any(|c| c.key == "disqus:12345678890"));
        let skipped: Vec<_> = records.iter().filter(|r| matches!(r, Record::Skipped { .. })).collect();
        assert!(
            matches!(skipped.as_slice(), [Record::Skipped { line: 135, reason: SkipReason::Unreadable, .. }]),
            "{skipped:?}"
        );
    }

    #[test]
    fn wordpress_comments_are_keyed_per_item_and_pingbacks_skipped() {
        let records = read(&WxrFile::new(&fixture("isso-wordpress.xml")));
        let keys: Vec<&str> = comments(&records).iter().map(|c| c.key.as_str()).collect();
        assert!(keys.contains(&"wordpress:http://example.tld/2014/test/#11"));
        assert!(keys.contains(&"wordpress:http://example.tld/?p=4#11"), "{keys:?}");
        let multi = comments(&records).into_iter().find(|c| c.body.starts_with("When you have")).unwrap();
        assert_eq!(multi.body, "When you have a comment with multiple lines:  \nWordPress exports it like this.");
        assert_eq!(multi.created_at.to_string(), "2022-06-06 02:13:14", "the GMT time");

        let records = read(&WxrFile::new(&fixture("remark42-wordpress.xml")));
        assert!(records.iter().any(|r| matches!(r, Record::Skipped { reason: SkipReason::Pingback, .. })));
        assert_eq!(comments(&records).iter().filter(|c| c.state == SourceState::Pending).count(), 1);
    }

    #[test]
    fn each_reader_refuses_the_other_format() {
        let err = WxrFile::new(&fixture("isso-disqus.xml")).records().err().unwrap();
        assert!(err.message.contains("a Disqus export"), "{err}");
        let err = DisqusFile::new(&fixture("remark42-wordpress.xml")).records().err().unwrap();
        assert!(err.message.contains("a WordPress export"), "{err}");
    }
}
