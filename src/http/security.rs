//! What every request and response passes through, so that a new route cannot forget it:
//! - hostile bytes: control characters in the path, the query string or a request body are
//!   refused with a 400 before any handler sees them (PostgreSQL cannot store a NUL, and no
//!   field has a use for the others);
//! - security headers: the Content-Security-Policy, HSTS behind https, and `no-store` on
//!   anything that depends on the session;
//! - framing: no page may be framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`) but
//!   those of the embed's frame flow (`routes::Framing`) requested inside the frame
//!   (`embed::in_frame`), which name the sites allowed to embed; responses inside the frame
//!   get partitioned twins of the session and CSRF cookies (`extract::add_frame_cookies`).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, HttpRequest};
use futures_util::StreamExt;

use super::errors::HttpError;
use super::extract::has_session_cookie;
use crate::config::Settings;
use crate::error::Error;

/// The largest request body any route accepts (forms, JSON, the bulk moderation form). Bodies
/// are buffered up to this size to be checked, so it is also the limit the extractors use.
pub const BODY_LIMIT: usize = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Hostile bytes

/// Refuse control characters in the decoded path, query string and body (see `body_kind`).
/// Bodies may hold tabs and line breaks (textareas); the path and query string may hold none.
pub async fn reject_control_characters(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(problem) = check_path(req.uri().path()).or_else(|| check_query(req.query_string())) {
        return Ok(refuse(req, Error::BadRequest(problem)));
    }
    if let Some(kind) = body_kind(&req) {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|length| length > BODY_LIMIT) {
            return Ok(refuse(req, Error::PayloadTooLarge));
        }
        let body = match read_body(req.take_payload()).await {
            Ok(Some(body)) => body,
            Ok(None) => return Ok(refuse(req, Error::PayloadTooLarge)),
            Err(error) => {
                let problem = format!("The request body could not be read: {error}.");
                return Ok(refuse(req, Error::BadRequest(problem)));
            }
        };
        let problem = match kind {
            BodyKind::Form => check_form(&body),
            BodyKind::Json => check_json(&body),
        };
        if let Some(problem) = problem {
            return Ok(refuse(req, Error::BadRequest(problem)));
        }
        req.set_payload(Payload::from(body));
    }
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Form,
    Json,
}

/// Which bodies are checked, and how. JSON (by the JSON extractor's rule) is parsed, so that
/// `\u0000` escapes are seen. Uploads (multipart, octet-stream) are files, not text, and pass
/// untouched. Every other body is read as a form whatever its header says, because a handler
/// that parses its body by hand (the bulk moderation form) does not look at the header either.
fn body_kind(req: &ServiceRequest) -> Option<BodyKind> {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let essence = req.content_type().to_ascii_lowercase();
    if essence.starts_with("multipart/") || essence == "application/octet-stream" {
        None
    } else if essence.ends_with("/json") || essence.ends_with("+json") {
        Some(BodyKind::Json)
    } else {
        Some(BodyKind::Form)
    }
}

/// The whole body, or `None` when it is larger than `BODY_LIMIT`.
async fn read_body(mut payload: Payload) -> Result<Option<Bytes>, actix_web::error::PayloadError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

/// The first character that has no place in a request, if any.
fn forbidden_char(text: &str, line_breaks_allowed: bool) -> Option<char> {
    text.chars().find(|&c| c.is_control() && !(line_breaks_allowed && matches!(c, '\t' | '\n' | '\r')))
}

fn describe(c: char) -> String {
    format!("a control character (U+{:04X})", c as u32)
}

/// A field name fit to quote back: escaped, and short.
fn quoted(name: &str) -> String {
    let short: String = name.chars().take(40).collect();
    format!("{short:?}")
}

fn check_path(raw: &str) -> Option<String> {
    let decoded = urlencoding::decode_binary(raw.as_bytes());
    let c = forbidden_char(&String::from_utf8_lossy(&decoded), false)?;
    Some(format!("The address contains {}, which is not allowed.", describe(c)))
}

