//! Who is asking: the session behind the cookie, and the CSRF token that goes with it; the
//! `Csrf` extractors that prove a state-changing request came from one of our pages; and the
//! role guard the route table puts on privileged routes.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::errors::HttpError;
use super::State;
use crate::domain::role::Role;
use crate::error::Error;
use crate::services::accounts::{self, Session, User};
use crate::services::{self, tokens};

/// The session cookie's name. Behind https it carries the `__Host-` prefix, so the browser
/// accepts it only with Secure, Path=/ and no Domain: no sibling subdomain nor plain-http page
/// can plant or overwrite it. Browsers refuse that prefix without Secure, so plain http keeps
/// the plain name.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-civil_session"
    } else {
        "civil_session"
    }
}

/// Anonymous visitors get their CSRF token in this cookie (double submit); signed-in readers
/// use the token stored with their session. Prefixed behind https like the session cookie.
pub fn csrf_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-civil_csrf"
    } else {
        "civil_csrf"
    }
}

pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// The session and CSRF cookies of a reader inside the embed's frame on another site, where
/// browsers withhold `SameSite=Lax` cookies and, with third-party cookies blocked, all cookies
/// but partitioned ones (CHIPS): these are `SameSite=None; Secure; Partitioned`, so the
/// browser keeps them for Civil-inside-that-site only. They never replace the first-party
/// cookies, which stay `Lax`.
pub fn frame_cookie_name(first_party: &str) -> Option<&'static str> {
    Some(match first_party {
        "civil_session" => "civil_frame_session",
        "__Host-civil_session" => "__Host-civil_frame_session",
        "civil_csrf" => "civil_frame_csrf",
        "__Host-civil_csrf" => "__Host-civil_frame_csrf",
        _ => return None,
    })
}

/// A cookie the request carries: the first-party one, else its frame twin.
fn cookie_value(req: &HttpRequest, name: &str) -> Option<String> {
    let value = |name: &str| req.cookie(name).map(|c| c.value().to_owned()).filter(|t| !t.is_empty());
    value(name).or_else(|| frame_cookie_name(name).and_then(value))
}

/// For a response to a request from inside the frame: each session or CSRF cookie it sets (or
/// clears) is set again as its frame twin, with the same value and lifetime.
pub fn add_frame_cookies(headers: &mut actix_web::http::header::HeaderMap) {
    use actix_web::http::header::{HeaderValue, SET_COOKIE};
    let twins: Vec<HeaderValue> = headers
        .get_all(SET_COOKIE)
        .filter_map(|value| Cookie::parse(value.to_str().ok()?.to_owned()).ok())
        .filter_map(|cookie| {
            let name = frame_cookie_name(cookie.name())?;
            let mut twin = Cookie::build(name, cookie.value().to_owned())
                .path("/")
                .http_only(true)
                .secure(true)
                .same_site(SameSite::None)
                .finish();
            if let Some(max_age) = cookie.max_age() {
                twin.set_max_age(max_age);
            }
            if let Some(expires) = cookie.expires() {
                twin.set_expires(expires);
            }
            // The cookie crate this actix-web uses predates the attribute.
            HeaderValue::from_str(&format!("{twin}; Partitioned")).ok()
        })
        .collect();
    for twin in twins {
        headers.append(SET_COOKIE, twin);
    }
}

/// Whether the request carries a session cookie (live or not): what it gets back may depend on
/// who is signed in.
pub fn has_session_cookie(req: &HttpRequest) -> bool {
    let secure = req.app_data::<web::Data<State>>().is_some_and(|state| state.app.settings.secure_cookies());
    session_token(req, secure).is_some()
}

/// The session token the request carries, if any.
fn session_token(req: &HttpRequest, secure: bool) -> Option<String> {
    cookie_value(req, session_cookie_name(secure))
}

/// The person behind a request: a session, or an anonymous visitor with a CSRF cookie.
#[derive(Clone)]
pub struct Viewer {
    pub session: Option<Session>,
    anon_csrf: Option<String>,
    /// A CSRF token made for this response, to be set as a cookie with it.
    pub new_anon_csrf: Option<String>,
    pub secure: bool,
    /// The client's address, for per-IP rate limits.
    pub ip: String,
}

