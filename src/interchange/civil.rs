//! Civil's own export: one JSON document holding everything a site owns, written and read back
//! as a stream, so memory stays flat however large the site.
//!
//! The layout (documented in README, "Leaving Civil, or moving it"):
//!
//! ```text
//! {"format":"civil-export","version":1,"secrets":false,
//! "site_settings":[
//! {...one row a line...}
//! ],
//! "users":[
//! ...
//! ]}
//! ```
//!
//! Each section is one table, named as the table, its rows in primary-key order, each row an
//! object whose keys are the table's columns in the schema's order. The format *is* the tables'
//! rows, on purpose: a restore loses nothing, links and permalinks keep their ids, and export,
//! import, export gives the same bytes. So each record here is also the table's diesel row
//! (`Queryable`/`Insertable` against `store::schema`); a unit test in `store::export` fails when
//! a table or column appears that the format neither carries nor lists as transient.
//!
//! Sections come in a fixed order, parents before what refers to them, so each row can be
//! written to the database as soon as it is read.

use std::fmt;
use std::io::{self, Write};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::store::schema::*;

pub const FORMAT: &str = "civil-export";
/// Bumped whenever a section or a field changes; Civil reads every version it ever wrote.
pub const VERSION: u32 = 1;
/// Stands for a secret left out of an export made without `--with-secrets`.
pub const WITHHELD: &str = "withheld";

/// What the document says about itself, before the sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    /// Made with `--with-secrets`: password hashes, link tokens and signing keys are in it.
    pub secrets: bool,
}

macro_rules! sections {
    ($($variant:ident => $table:ident, $record:ident;)*) => {
        /// The sections, in the order they are written and must be read.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Section { $($variant),* }

        impl Section {
            pub const ALL: &'static [Section] = &[$(Section::$variant),*];

            /// The section's key in the document, which is its table's name.
            pub fn name(self) -> &'static str {
                match self { $(Section::$variant => stringify!($table)),* }
            }

            /// The keys of its rows (sorted), for the test that they are the table's columns.
            pub fn fields(self) -> Vec<String> {
                let row = match self { $(Section::$variant => serde_json::to_value($record::default())),* };
                match row.expect("a default record serialises") {
                    serde_json::Value::Object(map) => map.keys().cloned().collect(),
                    _ => unreachable!("records are structs"),
                }
            }
        }

        /// One row of any section.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Row { $($variant($record)),* }

        impl Row {
            pub fn section(&self) -> Section {
                match self { $(Row::$variant(_) => Section::$variant),* }
            }
        }

        fn read_section<'de, A: SeqAccess<'de>, S: Sink>(
            section: Section,
            seq: &mut A,
            sink: &mut S,
            failed: &mut Option<S::Error>,
        ) -> Result<(), A::Error> {
            match section {
                $(Section::$variant => {
                    while let Some(record) = seq.next_element::<$record>()? {
                        if let Err(e) = sink.row(Row::$variant(record)) {
                            *failed = Some(e);
                            return Err(de::Error::custom(STOPPED));
                        }
                    }
                })*
            }
            Ok(())
        }
    };
}

