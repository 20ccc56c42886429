//! The two migration trees must stay twins.

use std::fs;
use std::path::Path;

fn migration_names(backend: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn sqlite_and_postgres_migrations_have_the_same_names_in_the_same_order() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
    for name in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend).join(name).join(file);
                assert!(path.exists(), "{} is missing", path.display());
            }
        }
    }
}

#[test]
fn both_trees_create_the_same_tables_and_columns() {
    fn columns(sql: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut table = String::new();
        for line in sql.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                table = rest.split_whitespace().next().unwrap().to_owned();
            } else if !table.is_empty()
                && !line.is_empty()
                && !line.starts_with(')')
                && !line.starts_with("PRIMARY KEY")
                && !line.starts_with("CREATE")
                && !line.starts_with("--")
            {
                out.push(format!("{table}.{}", line.split_whitespace().next().unwrap()));
            }
            if line.starts_with(");") {
                table.clear();
            }
        }
        out
    }
    for name in migration_names("sqlite") {
        let read = |backend: &str| {
            fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend).join(&name).join("up.sql"),
            )
            .unwrap()
        };
        assert_eq!(columns(&read("sqlite")), columns(&read("postgres")), "{name}");
    }
}
