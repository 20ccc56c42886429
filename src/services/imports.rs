//! Bringing a site's comments from Disqus, WordPress or Isso: threads become external threads
//! (or land on the Civil article their address names), comments keep their text, time, parent,
//! score and state, and authors become unclaimed accounts.
//!
//! Two passes over the source. The first reads every record, so a file that is not what it
//! claims stops before anything is written, and keeps only what placing comments needs: a
//! hash of each id, its parent's, its thread and its state. The second writes, in one
//! transaction (rolled back for a dry run), in file order; a reply that comes before its parent
//! waits for another pass over the file, so memory stays flat however large the export.
//!
//! What is imported is recorded by the source's id (`store::imports`), so importing the same
//! export again adds nothing. Nothing imported is announced: no webhook, e-mail or
//! notification fires for comments written years ago.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::NaiveDateTime;

use super::settings;
use super::threads::{adjust_ancestors, find_comment};
use super::{embeds, tokens, Actor, App};
use crate::domain::canonical_url::ArticleUrl;
use crate::domain::email::EmailAddress;
use crate::domain::import::UrlMap;
use crate::domain::markdown::{self, MASK_PLACEHOLDER};
use crate::domain::profanity::ProfanityFilter;
use crate::domain::role::Role;
use crate::domain::sso;
use crate::domain::thread::{self, Status};
use crate::domain::username::Username;
use crate::error::Error;
use crate::interchange::{Format, FormatError, Record, Source, SourceComment, SourceState};
use crate::store::articles::{self, NewArticle};
use crate::store::db::write_transaction;
use crate::store::imports::{self, ImportedComment, Kind};
use crate::store::{comments, embeds as embeds_store, users, DbConnection};

/// How an import runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Read, check and report; write nothing.
    pub dry_run: bool,
    pub urls: UrlMap,
    /// The site Isso's paths belong to (`https://blog.example`); also joins relative links.
    pub site: Option<String>,
}

/// Where an import is, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub phase: Phase,
    /// Records read in this phase.
    pub read: u64,
    /// Comments written so far.
    pub written: u64,
    /// Comments to write in all (known once the check is done).
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Checking,
    Writing,
    Done,
}

/// What came across, and what did not and why.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub dry_run: bool,
    pub threads_created: u64,
    /// Threads that already existed: an external thread or a Civil article at that address.
    pub threads_existing: u64,
    /// Comments written, by their state in Civil.
    pub comments: BTreeMap<&'static str, u64>,
    /// Comments an earlier import of this source already brought.
    pub already_imported: u64,
    pub authors_created: u64,
    /// Authors whose address already had an account here (an earlier import's, or a verified one).
    pub authors_existing: u64,
    /// Comments and records not imported, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Imported, with something to know (replies whose parent is missing, and so on).
    pub notes: BTreeMap<String, u64>,
    /// A few skipped records with where they are, to look at.
    pub examples: Vec<String>,
    pub warnings: Vec<String>,
    pub likes: u64,
    pub dislikes: u64,
}

impl Report {
    pub fn comments_written(&self) -> u64 {
        self.comments.values().sum()
    }

    fn skip(&mut self, reason: impl Into<String>, example: Option<String>) {
        *self.skipped.entry(reason.into()).or_default() += 1;
        if let Some(example) = example {
            if self.examples.len() < 10 {
                self.examples.push(example);
            }
        }
    }

    fn note(&mut self, what: &str) {
        *self.notes.entry(what.to_owned()).or_default() += 1;
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            writeln!(f, "Dry run: nothing was written. An import would bring:")?;
        }
        writeln!(f, "Threads: {} new, {} already here", self.threads_created, self.threads_existing)?;
        let states: Vec<String> = self.comments.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let states = if states.is_empty() { String::new() } else { format!(" ({})", states.join(", ")) };
        writeln!(f, "Comments: {}{states}", self.comments_written())?;
        if self.already_imported > 0 {
            writeln!(f, "Already imported before: {} (left as they are)", self.already_imported)?;
        }
        writeln!(
            f,
            "Authors: {} accounts made (unclaimed), {} already here",
            self.authors_created, self.authors_existing
        )?;
        if self.likes > 0 || self.dislikes > 0 {
            writeln!(
                f,
                "Votes: {} likes kept as score; {} dislikes not kept (Civil has no down-votes)",
                self.likes, self.dislikes
            )?;
        }
        let skipped: u64 = self.skipped.values().sum();
        writeln!(f, "Skipped: {skipped}")?;
        for (reason, n) in &self.skipped {
            writeln!(f, "  {n:>7}  {reason}")?;
        }
        for (note, n) in &self.notes {
            writeln!(f, "Note: {n} {note}")?;
        }
        for example in &self.examples {
            writeln!(f, "  e.g. {example}")?;
        }
        for warning in &self.warnings {
            writeln!(f, "Warning: {warning}")?;
        }
        Ok(())
    }
}

