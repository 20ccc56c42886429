//! The server's memory, measured on the built binary as operators run it.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::cli::{civil, ok};
use crate::helpers::{client_for, serve_command, TestDatabase};

/// `civil serve` on its own port, stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(db: &TestDatabase) -> Server {
        let (mut command, port) = serve_command(db);
        let child = command
            .env("CIVIL_LOG", "warn")
            .env("CIVIL_RATE_LIMITS", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run civil serve");
        let server = Server { child, base: format!("http://127.0.0.1:{port}") };
        let started = Instant::now();
        while reqwest::get(format!("{}/healthz", server.base)).await.map(|r| r.status() != 200).unwrap_or(true) {
            assert!(started.elapsed() < Duration::from_secs(60), "civil serve answers /healthz");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// Resident memory now, in MiB.
    fn resident_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status");
        kib / 1024
    }
}

/// Each sign-up hashes its password with argon2id in 19 MiB, on whichever blocking thread is
/// free. glibc kept those blocks in each thread's arena after they were freed (its threshold for
/// giving large blocks their own mapping rises to the largest block freed), so a burst of
/// sign-ups left the server over 100 MiB larger for good.
#[tokio::test]
async fn a_burst_of_sign_ups_gives_the_password_hashes_memory_back() {
    let db = TestDatabase::new();
    ok(&civil(&db, &["migrate"], ""));
    let server = Server::start(&db).await;
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