fn check_query(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find_map(|(key, value)| {
        if let Some(c) = forbidden_char(&key, false) {
            return Some(format!("A query parameter name contains {}, which is not allowed.", describe(c)));
        }
        let c = forbidden_char(&value, false)?;
        Some(format!("The query parameter {} contains {}, which is not allowed.", quoted(&key), describe(c)))
    })
}

fn field_problem(name: &str, c: char) -> String {
    format!(
        "The field {} contains {}. Text may hold tabs and line breaks, but no other control characters.",
        quoted(name),
        describe(c)
    )
}

fn check_form(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body).find_map(|(key, value)| {
        if let Some(c) = forbidden_char(&key, false) {
            return Some(format!("A field name contains {}, which is not allowed.", describe(c)));
        }
        forbidden_char(&value, true).map(|c| field_problem(&key, c))
    })
}

/// JSON escapes (`\u0000`) hide control characters from a byte scan, so the body is parsed.
/// A body that is not JSON is left for the JSON extractor to refuse with its own message.
fn check_json(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    check_json_value(&value, "body")
}

fn check_json_value(value: &serde_json::Value, field: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) => forbidden_char(text, true).map(|c| field_problem(field, c)),
        Value::Array(items) => items.iter().find_map(|item| check_json_value(item, field)),
        Value::Object(members) => members.iter().find_map(|(key, member)| {
            if let Some(c) = forbidden_char(key, false) {
                return Some(format!("A field name contains {}, which is not allowed.", describe(c)));
            }
            check_json_value(member, key)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// A refusal, in the shape of the scope the request was for (`errors::render`).
fn refuse(req: ServiceRequest, error: Error) -> ServiceResponse<BoxBody> {
    req.error_response(HttpError::from(error))
}

// ---------------------------------------------------------------------------------------------
// Security headers

/// The Content-Security-Policy. No inline script or style anywhere: pages take their script and
/// styles from `/assets`. `frame_ancestors` says who may frame a page.
pub fn content_security_policy(frame_ancestors: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
         base-uri 'none'; object-src 'none'; frame-ancestors {frame_ancestors}"
    )
}

/// The headers every response gets, worked out once from the settings.
#[derive(Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
    hsts: Option<HeaderValue>,
}

impl SecurityHeaders {
    pub fn new(settings: &Settings) -> SecurityHeaders {
        SecurityHeaders {
            csp: HeaderValue::from_str(&content_security_policy("'none'")).expect("the policy is ASCII"),
            // Over plain http the header would be ignored, and a test site must stay reachable.
            hsts: settings.secure_cookies().then(|| HeaderValue::from_static("max-age=31536000")),
        }
    }
}

/// Whether the request comes with a session cookie (its name, plain or `__Host-`, is known
/// in one place: `extract`), for the `no-store` rule.
fn carries_session_cookie(req: &HttpRequest) -> bool {
    has_session_cookie(req)
}

/// The session JSON carries the CSRF token, even for anonymous callers.
fn is_session_endpoint(path: &str) -> bool {
    path == "/api/v1/session"
}

