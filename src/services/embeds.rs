//! Discussions under articles that live on a publisher's site: which sites may embed Civil,
//! the external threads keyed by the normalised article address, their comment counts, and
//! the admins' rename, move and merge.

use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;

use super::{Actor, App};
use crate::domain::article::Slug;
use crate::domain::canonical_url::{ArticleUrl, CanonicalUrl, MeaningfulParams, Origin, Requester};
use crate::domain::role::Role;
use crate::domain::Invalid;
use crate::error::Error;
use crate::store::articles::{self, ArticleRow, NewArticle};
use crate::store::embeds::{self, EmbedSiteRow};
use crate::store::moderation_log::{self, NewLogEntry};
use crate::store::{self, DbConnection};

/// At most this many URLs in one counts request.
pub const MAX_COUNT_URLS: usize = 100;

/// A site allowed to embed, from the admins' list or from `embed_origins` (which admins cannot
/// remove and which keeps no query parameters).
#[derive(Debug, Clone)]
pub struct EmbedSite {
    /// Set for a row of the admins' list.
    pub id: Option<i64>,
    pub origin: Origin,
    pub meaningful: MeaningfulParams,
    pub created_at: Option<NaiveDateTime>,
}

fn site_of(row: EmbedSiteRow) -> EmbedSite {
    EmbedSite {
        id: Some(row.id),
        // Rows are written only from parsed values.
        origin: Origin::parse(&row.origin).unwrap_or_else(|_| panic!("stored origin {:?}", row.origin)),
        meaningful: MeaningfulParams::parse(&row.meaningful_params).unwrap_or_default(),
        created_at: Some(row.created_at),
    }
}

/// The admins' list of sites as last read. Every embed view and counts request needs it, and it
/// changes only when an admin edits it, so it is read from the database at most once every
/// `SITES_TTL` per instance rather than once per request. The instance where an admin changes
/// the list forgets it at once; another instance sees the change within `SITES_TTL`, which is
/// all the staleness there can be: a newly allowed site waits that long for its first thread,
/// and a removed one can start threads for that long after its removal (its old threads stay
/// either way). Starting a thread checks the database itself.
#[derive(Clone, Default)]
pub struct SiteList(Arc<Mutex<Option<ReadAt>>>);

/// The list, and when it was read.
type ReadAt = (NaiveDateTime, Arc<Vec<EmbedSiteRow>>);

pub const SITES_TTL: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

