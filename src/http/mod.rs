//! The web edge: the route table, extractors, page handlers and the JSON API. Handlers parse,
//! call one service, and render.

pub mod api;
pub mod assets;
pub mod cache;
pub mod compress;
pub mod embed;
pub mod embed_page;
pub mod errors;
pub mod extract;
pub mod feeds;
pub mod isso;
pub mod live;
pub mod observe;
pub mod pages;
pub mod routes;
pub mod security;
pub mod thread;

use crate::services::App;

/// Shared by every worker.
pub struct State {
    pub app: App,
    pub thread_cache: cache::ThreadCache,
    /// Signs the CSRF tokens of pages that set no cookie.
    pub form_key: crate::services::tokens::FormKey,
}

impl State {
    /// A whole signed-out page kept in the thread cache, counted for `/metrics`.
    pub fn cached_whole(&self, at: cache::WholeKey, version: i64) -> Option<std::sync::Arc<compress::Precompressed>> {
        let cached = self.thread_cache.get_whole(at, version);
        self.app.metrics.cache(cached.is_some());
        cached
    }
}
