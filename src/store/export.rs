//! Reading every exported table a page at a time in key order, and writing rows back with their
//! ids (`civil export`, `civil import civil`). The rows are `interchange::civil`'s records.
//!
//! Every table is either exported (a section of the format) or listed in `TRANSIENT` with why
//! not; a test below reads `schema.rs` and fails on a table or column that is neither.

use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::schema::*;
use super::DbConnection;
use crate::interchange::civil::*;

/// Tables an export leaves out, and why: each holds only what lives for minutes or days and is
/// made again as the site runs. (A new table must be added here or exported.)
pub const TRANSIENT: &[(&str, &str)] = &[
    ("sessions", "sign-ins: every reader signs in again on the restored site"),
    ("setup_tokens", "one-time tokens of the first admin's setup"),
    ("email_tokens", "verification, password-reset and address-change links, which expire within days"),
    ("sso_tokens_used", "single sign-on tokens already used, kept only until they expire (minutes)"),
    ("rate_events", "recent attempts counted by the rate limits"),
    ("outbox", "e-mails and webhook deliveries waiting to be sent, and the record of those sent"),
    ("workers", "the delivery workers' heartbeats"),
    ("moderation_undo", "the short-lived undo of a moderator's last decisions"),
    ("live_events", "the recent changes live streams resume from, pruned after a day"),
    (
        "guest_votes",
        "which visitors liked a comment through Isso's client, as keyed hashes of their addresses: the likes \
         are in the comments' scores; after a restore a visitor could like a comment once more",
    ),
];

/// Rows per query while exporting.
pub const PAGE: i64 = 500;

macro_rules! by_id {
    ($name:ident, $table:ident, $record:ty) => {
        pub fn $name(conn: &mut DbConnection, after: Option<&$record>) -> QueryResult<Vec<$record>> {
            $table::table
                .filter($table::id.gt(after.map_or(i64::MIN, |r| r.id)))
                .order($table::id)
                .limit(PAGE)
                .select(<$record>::as_select())
                .load(conn)
        }
    };
}

by_id!(users_page, users, UserRecord);
by_id!(articles_page, articles, ArticleRecord);
by_id!(embed_sites_page, embed_sites, EmbedSiteRecord);
by_id!(comments_page, comments, CommentRecord);
by_id!(comment_flags_page, comment_flags, CommentFlagRecord);
by_id!(moderation_log_page, moderation_log, ModerationLogRecord);
by_id!(subscribers_page, subscribers, SubscriberRecord);
by_id!(newsletter_issues_page, newsletter_issues, NewsletterIssueRecord);
by_id!(webhooks_page, webhooks, WebhookRecord);

/// Text keys are ordered by their bytes on both backends (PostgreSQL's default collation sorts
/// by language rules), so an export is the same file whichever database it came from.
fn bytewise(conn: &DbConnection, column: &str) -> String {
    match conn {
        DbConnection::Pg(_) => format!("{column} COLLATE \"C\""),
        DbConnection::Sqlite(_) => column.to_owned(),
    }
}

pub fn site_settings_page(
    conn: &mut DbConnection,
    after: Option<&SiteSettingRecord>,
) -> QueryResult<Vec<SiteSettingRecord>> {
    let key = bytewise(conn, "key");
    let mut query =
        site_settings::table.select(SiteSettingRecord::as_select()).order(sql::<Text>(&key)).limit(PAGE).into_boxed();
    if let Some(last) = after {
        query = query.filter(sql::<Bool>(&format!("{key} > ")).bind::<Text, _>(last.key.clone()));
    }
    query.load(conn)
}

pub fn comment_votes_page(
    conn: &mut DbConnection,
    after: Option<&CommentVoteRecord>,
) -> QueryResult<Vec<CommentVoteRecord>> {
    let mut query = comment_votes::table
        .order((comment_votes::comment_id, comment_votes::user_id))
        .limit(PAGE)
        .select(CommentVoteRecord::as_select())
        .into_boxed();
    if let Some(last) = after {
        query = query.filter(
            comment_votes::comment_id
                .gt(last.comment_id)
                .or(comment_votes::comment_id.eq(last.comment_id).and(comment_votes::user_id.gt(last.user_id))),
        );
    }
    query.load(conn)
}

pub fn import_sources_page(
    conn: &mut DbConnection,
    after: Option<&ImportSourceRecord>,
) -> QueryResult<Vec<ImportSourceRecord>> {
    let (kind, source_key) = (bytewise(conn, "kind"), bytewise(conn, "source_key"));
    let mut query = import_sources::table
        .select(ImportSourceRecord::as_select())
        .order((sql::<Text>(&kind), sql::<Text>(&source_key)))
        .limit(PAGE)
        .into_boxed();
    if let Some(last) = after {
        query = query.filter(
            sql::<Bool>(&format!("({kind} > "))
                .bind::<Text, _>(last.kind.clone())
                .sql(" OR (kind = ")
                .bind::<Text, _>(last.kind.clone())
                .sql(&format!(" AND {source_key} > "))
                .bind::<Text, _>(last.source_key.clone())
                .sql("))"),
        );
    }
    query.load(conn)
}

