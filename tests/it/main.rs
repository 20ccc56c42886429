//! Integration tests: the real server on a real socket, a fresh database per test.

mod accounts;
mod api;
mod articles;
mod browser;
mod cli;
mod clock;
mod comments;
mod errors;
mod feeds;
mod hardening_accounts;
mod hardening_api;
mod hardening_http;
mod hardening_mail;
mod hardening_threads;
mod helpers;
mod limits;
mod moderation;
mod newsletter;
mod outbox_jobs;
mod routes;
mod scale_out;
mod schema;
mod smtp;
mod webhooks;