impl Viewer {
    /// The request's visitor without looking up a session (for a page shown when the lookup
    /// itself failed).
    pub fn anonymous(req: &HttpRequest, state: &State) -> Viewer {
        let secure = state.app.settings.secure_cookies();
        Viewer {
            session: None,
            anon_csrf: cookie_value(req, csrf_cookie_name(secure)),
            new_anon_csrf: None,
            secure,
            ip: client_ip(req, &state.app.settings.trusted_proxies),
        }
    }

    pub fn user(&self) -> Option<&User> {
        self.session.as_ref().map(|s| &s.user)
    }

    pub fn require_user(&self) -> Result<&User, Error> {
        self.user().ok_or(Error::Unauthenticated)
    }

    pub fn require_role(&self, role: Role) -> Result<&User, Error> {
        let user = self.require_user()?;
        services::require_role(user, role)?;
        Ok(user)
    }

    pub fn is_admin(&self) -> bool {
        self.user().is_some_and(User::is_admin)
    }

    /// The token to put in this page's forms.
    pub fn csrf_token(&mut self) -> String {
        if let Some(session) = &self.session {
            return session.csrf_token.clone();
        }
        if let Some(token) = self.anon_csrf.as_ref().or(self.new_anon_csrf.as_ref()) {
            return token.clone();
        }
        let token = tokens::random_token();
        self.new_anon_csrf = Some(token.clone());
        token
    }

    fn check_csrf(&self, submitted: Option<&str>) -> Result<(), Error> {
        let expected = match &self.session {
            Some(session) => Some(session.csrf_token.as_str()),
            None => self.anon_csrf.as_deref(),
        };
        match (expected, submitted) {
            (Some(expected), Some(submitted)) if tokens::constant_time_eq(expected, submitted) => Ok(()),
            _ => Err(Error::Csrf),
        }
    }

    /// The cookies this response must carry.
    pub fn response_cookies(&self) -> Option<Cookie<'static>> {
        self.new_anon_csrf.as_ref().map(|token| csrf_cookie(token.clone(), self.secure))
    }
}

/// Path=/ and no Domain, as the `__Host-` prefix requires.
fn base_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value).path("/").http_only(true).same_site(SameSite::Lax).secure(secure).finish()
}

pub fn csrf_cookie(token: String, secure: bool) -> Cookie<'static> {
    base_cookie(csrf_cookie_name(secure), token, secure)
}

/// The cookie for a new session, kept by the browser as long as the session can last.
pub fn session_cookie(session: &Session, secure: bool) -> Cookie<'static> {
    let mut cookie = base_cookie(session_cookie_name(secure), session.token.clone(), secure);
    cookie.set_max_age(actix_web::cookie::time::Duration::seconds(session.lifetime.absolute.num_seconds()));
    cookie
}

pub fn expired_session_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = base_cookie(session_cookie_name(secure), String::new(), secure);
    cookie.make_removal();
    cookie
}