sections! {
    SiteSettings => site_settings, SiteSettingRecord;
    Users => users, UserRecord;
    Articles => articles, ArticleRecord;
    EmbedSites => embed_sites, EmbedSiteRecord;
    Comments => comments, CommentRecord;
    CommentVotes => comment_votes, CommentVoteRecord;
    CommentFlags => comment_flags, CommentFlagRecord;
    ModerationLog => moderation_log, ModerationLogRecord;
    Subscribers => subscribers, SubscriberRecord;
    NewsletterIssues => newsletter_issues, NewsletterIssueRecord;
    Webhooks => webhooks, WebhookRecord;
    ImportSources => import_sources, ImportSourceRecord;
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A site setting: the moderation policy, word lists, newsletter and auto-close settings. The
/// form-signing key (`form_token_key`) is a secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = site_settings, treat_none_as_default_value = false)]
pub struct SiteSettingRecord {
    pub key: String,
    pub value: String,
    pub updated_at: NaiveDateTime,
}

/// An account. `password_hash` is the argon2 hash, "" for an account without a password (single
/// sign-on, unclaimed import, deleted), or `WITHHELD`; `notify_token` is a secret too.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub username_key: String,
    pub email: String,
    pub email_key: String,
    pub display_name: Option<String>,
    pub password_hash: String,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub email_verified_at: Option<NaiveDateTime>,
    pub always_review: bool,
    pub suspended_until: Option<NaiveDateTime>,
    pub banned_at: Option<NaiveDateTime>,
    pub sanction_reason: Option<String>,
    pub flags_upheld: i64,
    pub flags_dismissed: i64,
    pub approved_comments: i64,
    pub notify_replies: bool,
    pub notify_token: Option<String>,
    pub sso_subject: Option<String>,
    pub deleted_at: Option<NaiveDateTime>,
}

/// A Civil article, or an external thread (`canonical_url` set: the embedding page's address).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = articles, treat_none_as_default_value = false)]
pub struct ArticleRecord {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub body_html: String,
    pub author_name: String,
    pub published_at: Option<NaiveDateTime>,
    pub comments_open: bool,
    pub comment_count: i64,
    pub comment_version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub reopened_at: Option<NaiveDateTime>,
    pub canonical_url: Option<String>,
}

/// A site allowed to embed, with the query parameters that make different pages there.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = embed_sites, treat_none_as_default_value = false)]
pub struct EmbedSiteRecord {
    pub id: i64,
    pub origin: String,
    pub meaningful_params: String,
    pub created_at: NaiveDateTime,
}

/// A comment with both texts: `body_raw` as written, `body_html` as readers see it (masked).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = comments, treat_none_as_default_value = false)]
pub struct CommentRecord {
    pub id: i64,
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub root_id: i64,
    pub path: String,
    pub depth: i32,
    pub author_id: i64,
    pub body_raw: String,
    pub body_html: String,
    pub status: String,
    pub score: i64,
    pub live_replies: i64,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub reported: bool,
    pub flag_weight: i64,
    pub system_reasons: String,
    pub queued_at: Option<NaiveDateTime>,
    pub removal_reason: Option<String>,
    pub removal_note: Option<String>,
    pub moderated_at: Option<NaiveDateTime>,
    pub moderated_by: Option<i64>,
    pub featured_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = comment_votes, treat_none_as_default_value = false)]
pub struct CommentVoteRecord {
    pub comment_id: i64,
    pub user_id: i64,
    pub value: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = comment_flags, treat_none_as_default_value = false)]
pub struct CommentFlagRecord {
    pub id: i64,
    pub comment_id: i64,
    pub user_id: i64,
    pub reason: String,
    pub note: Option<String>,
    pub weight: i64,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = moderation_log, treat_none_as_default_value = false)]
