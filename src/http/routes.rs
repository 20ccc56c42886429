//! The one route table. Each row says what a route is for as data: its method, its path, who
//! may use it, and its handler. `configure` builds the server from the rows, putting the role
//! guard on every route that needs a role; `endpoints` lists the same rows for the tests, which
//! send every route that needs an account or a role as each kind of user, and every
//! state-changing route without a CSRF token.
//!
//! Two scopes hold every route: the JSON API under `/api/v1` and the site. Each refuses hostile
//! bytes before its handlers run and renders its errors in its own shape (`errors::render`).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Next};
use actix_web::{guard, web, FromRequest, Handler, HttpMessage, Responder, Route};

use super::errors::{self, Shape};
use super::extract::guard_role;
use super::{api, assets, feeds, isso, pages, security};
use crate::domain::role::Role;

pub const API_PREFIX: &str = "/api/v1";

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Anyone,
    /// A signed-in account: the route's guard turns anyone else away before the handler runs
    /// (and the handler needs the account anyway, since services take the acting `User`).
    SignedIn,
    /// An account with this role or a higher one: the route's guard checks it before the
    /// handler runs, and the service checks it again.
    Role(Role),
}

/// How a state-changing route proves that the request came from one of our pages or clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A request that changes nothing.
    None,
    /// The CSRF token (`extract::Csrf`).
    CsrfToken,
    /// One-click unsubscribe from an e-mail (RFC 8058): mail clients post without our token;
    /// the unguessable token in the address is the proof.
    LinkToken,
    /// Isso's client (`/isso/`), which cannot send our token: the request's `Origin` is an
    /// allowed embed origin and its body is JSON (`isso::EmbedOrigin`), which a page elsewhere
    /// cannot send without a CORS preflight that only the allowed origins pass.
    EmbedOrigin,
}

/// One row of the table, as the tests see it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub method: Method,
    /// The full path, with `{name}` for each path parameter.
    pub path: String,
    pub access: Access,
    pub proof: Proof,
    pub framing: Framing,
}

/// Whether a page may be shown inside the embed's frame on an allowed site. Pages are
/// unframeable unless their row says otherwise (`in_frame`): only the frame and what a reader
/// reaches or posts from it (signing in and out, writing, moderating inline) are framed, so no
/// other page (the moderation queue, a profile with its sanction buttons, the admin area) can be
/// put under a publisher's page for a click it did not mean (`security::add_headers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `frame-ancestors 'none'` and `X-Frame-Options: DENY`.
    Never,
    /// Inside the embed's frame, the allowed sites may frame it; elsewhere it is as `Never`.
    InEmbed,
}

/// Put on the rows the frame may show, for `security::add_headers` to read after the handler.
#[derive(Debug, Clone, Copy)]
pub struct FramedInEmbed;

struct Table {
    prefix: &'static str,
    rows: Vec<(Endpoint, Route)>,
}

impl Table {
    fn new(prefix: &'static str) -> Table {
        Table { prefix, rows: Vec::new() }
    }

    fn add<F, Args>(&mut self, method: Method, path: &'static str, access: Access, handler: F) -> &mut Table
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let proof = if matches!(method, Method::GET | Method::HEAD) { Proof::None } else { Proof::CsrfToken };
        self.row(method, path, access, proof, handler)
    }

    fn row<F, Args>(
        &mut self,
        method: Method,
        path: &'static str,
        access: Access,
        proof: Proof,
        handler: F,
    ) -> &mut Table
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        // HEAD is answered wherever GET is, by the same handler: the server sends the headers
        // and leaves the body out.
        let mut route = match method {
            Method::GET => web::route().guard(guard::Any(guard::Get()).or(guard::Head())).to(handler),
            _ => web::method(method.clone()).to(handler),
        };
        let needs = match access {
            Access::Anyone => None,
            Access::SignedIn => Some(Role::Reader),
            Access::Role(role) => Some(role),
        };
        if let Some(role) = needs {
            route = route.wrap(from_fn(move |req, next| guard_role(role, req, next)));
        }
        let endpoint =
            Endpoint { method, path: format!("{}{path}", self.prefix), access, proof, framing: Framing::Never };
        self.rows.push((endpoint, route));
        self
    }

    fn get<F, Args>(&mut self, path: &'static str, access: Access, handler: F) -> &mut Table
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, access, handler)
    }

    fn post<F, Args>(&mut self, path: &'static str, access: Access, handler: F) -> &mut Table
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, access, handler)
    }

    /// The row just added is part of the embed's frame flow (see `Framing`). The mark goes on
    /// outside the role guard, so a refusal shows in the frame too.
    fn in_frame(&mut self) -> &mut Table {
        let (endpoint, route) = self.rows.pop().expect("a row to mark");
        let endpoint = Endpoint { framing: Framing::InEmbed, ..endpoint };
        let route = route.wrap(from_fn(mark_in_frame));
        self.rows.push((endpoint, route));
        self
    }

    fn into_scope(self, scope: actix_web::Scope) -> actix_web::Scope {
        let prefix = self.prefix;
        self.rows.into_iter().fold(scope, |scope, (endpoint, route)| scope.route(&endpoint.path[prefix.len()..], route))
    }
}