impl FromRequest for Viewer {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Viewer, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(viewer) = req.extensions().get::<Viewer>() {
            let viewer = viewer.clone();
            return Box::pin(async move { Ok(viewer) });
        }
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<web::Data<State>>().expect("state is registered").clone();
            let session = match session_token(&req, state.app.settings.secure_cookies()) {
                Some(token) => accounts::session_for_token(&state.app, token, user_agent(&req))
                    .await
                    .map_err(super::errors::HttpError::from)?,
                None => None,
            };
            let viewer = Viewer { session, ..Viewer::anonymous(&req, &state) };
            req.extensions_mut().insert(viewer.clone());
            Ok(viewer)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// CSRF

/// The CSRF token a request carries: the `X-CSRF-Token` header (the API, and scripts), or else
/// the `csrf_token` field of a form body. Reading the form takes the body, so it is handed back
/// as a fresh payload for the extractor after.
async fn submitted_token(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Result<(Option<String>, Payload), actix_web::Error> {
    if let Some(header) = req.headers().get(CSRF_HEADER) {
        return Ok((header.to_str().ok().map(str::to_owned), payload.take()));
    }
    if req.content_type() != "application/x-www-form-urlencoded" {
        return Ok((None, payload.take()));
    }
    let body = web::Bytes::from_request(req, payload).await?;
    let token =
        form_urlencoded::parse(&body).find(|(name, _)| name == "csrf_token").map(|(_, value)| value.into_owned());
    Ok((token, Payload::from(body)))
}

/// Whether the request's CSRF token is the viewer's, and the body to extract from.
async fn csrf_verdict(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Result<(Result<(), Error>, Payload), actix_web::Error> {
    let viewer = Viewer::extract(req).await?;
    let (token, payload) = submitted_token(req, payload).await?;
    let mut verdict = viewer.check_csrf(token.as_deref());
    if verdict.is_err() && viewer.session.is_none() {
        if let (Some(token), Some(state)) = (token.as_deref(), req.app_data::<web::Data<State>>()) {
            if state.form_key.verify(token, state.app.clock.now()) && posted_from_allowed_page(req, state).await {
                verdict = Ok(());
            }
        }
    }
    Ok((verdict, payload))
}

/// Whether the browser says that a form came from one of Civil's pages or from a page on a site
/// allowed to embed Civil (the fragment's forms post from there), for the signed form tokens of
/// pages without a cookie (`tokens::FormKey`). Browsers send `Origin` with every POST, and a
/// page cannot change what they send; without it, only `Sec-Fetch-Site: same-origin` will do.
async fn posted_from_allowed_page(req: &HttpRequest, state: &State) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let Some(origin) = header("origin") else {
        return header("sec-fetch-site") == Some("same-origin");
    };
    if is_own_origin(req, state, origin) {
        return true;
    }
    match crate::domain::canonical_url::Origin::parse(origin) {
        Ok(origin) => crate::services::embeds::is_allowed(&state.app, &origin).await.unwrap_or(false),
        Err(_) => false,
    }
}

/// Whether an origin a browser states (`Origin`, or a `Referer`'s) is Civil's own: the host the
/// request was sent to, or `base_url`'s origin (behind a proxy that rewrites `Host`).
pub fn is_own_origin(req: &HttpRequest, state: &State, origin: &str) -> bool {
    let host =
        req.headers().get("host").and_then(|v| v.to_str().ok()).or_else(|| req.uri().authority().map(|a| a.as_str()));
    if host.is_some() && origin.split_once("://").map(|(_, authority)| authority) == host {
        return true;
    }
    url::Url::parse(&state.app.settings.base_url).is_ok_and(|ours| ours.origin().ascii_serialization() == origin)
}

/// Check the request's CSRF token, then extract `T` (`web::Form<_>`, `JsonObject<_>`, or `()`
/// for a request without a body). A handler that changes state takes its input through this,
/// so the check cannot be left out; the route-table test sends every such route without a token.
pub struct Csrf<T = ()>(pub T);

impl<T: FromRequest + 'static> FromRequest for Csrf<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Csrf<T>, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let (verdict, mut payload) = csrf_verdict(&req, &mut payload).await?;
            verdict.map_err(HttpError::from)?;
            Ok(Csrf(T::from_request(&req, &mut payload).await.map_err(Into::into)?))
        })
    }
}

/// For forms whose text must survive a refusal (a comment, a registration): the form whether
/// or not its token was right, with the verdict to act on. `into_parts` is the only way to the
/// form, and leaving its verdict unused is a compiler warning.
pub struct CsrfDraft<T> {
    form: T,
    verdict: Result<(), Error>,
}