/// Import `source`. Only the operator or an admin may.
pub async fn run(
    app: &App,
    by: Actor<'_>,
    source: Box<dyn Source + Send>,
    options: Options,
    mut progress: Box<dyn FnMut(Progress) + Send>,
) -> Result<Report, Error> {
    by.require(Role::Admin)?;
    if source.format() == Format::Isso && options.site.is_none() {
        return Err(Error::BadRequest(
            "Isso keeps each thread's path, not its address: give the site with --site https://blog.example".into(),
        ));
    }
    let site_settings = settings::current(app).await?;
    let context = Context {
        filter: app.filters.for_lists(&site_settings.words),
        configured: app.settings.embed_origins.clone(),
        base_url: app.settings.base_url.trim_end_matches('/').to_owned(),
        now: app.clock.now(),
        format: source.format(),
    };
    app.db(move |conn| {
        let plan = survey(source.as_ref(), &options, &mut progress).map_err(format_error)?;
        let dry_run = options.dry_run;
        let outcome = write_transaction(conn, |conn| {
            let report = write(conn, source.as_ref(), plan, &context, &mut progress)?;
            if dry_run {
                Err(Abort::DryRun(Box::new(report)))
            } else {
                Ok(report)
            }
        });
        match outcome {
            Ok(report) => Ok(report),
            Err(Abort::DryRun(report)) => Ok(*report),
            Err(Abort::Failed(e)) => Err(e),
        }
    })
    .await
}

fn format_error(e: FormatError) -> Error {
    Error::BadRequest(format!("Nothing was imported. {e}"))
}