impl SiteList {
    fn forget(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

async fn admin_sites(app: &App) -> Result<Arc<Vec<EmbedSiteRow>>, Error> {
    let now = app.clock.now();
    if let Some((read_at, list)) = &*app.embed_sites.0.lock().unwrap_or_else(|e| e.into_inner()) {
        if *read_at <= now && now - *read_at < SITES_TTL {
            return Ok(list.clone());
        }
    }
    let list = Arc::new(app.db(|conn| Ok(embeds::list_sites(conn)?)).await?);
    *app.embed_sites.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((now, list.clone()));
    Ok(list)
}

/// `allowed`, from the list in memory.
fn allowed_in(sites: &[EmbedSiteRow], configured: &[Origin], origin: &Origin) -> Option<EmbedSite> {
    if let Some(row) = sites.iter().find(|row| row.origin == origin.as_str()) {
        return Some(site_of(row.clone()));
    }
    configured.contains(origin).then(|| EmbedSite {
        id: None,
        origin: origin.clone(),
        meaningful: MeaningfulParams::default(),
        created_at: None,
    })
}

/// The site `origin` when it may embed: the admins' entry if there is one (for its
/// parameters), else the configured one.
pub(crate) fn allowed(
    conn: &mut DbConnection,
    configured: &[Origin],
    origin: &Origin,
) -> Result<Option<EmbedSite>, Error> {
    if let Some(row) = embeds::find_site(conn, origin.as_str())? {
        return Ok(Some(site_of(row)));
    }
    Ok(configured.contains(origin).then(|| EmbedSite {
        id: None,
        origin: origin.clone(),
        meaningful: MeaningfulParams::default(),
        created_at: None,
    }))
}

/// Every site that may embed: the admins' list, then configured origins not on it.
pub async fn sites(app: &App) -> Result<Vec<EmbedSite>, Error> {
    let configured = app.settings.embed_origins.clone();
    let mut sites: Vec<EmbedSite> =
        app.db(|conn| Ok(embeds::list_sites(conn)?)).await?.into_iter().map(site_of).collect();
    for origin in configured {
        if !sites.iter().any(|s| s.origin == origin) {
            sites.push(EmbedSite { id: None, origin, meaningful: MeaningfulParams::default(), created_at: None });
        }
    }
    Ok(sites)
}

/// The origins of `sites`, read from the list in memory (at most `SITES_TTL` old): every framed
/// response names them in its `frame-ancestors`, so it must not cost a query.
pub async fn origins(app: &App) -> Result<Vec<String>, Error> {
    let mut origins: Vec<String> = admin_sites(app).await?.iter().map(|row| row.origin.clone()).collect();
    for origin in &app.settings.embed_origins {
        if !origins.iter().any(|o| o == origin.as_str()) {
            origins.push(origin.as_str().to_owned());
        }
    }
    Ok(origins)
}

/// Whether pages on `origin` may embed Civil (for CORS).
pub async fn is_allowed(app: &App, origin: &Origin) -> Result<bool, Error> {
    if app.settings.embed_origins.contains(origin) {
        return Ok(true);
    }
    Ok(admin_sites(app).await?.iter().any(|row| row.origin == origin.as_str()))
}

pub async fn add_site(app: &App, by: Actor<'_>, origin: &str, params: &str) -> Result<(), Error> {
    by.require(Role::Admin)?;
    let origin = Origin::parse(origin)?;
    let params = MeaningfulParams::parse(params)?;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let taken = || Error::Conflict(Invalid::new("origin", format!("{origin} is already on the list.")));
        if embeds::find_site(conn, origin.as_str())?.is_some() {
            return Err(taken());
        }
        embeds::insert_site(conn, origin.as_str(), &params.to_text(), clock.now()).map_err(|e| {
            if store::is_unique_violation(&e) {
                taken()
            } else {
                e.into()
            }
        })?;
        Ok(())
    })
    .await?;
    app.embed_sites.forget();
    Ok(())
}

/// Take a site off the admins' list. Its threads stay; new ones can no longer start there
/// (unless `embed_origins` names it).
pub async fn remove_site(app: &App, by: Actor<'_>, id: i64) -> Result<(), Error> {
    by.require(Role::Admin)?;
    app.write(move |conn| match embeds::delete_site(conn, id)? {
        0 => Err(Error::not_found("That site")),
        _ => Ok(()),
    })
    .await?;
    app.embed_sites.forget();
    Ok(())
}

/// A title as the embed gives it: trimmed, at most 200 characters, none when blank.
fn given_title(title: Option<&str>) -> Option<String> {
    let title: String = title?.split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then(|| title.chars().take(200).collect())
}

/// A slug no other article has, from the title (or the word "thread").
pub(crate) fn free_slug(conn: &mut DbConnection, title: &str) -> Result<String, Error> {
    let mut base = Slug::from_title(title);
    base.truncate(90);
    let base = match base.trim_end_matches('-') {
        "" => "thread".to_owned(),
        b => b.to_owned(),
    };
    for n in 1..1_000 {
        let slug = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        if !articles::slug_taken(conn, &slug, None)? {
            return Ok(slug);
        }
    }
    Err(Error::internal(anyhow::anyhow!("no free slug for {base:?}")))
}

/// The thread for an embed of `url`: found by its normalised address, or created on the first
/// view from an allowed site with `title` (else one made from the address). A later view never
/// renames it. A page on a site that is not allowed gets nothing and creates nothing, and so
/// does a request from a page elsewhere (`from`) for an address on an allowed site, though it
/// may read a thread already started.
pub async fn thread_for(app: &App, url: &str, title: Option<&str>, from: &Requester) -> Result<ArticleRow, Error> {
    let url = ArticleUrl::parse(url)?;
    // Every view but the first only reads, and must not queue for the writer.
    if let Some(article) = find(app, url.clone()).await? {
        return Ok(article);
    }
    let site = url.origin();
    if !from.may_start_thread_on(&site) {
        let elsewhere = match from {
            Requester::Page(origin) => format!("A page on {origin}"),
            _ => "A page on another site".to_owned(),
        };
        return Err(Error::forbidden(format!(
            "{elsewhere} cannot start a discussion of an article on {site}: only that site's own pages can."
        )));
    }
    match find_or_create(app, url.clone(), title).await {
        // Another instance created it between our look and our insert (PostgreSQL runs writers
        // side by side): it is there to read now.
        Err(Error::Conflict(raced)) => find(app, url).await?.ok_or(Error::Conflict(raced)),
        other => other,
    }
}

