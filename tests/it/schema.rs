//! The two migration trees must stay twins: same migrations, and the same schema once applied.
//!
//! The schema is read back from each database's catalogue after the app's own migration path
//! has run, so an `ALTER TABLE … ADD COLUMN` or a `CREATE INDEX` written in one tree only is
//! caught, however it is spelled.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::Path;

use civil::store::db::{self, Backend, DbConnection, SqliteSynchronous};
use diesel::pg::PgConnection;
use diesel::sql_types::{Bool, Integer, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use diesel::{QueryableByName, RunQueryDsl};

use crate::helpers::TestDatabase;

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
fn both_trees_migrate_to_the_same_schema() {
    let sqlite = migrated_schema(&TestDatabase::sqlite());
    // The SQLite side must be read in full, or an empty comparison would pass.
    for fact in [
        "table comments",
        "column comments.body_raw text not null",
        "column sessions.last_seen_at timestamp not null default '1970-01-01 00:00:00'",
        "column users.always_review boolean not null default false",
        "column users.id integer not null default <serial>",
        "primary key comment_votes (comment_id, user_id)",
        "unique constraint users (username_key)",
        "index comments_pending on comments (queued_at, id) where status = 'pending' and not reported",
        "foreign key sessions.user_id -> users.id on delete cascade",
    ] {
        assert!(
            sqlite.iter().any(|f| f.to_string() == fact),
            "the SQLite catalogue should show {fact:?}; it shows:\n{}",
            lines(sqlite.iter())
        );
    }

    let postgres = TestDatabase::new();
    if !postgres.is_postgres() {
        println!("skipped the comparison with PostgreSQL: CIVIL_TEST_POSTGRES_URL is unset");
        return;
    }
    let postgres = migrated_schema(&postgres);
    let only_sqlite: Vec<&Fact> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<&Fact> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migration trees differ.\nonly in SQLite:\n{}\nonly in PostgreSQL:\n{}",
        lines(only_sqlite.into_iter()),
        lines(only_postgres.into_iter())
    );
}

fn lines<'a>(facts: impl Iterator<Item = &'a Fact>) -> String {
    facts.map(|f| format!("  {f}\n")).collect()
}

/// One thing a schema says, in terms both backends can be compared in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Fact {
    Table(String),
    Column {
        table: String,
        name: String,
        family: Family,
        nullable: bool,
        default: Option<String>,
    },
    PrimaryKey {
        table: String,
        columns: Vec<String>,
    },
    /// A `UNIQUE` constraint: each backend names its index in its own way, so only its columns count.
    Unique {
        table: String,
        columns: Vec<String>,
    },
    Index {
        table: String,
        name: String,
        columns: Vec<String>,
        unique: bool,
        predicate: Option<String>,
    },
    ForeignKey {
        table: String,
        column: String,
        references: String,
        on_delete: String,
    },
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fact::Table(name) => write!(f, "table {name}"),
            Fact::Column { table, name, family, nullable, default } => {
                write!(f, "column {table}.{name} {family}{}", if *nullable { " null" } else { " not null" })?;
                match default {
                    Some(default) => write!(f, " default {default}"),
                    None => Ok(()),
                }
            }
            Fact::PrimaryKey { table, columns } => write!(f, "primary key {table} ({})", columns.join(", ")),
            Fact::Unique { table, columns } => write!(f, "unique constraint {table} ({})", columns.join(", ")),
            Fact::Index { table, name, columns, unique, predicate } => {
                let unique = if *unique { "unique " } else { "" };
                write!(f, "{unique}index {name} on {table} ({})", columns.join(", "))?;
                match predicate {
                    Some(predicate) => write!(f, " where {predicate}"),
                    None => Ok(()),
                }
            }
            Fact::ForeignKey { table, column, references, on_delete } => {
                write!(f, "foreign key {table}.{column} -> {references} on delete {on_delete}")
            }
        }
    }
}

/// What diesel's shared `schema.rs` can map a column to on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    Integer,
    Text,
    Timestamp,
    Boolean,
    Float,
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Integer => "integer",
            Family::Text => "text",
            Family::Timestamp => "timestamp",
            Family::Boolean => "boolean",
            Family::Float => "float",
        })
    }
}

