//! The web edge: the route table, extractors, page handlers and the JSON API. Handlers parse,
//! call one service, and render.

pub mod api;
pub mod assets;
pub mod cache;
pub mod embed;
pub mod embed_page;
pub mod errors;
pub mod extract;
pub mod feeds;
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
}
