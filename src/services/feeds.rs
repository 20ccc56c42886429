//! What the Atom feeds carry: the latest published comments of one thread or of the whole
//! site. Held, removed and deleted comments never appear, and neither do comments on drafts.

use super::articles::{self, Article};
use super::App;
use crate::error::Error;
use crate::store::feeds::{self, FeedScope};

pub use crate::store::feeds::FeedRow as FeedEntry;

/// How many comments a feed holds: enough for a reader polling every few minutes on a busy
/// site, few enough that a poll stays cheap.
pub const FEED_LENGTH: i64 = 50;

/// The latest published comments on `article`, newest first. The article must be public:
/// a draft's discussion has no feed.
pub async fn for_article(app: &App, article: &Article) -> Result<Vec<FeedEntry>, Error> {
    if !articles::is_public(article, app.clock.now()) {
        return Err(Error::not_found("That article"));
    }
    let id = article.id;
    app.db(move |conn| Ok(feeds::latest_published(conn, FeedScope::Article(id), FEED_LENGTH)?)).await
}

/// The latest published comments on every public article, newest first.
pub async fn for_site(app: &App) -> Result<Vec<FeedEntry>, Error> {
    let now = app.clock.now();
    app.db(move |conn| Ok(feeds::latest_published(conn, FeedScope::Site { now }, FEED_LENGTH)?)).await
}
