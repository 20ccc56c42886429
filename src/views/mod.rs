//! Pages as functions from view models to `Markup`. One layout wraps every page. User HTML
//! enters a page only as `PreEscaped` of text the sanitiser produced.

pub mod account;
pub mod admin;
pub mod admin_embeds;
pub mod admin_newsletter;
pub mod admin_webhooks;
pub mod article;
pub mod components;
pub mod embed;
pub mod feed;
pub mod layout;
pub mod moderation;
pub mod newsletter;
pub mod thread;

pub use layout::{layout, PageContext};