enum Abort {
    DryRun(Box<Report>),
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

struct Context {
    filter: std::sync::Arc<ProfanityFilter>,
    configured: Vec<crate::domain::canonical_url::Origin>,
    base_url: String,
    now: NaiveDateTime,
    format: Format,
}

/// A source id, hashed: the first pass keeps ids only, and eight bytes each.
fn id(key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

struct Thread {
    title: Option<String>,
    /// The address after `--site` and the URL map, or why there is none.
    url: Result<ArticleUrl, String>,
    /// What this thread's comments are written to, once resolved.
    article: Option<Result<i64, String>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Import,
    /// Its parent is not in the file (or not imported): a top-level comment.
    TopLevel,
    Skip(&'static str),
}

struct Meta {
    thread: u64,
    parent: Option<u64>,
    state: SourceState,
    /// Which comment record of the file this is (a later one with the same id is a duplicate).
    ordinal: u32,
    fate: Fate,
    /// A deleted comment is kept, as a placeholder, only when something imported hangs below.
    holds_replies: bool,
}

struct Plan {
    threads: HashMap<u64, Thread>,
    comments: HashMap<u64, Meta>,
    report: Report,
    to_write: u64,
}

const ORPHAN: &str = "orphan: its thread is not in the file";
const THREAD_DELETED: &str = "its thread was deleted at the source";
const NO_ADDRESS: &str = "its thread has no usable address";
const DELETED_ALONE: &str = "deleted at the source, with no replies to hold up";
const LOOP: &str = "replies that form a loop: imported as top-level comments";

fn survey(source: &dyn Source, options: &Options, progress: &mut dyn FnMut(Progress)) -> Result<Plan, FormatError> {
    let mut plan = Plan { threads: HashMap::new(), comments: HashMap::new(), report: Report::default(), to_write: 0 };
    plan.report.dry_run = options.dry_run;
    let (mut read, mut ordinal) = (0u64, 0u32);
    for record in source.records()? {
        read += 1;
        if read % 5_000 == 0 {
            progress(Progress { phase: Phase::Checking, read, written: 0, total: 0 });
        }
        match record? {
            Record::Thread(t) => {
                let key = id(&t.key);
                if plan.threads.contains_key(&key) {
                    plan.report.skip("duplicate thread id (the first is used)", Some(format!("thread {}", t.key)));
                    continue;
                }
                let url = if t.deleted { Err(THREAD_DELETED.to_owned()) } else { address(&t.url, options) };
                plan.threads.insert(key, Thread { title: t.title, url, article: None });
            }
            Record::Comment(c) => {
                ordinal += 1;
                let key = id(&c.key);
                if plan.comments.contains_key(&key) {
                    plan.report.skip("duplicate comment id (the first is imported)", Some(where_(&c)));
                    continue;
                }
                plan.comments.insert(
                    key,
                    Meta {
                        thread: id(&c.thread_key),
                        parent: c.parent_key.as_deref().map(id),
                        state: c.state,
                        ordinal,
                        fate: Fate::Import,
                        holds_replies: false,
                    },
                );
            }
            Record::Skipped { line, reason, detail } => {
                plan.report.skip(reason.label(), Some(format!("line {line}: {detail}")));
            }
        }
    }
    progress(Progress { phase: Phase::Checking, read, written: 0, total: 0 });
    // Which thread each comment goes to, and which parents it keeps.
    let keys: Vec<u64> = plan.comments.keys().copied().collect();
    for key in &keys {
        let meta = &plan.comments[key];
        let fate = match plan.threads.get(&meta.thread) {
            None => Fate::Skip(ORPHAN),
            Some(Thread { url: Err(why), .. }) if why == THREAD_DELETED => Fate::Skip(THREAD_DELETED),
            Some(Thread { url: Err(_), .. }) => Fate::Skip(NO_ADDRESS),
            Some(_) => Fate::Import,
        };
        plan.comments.get_mut(key).expect("listed").fate = fate;
    }
    for key in &keys {
        let meta = &plan.comments[key];
        let Some(parent) = meta.parent else { continue };
        let keeps_parent = meta.fate == Fate::Import
            && plan.comments.get(&parent).is_some_and(|p| p.fate == Fate::Import && p.thread == meta.thread);
        if meta.fate == Fate::Import && !keeps_parent {
            plan.comments.get_mut(key).expect("listed").fate = Fate::TopLevel;
        }
    }
    // Deleted comments hold up what is imported below them; the rest are not needed.
    for key in &keys {
        let meta = &plan.comments[key];
        if meta.state == SourceState::Deleted || matches!(meta.fate, Fate::Skip(_)) {
            continue;
        }
        let mut at = if meta.fate == Fate::TopLevel { None } else { meta.parent };
        let mut steps = 0;
        while let Some(parent) = at {
            steps += 1;
            let Some(p) = plan.comments.get_mut(&parent) else { break };
            if p.holds_replies || steps > keys.len() {
                break;
            }
            p.holds_replies = true;
            at = if p.fate == Fate::TopLevel { None } else { p.parent };
        }
    }
    for key in &keys {
        let meta = plan.comments.get_mut(key).expect("listed");
        if meta.state == SourceState::Deleted && !meta.holds_replies && !matches!(meta.fate, Fate::Skip(_)) {
            meta.fate = Fate::Skip(DELETED_ALONE);
        }
        match meta.fate {
            Fate::Skip(reason) => plan.report.skip(reason, None),
            Fate::TopLevel if meta.parent.is_some() => {
                plan.report.note("replies whose parent is not in the file: imported as top-level comments");
                plan.to_write += 1;
            }
            _ => plan.to_write += 1,
        }
    }
    Ok(plan)
}

fn where_(c: &SourceComment) -> String {
    format!("line {}: comment {}", c.line, c.key)
}

/// A thread's address: joined to `--site` when it is a path, then rewritten by the URL map.
fn address(url: &str, options: &Options) -> Result<ArticleUrl, String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("no address".into());
    }
    let joined = match (&options.site, url.starts_with('/')) {
        (Some(site), true) => format!("{}{url}", site.trim_end_matches('/')),
        _ => url.to_owned(),
    };
    let mapped = options.urls.apply(&joined);
    ArticleUrl::parse(&mapped).map_err(|e| format!("{mapped}: {e}"))
}

fn write(
    conn: &mut DbConnection,
    source: &dyn Source,
    mut plan: Plan,
    cx: &Context,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, Abort> {
    let mut placed: HashMap<u64, i64> = HashMap::new();
    let mut authors: HashMap<u64, i64> = HashMap::new();
    let mut published: BTreeMap<i64, i64> = BTreeMap::new();
    let mut warned_origins: HashSet<String> = HashSet::new();
    let total = plan.to_write;
    let mut written = 0u64;
    let mut forced = false;
    loop {
        let before = written;
        let mut ordinal = 0u32;
        for (index, record) in source.records().map_err(|e| Abort::Failed(format_error(e)))?.enumerate() {
            let read = index as u64 + 1;
            let Record::Comment(c) = record.map_err(|e| Abort::Failed(format_error(e)))? else { continue };
            ordinal += 1;
            let key = id(&c.key);
            let Some(meta) = plan.comments.get(&key) else { continue };
            if meta.ordinal != ordinal || matches!(meta.fate, Fate::Skip(_)) || placed.contains_key(&key) {
                continue;
            }
            let parent = match (meta.fate, meta.parent) {
                (Fate::Import, Some(parent)) => match placed.get(&parent) {
                    Some(&parent) => Some(parent),
                    // Its parent comes later in the file: the next pass places it.
                    None if !forced => continue,
                    None => {
                        plan.report.note(LOOP);
                        None
                    }
                },
                _ => None,
            };
            let thread_key = meta.thread;
            written += 1;
            if let Some(existing) = imports::find(conn, Kind::Comment, &c.key)? {
                placed.insert(key, existing);
                plan.report.already_imported += 1;
                continue;
            }
            let article_id = match thread_article(conn, &mut plan, thread_key, cx, &mut warned_origins)? {
                Ok(article_id) => article_id,
                Err(why) => {
                    plan.report.skip(format!("its thread cannot be placed: {why}"), Some(where_(&c)));
                    continue;
                }
            };
            let author_id = author(conn, &c, cx, &mut authors, &mut plan.report)?;
            match insert(conn, &c, article_id, author_id, parent, cx, &mut plan.report)? {
                Some((comment_id, status)) => {
                    placed.insert(key, comment_id);
                    imports::record(conn, Kind::Comment, &c.key, comment_id, cx.now)?;
                    *published.entry(article_id).or_default() += i64::from(status == Status::Published);
                }
                None => plan.report.skip("no text", Some(where_(&c))),
            }
            if written.is_multiple_of(1_000) {
                progress(Progress { phase: Phase::Writing, read, written, total });
            }
        }
        if written >= total {
            break;
        }
        if written == before {
            // Nothing placed this pass: what is left replies in a loop. Place it at the top.
            if forced {
                break;
            }
            forced = true;
        }
    }
    for (article_id, delta) in published {
        articles::touch_discussion(conn, article_id, delta)?;
    }
    progress(Progress { phase: Phase::Done, read: 0, written, total });
    Ok(plan.report)
}

/// The article a thread's comments go to: the Civil article its address names, or the
/// external thread for the address (made on first use), resolved once per thread.
fn thread_article(
    conn: &mut DbConnection,
    plan: &mut Plan,
    key: u64,
    cx: &Context,
    warned: &mut HashSet<String>,
) -> Result<Result<i64, String>, Abort> {
    let thread = plan.threads.get_mut(&key).expect("planned comments have a thread");
    if let Some(resolved) = &thread.article {
        return Ok(resolved.clone());
    }
    let url = thread.url.clone().expect("planned comments have an address");
    let articles_prefix = format!("{}/articles/", cx.base_url);
    let resolved = if let Some(rest) = url.as_str().strip_prefix(&articles_prefix) {
        let slug = rest.split(['/', '?', '#']).next().unwrap_or("");
        match articles::find_by_slug(conn, slug)? {
            Some(article) => {
                plan.report.threads_existing += 1;
                Ok(article.id)
            }
            None => Err(format!("{} names no article here", url.as_str())),
        }
    } else {
        let origin = url.origin();
        let site = embeds::allowed(conn, &cx.configured, &origin)?;
        if site.is_none() && warned.insert(origin.to_string()) {
            plan.report.warnings.push(format!(
                "{origin} may not embed this site yet: its threads are imported, and show on its pages once an admin \
                 allows it (Admin, Embeds) or embed_origins lists it"
            ));
        }
        let canonical = url.canonical(&site.map(|s| s.meaningful).unwrap_or_default());
        match embeds_store::find_external(conn, canonical.as_str())? {
            Some(article) => {
                plan.report.threads_existing += 1;
                Ok(article.id)
            }
            None => {
                let title = thread.title.clone().unwrap_or_else(|| canonical.fallback_title());
                let title: String = title.chars().take(200).collect();
                let slug = embeds::free_slug(conn, &title)?;
                let new = NewArticle {
                    slug: &slug,
                    title: &title,
                    summary: "",
                    body_md: "",
                    body_html: "",
                    author_name: "",
                    published_at: Some(cx.now),
                    comments_open: true,
                    created_at: cx.now,
                    updated_at: cx.now,
                    canonical_url: Some(canonical.as_str()),
                };
                let article = articles::insert(conn, &new)?;
                plan.report.threads_created += 1;
                Ok(article.id)
            }
        }
    };
    let thread = plan.threads.get_mut(&key).expect("checked");
    thread.article = Some(resolved.clone());
    Ok(resolved)
}

/// The account a comment is written under. An author with an address gets the account that
/// has it, if that is an earlier import's or one whose owner proved the address; otherwise a
/// new unclaimed account with it, which whoever proves the address can claim. An author
/// without one gets an account with their name and no address, one per name in a source.
fn author(
    conn: &mut DbConnection,
    c: &SourceComment,
    cx: &Context,
    cache: &mut HashMap<u64, i64>,
    report: &mut Report,
) -> Result<i64, Abort> {
    let email = c.author_email.as_deref().and_then(|e| EmailAddress::parse(e).ok());
    let name = c.author_name.clone().unwrap_or_else(|| "Anonymous".to_owned());
    let identity = match &email {
        Some(email) => format!("email:{}", email.key()),
        None => format!("name:{}:{}", cx.format.name(), name.to_lowercase()),
    };
    let key = id(&identity);
    if let Some(&user_id) = cache.get(&key) {
        return Ok(user_id);
    }
    let existing = match &email {
        Some(email) => users::find_by_email_key(conn, &email.key())?,
        None => match imports::find(conn, Kind::Author, &identity)? {
            Some(user_id) => users::find(conn, user_id)?,
            None => None,
        },
    };
    let user_id = match existing {
        Some(row) if email.is_none() || row.is_unclaimed() || row.email_verified_at.is_some() => {
            report.authors_existing += 1;
            row.id
        }
        other => {
            // An unverified account holding the address proves nothing: the comments get
            // an account of their own, which keeps the address for the record but not as its key.
            let taken = other.is_some();
            let username = free_username(conn, &name, email.as_ref(), "reader", &cx.filter)?;
            let username_key = username.key();
            let email_key = match &email {
                Some(email) if !taken => email.key(),
                _ => users::unattached_email_key(&username_key),
            };
            let display_name = sso::display_name(Some(&name), &cx.filter);
            let row = users::insert(
                conn,
                &users::NewUser {
                    username: username.as_str(),
                    username_key: &username_key,
                    email: email.as_ref().map_or("", |e| e.as_str()),
                    email_key: &email_key,
                    display_name: display_name.as_ref().map(|d| d.as_str()),
                    password_hash: users::NO_PASSWORD,
                    role: Role::Reader.as_str(),
                    created_at: cx.now,
                    sso_subject: None,
                    email_verified_at: None,
                },
            )?;
            if email.is_none() {
                imports::record(conn, Kind::Author, &identity, row.id, cx.now)?;
            }
            report.authors_created += 1;
            row.id
        }
    };
    cache.insert(key, user_id);
    Ok(user_id)
}

/// A username nobody has, made from an author's name (imported, or a guest's through Isso's
/// client): the name as it is, else numbered, else with a random suffix. A name in another
/// script falls back to the address's local part, else to `plain_word`.
pub(crate) fn free_username(
    conn: &mut DbConnection,
    name: &str,
    email: Option<&EmailAddress>,
    plain_word: &str,
    filter: &ProfanityFilter,
) -> Result<Username, Error> {
    let proposed = if name.chars().any(|c| c.is_ascii_alphanumeric()) {
        name.to_owned()
    } else {
        email.map_or(plain_word, |e| e.as_str().split('@').next().unwrap_or(plain_word)).to_owned()
    };
    let base = sso::username_base(&proposed, filter);
    for attempt in 0..20 {
        if let Some(name) = sso::username_candidate(&base, attempt, filter) {
            if !users::username_taken(conn, &name.key())? {
                return Ok(name);
            }
        }
    }
    for _ in 0..5 {
        let suffix: String = tokens::random_token().chars().filter(char::is_ascii_alphanumeric).take(8).collect();
        if let Ok(name) = Username::parse(&format!("{}-{suffix}", base.as_str()), filter) {
            if !users::username_taken(conn, &name.key())? {
                return Ok(name);
            }
        }
    }
    Err(Error::internal(anyhow::anyhow!("no free username for {name:?}")))
}

/// Write one comment, masked as new comments are, and keep the counts right. `None` when it
/// has no text (and is not a deleted placeholder, whose text nobody sees).
fn insert(
    conn: &mut DbConnection,
    c: &SourceComment,
    article_id: i64,
    author_id: i64,
    parent_id: Option<i64>,
    cx: &Context,
    report: &mut Report,
) -> Result<Option<(i64, Status)>, Abort> {
    let body = c.body.trim();
    if body.is_empty() && c.state != SourceState::Deleted {
        return Ok(None);
    }
    // The same steps as `comments::post`: analyse without emphasis markers, carry the masking
    // back onto the text as written, render.
    let probe = markdown::without_emphasis_markers(body);
    let analysis = cx.filter.analyze(&probe, MASK_PLACEHOLDER);
    let html = markdown::render_comment(&markdown::carry_mask(body, &probe, &analysis.masked));
    let source = match cx.format {
        Format::Disqus => "Disqus",
        Format::WordPress => "WordPress",
        Format::Isso => "Isso",
    };
    let (status, removal, note) = match c.state {
        SourceState::Published => (Status::Published, None, None),
        SourceState::Pending => (Status::Pending, None, None),
        SourceState::Spam => (Status::Removed, Some("spam"), Some(format!("Marked as spam in {source}."))),
        SourceState::Trashed => (Status::Removed, Some("other"), Some(format!("In the bin in {source}."))),
        SourceState::Deleted => (Status::Deleted, None, None),
    };
    let parent = parent_id.map(|p| find_comment(conn, p)).transpose()?;
    let new = ImportedComment {
        article_id,
        parent_id,
        depth: thread::child_depth(parent.as_ref().map(|p| p.depth)),
        author_id,
        body_raw: body,
        body_html: &html,
        status: status.as_str(),
        score: c.likes,
        created_at: c.created_at,
        reported: false,
        system_reasons: "",
        queued_at: (status == Status::Pending).then_some(c.created_at),
        removal_reason: removal,
        removal_note: note.as_deref(),
        moderated_at: (status == Status::Removed).then_some(cx.now),
    };
    let comment_id = imports::insert_comment(conn, &new)?;
    let path = thread::child_path(parent.as_ref().map(|p| p.path.as_str()), comment_id);
    comments::set_place(conn, comment_id, parent.as_ref().map_or(comment_id, |p| p.root_id), &path)?;
    if status == Status::Published {
        // As for a comment posted now: every comment it hangs under holds one more shown
        // reply, and a deleted placeholder above it appears.
        adjust_ancestors(conn, &path, 1)?;
    }
    *report.comments.entry(status.as_str()).or_default() += 1;
    report.likes += c.likes as u64;
    report.dislikes += c.dislikes as u64;
    Ok(Some((comment_id, status)))
}