/// The thread already started for `url`, for readers who only look (the thread's feed): an
/// unknown address, and one on a site that may not embed, are both "not found", and nothing is
/// created, so a feed reader polling any address cannot make Civil host a thread for it.
pub async fn existing_thread(app: &App, url: &str) -> Result<ArticleRow, Error> {
    let url = ArticleUrl::parse(url)?;
    match find(app, url).await {
        Ok(Some(article)) => Ok(article),
        Ok(None) | Err(Error::Forbidden(_)) => Err(Error::NotFound(
            "No discussion has started for that address: it starts when the article's page first shows it.".into(),
        )),
        Err(other) => Err(other),
    }
}

/// The thread for `url`, if its site is allowed and it has one.
async fn find(app: &App, url: ArticleUrl) -> Result<Option<ArticleRow>, Error> {
    let origin = url.origin();
    let Some(site) = allowed_in(&admin_sites(app).await?, &app.settings.embed_origins, &origin) else {
        return Err(not_allowed(&origin));
    };
    let canonical = url.canonical(&site.meaningful);
    app.db(move |conn| Ok(embeds::find_external(conn, canonical.as_str())?)).await
}

async fn find_or_create(app: &App, url: ArticleUrl, title: Option<&str>) -> Result<ArticleRow, Error> {
    let title = given_title(title);
    let configured = app.settings.embed_origins.clone();
    let clock = app.clock.clone();
    app.write(move |conn| {
        let origin = url.origin();
        let Some(site) = allowed(conn, &configured, &origin)? else {
            return Err(not_allowed(&origin));
        };
        let canonical = url.canonical(&site.meaningful);
        if let Some(article) = embeds::find_external(conn, canonical.as_str())? {
            return Ok(article);
        }
        let title = title.unwrap_or_else(|| canonical.fallback_title());
        let slug = free_slug(conn, &title)?;
        let now = clock.now();
        let new = NewArticle {
            slug: &slug,
            title: &title,
            summary: "",
            body_md: "",
            body_html: "",
            author_name: "",
            published_at: Some(now),
            comments_open: true,
            created_at: now,
            updated_at: now,
            canonical_url: Some(canonical.as_str()),
        };
        articles::insert(conn, &new).map_err(|e| {
            if store::is_unique_violation(&e) {
                Error::Conflict(Invalid::new("url", "That thread was just created: try again."))
            } else {
                e.into()
            }
        })
    })
    .await
}

fn not_allowed(origin: &Origin) -> Error {
    Error::forbidden(format!("Pages on {origin} may not embed this discussion site: an admin can allow the site."))
}

/// The published-comment count of each URL, as given. Unknown, malformed and not-allowed URLs
/// count 0 and create nothing. One query reads every count.
pub async fn counts(app: &App, urls: Vec<String>) -> Result<Vec<(String, i64)>, Error> {
    if urls.len() > MAX_COUNT_URLS {
        return Err(Error::BadRequest(format!("Ask for at most {MAX_COUNT_URLS} URLs at once.")));
    }
    let configured = app.settings.embed_origins.clone();
    let sites = admin_sites(app).await?;
    app.db(move |conn| {
        let keys: Vec<Option<CanonicalUrl>> = urls
            .iter()
            .map(|given| {
                let url = ArticleUrl::parse(given).ok()?;
                let origin = url.origin();
                let meaningful = match sites.iter().find(|s| s.origin == origin.as_str()) {
                    Some(site) => MeaningfulParams::parse(&site.meaningful_params).unwrap_or_default(),
                    None if configured.contains(&origin) => MeaningfulParams::default(),
                    None => return None,
                };
                Some(url.canonical(&meaningful))
            })
            .collect();
        let lookup: Vec<String> = keys.iter().flatten().map(|k| k.as_str().to_owned()).collect();
        let found = if lookup.is_empty() { Vec::new() } else { embeds::counts(conn, &lookup)? };
        Ok(urls
            .into_iter()
            .zip(keys)
            .map(|(given, key)| {
                let count = key
                    .and_then(|key| found.iter().find(|(url, _)| url.as_deref() == Some(key.as_str())))
                    .map_or(0, |(_, n)| *n);
                (given, count)
            })
            .collect())
    })
    .await
}