pub struct ModerationLogRecord {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub rule: Option<String>,
    pub action: String,
    pub comment_id: Option<i64>,
    pub target_user_id: Option<i64>,
    pub article_id: Option<i64>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A newsletter subscriber with its consent times. `unsubscribe_token` (in every issue's
/// unsubscribe link) and `confirm_token_hash` are secrets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = subscribers, treat_none_as_default_value = false)]
pub struct SubscriberRecord {
    pub id: i64,
    pub email: String,
    pub email_key: String,
    pub status: String,
    pub user_id: Option<i64>,
    pub confirm_token_hash: Option<String>,
    pub confirm_expires_at: Option<NaiveDateTime>,
    pub confirm_sent_at: Option<NaiveDateTime>,
    pub unsubscribe_token: String,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub unsubscribed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = newsletter_issues, treat_none_as_default_value = false)]
pub struct NewsletterIssueRecord {
    pub id: i64,
    pub subject: String,
    pub body_md: String,
    pub body_html: String,
    pub body_text: String,
    pub kind: String,
    pub status: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub queued_at: Option<NaiveDateTime>,
    pub recipients: i64,
}

/// A webhook endpoint; `secret` signs its deliveries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = webhooks, treat_none_as_default_value = false)]
pub struct WebhookRecord {
    pub id: i64,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub created_at: NaiveDateTime,
    pub last_status: Option<String>,
    pub last_status_at: Option<NaiveDateTime>,
}

/// What an import from another system brought, by the source's id, so that importing the same
/// file after a restore still adds nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[serde(deny_unknown_fields)]
#[diesel(table_name = import_sources, treat_none_as_default_value = false)]
pub struct ImportSourceRecord {
    pub kind: String,
    pub source_key: String,
    pub target_id: i64,
    pub imported_at: NaiveDateTime,
}

/// Writes an export: the header, then each section in `Section::ALL` order, one row a line.
pub struct Writer<W: Write> {
    out: W,
    /// The next section that may begin, as an index into `Section::ALL`.
    next: usize,
    open: bool,
    rows_in_section: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(mut out: W, header: Header) -> io::Result<Writer<W>> {
        write!(out, "{{\"format\":\"{FORMAT}\",\"version\":{},\"secrets\":{}", header.version, header.secrets)?;
        Ok(Writer { out, next: 0, open: false, rows_in_section: 0 })
    }

    /// Begin `section`, which must be the next one in order.
    pub fn begin(&mut self, section: Section) -> io::Result<()> {
        assert_eq!(Section::ALL.get(self.next), Some(&section), "sections are written in order");
        self.close()?;
        write!(self.out, ",\n\"{}\":[", section.name())?;
        self.next += 1;
        self.open = true;
        Ok(())
    }

    pub fn row<T: Serialize>(&mut self, row: &T) -> io::Result<()> {
        assert!(self.open, "a row belongs to a section");
        self.out.write_all(if self.rows_in_section == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, row)?;
        self.rows_in_section += 1;
        Ok(())
    }

    fn close(&mut self) -> io::Result<()> {
        if self.open {
            self.out.write_all(if self.rows_in_section == 0 { b"]" } else { b"\n]" })?;
            self.open = false;
            self.rows_in_section = 0;
        }
        Ok(())
    }

    /// End the document (every section must have been written) and hand back the output.
    pub fn finish(mut self) -> io::Result<W> {
        assert_eq!(self.next, Section::ALL.len(), "every section is written");
        self.close()?;
        self.out.write_all(b"}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Where rows go as they are read.
pub trait Sink {
    type Error;
    /// Called once the header is read, before any row.
    fn header(&mut self, header: Header) -> Result<(), Self::Error>;
    fn row(&mut self, row: Row) -> Result<(), Self::Error>;
}

/// Why reading stopped.
#[derive(Debug)]
pub enum ReadError<E> {
    /// The file is not a sound Civil export (not JSON, another format or version, cut short, a
    /// row that does not fit its section), with the line and column.
    Format { line: usize, column: usize, message: String },
    /// The sink refused a row.
    Sink(E),
}

impl<E: fmt::Display> fmt::Display for ReadError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Format { line: 0, message, .. } => write!(f, "{message}"),
            ReadError::Format { line, column, message } => {
                write!(f, "line {line}, column {column}: {message}")
            }
            ReadError::Sink(e) => write!(f, "{e}"),
        }
    }
}

const STOPPED: &str = "the row could not be written";

/// Read an export from `input`, handing each row to `sink` as soon as it is parsed.
pub fn read<R: io::Read, S: Sink>(input: R, sink: &mut S) -> Result<Header, ReadError<S::Error>> {
    let mut de = serde_json::Deserializer::from_reader(io::BufReader::new(input));
    let mut failed = None;
    let outcome = DocumentSeed { sink, failed: &mut failed }.deserialize(&mut de).and_then(|header| {
        de.end()?;
        Ok(header)
    });
    if let Some(e) = failed {
        return Err(ReadError::Sink(e));
    }
    outcome.map_err(|e| {
        let message = e.to_string();
        // serde_json appends " at line L column C"; the position is given on its own.
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        let message = match e.classify() {
            serde_json::error::Category::Eof => format!("the file ends too early, cut short? ({message})"),
            serde_json::error::Category::Syntax if e.line() == 1 && e.column() <= 1 => {
                format!("this is not JSON, so not a Civil export ({message})")
            }
            _ => message,
        };
        ReadError::Format { line: e.line(), column: e.column(), message }
    })
}

struct DocumentSeed<'a, S: Sink> {
    sink: &'a mut S,
    failed: &'a mut Option<S::Error>,
}