async fn mark_in_frame(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    req.extensions_mut().insert(FramedInEmbed);
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn api_table() -> Table {
    use api::{accounts, articles, comments, counts, moderation, openapi, preview, sso};
    use Access::{Anyone, Role as Needs, SignedIn};
    let mut t = Table::new(API_PREFIX);
    t.get("/openapi.json", Anyone, openapi::document)
        .post("/accounts", Anyone, accounts::create_account)
        .get("/session", Anyone, accounts::get_session)
        .post("/session", Anyone, accounts::create_session)
        .add(Method::DELETE, "/session", Anyone, accounts::delete_session)
        .post("/sso", Anyone, sso::sign_in)
        .get("/articles", Anyone, articles::list)
        .post("/articles", Needs(Role::Admin), articles::create)
        .get("/articles/{slug}", Anyone, articles::show)
        .get("/articles/{slug}/comments", Anyone, comments::list)
        .post("/articles/{slug}/comments", SignedIn, comments::create)
        .add(Method::PATCH, "/comments/{id}", SignedIn, comments::edit)
        .add(Method::DELETE, "/comments/{id}", SignedIn, comments::delete)
        .post("/comments/{id}/vote", SignedIn, comments::vote)
        .post("/preview", SignedIn, preview::preview)
        .post("/comments/{id}/flags", SignedIn, moderation::flag)
        .get("/moderation/queue", Needs(Role::Moderator), moderation::queue)
        .get("/moderation/queue/counts", Needs(Role::Moderator), moderation::queue_counts)
        .post("/moderation/comments/{id}/{action}", Needs(Role::Moderator), moderation::act_on_comment)
        .post("/moderation/undo/{token}", Needs(Role::Moderator), moderation::undo)
        .post("/moderation/users/{id}/{action}", Needs(Role::Moderator), moderation::act_on_user)
        .get("/moderation/log", Needs(Role::Moderator), moderation::log)
        .get("/counts", Anyone, counts::counts);
    t
}

/// Isso's API, for Isso's own client (`http::isso`). `count` and `preview` are POSTs that
/// change nothing.
fn isso_table() -> Table {
    use Access::Anyone;
    let mut t = Table::new("/isso");
    t.get("/", Anyone, isso::list)
        .get("/config", Anyone, isso::config)
        .get("/feed", Anyone, isso::feed)
        .row(Method::POST, "/new", Anyone, Proof::EmbedOrigin, isso::create)
        .row(Method::POST, "/count", Anyone, Proof::None, isso::count)
        .row(Method::POST, "/preview", Anyone, Proof::None, isso::preview)
        .get("/id/{id}", Anyone, isso::view)
        .row(Method::PUT, "/id/{id}", Anyone, Proof::EmbedOrigin, isso::edit)
        .row(Method::DELETE, "/id/{id}", Anyone, Proof::EmbedOrigin, isso::delete)
        .row(Method::POST, "/id/{id}/like", Anyone, Proof::EmbedOrigin, isso::like)
        .row(Method::POST, "/id/{id}/dislike", Anyone, Proof::EmbedOrigin, isso::dislike);
    t
}

fn site_table() -> Table {
    use pages::admin_webhooks;
    use pages::{
        account, account_emails, accounts, admin, admin_embeds, admin_newsletter, articles, comments, moderation,
        newsletter, sso,
    };
    use Access::{Anyone, SignedIn};
    const ADMIN: Access = Access::Role(Role::Admin);
    const STAFF: Access = Access::Role(Role::Moderator);
    let mut t = Table::new("");
    t.get("/healthz", Anyone, pages::healthz)
        .get("/metrics", Anyone, super::observe::metrics)
        .get("/assets/{name}", Anyone, assets::serve)
        // Reading and writing
        .get("/", Anyone, articles::home)
        .get("/articles/{slug}", Anyone, articles::show)
        .get("/articles/{slug}/events", Anyone, super::live::article_events)
        .post("/articles/{slug}/comments", Anyone, comments::post)
        .in_frame()
        .get("/embed/thread", Anyone, super::embed::thread)
        .get("/embed/frame", Anyone, super::embed::frame)
        .in_frame()
        .get("/comments/{id}", Anyone, comments::permalink)
        .get("/comments/{id}/fragment", Anyone, super::live::comment_fragment)
        .get("/articles/{slug}/comments.atom", Anyone, feeds::article_feed)
        .get("/embed/comments.atom", Anyone, feeds::embed_feed)
        .get("/embed/discussion", Anyone, super::embed_page::discussion)
        .get("/comments.atom", Anyone, feeds::site_feed)
        .get("/comments/{id}/edit", SignedIn, comments::edit_form)
        .in_frame()
        .post("/comments/{id}/edit", SignedIn, comments::edit)
        .in_frame()
        .post("/comments/{id}/delete", SignedIn, comments::delete)
        .in_frame()
        .post("/comments/{id}/vote", SignedIn, comments::vote)
        .in_frame()
        .post("/comments/{id}/flag", SignedIn, moderation::flag)
        .in_frame()
        // Accounts
        .get("/register", Anyone, accounts::register_form)
        .in_frame()
        .post("/register", Anyone, accounts::register)
        .in_frame()
        .get("/signin", Anyone, accounts::sign_in_form)
        .in_frame()
        .post("/signin", Anyone, accounts::sign_in)
        .in_frame()
        .post("/signout", Anyone, accounts::sign_out)
        .in_frame()
        .post("/sso", Anyone, sso::sign_in)
        .in_frame()
        .get("/users/{username}", Anyone, accounts::profile)
        .get("/setup", Anyone, accounts::setup_form)
        .post("/setup", Anyone, accounts::setup)
        .get("/account", SignedIn, account::page)
        .post("/account/name", SignedIn, account::set_name)
        .post("/account/email", SignedIn, account::change_email)
        .get("/account/email/{token}", Anyone, account::email_change_page)
        .post("/account/email/{token}", Anyone, account::confirm_email_change)
        .post("/account/password", SignedIn, account::change_password)
        .post("/account/notifications", SignedIn, account::set_notifications)
        .post("/account/newsletter", SignedIn, account::set_newsletter)
        .post("/account/verify/resend", SignedIn, account::resend_verification)
        .post("/account/sessions/{id}/end", SignedIn, account::end_session)
        .post("/account/sessions/end-others", SignedIn, account::end_other_sessions)
        .get("/account/export", SignedIn, account::export)
        .post("/account/delete", SignedIn, account::delete)
        .get("/account/deleted", Anyone, account::deleted)
        .get("/account/verify/{token}", Anyone, account_emails::verify_page)
        .post("/account/verify/{token}", Anyone, account_emails::verify)
        .get("/password/forgot", Anyone, account_emails::forgot_form)
        .in_frame()
        .post("/password/forgot", Anyone, account_emails::forgot)
        .in_frame()
        .get("/password/reset/{token}", Anyone, account_emails::reset_form)
        .post("/password/reset/{token}", Anyone, account_emails::reset)
        .get("/notifications/unsubscribe/{token}", Anyone, account_emails::notifications_page)
        .row(
            Method::POST,
            "/notifications/unsubscribe/{token}",
            Anyone,
            Proof::LinkToken,
            account_emails::notifications_off,
        )
        // The newsletter
        .get("/newsletter", Anyone, newsletter::page)
        .post("/newsletter", Anyone, newsletter::subscribe)
        .in_frame()
        .post("/newsletter/me", SignedIn, newsletter::subscribe_me)
        .in_frame()
        .get("/newsletter/confirm/{token}", Anyone, newsletter::confirm_page)
        .post("/newsletter/confirm/{token}", Anyone, newsletter::confirm)
        .get("/newsletter/unsubscribe/{token}", Anyone, newsletter::unsubscribe_page)
        .row(Method::POST, "/newsletter/unsubscribe/{token}", Anyone, Proof::LinkToken, newsletter::unsubscribe)
        // Moderators
        .get("/moderation", STAFF, moderation::queue)
        .get("/moderation/events", STAFF, super::live::staff_events)
        .post("/moderation/bulk", STAFF, moderation::bulk)
        .post("/moderation/undo/{token}", STAFF, moderation::undo)
        .get("/moderation/log", STAFF, moderation::log)
        .post("/moderation/comments/{id}/feature", STAFF, moderation::feature)
        .in_frame()
        .post("/moderation/comments/{id}/{action}", STAFF, moderation::act_on_comment)
        .in_frame()
        .post("/moderation/users/{id}/{action}", STAFF, moderation::act_on_user)
        .post("/moderation/articles/{slug}/close", STAFF, moderation::close_thread)
        .in_frame()
        .post("/moderation/articles/{slug}/reopen", STAFF, moderation::reopen_thread)
        .in_frame()
        // Admins
        .get("/admin", ADMIN, admin::dashboard)
        .get("/admin/articles/new", ADMIN, admin::new_article)
        .post("/admin/articles", ADMIN, admin::create_article)
        .get("/admin/articles/{id}/edit", ADMIN, admin::edit_article)
        .post("/admin/articles/{id}", ADMIN, admin::update_article)
        .post("/admin/articles/{id}/publish", ADMIN, admin::publish)
        .post("/admin/articles/{id}/unpublish", ADMIN, admin::unpublish)
        .get("/admin/settings", ADMIN, admin::settings_form)
        .post("/admin/settings", ADMIN, admin::save_settings)
        .get("/admin/users", ADMIN, admin::users)
        .post("/admin/users/{username}/role", ADMIN, admin::set_role)
        .get("/admin/sites", ADMIN, admin_embeds::sites)
        .post("/admin/sites", ADMIN, admin_embeds::add_site)
        .post("/admin/sites/{id}/delete", ADMIN, admin_embeds::remove_site)
        .get("/admin/threads", ADMIN, admin_embeds::threads)
        .post("/admin/threads/{id}/{action}", ADMIN, admin_embeds::change_thread)
        .get("/admin/newsletter", ADMIN, admin_newsletter::dashboard)
        .get("/admin/newsletter/subscribers.csv", ADMIN, admin_newsletter::export_csv)
        .post("/admin/newsletter/digest", ADMIN, admin_newsletter::compose_digest)
        .get("/admin/newsletter/issues/new", ADMIN, admin_newsletter::new_issue)
        .post("/admin/newsletter/preview", ADMIN, admin_newsletter::preview_draft)
        .post("/admin/newsletter/issues", ADMIN, admin_newsletter::create_issue)
        .get("/admin/newsletter/issues/{id}", ADMIN, admin_newsletter::show_issue)
        .post("/admin/newsletter/issues/{id}", ADMIN, admin_newsletter::update_issue)
        .get("/admin/newsletter/issues/{id}/edit", ADMIN, admin_newsletter::edit_issue)
        .get("/admin/newsletter/issues/{id}/progress.json", ADMIN, admin_newsletter::progress_json)
        .post("/admin/newsletter/issues/{id}/test", ADMIN, admin_newsletter::send_test)
        .post("/admin/newsletter/issues/{id}/send", ADMIN, admin_newsletter::send)
        .post("/admin/newsletter/issues/{id}/resend-unknown", ADMIN, admin_newsletter::resend_unknown)
        .post("/admin/newsletter/issues/{id}/resend-failed", ADMIN, admin_newsletter::resend_failed)
        .get("/admin/webhooks", ADMIN, admin_webhooks::list)
        .post("/admin/webhooks", ADMIN, admin_webhooks::add)
        .post("/admin/webhooks/{id}/events", ADMIN, admin_webhooks::set_events)
        .post("/admin/webhooks/{id}/delete", ADMIN, admin_webhooks::remove);
    t
}

/// Every route, as data.
pub fn endpoints() -> Vec<Endpoint> {
    api_table()
        .rows
        .into_iter()
        .chain(isso_table().rows)
        .chain(site_table().rows)
        .map(|(endpoint, _)| endpoint)
        .collect()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let api = api_table()
        .into_scope(web::scope(API_PREFIX))
        .app_data(web::JsonConfig::default().limit(security::BODY_LIMIT).error_handler(api::json_error))
        .app_data(web::QueryConfig::default().error_handler(api::query_error))
        .app_data(web::PathConfig::default().error_handler(api::path_error))
        .default_service(web::to(api::not_found))
        .wrap(from_fn(security::reject_control_characters))
        .wrap(from_fn(|req, next| errors::render(Shape::Json, req, next)));
    // Errors as JSON (Isso's client shows none; scripts read them); CORS outermost, so that an
    // allowed page can read a refusal too.
    let isso = isso_table()
        .into_scope(web::scope("/isso"))
        .app_data(web::JsonConfig::default().limit(security::BODY_LIMIT).error_handler(api::json_error))
        .app_data(web::QueryConfig::default().error_handler(api::query_error))
        .app_data(web::PathConfig::default().error_handler(api::path_error))
        .default_service(web::to(isso::not_found))
        .wrap(from_fn(security::reject_control_characters))
        .wrap(from_fn(|req, next| errors::render(Shape::Json, req, next)))
        .wrap(from_fn(isso::cors));
    let site = site_table()
        .into_scope(web::scope(""))
        .default_service(web::to(pages::not_found))
        .wrap(from_fn(security::reject_control_characters))
        .wrap(from_fn(|req, next| errors::render(Shape::Page, req, next)));
    cfg.service(api).service(isso).service(site);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_and_moderation_areas_are_guarded_by_role_whatever_a_new_route_says() {
        for endpoint in endpoints() {
            let under = |area: &str| endpoint.path == area || endpoint.path.starts_with(&format!("{area}/"));
            if under("/admin") {
                assert_eq!(endpoint.access, Access::Role(Role::Admin), "{} {}", endpoint.method, endpoint.path);
            }
            if under("/moderation") || under("/api/v1/moderation") {
                assert!(
                    matches!(endpoint.access, Access::Role(role) if role >= Role::Moderator),
                    "{} {}",
                    endpoint.method,
                    endpoint.path
                );
            }
        }
    }

    /// A new page cannot be framed until its row says so, and saying so means adding it here.
    #[test]
    fn only_the_embeds_frame_flow_may_be_framed() {
        let framed: Vec<String> = endpoints()
            .into_iter()
            .filter(|e| e.framing == Framing::InEmbed)
            .map(|e| format!("{} {}", e.method, e.path))
            .collect();
        assert_eq!(
            framed,
            [
                "POST /articles/{slug}/comments",
                "GET /embed/frame",
                "GET /comments/{id}/edit",
                "POST /comments/{id}/edit",
                "POST /comments/{id}/delete",
                "POST /comments/{id}/vote",
                "POST /comments/{id}/flag",
                "GET /register",
                "POST /register",
                "GET /signin",
                "POST /signin",
                "POST /signout",
                "POST /sso",
                "GET /password/forgot",
                "POST /password/forgot",
                "POST /newsletter",
                "POST /newsletter/me",
                "POST /moderation/comments/{id}/feature",
                "POST /moderation/comments/{id}/{action}",
                "POST /moderation/articles/{slug}/close",
                "POST /moderation/articles/{slug}/reopen",
            ]
        );
    }

    #[test]
    fn only_one_click_unsubscribes_and_isso_s_client_change_state_without_a_csrf_token() {
        let exempt: Vec<String> = endpoints()
            .into_iter()
            .filter(|e| e.method != Method::GET && e.proof != Proof::CsrfToken)
            .map(|e| format!("{} {}", e.method, e.path))
            .collect();
        assert_eq!(
            exempt,
            [
                "POST /isso/new",
                "POST /isso/count",
                "POST /isso/preview",
                "PUT /isso/id/{id}",
                "DELETE /isso/id/{id}",
                "POST /isso/id/{id}/like",
                "POST /isso/id/{id}/dislike",
                "POST /notifications/unsubscribe/{token}",
                "POST /newsletter/unsubscribe/{token}"
            ]
        );
    }
}
