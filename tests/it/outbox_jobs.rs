//! Outbox rows name their kind of job, and each kind has its own deliverer.

use civil::domain::role::Role;
use civil::outbox::Step;
use civil::store::outbox::{for_recipient, JobKind};
use civil::store::DbConnection;
use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;

fn kinds_to(app: &TestApp, recipient: &str) -> Vec<(String, JobKind)> {
    let mut conn = app.app.pool.get().unwrap();
    for_recipient(&mut conn, recipient).unwrap().into_iter().map(|row| (row.purpose, row.kind)).collect()
}

fn path_of(link: &str) -> String {
    let after_scheme = link.split_once("://").map_or(link, |(_, rest)| rest);
    after_scheme.find('/').map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
}

#[tokio::test]
async fn each_kind_of_job_is_written_read_back_and_delivered_by_its_own_deliverer() {
    let app = spawn().await;
    let reader = app.client();
    let answer = reader.submit("/newsletter", "/newsletter", &[("email", "kinds@example.com")]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(kinds_to(&app, "kinds@example.com"), vec![("confirm".to_owned(), JobKind::Email)]);
    assert_eq!(app.deliver().await, vec![Step::Sent]);
    let confirmation = app.smtp.to("kinds@example.com").pop().unwrap();
    assert!(confirmation.data.contains("text/plain") && confirmation.data.contains("text/html"));
    let link = confirmation.link("/newsletter/confirm/").expect("a confirmation link");
    let page = reader.get(&path_of(&link)).await;
    assert_eq!(reader.post_form(&path_of(&link), &[("csrf_token", &page.csrf())]).await.status, StatusCode::OK);

    let admin = app.signed_in("chief", Role::Admin).await;
    app.deliver().await;
    send_issue(&admin, "Kinds of jobs").await;
    assert_eq!(
        kinds_to(&app, "kinds@example.com"),
        vec![("newsletter".to_owned(), JobKind::NewsletterIssue), ("confirm".to_owned(), JobKind::Email)]
    );
    assert_eq!(app.deliver().await, vec![Step::Sent]);
    let issue = app.smtp.to("kinds@example.com").pop().unwrap();
    assert!(issue.data.contains("Kinds of jobs"), "{}", issue.data);
    assert!(issue.header("List-Unsubscribe").is_some_and(|h| h.contains("/newsletter/unsubscribe/")));
    assert!(issue.data.contains("Unsubscribe with one click:"), "{}", issue.data);
}

#[tokio::test]
async fn a_test_of_an_issue_is_an_email_job() {
    let app = spawn().await;
    let admin = app.signed_in("chief", Role::Admin).await;
    app.deliver().await;
    let created = admin
        .submit("/admin/newsletter/issues/new", "/admin/newsletter/issues", &[("subject", "Draft"), ("body", "Hello.")])
        .await;
    let issue_path = created.location().to_owned();
    admin.submit(&issue_path, &format!("{issue_path}/test"), &[]).await;
    assert!(kinds_to(&app, "chief@example.com").contains(&("newsletter_test".to_owned(), JobKind::Email)));
    assert_eq!(app.deliver().await, vec![Step::Sent]);
    let test = app.smtp.to("chief@example.com").pop().unwrap();
    assert!(test.data.contains("[Test] Draft") && test.data.contains("A test of this issue, sent from"));
}

/// A row as a newer version of Civil might write it.
fn insert_unknown_kind(app: &TestApp, recipient: &str) {
    use civil::store::schema::outbox;
    let mut conn = app.app.pool.get().unwrap();
    let now = chrono::Utc::now().naive_utc() - chrono::TimeDelta::seconds(1);
    diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq("sms"),
            outbox::purpose.eq("reply_sms"),
            outbox::dedup_key.eq("sms:1"),
            outbox::recipient.eq(recipient),
            outbox::subject.eq(""),
            outbox::body_text.eq("{}"),
            outbox::status.eq("queued"),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .execute(&mut conn)
        .unwrap();
}

#[tokio::test]
async fn a_row_of_an_unknown_kind_is_an_error_to_read_and_waits_for_a_worker_that_knows_it() {
    let app = spawn().await;
    insert_unknown_kind(&app, "+15550100");
    let error = {
        let mut conn = app.app.pool.get().unwrap();
        for_recipient(&mut conn, "+15550100").expect_err("an unknown kind is refused")
    };
    let described = format!("{error:?}");
    assert!(described.contains("kind") && described.contains("UnknownKind(\"sms\")"), "{described}");

    // The worker delivers what it knows and leaves the rest queued, untouched.
    let reader = app.client();
    reader.submit("/newsletter", "/newsletter", &[("email", "known@example.com")]).await;
    assert_eq!(app.deliver().await, vec![Step::Sent]);
    assert_eq!(app.smtp.to("known@example.com").len(), 1);
    use civil::store::schema::outbox;
    let mut conn = app.app.pool.get().unwrap();
    let waiting = outbox::table.filter(outbox::kind.eq("sms"));
    let (status, attempts): (String, i32) =
        waiting.select((outbox::status, outbox::attempts)).first(&mut conn).unwrap();
    assert_eq!((status.as_str(), attempts), ("queued", 0));
    // No worker of this version will take it; the test app checks that nothing is left queued.
    diesel::delete(waiting).execute(&mut conn).unwrap();
}

/// Run every migration, calling `before_kind` just before the one that adds the outbox's kind.
fn migrate_around_kind<DB, C>(
    conn: &mut C,
    source: diesel_migrations::EmbeddedMigrations,
    before_kind: impl FnOnce(&mut C),
) where
    DB: diesel::backend::Backend,
    C: diesel_migrations::MigrationHarness<DB> + diesel::migration::MigrationConnection<Backend = DB>,
{
    use diesel::migration::MigrationSource;
    conn.setup().unwrap();
    let mut migrations = MigrationSource::<DB>::migrations(&source).unwrap();
    migrations.sort_by_key(|m| m.name().version().to_string());
    let mut before_kind = Some(before_kind);
    for migration in migrations {
        if migration.name().to_string().ends_with("_outbox_kind") {
            (before_kind.take().expect("one such migration"))(conn);
        }
        conn.run_migration(&*migration).unwrap();
    }
    assert!(before_kind.is_none(), "the outbox_kind migration ran");
}

/// Rows as the outbox held them before it named their kind: an issue's delivery had an issue
/// and an empty body; everything else carried its message.
const ROWS_BEFORE_KINDS: &str = "
    INSERT INTO subscribers (id, email, email_key, status, unsubscribe_token, created_at)
        VALUES (1, 'old@example.com', 'old@example.com', 'confirmed', 'tok', '2026-11-29 12:00:00');
    INSERT INTO newsletter_issues (id, subject, body_md, body_html, body_text, kind, status, created_at, updated_at)
        VALUES (1, 'Old', 'x', '<p>x</p>', 'x', 'manual', 'sending', '2026-11-29 12:00:00', '2026-11-29 12:00:00');
    INSERT INTO outbox (purpose, dedup_key, recipient, issue_id, subscriber_id, subject, body_text, status, next_attempt_at, created_at)
        VALUES ('confirm', 'confirm:1', 'old@example.com', NULL, 1, 'Confirm', 'Please confirm', 'sent', '2026-11-29 12:00:00', '2026-11-29 12:00:00');
    INSERT INTO outbox (purpose, dedup_key, recipient, issue_id, subscriber_id, subject, body_text, status, next_attempt_at, created_at)
        VALUES ('newsletter_test', 'test:1', 'old@example.com', NULL, NULL, '[Test] Old', 'x', 'sent', '2026-11-29 12:00:01', '2026-11-29 12:00:01');
    INSERT INTO outbox (purpose, dedup_key, recipient, issue_id, subscriber_id, subject, body_text, status, next_attempt_at, created_at)
        VALUES ('newsletter', 'issue:1:1', 'old@example.com', 1, 1, 'Old', '', 'queued', '2026-11-29 12:00:02', '2026-11-29 12:00:02');
";

fn insert_rows_before_kinds<C: diesel::Connection>(conn: &mut C) {
    for statement in ROWS_BEFORE_KINDS.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        conn.batch_execute(statement).unwrap();
    }
}

