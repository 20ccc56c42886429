//! Taking everything out (`civil export`) and putting it back (`civil import civil`).
//!
//! The export is one consistent snapshot, read a page at a time in key order and written as it
//! is read; the import writes each row as it is parsed, in one transaction, into an empty
//! database only, keeping every id so that links and permalinks (`#comment-123`) still work.
//! Export, import, export gives the same bytes. Without `--with-secrets`, password hashes, link
//! tokens and signing keys stay out (see `scrub`) and a restore makes new ones where the site
//! needs them (`restore_withheld`).

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};

use super::tokens::{self, FORM_KEY_SETTING};
use super::{Actor, App};
use crate::domain::role::Role;
use crate::error::Error;
use crate::interchange::civil::{self, Header, ReadError, Row, Section, Sink, Writer, WITHHELD};
use crate::store::db::write_transaction;
use crate::store::{export as store, DbConnection};

/// Rows per section, written or read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub dry_run: bool,
    pub secrets: bool,
    pub rows: BTreeMap<Section, u64>,
}

impl Counts {
    pub fn get(&self, section: Section) -> u64 {
        self.rows.get(&section).copied().unwrap_or(0)
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &section in Section::ALL {
            writeln!(f, "{:>9}  {}", self.get(section), section.name())?;
        }
        Ok(())
    }
}

/// Write the whole site to `out`. Admins may export; only the operator may include secrets.
pub async fn export(app: &App, by: Actor<'_>, out: Box<dyn Write + Send>, secrets: bool) -> Result<Counts, Error> {
    if secrets && matches!(by, Actor::Account(_)) {
        return Err(Error::forbidden(
            "Only the server's operator can export secrets, with civil export --with-secrets.",
        ));
    }
    by.require(Role::Admin)?;
    app.db(move |conn| store::in_snapshot(conn, |conn| write_all(conn, out, secrets))).await
}

fn io_error(e: std::io::Error) -> Error {
    Error::internal(anyhow::anyhow!("cannot write the export: {e}"))
}

fn write_all(conn: &mut DbConnection, out: Box<dyn Write + Send>, secrets: bool) -> Result<Counts, Error> {
    let mut w =
        Writer::new(std::io::BufWriter::new(out), Header { version: civil::VERSION, secrets }).map_err(io_error)?;
    let mut counts = Counts { secrets, ..Counts::default() };
    for &section in Section::ALL {
        w.begin(section).map_err(io_error)?;
        let n = match section {
            Section::SiteSettings => {
                dump(conn, &mut w, store::site_settings_page, |r| (secrets || r.key != FORM_KEY_SETTING).then_some(r))?
            }
            Section::Users => dump(conn, &mut w, store::users_page, |mut r| {
                if !secrets {
                    if !r.password_hash.is_empty() {
                        r.password_hash = WITHHELD.into();
                    }
                    r.notify_token = None;
                }
                Some(r)
            })?,
            Section::Articles => dump(conn, &mut w, store::articles_page, Some)?,
            Section::EmbedSites => dump(conn, &mut w, store::embed_sites_page, Some)?,
            Section::Comments => dump(conn, &mut w, store::comments_page, Some)?,
            Section::CommentVotes => dump(conn, &mut w, store::comment_votes_page, Some)?,
            Section::CommentFlags => dump(conn, &mut w, store::comment_flags_page, Some)?,
            Section::ModerationLog => dump(conn, &mut w, store::moderation_log_page, Some)?,
            Section::Subscribers => dump(conn, &mut w, store::subscribers_page, |mut r| {
                if !secrets {
                    r.unsubscribe_token = WITHHELD.into();
                    r.confirm_token_hash = None;
                }
                Some(r)
            })?,
            Section::NewsletterIssues => dump(conn, &mut w, store::newsletter_issues_page, Some)?,
            Section::Webhooks => dump(conn, &mut w, store::webhooks_page, |mut r| {
                if !secrets {
                    r.secret = WITHHELD.into();
                }
                Some(r)
            })?,
            Section::ImportSources => dump(conn, &mut w, store::import_sources_page, Some)?,
        };
        counts.rows.insert(section, n);
    }
    w.finish().map_err(io_error)?;
    Ok(counts)
}

/// Page through one table, writing each row (as `scrub` leaves it, or not at all) as it comes.
fn dump<T: serde::Serialize + Clone, W: Write>(
    conn: &mut DbConnection,
    w: &mut Writer<W>,
    page: impl Fn(&mut DbConnection, Option<&T>) -> diesel::QueryResult<Vec<T>>,
    scrub: impl Fn(T) -> Option<T>,
) -> Result<u64, Error> {
    let mut last: Option<T> = None;
    let mut written = 0;
    loop {
        let rows = page(conn, last.as_ref())?;
        let Some(end) = rows.last().cloned() else { break };
        for row in rows {
            if let Some(row) = scrub(row) {
                w.row(&row).map_err(io_error)?;
                written += 1;
            }
        }
        last = Some(end);
    }
    Ok(written)
}

