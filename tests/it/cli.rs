//! The command line, run as the built binary against a fresh database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use civil::config::{setting_names, LIMIT_ENV_PREFIX};
use reqwest::StatusCode;

use crate::helpers::*;

pub(crate) fn civil(db: &TestDatabase, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_civil"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("CIVIL_DATA_DIR", db.data_dir())
        .env("CIVIL_LOG", "warn")
        .env_remove("CIVIL_CONFIG")
        .current_dir(db.data_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run civil");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn ok(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&output.stderr));
    stdout
}

#[tokio::test]
async fn the_cli_manages_users_and_articles() {
    let db = std::sync::Arc::new(TestDatabase::new());
    ok(&civil(&db, &["migrate"], ""));
    let created = ok(&civil(
        &db,
        &["user", "create", "--username", "chief", "--email", "chief@example.com", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    ));
    assert!(created.contains("Created chief (admin)"), "{created}");
    let weak = civil(&db, &["user", "create", "--username", "weak", "--email", "w@example.com"], "short\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 10 characters"));
    ok(&civil(&db, &["user", "create", "--username", "ada", "--email", "ada@example.com"], PASSWORD));
    ok(&civil(&db, &["user", "set-role", "--username", "ada", "--role", "moderator"], ""));

    let draft = ok(&civil(
        &db,
        &["article", "create", "--slug", "harbour", "--title", "Harbour reopens", "--author", "Sam"],
        "The **harbour** is open.\n",
    ));
    assert!(draft.contains("saved as a draft"), "{draft}");
    let listed = ok(&civil(&db, &["article", "list"], ""));
    assert!(listed.contains("harbour") && listed.contains("draft"), "{listed}");

    let app = spawn_on(db.clone(), |_| {}).await;
    assert_eq!(app.client().get("/articles/harbour").await.status, StatusCode::NOT_FOUND);
    ok(&civil(&db, &["article", "publish", "harbour"], ""));
    let page = app.client().get("/articles/harbour").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("<strong>harbour</strong>");
    app.client().get("/users/ada").await.assert_contains("moderator");
    let mut chief = app.client();
    chief.sign_in("chief", PASSWORD).await;
    assert_eq!(chief.get("/admin").await.status, StatusCode::OK);
}

/// Whether `text` names `word` as a whole word: "worker" is not named by "workers".
fn names(text: &str, word: &str) -> bool {
    let is_name_char = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(is_name_char)
            && !text[at + word.len()..].chars().next().is_some_and(is_name_char)
    })
}

#[test]
fn help_documents_every_command_and_setting() {
    let output = Command::new(env!("CARGO_BIN_EXE_civil")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for word in [
        "serve",
        "migrate",
        "user",
        "article",
        "CIVIL_LISTEN",
        "DATABASE_URL",
        "CIVIL_BASE_URL",
        "CIVIL_DATA_DIR",
        "civil.toml",
        "CIVIL_CONFIG",
    ] {
        assert!(names(&help, word), "--help mentions {word}:\n{help}");
    }
    let settings = setting_names();
    assert!(settings.len() >= 30, "only {} settings found", settings.len());
    for setting in &settings {
        assert!(names(&help, setting.key), "--help names the setting {}:\n{help}", setting.key);
        match setting.env.strip_prefix(LIMIT_ENV_PREFIX) {
            // The rate limits share one documented pattern.
            Some(_) => assert!(help.contains(&format!("{LIMIT_ENV_PREFIX}<NAME>")), "{help}"),
            None => assert!(names(&help, &setting.env), "--help names {} (for {}):\n{help}", setting.env, setting.key),
        }
    }
    let article_help = Command::new(env!("CARGO_BIN_EXE_civil")).args(["article", "--help"]).output().unwrap();
    let article_help = String::from_utf8_lossy(&article_help.stdout);
    for word in ["create", "publish", "unpublish", "list"] {
        assert!(article_help.contains(word), "{article_help}");
    }
}

#[test]
fn the_readme_configuration_table_names_every_setting() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("\n## Configuration\n").expect("README has a Configuration section");
    let section = &readme[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |end| end + 1)];
    for setting in setting_names() {
        assert!(section.contains(&format!("`{}`", setting.key)), "README's configuration names `{}`", setting.key);
        let env = match setting.env.strip_prefix(LIMIT_ENV_PREFIX) {
            Some(_) => format!("`{LIMIT_ENV_PREFIX}<NAME>`"),
            None => format!("`{}`", setting.env),
        };
        assert!(section.contains(&env), "README's configuration names {env} (for {})", setting.key);
    }
}

/// `cargo build` needs no system libraries beyond libc: libpq and OpenSSL are compiled in, so the
/// binary must not ask the dynamic linker for them on the server either.
#[test]
fn the_binary_links_no_system_libpq_or_openssl() {
    let Ok(linked) = Command::new("ldd").arg(env!("CARGO_BIN_EXE_civil")).output() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have ldd");
        eprintln!("skipped: ldd is not installed");
        return;
    };
    let libraries = String::from_utf8_lossy(&linked.stdout);
    for system in ["libpq", "libssl", "libcrypto", "libsqlite3"] {
        assert!(!libraries.contains(system), "the binary links the system's {system}:\n{libraries}");
    }
}
