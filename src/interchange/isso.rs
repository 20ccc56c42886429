//! Isso's SQLite database: `threads` (uri, title) and `comments` (tid, parent, created as epoch
//! seconds, mode 1 public / 2 pending / 4 deleted, markdown text, likes and dislikes). Read
//! through a read-only connection, a page of rows at a time. Isso's ids are per database, so a
//! comment's key carries the database's own random `session-key`.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use diesel::sqlite::SqliteConnection;

use super::{html, Format, FormatError, Record, Source, SourceComment, SourceState, SourceThread};

const PAGE: i64 = 1_000;

pub struct IssoDb {
    path: PathBuf,
}

impl IssoDb {
    pub fn new(path: &Path) -> IssoDb {
        IssoDb { path: path.to_owned() }
    }

    fn connect(&self) -> Result<SqliteConnection, FormatError> {
        let read = |e: &dyn std::fmt::Display| FormatError::at(0, format!("cannot read {}: {e}", self.path.display()));
        std::fs::metadata(&self.path).map_err(|e| read(&e))?;
        let encoded = self.path.to_string_lossy().replace('%', "%25").replace('?', "%3f").replace('#', "%23");
        let mut conn = SqliteConnection::establish(&format!("file:{encoded}?mode=ro")).map_err(|e| read(&e))?;
        let tables: Vec<Name> =
            diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'").load(&mut conn).map_err(|_| {
                let what = match std::fs::read(&self.path).ok().and_then(|b| b.iter().position(|&c| c == b'<')) {
                    Some(at) if at < 16 => {
                        " (it looks like XML: Disqus and WordPress exports are read by \
                                            `civil import disqus` and `civil import wordpress`)"
                    }
                    _ => "",
                };
                FormatError::at(0, format!("this is not an SQLite database{what}"))
            })?;
        let has = |t: &str| tables.iter().any(|n| n.name == t);
        if !(has("comments") && has("threads")) {
            return Err(FormatError::at(
                0,
                "this SQLite database is not Isso's: it has no `comments` and `threads` tables",
            ));
        }
        conn.batch_execute("PRAGMA query_only = ON").map_err(|e| read(&e))?;
        Ok(conn)
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct ThreadRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    uri: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
}

#[derive(QueryableByName)]
struct CommentRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    tid: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    parent: Option<i64>,
    #[diesel(sql_type = Double)]
    created: f64,
    #[diesel(sql_type = BigInt)]
    mode: i64,
    #[diesel(sql_type = Nullable<Text>)]
    text: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    author: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    email: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    likes: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    dislikes: Option<i64>,
}

impl Source for IssoDb {
    fn records(&self) -> Result<Box<dyn Iterator<Item = Result<Record, FormatError>> + '_>, FormatError> {
        let mut conn = self.connect()?;
        let broken = |e: diesel::result::Error| FormatError::at(0, format!("Isso's tables cannot be read: {e}"));
        let site = diesel::sql_query("SELECT value AS name FROM preferences WHERE key = 'session-key'")
            .load::<Name>(&mut conn)
            .ok()
            .and_then(|mut rows| rows.pop())
            .map_or_else(String::new, |n| n.name);
        let threads: Vec<ThreadRow> =
            diesel::sql_query("SELECT id, uri, title FROM threads ORDER BY id").load(&mut conn).map_err(broken)?;
        let buffer = threads
            .into_iter()
            .map(|t| {
                Ok(Record::Thread(SourceThread {
                    key: t.id.to_string(),
                    url: t.uri.unwrap_or_default(),
                    title: t.title.as_deref().and_then(super::clean_line),
                    deleted: false,
                }))
            })
            .collect();
        Ok(Box::new(Records { conn, site, after: 0, buffer, done: false }))
    }

    fn format(&self) -> Format {
        Format::Isso
    }
}

struct Records {
    conn: SqliteConnection,
    site: String,
    after: i64,
    buffer: VecDeque<Result<Record, FormatError>>,
    done: bool,
}

impl Records {
    fn fill(&mut self) {
        let rows: Result<Vec<CommentRow>, _> = diesel::sql_query(
            "SELECT id, tid, parent, created, mode, text, author, email, likes, dislikes \
             FROM comments WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind::<BigInt, _>(self.after)
        .bind::<BigInt, _>(PAGE)
        .load(&mut self.conn);
        match rows {
            Err(e) => {
                self.buffer.push_back(Err(FormatError::at(0, format!("Isso's comments cannot be read: {e}"))));
                self.done = true;
            }
            Ok(rows) => {
                if (rows.len() as i64) < PAGE {
                    self.done = true;
                }
                for row in rows {
                    self.after = row.id;
                    self.buffer.push_back(Ok(self.record(row)));
                }
            }
        }
    }

    fn record(&self, row: CommentRow) -> Record {
        let unreadable =
            |detail: String| Record::Skipped { line: row.id as u64, reason: super::SkipReason::Unreadable, detail };
        let state = match row.mode {
            1 => SourceState::Published,
            2 => SourceState::Pending,
            4 => SourceState::Deleted,
            other => return unreadable(format!("comment {}: mode {other} is not one Isso writes", row.id)),
        };
        let Some(created_at) = epoch(row.created) else {
            return unreadable(format!("comment {}: created {} is not a time", row.id, row.created));
        };
        Record::Comment(SourceComment {
            key: format!("isso:{}:{}", self.site, row.id),
            thread_key: row.tid.to_string(),
            parent_key: row.parent.map(|p| format!("isso:{}:{p}", self.site)),
            author_name: row.author.as_deref().and_then(super::clean_line),
            author_email: row.email.as_deref().and_then(super::clean_line),
            body: html::to_markdown(row.text.as_deref().unwrap_or("")),
            created_at,
            state,
            likes: row.likes.unwrap_or(0).max(0),
            dislikes: row.dislikes.unwrap_or(0).max(0),
            line: row.id as u64,
        })
    }
}

fn epoch(seconds: f64) -> Option<NaiveDateTime> {
    if !seconds.is_finite() {
        return None;
    }
    let whole = seconds.floor();
    let nanos = ((seconds - whole) * 1e9).round().min(999_999_999.0) as u32;
    DateTime::from_timestamp(whole as i64, nanos).map(|at| at.naive_utc())
}

impl Iterator for Records {
    type Item = Result<Record, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.is_empty() && !self.done {
            self.fill();
        }
        self.buffer.pop_front()
    }
}