impl<'de, S: Sink> DeserializeSeed<'de> for DocumentSeed<'_, S> {
    type Value = Header;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Header, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for DocumentSeed<'_, S> {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a Civil export (a JSON object starting with \"format\": \"{FORMAT}\")")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let not_civil =
            || de::Error::custom(format!("not a Civil export: it must start with \"format\": \"{FORMAT}\""));
        match map.next_key::<String>()? {
            Some(key) if key == "format" => {}
            _ => return Err(not_civil()),
        }
        let format: String = map.next_value()?;
        if format != FORMAT {
            return Err(de::Error::custom(format!("not a Civil export: the format is {format:?}, not {FORMAT:?}")));
        }
        let version: u32 = match map.next_key::<String>()? {
            Some(key) if key == "version" => map.next_value()?,
            _ => return Err(de::Error::custom("the export's \"version\" must follow its \"format\"")),
        };
        if version != VERSION {
            return Err(de::Error::custom(format!(
                "this is a version {version} export; this Civil reads version {VERSION}: use a Civil as recent as the one that wrote it"
            )));
        }
        let secrets: bool = match map.next_key::<String>()? {
            Some(key) if key == "secrets" => map.next_value()?,
            _ => return Err(de::Error::custom("the export's \"secrets\" must follow its \"version\"")),
        };
        let header = Header { version, secrets };
        if let Err(e) = self.sink.header(header) {
            *self.failed = Some(e);
            return Err(de::Error::custom(STOPPED));
        }
        for &expected in Section::ALL {
            match map.next_key::<String>()? {
                Some(key) if key == expected.name() => {}
                Some(key) => {
                    return Err(de::Error::custom(match Section::ALL.iter().find(|s| s.name() == key) {
                        Some(_) => format!("section {key:?} is out of order: {:?} comes first", expected.name()),
                        None => format!("unknown section {key:?} (expected {:?})", expected.name()),
                    }))
                }
                None => return Err(de::Error::custom(format!("section {:?} is missing", expected.name()))),
            }
            map.next_value_seed(SectionSeed { section: expected, sink: &mut *self.sink, failed: &mut *self.failed })?;
        }
        if let Some(key) = map.next_key::<String>()? {
            return Err(de::Error::custom(format!("unknown section {key:?} after the last one")));
        }
        Ok(header)
    }
}

struct SectionSeed<'a, S: Sink> {
    section: Section,
    sink: &'a mut S,
    failed: &'a mut Option<S::Error>,
}

