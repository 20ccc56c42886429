use chrono::NaiveDateTime;

use super::{Actor, App};
use crate::domain::article::{ArticleDraft, ArticleInput};
use crate::domain::markdown;
use crate::domain::role::Role;
use crate::domain::Invalid;
use crate::error::Error;
use crate::store::articles::{self, ArticleChanges, ArticleRow, NewArticle};
use crate::store::{self, DbConnection};

pub type Article = ArticleRow;

/// What an editor submits, unparsed.
#[derive(Debug, Clone, Default)]
pub struct ArticleForm {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub author_name: String,
    pub comments_open: bool,
}

impl ArticleForm {
    fn parse(&self) -> Result<ArticleDraft, Invalid> {
        ArticleDraft::parse(ArticleInput {
            slug: &self.slug,
            title: &self.title,
            summary: &self.summary,
            body: &self.body,
            author_name: &self.author_name,
            comments_open: self.comments_open,
        })
    }
}

fn slug_taken() -> Error {
    Error::Conflict(Invalid::new("slug", "Another article already uses that slug."))
}

fn ensure_slug_free(conn: &mut DbConnection, slug: &str, except: Option<i64>) -> Result<(), Error> {
    if articles::slug_taken(conn, slug, except)? {
        return Err(slug_taken());
    }
    Ok(())
}

pub async fn create(app: &App, by: Actor<'_>, form: ArticleForm, publish: bool) -> Result<Article, Error> {
    by.require(Role::Admin)?;
    let draft = form.parse()?;
    let body_html = markdown::render_article(&draft.body_md);
    let clock = app.clock.clone();
    app.write(move |conn| {
        ensure_slug_free(conn, draft.slug.as_str(), None)?;
        let now = clock.now();
        let new = NewArticle {
            slug: draft.slug.as_str(),
            title: &draft.title,
            summary: &draft.summary,
            body_md: &draft.body_md,
            body_html: &body_html,
            author_name: &draft.author_name,
            published_at: publish.then_some(now),
            comments_open: draft.comments_open,
            created_at: now,
            updated_at: now,
            canonical_url: None,
        };
        articles::insert(conn, &new).map_err(|e| if store::is_unique_violation(&e) { slug_taken() } else { e.into() })
    })
    .await
}

pub async fn update(app: &App, by: Actor<'_>, id: i64, form: ArticleForm) -> Result<Article, Error> {
    by.require(Role::Admin)?;
    let draft = form.parse()?;
    let body_html = markdown::render_article(&draft.body_md);
    let clock = app.clock.clone();
    app.write(move |conn| {
        let before = articles::find(conn, id)?.ok_or_else(|| Error::not_found("That article"))?;
        ensure_slug_free(conn, draft.slug.as_str(), Some(id))?;
        let now = clock.now();
        // Ticking a closed discussion open is a reopening by hand, as from the moderation
        // controls: the automatic closing by age must not undo it.
        let reopened_at = match (before.comments_open, draft.comments_open) {
            (_, false) => None,
            (false, true) => Some(now),
            (true, true) => before.reopened_at,
        };
        let changes = ArticleChanges {
            slug: draft.slug.as_str(),
            title: &draft.title,
            summary: &draft.summary,
            body_md: &draft.body_md,
            body_html: &body_html,
            author_name: &draft.author_name,
            comments_open: draft.comments_open,
            reopened_at,
            updated_at: now,
        };
        articles::update(conn, id, &changes)?;
        Ok(articles::find(conn, id)?.expect("the article was just updated"))
    })
    .await
}

/// Publish now (keeping an earlier publication time if it had one), or take back to draft.
pub async fn set_published(app: &App, by: Actor<'_>, slug: String, published: bool) -> Result<Article, Error> {
    by.require(Role::Admin)?;
    let clock = app.clock.clone();
    app.write(move |conn| {
        let article = articles::find_by_slug(conn, &slug)?.ok_or_else(|| Error::not_found("That article"))?;
        let now = clock.now();
        let at = if published { Some(article.published_at.unwrap_or(now)) } else { None };
        articles::set_published_at(conn, article.id, at, now)?;
        Ok(Article { published_at: at, updated_at: now, ..article })
    })
    .await
}

/// Published, and not for a time still to come.
pub fn is_public(article: &Article, now: NaiveDateTime) -> bool {
    article.published_at.is_some_and(|at| at <= now)
}

/// A published article by slug. Drafts are found only when `include_drafts` (for admins).
pub async fn find_by_slug(app: &App, slug: String, include_drafts: bool) -> Result<Article, Error> {
    let article = app.lookup(move |conn| Ok(articles::find_by_slug(conn, &slug)?)).await?;
    match article {
        Some(a) if include_drafts || is_public(&a, app.clock.now()) => Ok(a),
        _ => Err(Error::not_found("That article")),
    }
}

pub async fn find(app: &App, id: i64) -> Result<Article, Error> {
    app.db(move |conn| articles::find(conn, id)?.ok_or_else(|| Error::not_found("That article"))).await
}

pub async fn list_published(app: &App, limit: i64) -> Result<Vec<Article>, Error> {
    let clock = app.clock.clone();
    app.db(move |conn| Ok(articles::list_published(conn, clock.now(), limit)?)).await
}

/// Every article, drafts included (admins only).
pub async fn list_all(app: &App, by: Actor<'_>) -> Result<Vec<Article>, Error> {
    by.require(Role::Admin)?;
    app.db(|conn| Ok(articles::list_all(conn, 500)?)).await
}