/// Write one row as it is, id included.
pub fn insert(conn: &mut DbConnection, row: &Row) -> QueryResult<usize> {
    match row {
        Row::SiteSettings(r) => diesel::insert_into(site_settings::table).values(r).execute(conn),
        Row::Users(r) => diesel::insert_into(users::table).values(r).execute(conn),
        Row::Articles(r) => diesel::insert_into(articles::table).values(r).execute(conn),
        Row::EmbedSites(r) => diesel::insert_into(embed_sites::table).values(r).execute(conn),
        Row::Comments(r) => diesel::insert_into(comments::table).values(r).execute(conn),
        Row::CommentVotes(r) => diesel::insert_into(comment_votes::table).values(r).execute(conn),
        Row::CommentFlags(r) => diesel::insert_into(comment_flags::table).values(r).execute(conn),
        Row::ModerationLog(r) => diesel::insert_into(moderation_log::table).values(r).execute(conn),
        Row::Subscribers(r) => diesel::insert_into(subscribers::table).values(r).execute(conn),
        Row::NewsletterIssues(r) => diesel::insert_into(newsletter_issues::table).values(r).execute(conn),
        Row::Webhooks(r) => diesel::insert_into(webhooks::table).values(r).execute(conn),
        Row::ImportSources(r) => diesel::insert_into(import_sources::table).values(r).execute(conn),
    }
}

/// Remove a site setting (the form key a server made before a restore brings the site's own).
pub fn delete_setting(conn: &mut DbConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(site_settings::table.find(key)).execute(conn)
}

/// How many rows each exported table holds, leaving out the site settings named in `except`.
pub fn row_counts(conn: &mut DbConnection, except: &[&str]) -> QueryResult<Vec<(Section, i64)>> {
    let mut counts = Vec::new();
    for &section in Section::ALL {
        let n: i64 = match section {
            Section::SiteSettings => {
                site_settings::table.filter(site_settings::key.ne_all(except)).count().get_result(conn)?
            }
            Section::Users => users::table.count().get_result(conn)?,
            Section::Articles => articles::table.count().get_result(conn)?,
            Section::EmbedSites => embed_sites::table.count().get_result(conn)?,
            Section::Comments => comments::table.count().get_result(conn)?,
            Section::CommentVotes => comment_votes::table.count().get_result(conn)?,
            Section::CommentFlags => comment_flags::table.count().get_result(conn)?,
            Section::ModerationLog => moderation_log::table.count().get_result(conn)?,
            Section::Subscribers => subscribers::table.count().get_result(conn)?,
            Section::NewsletterIssues => newsletter_issues::table.count().get_result(conn)?,
            Section::Webhooks => webhooks::table.count().get_result(conn)?,
            Section::ImportSources => import_sources::table.count().get_result(conn)?,
        };
        counts.push((section, n));
    }
    Ok(counts)
}

/// Run `read` in one transaction that sees one snapshot of the database throughout.
pub fn in_snapshot<T, E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    read: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    conn.transaction(|conn| {
        match conn {
            DbConnection::Pg(c) => c.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?,
            // A SQLite read transaction sees one snapshot from its first read on (WAL).
            DbConnection::Sqlite(_) => {}
        }
        read(conn)
    })
}

/// After rows were written with their own ids, PostgreSQL's sequences must start past them
/// (SQLite's INTEGER PRIMARY KEY already continues from the largest id).
pub fn reset_sequences(conn: &mut DbConnection) -> QueryResult<()> {
    let DbConnection::Pg(c) = conn else { return Ok(()) };
    for section in Section::ALL {
        if matches!(section, Section::SiteSettings | Section::CommentVotes | Section::ImportSources) {
            continue;
        }
        let table = section.name();
        c.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// Table name to its columns, read from `schema.rs`'s `diesel::table!` blocks.
    fn schema_tables() -> BTreeMap<String, BTreeSet<String>> {
        let source = include_str!("schema.rs");
        let mut tables = BTreeMap::new();
        for block in source.split("diesel::table! {").skip(1) {
            let body = &block[..block.find("\n}").expect("a table! block ends")];
            let mut lines = body.lines().map(str::trim).filter(|l| !l.is_empty());
            let head = lines.next().expect("a table name");
            let name = head.split([' ', '(']).next().unwrap().to_owned();
            let columns =
                lines.filter_map(|l| l.split_once(" -> ").map(|(column, _)| column.trim().to_owned())).collect();
            tables.insert(name, columns);
        }
        tables
    }

    #[test]
    fn every_table_is_exported_with_every_column_or_listed_as_transient() {
        let tables = schema_tables();
        assert!(tables.len() >= 20, "schema.rs was not read: {tables:?}");
        for (table, columns) in &tables {
            let exported = Section::ALL.iter().find(|s| s.name() == table);
            let transient = TRANSIENT.iter().any(|(t, _)| t == table);
            match (exported, transient) {
                (Some(section), false) => {
                    let fields: BTreeSet<String> = section.fields().into_iter().collect();
                    assert_eq!(&fields, columns, "the export's {table} rows must carry every column of the table");
                }
                (None, true) => {}
                (Some(_), true) => panic!("{table} is both exported and listed as transient"),
                (None, false) => panic!(
                    "table {table} is neither exported (interchange::civil::Section) nor listed in \
                     store::export::TRANSIENT with why not; decide, and say so in README"
                ),
            }
        }
        for (table, _) in TRANSIENT {
            assert!(tables.contains_key(*table), "TRANSIENT lists {table}, which schema.rs does not have");
        }
    }
}