/// Restore a site from an export into this (empty) database. Nothing is written unless all of
/// it is; a dry run reads and writes everything, then rolls it back.
pub async fn restore(app: &App, by: Actor<'_>, input: Box<dyn Read + Send>, dry_run: bool) -> Result<Counts, Error> {
    by.require(Role::Admin)?;
    app.db(move |conn| {
        let outcome = write_transaction(conn, |conn| {
            refuse_unless_empty(conn)?;
            let mut sink = Restore { conn, counts: Counts { dry_run, ..Counts::default() } };
            civil::read(input, &mut sink).map_err(|e| match e {
                ReadError::Sink(e) => Abort::Failed(e),
                format => Abort::Failed(Error::BadRequest(format!("Nothing was imported: {format}"))),
            })?;
            store::reset_sequences(sink.conn)?;
            let counts = sink.counts;
            if dry_run {
                Err(Abort::DryRun(counts))
            } else {
                Ok(counts)
            }
        });
        match outcome {
            Ok(counts) | Err(Abort::DryRun(counts)) => Ok(counts),
            Err(Abort::Failed(e)) => Err(e),
        }
    })
    .await
}

enum Abort {
    DryRun(Counts),
    Failed(Error),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Abort {
        Abort::Failed(e.into())
    }
}

impl From<Error> for Abort {
    fn from(e: Error) -> Abort {
        Abort::Failed(e)
    }
}

/// A restore adds a site to nothing: rows already here would clash with the export's ids. The
/// form key a server makes on its first request does not count; the export's replaces it.
fn refuse_unless_empty(conn: &mut DbConnection) -> Result<(), Error> {
    let present: Vec<String> = store::row_counts(conn, &[FORM_KEY_SETTING])?
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(section, n)| format!("{n} {}", section.name()))
        .collect();
    if present.is_empty() {
        return Ok(());
    }
    Err(Error::BadRequest(format!(
        "Nothing was imported: the database is not empty (it holds {}). civil import civil restores a site only into \
         a new, empty database: create one, point DATABASE_URL at it, and import there.",
        present.join(", ")
    )))
}

struct Restore<'a> {
    conn: &'a mut DbConnection,
    counts: Counts,
}

impl Sink for Restore<'_> {
    type Error = Error;

    fn header(&mut self, header: Header) -> Result<(), Error> {
        self.counts.secrets = header.secrets;
        Ok(())
    }

    fn row(&mut self, mut row: Row) -> Result<(), Error> {
        restore_withheld(&mut row);
        if let Row::SiteSettings(setting) = &row {
            store::delete_setting(self.conn, &setting.key)?;
        }
        let section = row.section();
        store::insert(self.conn, &row).map_err(|e| {
            Error::BadRequest(format!(
                "Nothing was imported: row {} of {section} ({}) could not be written: {e}",
                self.counts.get(section) + 1,
                key_of(&row),
            ))
        })?;
        *self.counts.rows.entry(section).or_default() += 1;
        Ok(())
    }
}

/// Secrets an export left out are made anew where the site cannot work without them: a link
/// token for each subscriber and for reply notifications, a signing secret for each webhook
/// (which nobody knows yet: README says to replace the endpoint). A withheld password hash is
/// kept as it is: it matches no password, so its owner resets the password by e-mail.
fn restore_withheld(row: &mut Row) {
    match row {
        Row::Users(user) if user.notify_replies && user.notify_token.is_none() => {
            user.notify_token = Some(tokens::random_token());
        }
        Row::Subscribers(subscriber) if subscriber.unsubscribe_token == WITHHELD => {
            subscriber.unsubscribe_token = tokens::random_token();
        }
        Row::Webhooks(webhook) if webhook.secret == WITHHELD => webhook.secret = tokens::random_token(),
        _ => {}
    }
}

/// How to find the row in the file, for an error message.
fn key_of(row: &Row) -> String {
    match row {
        Row::SiteSettings(r) => format!("key {:?}", r.key),
        Row::Users(r) => format!("id {}", r.id),
        Row::Articles(r) => format!("id {}", r.id),
        Row::EmbedSites(r) => format!("id {}", r.id),
        Row::Comments(r) => format!("id {}", r.id),
        Row::CommentVotes(r) => format!("comment_id {}, user_id {}", r.comment_id, r.user_id),
        Row::CommentFlags(r) => format!("id {}", r.id),
        Row::ModerationLog(r) => format!("id {}", r.id),
        Row::Subscribers(r) => format!("id {}", r.id),
        Row::NewsletterIssues(r) => format!("id {}", r.id),
        Row::Webhooks(r) => format!("id {}", r.id),
        Row::ImportSources(r) => format!("kind {:?}, source_key {:?}", r.kind, r.source_key),
    }
}