impl Family {
    fn of_sqlite(declared: &str) -> Family {
        match declared.to_ascii_uppercase().as_str() {
            "INTEGER" | "BIGINT" | "SMALLINT" | "INT" => Family::Integer,
            "TEXT" => Family::Text,
            "TIMESTAMP" => Family::Timestamp,
            "BOOLEAN" => Family::Boolean,
            "REAL" | "DOUBLE" | "FLOAT" => Family::Float,
            other => panic!("SQLite column type {other:?} has no family here: add it, or use a portable type"),
        }
    }

    fn of_postgres(data_type: &str) -> Family {
        match data_type {
            "integer" | "bigint" | "smallint" => Family::Integer,
            "text" => Family::Text,
            "timestamp without time zone" => Family::Timestamp,
            "boolean" => Family::Boolean,
            "double precision" | "real" => Family::Float,
            other => panic!("PostgreSQL column type {other:?} has no family here: add it, or use a portable type"),
        }
    }
}

/// A column default as both backends would write it: no casts, booleans as words.
fn normalise_default(default: &str, family: Family) -> String {
    let mut value = default.trim().to_owned();
    // PostgreSQL shows a literal with its cast ('reader'::text).
    if value.starts_with('\'') {
        if let Some(end) = value.rfind('\'') {
            value.truncate(end + 1);
        }
    }
    if family == Family::Boolean {
        match value.to_ascii_lowercase().as_str() {
            "1" | "true" => return "true".into(),
            "0" | "false" => return "false".into(),
            _ => {}
        }
    }
    value
}