impl<T> CsrfDraft<T> {
    pub fn into_parts(self) -> (T, Result<(), Error>) {
        (self.form, self.verdict)
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for CsrfDraft<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<CsrfDraft<T>, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let (verdict, mut payload) = csrf_verdict(&req, &mut payload).await?;
            let form = web::Form::<T>::from_request(&req, &mut payload).await?.into_inner();
            Ok(CsrfDraft { form, verdict })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Roles

/// The guard the route table puts on every route that needs a role: 401 for a visitor who is
/// not signed in, 403 for an account without the role (the scope renders either). The service
/// behind the route checks the same rule again.
pub async fn guard_role(
    role: Role,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let viewer = req.extract::<Viewer>().await?;
    if let Err(refused) = viewer.require_role(role) {
        return Ok(req.error_response(HttpError::from(refused)));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The browser's User-Agent, to tell a reader's sessions apart on their account page.
fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers().get(actix_web::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The client's IP address. `X-Forwarded-For` is believed only from a configured trusted proxy,
/// and then the nearest address in it that is not itself a trusted proxy is the client.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".to_owned();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut client = peer;
    for hop in forwarded.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client.to_string()
}

/// A redirect target that stays on this site: a path that starts with a single `/`, with no
/// `//` or `\` anywhere (browsers read both as the start of another host), and only visible
/// ASCII (browsers drop tabs and newlines from URLs, which turns `/\t/evil.example` into
/// `//evil.example`, and a header cannot hold them anyway). A scheme cannot come first after
/// a `/`. Anything else becomes `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    pub fn parse(input: &str) -> Option<LocalPath> {
        let local = input.starts_with('/')
            && !input.contains("//")
            && !input.contains('\\')
            && input.bytes().all(|b| b.is_ascii_graphic());
        local.then(|| LocalPath(input.to_owned()))
    }

    /// The target from a query or form value, or the home page.
    pub fn or_home(input: Option<&str>) -> LocalPath {
        input.and_then(LocalPath::parse).unwrap_or_else(|| LocalPath("/".to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Only local paths are followed after a form, so a link cannot send readers elsewhere.
pub fn safe_next(next: Option<&str>) -> String {
    LocalPath::or_home(next).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        use actix_web::test::TestRequest;
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let direct = TestRequest::default()
            .peer_addr("203.0.113.9:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "198.51.100.1"))
            .to_http_request();
        assert_eq!(client_ip(&direct, &[proxy]), "203.0.113.9", "an untrusted peer cannot claim another address");
        let proxied = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "6.6.6.6, 198.51.100.1"))
            .to_http_request();
        assert_eq!(client_ip(&proxied, &[proxy]), "198.51.100.1", "the hop the proxy saw, not what the client claimed");
        let chained = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "198.51.100.1, 10.0.0.2"))
            .to_http_request();
        assert_eq!(client_ip(&chained, &[proxy, "10.0.0.2".parse().unwrap()]), "198.51.100.1");
    }

    #[test]
    fn a_session_cookie_is_recognised_by_its_name_only() {
        use actix_web::test::TestRequest;
        let with = |name: &'static str, value: &'static str| {
            TestRequest::default().cookie(Cookie::new(name, value)).to_http_request()
        };
        assert!(has_session_cookie(&with("civil_session", "token")));
        assert!(!has_session_cookie(&with("civil_session", "")), "a removed cookie is no session");
        assert!(!has_session_cookie(&with("civil_csrf", "token")));
        assert!(!has_session_cookie(&TestRequest::default().to_http_request()));
        assert_eq!(session_cookie_name(true), "__Host-civil_session");
        assert_eq!(csrf_cookie_name(true), "__Host-civil_csrf");
    }

    #[test]
    fn next_stays_on_site() {
        assert_eq!(safe_next(Some("/articles/a#comments")), "/articles/a#comments");
        assert_eq!(safe_next(Some("/articles/a?sort=new&after=12_3")), "/articles/a?sort=new&after=12_3");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: a=b",
            "/ /evil.example",
            "/a/../\u{3000}/evil",
            "/caf\u{e9}",
            "",
            "evil.example",
            "javascript:alert(1)",
            "/a//evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    /// How a browser reads a Location header that starts with a slash: it drops tabs and
    /// newlines, treats `\\` as `/`, and a leading `//` names another host.
    fn leaves_the_site(location: &str) -> bool {
        let cleaned: String = location.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
        let cleaned = cleaned.trim_matches(|c: char| c <= ' ').replace('\\', "/");
        cleaned.starts_with("//") || !cleaned.starts_with('/')
    }

    proptest::proptest! {
        #[test]
        fn no_input_leads_off_the_site(input in proptest::prelude::any::<String>()) {
            let next = safe_next(Some(&input));
            proptest::prop_assert!(!leaves_the_site(&next), "{input:?} -> {next:?}");
            proptest::prop_assert!(actix_web::http::header::HeaderValue::from_str(&next).is_ok(), "{next:?}");
        }

        #[test]
        fn tricky_inputs_lead_home_or_stay_as_they_are(
            input in "[/\\\\ \t\r\n:a-z.%0-9?#]{0,12}",
        ) {
            let next = safe_next(Some(&input));
            proptest::prop_assert!(next == "/" || next == input, "{input:?} -> {next:?}");
            proptest::prop_assert!(!leaves_the_site(&next), "{input:?} -> {next:?}");
        }

        #[test]
        fn plain_paths_are_kept(segments in proptest::collection::vec("[a-z0-9_-]{1,8}", 0..5), query in "[a-z0-9=&]{0,10}") {
            let path = format!("/{}{}", segments.join("/"), if query.is_empty() { String::new() } else { format!("?{query}") });
            proptest::prop_assert_eq!(safe_next(Some(&path)), path);
        }
    }
}
