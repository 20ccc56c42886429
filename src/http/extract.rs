//! Who is asking: the session behind the cookie, and the CSRF token that goes with it.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::State;
use crate::domain::role::Role;
use crate::error::Error;
use crate::services::accounts::{self, Session, User};
use crate::services::tokens;

pub const SESSION_COOKIE: &str = "civil_session";
/// Anonymous visitors get their CSRF token in this cookie (double submit); signed-in readers
/// use the token stored with their session.
pub const CSRF_COOKIE: &str = "civil_csrf";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

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
    pub fn user(&self) -> Option<&User> {
        self.session.as_ref().map(|s| &s.user)
    }

    pub fn require_user(&self) -> Result<&User, Error> {
        self.user().ok_or(Error::Unauthenticated)
    }

    pub fn require_role(&self, role: Role) -> Result<&User, Error> {
        let user = self.require_user()?;
        if user.role < role {
            return Err(Error::forbidden(format!("This needs the {role} role.")));
        }
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

    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), Error> {
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

fn base_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value).path("/").http_only(true).same_site(SameSite::Lax).secure(secure).finish()
}

pub fn csrf_cookie(token: String, secure: bool) -> Cookie<'static> {
    base_cookie(CSRF_COOKIE, token, secure)
}

pub fn session_cookie(token: String, secure: bool, days: i64) -> Cookie<'static> {
    let mut cookie = base_cookie(SESSION_COOKIE, token, secure);
    cookie.set_max_age(actix_web::cookie::time::Duration::days(days));
    cookie
}

pub fn expired_session_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = base_cookie(SESSION_COOKIE, String::new(), secure);
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
            let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()).filter(|t| !t.is_empty());
            let session = match token {
                Some(token) => {
                    accounts::session_for_token(&state.app, token).await.map_err(super::pages::PageError::from)?
                }
                None => None,
            };
            let viewer = Viewer {
                session,
                anon_csrf: req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned()).filter(|t| !t.is_empty()),
                new_anon_csrf: None,
                secure: state.app.settings.secure_cookies(),
                ip: client_ip(&req, &state.app.settings.trusted_proxies),
            };
            req.extensions_mut().insert(viewer.clone());
            Ok(viewer)
        })
    }
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

/// Only local paths are followed after sign-in, so a link cannot send readers elsewhere.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/".to_owned(),
    }
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
    fn next_stays_on_site() {
        assert_eq!(safe_next(Some("/articles/a#comments")), "/articles/a#comments");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
