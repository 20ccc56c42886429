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

#[cfg(test)]
mod tests {
    use super::FILES;

    /// The embed's script goes on publishers' pages: it stays small (before compression).
    #[test]
    fn the_embed_script_stays_under_ten_kilobytes() {
        let (_, _, bytes) = FILES.iter().find(|(name, _, _)| *name == "embed.js").unwrap();
        assert!(bytes.len() < 10 * 1024, "embed.js is {} bytes", bytes.len());
    }
}
