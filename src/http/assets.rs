//! Static files, embedded in the binary so one file is the whole deployment.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const FILES: &[(&str, &str, &[u8])] = &[
    ("civil.css", "text/css; charset=utf-8", include_bytes!("../../assets/civil.css")),
    ("civil.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/civil.js")),
    ("count.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/count.js")),
    ("embed.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/embed.js")),
    ("embed-frame.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/embed-frame.js")),
    ("embed.css", "text/css; charset=utf-8", include_bytes!("../../assets/embed.css")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../assets/favicon.svg")),
];

pub async fn serve(name: web::Path<String>) -> HttpResponse {
    match FILES.iter().find(|(file, _, _)| *file == name.as_str()) {
        Some((_, content_type, bytes)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(*bytes),
        None => HttpResponse::NotFound().finish(),
    }
}
