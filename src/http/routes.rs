//! The one route table.

use actix_web::web;

use super::{api, assets, pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(pages::healthz))
        .route("/assets/{name}", web::get().to(assets::serve))
        .service(
            web::scope("/api/v1")
                .app_data(web::JsonConfig::default().limit(256 * 1024).error_handler(api::json_error))
                .app_data(web::QueryConfig::default().error_handler(api::query_error))
                .app_data(web::PathConfig::default().error_handler(api::path_error))
                .route("/openapi.json", web::get().to(api::openapi::document))
                .route("/accounts", web::post().to(api::accounts::create_account))
                .route("/session", web::get().to(api::accounts::get_session))
                .route("/session", web::post().to(api::accounts::create_session))
                .route("/session", web::delete().to(api::accounts::delete_session))
                .route("/articles", web::get().to(api::articles::list))
                .route("/articles", web::post().to(api::articles::create))
                .route("/articles/{slug}", web::get().to(api::articles::show))
                .route("/articles/{slug}/comments", web::get().to(api::comments::list))
                .route("/articles/{slug}/comments", web::post().to(api::comments::create))
                .route("/comments/{id}", web::patch().to(api::comments::edit))
                .route("/comments/{id}", web::delete().to(api::comments::delete))
                .route("/comments/{id}/vote", web::post().to(api::comments::vote))
                .default_service(web::to(api::not_found)),
        )
        .route("/", web::get().to(pages::articles::home))
        .route("/articles/{slug}", web::get().to(pages::articles::show))
        .route("/articles/{slug}/comments", web::post().to(pages::comments::post))
        .route("/comments/{id}", web::get().to(pages::comments::permalink))
        .route("/comments/{id}/edit", web::get().to(pages::comments::edit_form))
        .route("/comments/{id}/edit", web::post().to(pages::comments::edit))
        .route("/comments/{id}/delete", web::post().to(pages::comments::delete))
        .route("/comments/{id}/vote", web::post().to(pages::comments::vote))
        .route("/register", web::get().to(pages::accounts::register_form))
        .route("/register", web::post().to(pages::accounts::register))
        .route("/signin", web::get().to(pages::accounts::sign_in_form))
        .route("/signin", web::post().to(pages::accounts::sign_in))
        .route("/signout", web::post().to(pages::accounts::sign_out))
        .route("/users/{username}", web::get().to(pages::accounts::profile))
        .route("/setup", web::get().to(pages::accounts::setup_form))
        .route("/setup", web::post().to(pages::accounts::setup))
        .route("/admin", web::get().to(pages::admin::dashboard))
        .route("/admin/articles/new", web::get().to(pages::admin::new_article))
        .route("/admin/articles", web::post().to(pages::admin::create_article))
        .route("/admin/articles/{id}/edit", web::get().to(pages::admin::edit_article))
        .route("/admin/articles/{id}", web::post().to(pages::admin::update_article))
        .route("/admin/articles/{id}/publish", web::post().to(pages::admin::publish))
        .route("/admin/articles/{id}/unpublish", web::post().to(pages::admin::unpublish))
        .route("/admin/users", web::get().to(pages::admin::users))
        .route("/admin/users/{username}/role", web::post().to(pages::admin::set_role))
        .default_service(web::to(pages::not_found));
}