impl<'de, S: Sink> DeserializeSeed<'de> for SectionSeed<'_, S> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for SectionSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "the rows of {} (a list)", self.section.name())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        read_section(self.section, &mut seq, self.sink, self.failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects what it is given; refuses the row numbered `refuse`.
    #[derive(Default)]
    struct Collect {
        header: Option<Header>,
        rows: Vec<Row>,
        refuse: Option<usize>,
    }

    impl Sink for Collect {
        type Error = String;
        fn header(&mut self, header: Header) -> Result<(), String> {
            self.header = Some(header);
            Ok(())
        }
        fn row(&mut self, row: Row) -> Result<(), String> {
            if self.refuse == Some(self.rows.len()) {
                return Err("refused".into());
            }
            self.rows.push(row);
            Ok(())
        }
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    fn sample() -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), Header { version: VERSION, secrets: false }).unwrap();
        for &section in Section::ALL {
            w.begin(section).unwrap();
            match section {
                Section::SiteSettings => {
                    w.row(&SiteSettingRecord {
                        key: "a".into(),
                        value: "1".into(),
                        updated_at: at("2026-01-02 03:04:05.123456"),
                    })
                    .unwrap();
                    w.row(&SiteSettingRecord {
                        key: "b".into(),
                        value: "\"é\n".into(),
                        updated_at: at("2026-01-02 03:04:05"),
                    })
                    .unwrap();
                }
                Section::Users => w.row(&UserRecord { id: 7, username: "ann".into(), ..Default::default() }).unwrap(),
                _ => {}
            }
        }
        w.finish().unwrap()
    }

    #[test]
    fn writes_one_row_a_line_and_reads_it_back() {
        let bytes = sample();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("{\"format\":\"civil-export\",\"version\":1,\"secrets\":false,\n\"site_settings\":[\n{\"key\":\"a\",\"value\":\"1\",\"updated_at\":\"2026-01-02T03:04:05.123456\"},\n"), "{text}");
        assert!(text.contains("\n\"articles\":[],\n"), "{text}");
        assert!(text.ends_with("\"import_sources\":[]}\n"), "{text}");
        let mut sink = Collect::default();
        let header = read(&bytes[..], &mut sink).unwrap();
        assert_eq!(header, Header { version: 1, secrets: false });
        assert_eq!(sink.rows.len(), 3);
        assert!(matches!(&sink.rows[1], Row::SiteSettings(s) if s.value == "\"é\n"));
        assert!(matches!(&sink.rows[2], Row::Users(u) if u.id == 7 && u.username == "ann"));
    }

    fn refusal(bytes: &[u8]) -> String {
        match read(bytes, &mut Collect::default()) {
            Err(e @ ReadError::Format { .. }) => e.to_string(),
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn refuses_what_is_not_a_sound_export_with_the_position() {
        let good = String::from_utf8(sample()).unwrap();
        let e = refusal(b"<?xml version=\"1.0\"?><disqus/>");
        assert!(e.contains("line 1") && e.contains("not JSON"), "{e}");
        let e = refusal(br#"{"format":"isso","version":1}"#);
        assert!(e.contains("not a Civil export"), "{e}");
        let e = refusal(br#"{"version":1}"#);
        assert!(e.contains("not a Civil export"), "{e}");
        let e = refusal(good.replace("\"version\":1", "\"version\":2").as_bytes());
        assert!(e.contains("version 2"), "{e}");
        let e = refusal(&good.as_bytes()[..good.len() / 2]);
        assert!(e.contains("ends too early") && e.contains("line "), "{e}");
        let e = refusal(good.replace("\"username\":\"ann\"", "\"username\":\"ann\",\"shoe\":1").as_bytes());
        assert!(e.contains("shoe") && e.contains("line 7"), "{e}");
        let e = refusal(good.replace("\"articles\":[]", "\"posts\":[]").as_bytes());
        assert!(e.contains("unknown section \"posts\""), "{e}");
        let e = refusal(good.replace(",\n\"import_sources\":[]", "").as_bytes());
        assert!(e.contains("\"import_sources\" is missing"), "{e}");
        let e = refusal(format!("{good}{{}}").as_bytes());
        assert!(e.contains("trailing"), "{e}");
    }

    #[test]
    fn a_refused_row_stops_reading_with_the_sinks_error() {
        let mut sink = Collect { refuse: Some(1), ..Default::default() };
        match read(&sample()[..], &mut sink) {
            Err(ReadError::Sink(e)) => assert_eq!(e, "refused"),
            other => panic!("{other:?}"),
        }
        assert_eq!(sink.rows.len(), 1);
    }
}
