//! The server's memory, measured on the built binary as operators run it.

use serde_json::json;

use crate::cli::{civil, ok};
use crate::helpers::{client_for, Served, TestDatabase};

/// Each sign-up hashes its password with argon2id in 19 MiB, on whichever blocking thread is
/// free. glibc kept those blocks in each thread's arena after they were freed (its threshold for
/// giving large blocks their own mapping rises to the largest block freed), so a burst of
/// sign-ups left the server over 100 MiB larger for good.
#[tokio::test]
async fn a_burst_of_sign_ups_gives_the_password_hashes_memory_back() {
    let db = TestDatabase::new();
    ok(&civil(&db, &["migrate"], ""));
    let server = Served::start(&db, &[]).await;
    let before = server.resident_mib();
    for round in 0..4 {
        let sign_ups = (0..8).map(|i| {
            let mut client = client_for(&server.base);
            async move {
                client.fetch_csrf().await;
                let name = format!("reader{round}x{i}");
                let password = format!("a long enough password {round} {i}");
                let body = json!({"username": name, "email": format!("{name}@example.com"), "password": password});
                let created = client.api_post("/api/v1/accounts", body).await;
                assert_eq!(created.status, 201, "{}", created.body);
            }
        });
        futures_util::future::join_all(sign_ups).await;
    }
    let after = server.resident_mib();
    assert!(after < before + 40, "resident memory went from {before} MiB to {after} MiB after 32 sign-ups");
}
