//! Errors take the shape of the scope they happen in, chosen once (`http::errors`): JSON under
//! `/api/v1`, a page in the site's layout elsewhere.

use civil::domain::role::Role;
use diesel::RunQueryDsl;
use reqwest::StatusCode;

use crate::helpers::{spawn, spawn_with};

#[tokio::test]
async fn error_pages_carry_the_site_name_and_the_reader_who_is_signed_in() {
    let app = spawn_with(|s| s.site_name = "The Harbour Gazette".into()).await;
    let reader = app.reader("ada").await;
    let page = reader.get("/articles/no-such-article").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    page.assert_contains("The Harbour Gazette");
    page.assert_contains("Sign out");
    page.assert_lacks("<title>Not found · Civil");
    // An address actix itself cannot read gets the same page.
    let unreadable = reader.get("/comments/not-a-number").await;
    assert_eq!(unreadable.status, StatusCode::NOT_FOUND);
    unreadable.assert_contains("The Harbour Gazette");
    unreadable.assert_contains("There is nothing at this address.");
    // A page refused to a reader is in the same layout, and says who may use it.
    let refused = reader.get("/admin").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    refused.assert_contains("The Harbour Gazette");
    refused.assert_contains("Only admins can do that.");
}

/// Before, a failed session lookup became a web page even for an API client.
#[tokio::test]
async fn a_failed_session_lookup_is_json_under_the_api_and_a_page_elsewhere() {
    let app = spawn().await;
    let reader = app.signed_in("ada", Role::Reader).await;
    {
        let mut conn = app.app.pool.get().unwrap();
        let drop = if app.db.is_postgres() { "DROP TABLE sessions CASCADE" } else { "DROP TABLE sessions" };
        diesel::sql_query(drop).execute(&mut conn).unwrap();
    }
    let api = reader.api_get("/api/v1/session").await;
    assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(api.error_code(), "internal");
    assert!(api.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let page = reader.get("/").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    page.assert_contains("Something went wrong");
}