#[test]
fn the_migration_names_the_kind_of_rows_written_before_it() {
    let db = TestDatabase::new();
    let mut conn = if db.is_postgres() {
        let mut pg = diesel::PgConnection::establish(&db.url).unwrap();
        migrate_around_kind(&mut pg, civil::store::db::POSTGRES_MIGRATIONS, insert_rows_before_kinds);
        DbConnection::Pg(pg)
    } else {
        let mut sqlite = diesel::SqliteConnection::establish(&db.url).unwrap();
        migrate_around_kind(&mut sqlite, civil::store::db::SQLITE_MIGRATIONS, insert_rows_before_kinds);
        DbConnection::Sqlite(sqlite)
    };
    let kinds: Vec<(String, JobKind)> =
        for_recipient(&mut conn, "old@example.com").unwrap().into_iter().map(|row| (row.purpose, row.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("newsletter".to_owned(), JobKind::NewsletterIssue),
            ("newsletter_test".to_owned(), JobKind::Email),
            ("confirm".to_owned(), JobKind::Email),
        ]
    );
}

/// Found on the way: the digest's HTML was rendered from its markdown, so a title or summary was
/// read as markdown and HTML (`<T>` vanished, `*stars*` became emphasis). It is a template now.
#[tokio::test]
async fn the_digest_shows_titles_and_summaries_as_written() {
    let app = spawn().await;
    civil::services::articles::create(
        &app.app,
        civil::services::Actor::Operator,
        civil::services::articles::ArticleForm {
            slug: "generics".into(),
            title: "Why <T> & *stars* matter".into(),
            summary: "Less <b>is</b> more.".into(),
            body: "Body.".into(),
            author_name: "Jo Reporter".into(),
            comments_open: true,
        },
        true,
    )
    .await
    .unwrap();
    let admin = app.signed_in("chief", Role::Admin).await;
    let composed = admin.submit("/admin/newsletter", "/admin/newsletter/digest", &[]).await;
    assert_eq!(composed.status, StatusCode::SEE_OTHER, "{}", composed.text);
    let page = admin.get(composed.location()).await;
    page.assert_contains("Why &lt;T&gt; &amp; *stars* matter");
    page.assert_contains("Less &lt;b&gt;is&lt;/b&gt; more.");
    assert!(!page.text.contains("<em>stars</em>"), "{}", page.text);
    app.deliver().await;
}

/// An idle instance's delivery worker looks at the empty queue with one of its senders, four
/// times a second, and writes nothing but its heartbeat, every 2 s. Each of its 16 senders used
/// to look on its own, and wrote the heartbeat in every look's transaction: 64 write
/// transactions a second on a server with nothing to send.
#[tokio::test]
async fn an_idle_delivery_worker_writes_only_its_heartbeat() {
    use civil::store::db::{connect, Backend, SqliteSynchronous};
    use civil::store::schema::workers;

    let db = TestDatabase::new();
    crate::cli::ok(&crate::cli::civil(&db, &["migrate"], ""));
    let _server = Served::start(&db, &[("CIVIL_WORKER", "on")]).await;
    let pool = connect(&Backend::from_url(&db.url), 1, SqliteSynchronous::Full).unwrap();
    let mut beats = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let mut conn = pool.get().unwrap();
        beats.extend(workers::table.select(workers::heartbeat_at).load::<chrono::NaiveDateTime>(&mut conn).unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!beats.is_empty(), "the worker beats");
    assert!(beats.len() <= 2, "{} heartbeats written in 1.5 s: {beats:?}", beats.len());
}