pub async fn add_headers(
    headers: SecurityHeaders,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let private = carries_session_cookie(req.request()) || is_session_endpoint(req.path());
    let in_frame = super::embed::in_frame(req.request()) || req.path() == "/embed/frame";
    // Handlers' and extractors' errors are responses by the time they get here, and the
    // middleware inside answers its own refusals, so every error page passes through below.
    let mut response = next.call(req).await?.map_into_boxed_body();
    // Whether the route's row let the frame show it (`routes::Framing`); the mark is on the
    // request once routing has run.
    let framable = in_frame && response.request().extensions().get::<super::routes::FramedInEmbed>().is_some();
    let frame_ancestors = match response.request().app_data::<actix_web::web::Data<super::State>>() {
        Some(state) if framable => Some(super::embed::frame_ancestors(state).await),
        _ => None,
    };
    let sets_cookie = response.headers().contains_key(header::SET_COOKIE);
    let out = response.headers_mut();
    if in_frame {
        // Whatever the page, a cookie set inside the frame must reach the frame.
        super::extract::add_frame_cookies(out);
    }
    match frame_ancestors {
        // Framed pages name the sites that may frame them, and nothing older may contradict it.
        Some(Ok(ancestors)) => {
            if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&ancestors)) {
                out.insert(header::CONTENT_SECURITY_POLICY, csp);
            }
            out.remove(header::X_FRAME_OPTIONS);
        }
        Some(Err(error)) => {
            tracing::warn!(error = ?error, "could not list the sites that may embed");
            set_default(out, header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
        None => set_default(out, header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    }
    set_default(out, header::CONTENT_SECURITY_POLICY, headers.csp.clone());
    set_default(out, header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    set_default(out, header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if let Some(hsts) = &headers.hsts {
        set_default(out, header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    if (private || sets_cookie) && !is_public(out) {
        out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// A handler may set its own value, which stands.
fn set_default(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    if !headers.contains_key(&name) {
        headers.insert(name, value);
    }
}

/// A response its handler marked `public` (the assets) is the same for everyone, signed in or not.
fn is_public(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|d| d.trim().eq_ignore_ascii_case("public")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_may_hold_tabs_and_line_breaks_but_no_other_control_character() {
        assert_eq!(check_form(b"body=line%0D%0Anext%09tab&csrf_token=x"), None);
        for bad in ["%00", "%01", "%1B", "%7F", "%C2%85"] {
            let problem = check_form(format!("csrf_token=x&note=a{bad}b").as_bytes()).expect(bad);
            assert!(problem.contains("\"note\""), "{problem}");
        }
        assert!(check_form(b"a%00b=1").unwrap().contains("field name"));
        assert_eq!(check_json(br#"{"body": "two\nlines\ttab", "n": 1, "list": ["x"]}"#), None);
        let nested = check_json(br#"{"user": {"login": "a\u0000b"}}"#).unwrap();
        assert!(nested.contains("\"login\"") && nested.contains("U+0000"), "{nested}");
        assert!(check_json(br#"["\u001b"]"#).is_some());
        assert_eq!(check_json(b"not json \x00"), None, "left for the extractor to refuse");
    }

    #[test]
    fn the_path_and_query_string_hold_no_control_character_at_all() {
        assert_eq!(check_path("/articles/caf%C3%A9"), None);
        assert!(check_path("/articles/a%00b").is_some());
        assert!(check_path("/articles/a%7Fb").is_some());
        assert_eq!(check_query("sort=top&q=a+b"), None);
        assert!(check_query("sort=%09").unwrap().contains("\"sort\""));
        assert!(check_query("after=%0A").is_some());
        assert!(check_query("%00=1").is_some());
    }

    #[test]
    fn every_body_but_an_upload_is_checked() {
        use actix_web::test::TestRequest;
        let kind = |method: Method, content_type: Option<&str>| {
            let mut req = TestRequest::default().method(method);
            if let Some(content_type) = content_type {
                req = req.insert_header((header::CONTENT_TYPE, content_type));
            }
            body_kind(&req.to_srv_request())
        };
        assert_eq!(kind(Method::POST, Some("application/json")), Some(BodyKind::Json));
        assert_eq!(kind(Method::PATCH, Some("application/merge-patch+json; charset=utf-8")), Some(BodyKind::Json));
        assert_eq!(kind(Method::POST, Some("application/x-www-form-urlencoded")), Some(BodyKind::Form));
        assert_eq!(kind(Method::POST, None), Some(BodyKind::Form), "the bulk form reads any body");
        assert_eq!(kind(Method::POST, Some("text/plain")), Some(BodyKind::Form));
        assert_eq!(kind(Method::POST, Some("multipart/form-data; boundary=x")), None);
        assert_eq!(kind(Method::GET, None), None);
    }

    #[test]
    fn the_policy_allows_no_inline_script_or_style() {
        let csp = content_security_policy("'self'");
        assert!(!csp.contains("unsafe"), "{csp}");
        for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'self'"] {
            assert!(csp.contains(directive), "{csp}");
        }
    }
}