/// A partial index's condition as both backends would write it: PostgreSQL adds brackets and casts.
fn normalise_predicate(predicate: &str) -> String {
    let mut text = predicate.replace(['(', ')'], "");
    for cast in ["::text", "::boolean", "::bigint", "::integer", "::timestamp without time zone"] {
        text = text.replace(cast, "");
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Migrate a fresh database the way the app does, and read its schema back.
fn migrated_schema(database: &TestDatabase) -> BTreeSet<Fact> {
    let pool = db::connect(&Backend::from_url(&database.url), 1, SqliteSynchronous::Full).expect("migrate");
    let mut conn = pool.get().expect("a connection");
    let facts = match &mut *conn {
        DbConnection::Sqlite(conn) => sqlite_schema(conn),
        DbConnection::Pg(conn) => postgres_schema(conn),
    };
    assert!(facts.iter().any(|f| matches!(f, Fact::Table(_))), "no tables read from {}", database.url);
    facts
}

/// The app's tables in `sqlite_master AS m`: not SQLite's own, nor diesel's migration record.
const SQLITE_TABLES: &str =
    "m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'";

fn sqlite_schema(conn: &mut SqliteConnection) -> BTreeSet<Fact> {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        declared: String,
        #[diesel(sql_type = Integer)]
        not_null: i32,
        #[diesel(sql_type = Nullable<Text>)]
        default_value: Option<String>,
        #[diesel(sql_type = Integer)]
        pk: i32,
    }
    #[derive(QueryableByName)]
    struct IndexColumn {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        index_name: String,
        #[diesel(sql_type = Integer)]
        is_unique: i32,
        #[diesel(sql_type = Text)]
        origin: String,
        #[diesel(sql_type = Nullable<Text>)]
        definition: Option<String>,
        #[diesel(sql_type = Text)]
        column_name: String,
    }
    #[derive(QueryableByName)]
    struct ForeignKey {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        ref_table: String,
        #[diesel(sql_type = Nullable<Text>)]
        ref_column: Option<String>,
        #[diesel(sql_type = Text)]
        on_delete: String,
    }

    let columns: Vec<Column> = diesel::sql_query(format!(
        "SELECT m.name AS table_name, c.name AS name, c.type AS declared, c.\"notnull\" AS not_null, \
         c.dflt_value AS default_value, c.pk AS pk FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS c \
         WHERE {SQLITE_TABLES} ORDER BY m.name, c.cid"
    ))
    .load(conn)
    .expect("read SQLite columns");
    let index_columns: Vec<IndexColumn> = diesel::sql_query(format!(
        "SELECT m.name AS table_name, il.name AS index_name, il.\"unique\" AS is_unique, il.origin AS origin, \
         (SELECT s.sql FROM sqlite_master AS s WHERE s.type = 'index' AND s.name = il.name) AS definition, \
         ii.name AS column_name \
         FROM sqlite_master AS m JOIN pragma_index_list(m.name) AS il JOIN pragma_index_info(il.name) AS ii \
         WHERE {SQLITE_TABLES} ORDER BY m.name, il.name, ii.seqno"
    ))
    .load(conn)
    .expect("read SQLite indexes");
    let foreign_keys: Vec<ForeignKey> = diesel::sql_query(format!(
        "SELECT m.name AS table_name, f.\"from\" AS column_name, f.\"table\" AS ref_table, f.\"to\" AS ref_column, \
         f.on_delete AS on_delete FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f \
         WHERE {SQLITE_TABLES}"
    ))
    .load(conn)
    .expect("read SQLite foreign keys");

    let mut facts = BTreeSet::new();
    let mut primary_keys: std::collections::BTreeMap<String, Vec<(i32, String)>> = Default::default();
    for c in &columns {
        if c.pk > 0 {
            primary_keys.entry(c.table_name.clone()).or_default().push((c.pk, c.name.clone()));
        }
    }
    for c in columns {
        facts.insert(Fact::Table(c.table_name.clone()));
        let family = Family::of_sqlite(&c.declared);
        // `INTEGER PRIMARY KEY` is the rowid: never null, and numbered by SQLite like a serial.
        let rowid = c.declared.eq_ignore_ascii_case("INTEGER")
            && c.pk == 1
            && primary_keys.get(&c.table_name).is_some_and(|pk| pk.len() == 1);
        facts.insert(Fact::Column {
            nullable: c.not_null == 0 && !rowid,
            default: if rowid {
                Some("<serial>".into())
            } else {
                c.default_value.map(|d| normalise_default(&d, family))
            },
            table: c.table_name,
            name: c.name,
            family,
        });
    }
    for (table, mut columns) in primary_keys {
        columns.sort();
        facts.insert(Fact::PrimaryKey { table, columns: columns.into_iter().map(|(_, name)| name).collect() });
    }

    let mut indexes: Vec<(IndexColumn, Vec<String>)> = Vec::new();
    for row in index_columns {
        match indexes.last_mut() {
            Some((index, columns)) if index.index_name == row.index_name => columns.push(row.column_name),
            _ => {
                let column = row.column_name.clone();
                indexes.push((row, vec![column]));
            }
        }
    }
    for (index, columns) in indexes {
        facts.insert(match index.origin.as_str() {
            "pk" => continue,
            "u" => Fact::Unique { table: index.table_name, columns },
            _ => {
                let definition = index.definition.unwrap_or_default();
                let predicate = definition
                    .to_ascii_uppercase()
                    .find(" WHERE ")
                    .map(|at| normalise_predicate(definition[at + 7..].trim_end_matches(';')));
                Fact::Index {
                    table: index.table_name,
                    name: index.index_name,
                    columns,
                    unique: index.is_unique != 0,
                    predicate,
                }
            }
        });
    }

    for fk in foreign_keys {
        facts.insert(Fact::ForeignKey {
            references: format!("{}.{}", fk.ref_table, fk.ref_column.unwrap_or_else(|| "<primary key>".into())),
            table: fk.table_name,
            column: fk.column_name,
            on_delete: fk.on_delete.to_ascii_lowercase(),
        });
    }
    facts
}

fn postgres_schema(conn: &mut PgConnection) -> BTreeSet<Fact> {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        data_type: String,
        #[diesel(sql_type = Bool)]
        nullable: bool,
        #[diesel(sql_type = Nullable<Text>)]
        default_value: Option<String>,
    }
    #[derive(QueryableByName)]
    struct Index {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        index_name: String,
        #[diesel(sql_type = Bool)]
        is_unique: bool,
        #[diesel(sql_type = Bool)]
        is_primary: bool,
        #[diesel(sql_type = Bool)]
        from_constraint: bool,
        #[diesel(sql_type = Nullable<Text>)]
        predicate: Option<String>,
        #[diesel(sql_type = Text)]
        columns: String,
    }
    #[derive(QueryableByName)]
    struct ForeignKey {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        ref_table: String,
        #[diesel(sql_type = Text)]
        ref_column: String,
        #[diesel(sql_type = Text)]
        on_delete: String,
        #[diesel(sql_type = Integer)]
        width: i32,
    }

    let columns: Vec<Column> = diesel::sql_query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS name, c.data_type::text AS data_type, \
         c.is_nullable = 'YES' AS nullable, c.column_default::text AS default_value \
         FROM information_schema.columns AS c JOIN information_schema.tables AS t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' \
         WHERE c.table_schema = current_schema() AND c.table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .expect("read PostgreSQL columns");
    let indexes: Vec<Index> = diesel::sql_query(
        "SELECT t.relname::text AS table_name, i.relname::text AS index_name, ix.indisunique AS is_unique, \
           ix.indisprimary AS is_primary, \
           EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = ix.indexrelid \
                   AND c.conrelid = ix.indrelid AND c.contype IN ('u', 'p')) AS from_constraint, \
           pg_get_expr(ix.indpred, ix.indrelid) AS predicate, \
           array_to_string(ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) \
                                 FROM generate_series(1, ix.indnkeyatts::integer) AS k ORDER BY k), ',') AS columns \
         FROM pg_index AS ix JOIN pg_class AS i ON i.oid = ix.indexrelid JOIN pg_class AS t ON t.oid = ix.indrelid \
           JOIN pg_namespace AS n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND t.relname <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .expect("read PostgreSQL indexes");
    let foreign_keys: Vec<ForeignKey> = diesel::sql_query(
        "SELECT cl.relname::text AS table_name, a.attname::text AS column_name, rf.relname::text AS ref_table, \
           af.attname::text AS ref_column, c.confdeltype::text AS on_delete, cardinality(c.conkey) AS width \
         FROM pg_constraint AS c JOIN pg_class AS cl ON cl.oid = c.conrelid \
           JOIN pg_namespace AS n ON n.oid = cl.relnamespace JOIN pg_class AS rf ON rf.oid = c.confrelid \
           JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
           JOIN pg_attribute AS af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] \
         WHERE c.contype = 'f' AND n.nspname = current_schema()",
    )
    .load(conn)
    .expect("read PostgreSQL foreign keys");

    let mut facts = BTreeSet::new();
    for c in columns {
        facts.insert(Fact::Table(c.table_name.clone()));
        let family = Family::of_postgres(&c.data_type);
        let default = c.default_value.map(|d| {
            if d.starts_with("nextval(") {
                "<serial>".into()
            } else {
                normalise_default(&d, family)
            }
        });
        facts.insert(Fact::Column { table: c.table_name, name: c.name, family, nullable: c.nullable, default });
    }
    for index in indexes {
        let columns: Vec<String> = index.columns.split(',').map(str::to_owned).collect();
        facts.insert(if index.is_primary {
            Fact::PrimaryKey { table: index.table_name, columns }
        } else if index.from_constraint {
            Fact::Unique { table: index.table_name, columns }
        } else {
            Fact::Index {
                table: index.table_name,
                name: index.index_name,
                columns,
                unique: index.is_unique,
                predicate: index.predicate.as_deref().map(normalise_predicate),
            }
        });
    }
    for fk in foreign_keys {
        assert_eq!(fk.width, 1, "{}: compare multi-column foreign keys too", fk.table_name);
        let on_delete = match fk.on_delete.as_str() {
            "a" => "no action",
            "r" => "restrict",
            "c" => "cascade",
            "n" => "set null",
            "d" => "set default",
            other => panic!("unknown confdeltype {other:?}"),
        };
        facts.insert(Fact::ForeignKey {
            references: format!("{}.{}", fk.ref_table, fk.ref_column),
            table: fk.table_name,
            column: fk.column_name,
            on_delete: on_delete.into(),
        });
    }
    facts
}
