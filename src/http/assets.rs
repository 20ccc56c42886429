//! Serving the static files (`crate::assets`), each compressed once, at startup. A hashed name
//! never changes content, so it is cached for a year without asking again; a plain name (what
//! publishers paste) is cached for five minutes and then revalidated with its `ETag`, so a new
//! release reaches their readers soon.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::compress::{Effort, Precompressed};
use crate::assets::{self, File};

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const SHORT: &str = "public, max-age=300";

fn compressed() -> &'static [(&'static File, Precompressed)] {
    static COMPRESSED: OnceLock<Vec<(&'static File, Precompressed)>> = OnceLock::new();
    COMPRESSED.get_or_init(|| {
        assets::all().iter().map(|file| (file, Precompressed::new(file.bytes.as_slice(), Effort::Asset))).collect()
    })
}

/// Compress every file now, before the first request wants one.
pub fn prepare() {
    compressed();
}

pub async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let name = name.as_str();
    let found = compressed().iter().find_map(|(file, body)| {
        if file.hashed_name == name {
            Some((file, body, IMMUTABLE))
        } else if file.name == name {
            Some((file, body, SHORT))
        } else {
            None
        }
    });
    match found {
        Some((file, body, cache)) => {
            let mut response = HttpResponse::Ok();
            response
                .insert_header((header::CONTENT_TYPE, file.content_type))
                .insert_header((header::CACHE_CONTROL, cache));
            body.respond(&req, response)
        }
        None => HttpResponse::NotFound().finish(),
    }
}
