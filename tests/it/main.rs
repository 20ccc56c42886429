//! Integration tests: the real server on a real socket, a fresh database per test.

mod accounts;
mod api;
mod articles;
mod browser;
mod cli;
mod comments;
mod hardening_mail;
mod helpers;
mod limits;
mod moderation;
mod newsletter;
mod scale_out;
mod schema;
mod smtp;
