use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use civil::config::{Settings, SETTINGS_HELP};
use civil::domain::role::Role;
use civil::services::accounts::{self, Registration};
use civil::services::articles::{self, ArticleForm};
use civil::services::webhooks;
use civil::services::{Actor, App};
use civil::startup::Application;
use civil::store::db::Backend;

/// Civil: comments, moderation and newsletters for publishers.
#[derive(Parser)]
#[command(name = "civil", version, about, after_help = SETTINGS_HELP)]
struct Cli {
    /// Configuration file (default ./civil.toml, if present).
    #[arg(long, global = true, env = "CIVIL_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site and the API (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Run only the delivery worker for e-mail and webhooks (`civil serve` runs one too unless CIVIL_WORKER=off).
    Worker,
    /// Copy the SQLite database, even while Civil runs, to a new FILE. On PostgreSQL, use pg_dump.
    Backup {
        /// Where the copy goes; it must not exist yet.
        file: PathBuf,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage articles.
    #[command(subcommand)]
    Article(ArticleCommand),
    /// Manage webhook endpoints.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Bring comments from Disqus, WordPress or Isso, or restore a Civil export (see README).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write everything the site owns to FILE (JSON; `-` for standard output), to restore with
    /// `civil import civil` (see README, "Leaving Civil, or moving it").
    Export {
        /// Where the export goes (replaced if it exists; written beside it first, then renamed).
        file: PathBuf,
        /// Include password hashes, link tokens and signing keys (see README for the list).
        #[arg(long)]
        with_secrets: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// A Disqus XML export.
    Disqus(ImportArgs),
    /// A WordPress export (WXR, Tools > Export).
    Wordpress(ImportArgs),
    /// Isso's SQLite database (comments.db); needs --site.
    Isso(ImportArgs),
    /// A Civil export (`civil export`), into an empty database: restores the whole site.
    Civil {
        /// The export file (`-` for standard input).
        file: PathBuf,
        /// Read and check everything and report the counts; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Args)]
struct ImportArgs {
    /// The export file (Isso: the database file).
    file: PathBuf,
    /// Read, check and report what would come across; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Rewrite addresses that start with OLD to start with NEW (repeatable; the longest match wins).
    #[arg(long = "map-url", value_name = "OLD=NEW")]
    map_url: Vec<String>,
    /// A CSV file of OLD,NEW address rewrites, one a line.
    #[arg(long, value_name = "CSV")]
    map_file: Option<PathBuf>,
    /// The site the source's paths belong to, like https://blog.example (Isso keeps only paths).
    #[arg(long)]
    site: Option<String>,
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Register an endpoint. Without --secret, a secret is generated and printed.
    Add {
        /// The http:// or https:// URL that receives the deliveries.
        url: String,
        /// Comma-separated: comment.published, comment.held, comment.approved, comment.removed,
        /// reader.flagged.
        #[arg(long, required = true)]
        events: Vec<String>,
        /// The signing secret (16 to 200 printable characters).
        #[arg(long)]
        secret: Option<String>,
    },
    /// List the endpoints, with the outcome of each one's latest delivery.
    List,
    /// Remove an endpoint, with the deliveries still waiting for it.
    Remove { id: i64 },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// reader, moderator or admin.
        #[arg(long, default_value = "reader")]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Change an account's role.
    SetRole {
        #[arg(long)]
        username: String,
        /// reader, moderator or admin.
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum ArticleCommand {
    /// Create an article. The markdown body is read from --body-file, or standard input.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        summary: String,
        #[arg(long)]
        author: String,
        #[arg(long)]
        body_file: Option<PathBuf>,
        /// Publish at once instead of saving a draft.
        #[arg(long)]
        publish: bool,
        /// Open the article with comments closed.
        #[arg(long)]
        comments_closed: bool,
    },
    /// Publish a draft now.
    Publish { slug: String },
    /// Take an article back to draft.
    Unpublish { slug: String },
    /// List every article.
    List,
}

fn read_stdin() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("cannot read standard input")?;
    Ok(input)
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    civil::startup::give_large_blocks_back();
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    civil::telemetry::init(&settings.log, settings.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let application = Application::build(settings).await?;
            application.run_until_signalled().await?;
        }
        Command::Worker => {
            let mailer = civil::email::Mailer::with_connections(
                settings.smtp_url.as_deref(),
                &settings.mail_from,
                &settings.data_dir,
                settings.mail_connections,
            )?;
            let app = tokio::task::spawn_blocking(move || App::open(settings)).await??;
            let worker = std::sync::Arc::new(civil::outbox::Worker::new(app, std::sync::Arc::new(mailer)));
            let running = tokio::spawn(worker.clone().run());
            let signal = civil::startup::shutdown_signal().await;
            tracing::info!(signal, "stopping: finishing the e-mails in flight");
            worker.stop();
            running.await?;
        }
        Command::Backup { file } => match settings.backend() {
            Backend::Sqlite { path } => {
                tokio::task::spawn_blocking({
                    let file = file.clone();
                    move || civil::store::db::backup_sqlite(&path, &file)
                })
                .await??;
                println!("Backed up the database to {}.", file.display());
            }
            Backend::Postgres { .. } => anyhow::bail!(
                "civil backup copies SQLite databases. On PostgreSQL, use pg_dump, for example: \
                 pg_dump --format=custom --file=civil.dump \"$DATABASE_URL\""
            ),
        },
        Command::Migrate => {
            tokio::task::spawn_blocking(move || App::open(settings)).await??;
            println!("The database is up to date.");
        }
        Command::User(command) => {
            let app = tokio::task::spawn_blocking(move || App::open(settings)).await??;
            match command {
                UserCommand::Create { username, email, role, display_name } => {
                    let role = Role::parse(&role)?;
                    let password = read_stdin()?;
                    // A trailing newline from `echo` or a terminal is not part of the password.
                    let password = password.strip_suffix('\n').unwrap_or(&password);
                    let password = password.strip_suffix('\r').unwrap_or(password).to_owned();
                    let user =
                        accounts::register(&app, Registration { username, email, password, display_name }, role, None)
                            .await?;
                    println!("Created {} ({}) with id {}.", user.username, user.role, user.id);
                }
                UserCommand::SetRole { username, role } => {
                    let user = accounts::set_role(&app, Actor::Operator, &username, Role::parse(&role)?).await?;
                    println!("{} is now {}.", user.username, user.role);
                }
            }
        }
        Command::Webhook(command) => webhook_command(settings, command).await?,
        Command::Import(ImportCommand::Civil { file, dry_run }) => restore_command(settings, file, dry_run).await?,
        Command::Import(command) => import_command(settings, command).await?,
        Command::Export { file, with_secrets } => export_command(settings, file, with_secrets).await?,
        Command::Article(command) => {
            let app = tokio::task::spawn_blocking(move || App::open(settings)).await??;
            match command {
                ArticleCommand::Create { slug, title, summary, author, body_file, publish, comments_closed } => {
                    let body = match body_file {
                        Some(path) => {
                            std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?
                        }
                        None => read_stdin()?,
                    };
                    let form = ArticleForm {
                        slug,
                        title,
                        summary,
                        body,
                        author_name: author,
                        comments_open: !comments_closed,
                    };
                    let article = articles::create(&app, Actor::Operator, form, publish).await?;
                    let state = if article.published_at.is_some() { "published" } else { "saved as a draft" };
                    println!("Article {} {state}: {}/articles/{}", article.id, app.settings.base_url, article.slug);
                }
                ArticleCommand::Publish { slug } => {
                    let article = articles::set_published(&app, Actor::Operator, slug, true).await?;
                    println!("Published {}/articles/{}", app.settings.base_url, article.slug);
                }
                ArticleCommand::Unpublish { slug } => {
                    let article = articles::set_published(&app, Actor::Operator, slug, false).await?;
                    println!("{} is a draft again.", article.slug);
                }
                ArticleCommand::List => {
                    for a in articles::list_all(&app, Actor::Operator).await? {
                        let state = match a.published_at {
                            Some(at) => format!("published {}", at.format("%Y-%m-%d %H:%M")),
                            None => "draft".to_owned(),
                        };
                        println!(
                            "{:>5}  {:<40}  {:<24}  {:>5} comments  {}",
                            a.id, a.slug, state, a.comment_count, a.title
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

async fn webhook_command(settings: Settings, command: WebhookCommand) -> anyhow::Result<()> {
    let app = tokio::task::spawn_blocking(move || App::open(settings)).await??;
    match command {
        WebhookCommand::Add { url, events, secret } => {
            let added = webhooks::add(&app, Actor::Operator, &url, &events, secret.as_deref()).await?;
            let events: Vec<&str> = added.endpoint.events.iter().map(|e| e.as_str()).collect();
            println!("Webhook {} added: {} for {}.", added.endpoint.id, added.endpoint.url, events.join(", "));
            if secret.is_none() {
                println!("Its signing secret (shown only now): {}", added.secret);
            }
        }
        WebhookCommand::List => {
            for w in webhooks::list(&app, Actor::Operator).await? {
                let events: Vec<&str> = w.events.iter().map(|e| e.as_str()).collect();
                let last = match (&w.last_status, w.last_status_at) {
                    (Some(status), Some(at)) => format!("{} ({})", status, at.format("%Y-%m-%d %H:%M:%S UTC")),
                    _ => "nothing sent yet".to_owned(),
                };
                println!("{:>5}  {}  {}  {}", w.id, w.url, events.join(","), last);
            }
        }
        WebhookCommand::Remove { id } => {
            webhooks::remove(&app, Actor::Operator, id).await?;
            println!("Webhook {id} removed.");
        }
    }
    Ok(())
}

async fn import_command(settings: Settings, command: ImportCommand) -> anyhow::Result<()> {
    use civil::interchange::{disqus::DisqusFile, isso::IssoDb, wxr::WxrFile, Source};
    use civil::services::imports::{self, Options, Phase, Progress};
    use std::io::{IsTerminal, Write};

    let (source, args): (Box<dyn Source + Send>, ImportArgs) = match command {
        ImportCommand::Disqus(args) => (Box::new(DisqusFile::new(&args.file)), args),
        ImportCommand::Wordpress(args) => (Box::new(WxrFile::new(&args.file)), args),
        ImportCommand::Isso(args) => (Box::new(IssoDb::new(&args.file)), args),
        ImportCommand::Civil { .. } => unreachable!("a Civil export is restored by restore_command"),
    };
    let mut options = Options { dry_run: args.dry_run, site: args.site, ..Options::default() };
    for rule in &args.map_url {
        options.urls.add_rule(rule)?;
    }
    if let Some(path) = &args.map_file {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        options.urls.add_csv(&text)?;
    }
    // On a terminal the counts update in place; in a log, a plain line now and then.
    let terminal = std::io::stderr().is_terminal();
    let mut last_line = 0u64;
    let progress = Box::new(move |p: Progress| {
        let mut err = std::io::stderr().lock();
        let text = match p.phase {
            Phase::Checking => format!("Checking: {} records read", p.read),
            Phase::Writing => format!("Writing: {} of {} comments", p.written, p.total),
            Phase::Done => format!("Done: {} comments handled", p.written),
        };
        if terminal {
            let end = if p.phase == Phase::Done { "\n" } else { "" };
            let _ = write!(err, "\r\x1b[2K{text}{end}");
            let _ = err.flush();
        } else {
            let count = p.read.max(p.written);
            if p.phase == Phase::Done || count >= last_line + 10_000 || count < last_line {
                last_line = count;
                let _ = writeln!(err, "{text}");
            }
        }
    });
    let app = tokio::task::spawn_blocking(move || App::open(settings)).await??;
    let report = imports::run(&app, Actor::Operator, source, options, progress).await?;
    print!("{report}");
    Ok(())
}

async fn export_command(settings: Settings, file: PathBuf, with_secrets: bool) -> anyhow::Result<()> {
    use civil::services::export;
    let app = tokio::task::spawn_blocking(move || App::open(settings)).await??;
    if file.as_os_str() == "-" {
        export::export(&app, Actor::Operator, Box::new(std::io::stdout()), with_secrets).await?;
        return Ok(());
    }
    // Written beside the target and renamed once complete, so a failed export leaves no file
    // that looks whole; readable by its owner only, as it holds readers' addresses.
    let mut partial = file.clone().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let out = options.open(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let counts = match export::export(&app, Actor::Operator, Box::new(out), with_secrets).await {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
    };
    std::fs::rename(&partial, &file)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), file.display()))?;
    let secrets = if with_secrets { "with secrets" } else { "without secrets" };
    println!("Exported to {} ({secrets}):", file.display());
    print!("{counts}");
    Ok(())
}

async fn restore_command(settings: Settings, file: PathBuf, dry_run: bool) -> anyhow::Result<()> {
    use civil::services::export;
    let input: Box<dyn Read + Send> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?)
    };
    let app = tokio::task::spawn_blocking(move || App::open(settings)).await??;
    let counts = export::restore(&app, Actor::Operator, input, dry_run).await?;
    if dry_run {
        println!("Dry run: nothing was written. The import would restore:");
    } else {
        println!("Restored:");
    }
    print!("{counts}");
    if !counts.secrets {
        println!(
            "The export had no secrets: readers set a new password with \"Forgot your password?\", and each \
             webhook has a new secret nobody knows yet (remove it and add it again)."
        );
    }
    Ok(())
}