/// External threads, newest first (admins).
pub async fn threads(app: &App, by: Actor<'_>) -> Result<Vec<ArticleRow>, Error> {
    by.require(Role::Admin)?;
    app.db(|conn| Ok(embeds::list_external(conn, 500)?)).await
}

fn external(conn: &mut DbConnection, id: i64) -> Result<ArticleRow, Error> {
    match articles::find(conn, id)? {
        Some(article) if article.canonical_url.is_some() => Ok(article),
        _ => Err(Error::not_found("That external thread")),
    }
}

pub async fn rename(app: &App, by: Actor<'_>, id: i64, title: &str) -> Result<(), Error> {
    let admin = by.require(Role::Admin)?.map(|u| u.id);
    let title = given_title(Some(title)).ok_or_else(|| Invalid::new("title", "Enter the title."))?;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let before = external(conn, id)?;
        let now = clock.now();
        embeds::rename(conn, id, &title, now)?;
        if let Some(admin) = admin {
            let note = format!("was {:?}", before.title);
            moderation_log::write(conn, &NewLogEntry::thread_changed(admin, id, "rename_thread", &note, now))?;
        }
        Ok(())
    })
    .await
}

/// Give a thread a new address (its article moved on the publisher's site). The new address
/// is normalised with its own site's parameters; one another thread has, or one on a site that
/// may not embed, is refused.
pub async fn move_to(app: &App, by: Actor<'_>, id: i64, url: &str) -> Result<(), Error> {
    let admin = by.require(Role::Admin)?.map(|u| u.id);
    let url = ArticleUrl::parse(url)?;
    let configured = app.settings.embed_origins.clone();
    let clock = app.clock.clone();
    app.write(move |conn| {
        let before = external(conn, id)?;
        let origin = url.origin();
        let Some(site) = allowed(conn, &configured, &origin)? else {
            // Its embed could never show it there.
            return Err(Invalid::new("url", format!("{origin} may not embed: allow the site first.")).into());
        };
        let canonical = url.canonical(&site.meaningful);
        let taken =
            || Error::Conflict(Invalid::new("url", "Another thread already has that address: merge the two instead."));
        match embeds::find_external(conn, canonical.as_str())? {
            Some(other) if other.id != id => return Err(taken()),
            _ => {}
        }
        let now = clock.now();
        embeds::set_canonical_url(conn, id, canonical.as_str(), now).map_err(|e| {
            if store::is_unique_violation(&e) {
                taken()
            } else {
                Error::from(e)
            }
        })?;
        if let Some(admin) = admin {
            let note = format!("was {}", before.canonical_url.unwrap_or_default());
            moderation_log::write(conn, &NewLogEntry::thread_changed(admin, id, "move_thread", &note, now))?;
        }
        Ok(())
    })
    .await
}

/// Move every comment of thread `from` into thread `into`, replies under their parents, then
/// remove `from`. The counts add up and `into`'s version moves on, so no cached rendering of it
/// survives.
pub async fn merge(app: &App, by: Actor<'_>, from: i64, into: i64) -> Result<ArticleRow, Error> {
    let admin = by.require(Role::Admin)?.map(|u| u.id);
    if from == into {
        return Err(Invalid::new("into", "A thread cannot be merged into itself.").into());
    }
    let clock = app.clock.clone();
    app.write(move |conn| {
        let source = external(conn, from)?;
        external(conn, into)?;
        embeds::move_comments(conn, from, into)?;
        articles::touch_discussion(conn, into, source.comment_count)?;
        embeds::delete_article(conn, from)?;
        if let Some(admin) = admin {
            let note = format!("merged in {:?} ({})", source.title, source.canonical_url.unwrap_or_default());
            moderation_log::write(conn, &NewLogEntry::thread_changed(admin, into, "merge_thread", &note, clock.now()))?;
        }
        external(conn, into)
    })
    .await
}
