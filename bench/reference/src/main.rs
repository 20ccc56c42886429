//! The benchmark's reference: the least a server on this stack does to answer the same thread.
//! `bench/run` measures it beside Civil, alternating, so that a busy machine shows as a slower
//! reference rather than as a regression in Civil.
//!
//! It holds one thread in memory, read at startup from a file of the API's JSON (Civil's answer
//! to `GET /api/v1/articles/bench-200/comments`, saved by `bench/run`), and serves it per
//! request, with nothing cached:
//!   GET /page  the thread rendered with maud, as a comment list like Civil's anonymous one
//!   GET /json  the thread serialised with serde_json
//! Each body is compressed as Civil compresses a response made for one request
//! (`compress::dynamic`): brotli quality 2 or gzip level 1, as the request's `Accept-Encoding`
//! ranks them, with a window the size of the body. No database, no sessions, no middleware.
//!
//! Usage: civil-bench-reference THREAD.json PORT   (listens on 127.0.0.1:PORT; one worker per core)

use std::io::Write;

use actix_web::http::header::{self, AcceptEncoding, ContentEncoding, Encoding, Header};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Author {
    username: String,
    display_name: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Comment {
    id: i64,
    parent_id: Option<i64>,
    author: Option<Author>,
    body_html: String,
    status: String,
    held: Option<serde_json::Value>,
    score: i64,
    voted: bool,
    #[serde(default)]
    editable: bool,
    created_at: String,
    edited_at: Option<String>,
    replies: Vec<Comment>,
}

#[derive(Serialize, Deserialize)]
struct Thread {
    comments: Vec<Comment>,
    total: i64,
    next_cursor: Option<String>,
    sort: String,
}

fn comment(c: &Comment) -> Markup {
    html! {
        li.comment id={ "comment-" (c.id) } {
            article {
                header {
                    @if let Some(author) = &c.author {
                        span.author { (author.display_name.as_deref().unwrap_or(&author.username)) }
                    } @else {
                        span.author { "[deleted]" }
                    }
                    " · "
                    a href={ "/comments/" (c.id) } { time datetime=(c.created_at) { (c.created_at) } }
                    @if c.edited_at.is_some() { " · edited" }
                }
                div.body { (PreEscaped(&c.body_html)) }
                footer.actions {
                    span.score { (c.score) " points" }
                    a href={ "/signin?next=/articles/bench-200%23comment-" (c.id) } { "Sign in to reply" }
                    a.share href={ "/comments/" (c.id) } { "Share" }
                }
            }
            @if !c.replies.is_empty() {
                ol.replies { @for r in &c.replies { (comment(r)) } }
            }
        }
    }
}

/// Civil's choice (`compress::preferred`, `compress::dynamic`), repeated here.
fn compressed(req: &HttpRequest, content_type: &str, body: Vec<u8>) -> HttpResponse {
    static OFFERED: [Encoding; 3] = [Encoding::identity(), Encoding::brotli(), Encoding::gzip()];
    let encoding = match AcceptEncoding::parse(req).ok().and_then(|a| a.negotiate(OFFERED.iter())) {
        Some(Encoding::Known(encoding)) => encoding,
        _ => ContentEncoding::Identity,
    };
    let mut response = HttpResponse::Ok();
    response.content_type(content_type).insert_header((header::VARY, "Accept-Encoding"));
    match encoding {
        ContentEncoding::Brotli => {
            let window = (usize::BITS - body.len().max(1).leading_zeros()).clamp(10, 22);
            let params = brotli::enc::BrotliEncoderParams {
                quality: 2,
                lgwin: window as i32,
                size_hint: body.len(),
                ..Default::default()
            };
            let mut out = Vec::with_capacity(body.len() / 4 + 64);
            brotli::BrotliCompress(&mut &body[..], &mut out, &params).expect("writing to memory");
            response.insert_header(ContentEncoding::Brotli).body(out)
        }
        ContentEncoding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(1));
            encoder.write_all(&body).expect("writing to memory");
            response.insert_header(ContentEncoding::Gzip).body(encoder.finish().expect("writing to memory"))
        }
        _ => response.body(body),
    }
}

async fn page(req: HttpRequest, thread: web::Data<Thread>) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "bench-200" } }
            body {
                main {
                    h2 { (thread.total) " comments" }
                    ol.thread { @for c in &thread.comments { (comment(c)) } }
                }
            }
        }
    };
    compressed(&req, "text/html; charset=utf-8", markup.into_string().into_bytes())
}

async fn json(req: HttpRequest, thread: web::Data<Thread>) -> HttpResponse {
    let body = serde_json::to_vec(thread.get_ref()).expect("the thread serialises");
    compressed(&req, "application/json", body)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(port)) = (args.next(), args.next()) else {
        eprintln!("usage: civil-bench-reference THREAD.json PORT");
        std::process::exit(2);
    };
    let port: u16 = port.parse().expect("PORT is a number");
    let text = std::fs::read_to_string(&file)?;
    let thread: Thread = serde_json::from_str(&text).expect("THREAD.json is the API's answer for a thread");
    let thread = web::Data::new(thread);
    HttpServer::new(move || {
        App::new()
            .app_data(thread.clone())
            .route("/page", web::get().to(page))
            .route("/json", web::get().to(json))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
