//! What operators see of each request: the request id sent back in `X-Request-Id` (the one on
//! every log line written while serving it), the figures `/metrics` counts, and `/metrics` itself.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use tracing_actix_web::RequestId;

use super::errors::HttpError;
use super::State;
use crate::error::Error;
use crate::metrics::Gauge;
use crate::services::{metrics, tokens};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of a request being served (set by the request logger, which runs first).
pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(ToString::to_string)
}

/// Middleware inside the request logger: sends the request id back, and counts the request
/// under its route pattern when metrics are on.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Some(id) = request_id(response.request()).and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(REQUEST_ID, id);
    }
    if let Some(state) = response.request().app_data::<web::Data<State>>() {
        let metrics = &state.app.metrics;
        if metrics.enabled() {
            // The pattern, not the path: unknown addresses would each make a new series.
            let route = response.request().match_pattern().unwrap_or_else(|| "(none)".to_owned());
            let method = response.request().method().as_str().to_owned();
            metrics.request(&route, &method, response.status().as_u16(), started.elapsed());
        }
    }
    Ok(response)
}

/// `GET /metrics`: Prometheus text, to whoever shows the token. Without a token configured the
/// address does not exist.
pub async fn metrics(state: web::Data<State>, req: HttpRequest) -> Result<HttpResponse, HttpError> {
    let Some(token) = state.app.settings.metrics_token.as_deref() else {
        return Err(Error::NotFound("There is no page at this address.".into()).into());
    };
    let shown = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !tokens::constant_time_eq(shown.trim(), token) {
        let message = "Send the metrics token as Authorization: Bearer <token>.";
        return Err(HttpError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message));
    }
    let (entries, bytes) = state.thread_cache.usage();
    let cache_gauge = |name, help, value: usize| Gauge { name, help, labels: vec![], value: value as i64 };
    let cache = vec![
        cache_gauge("civil_thread_cache_entries", "Renderings held in this instance's thread cache.", entries),
        cache_gauge(
            "civil_thread_cache_bytes",
            "What those renderings take, as the cache counts it against thread_cache_mb.",
            bytes,
        ),
    ];
    let text = metrics::scrape(&state.app, cache).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}
