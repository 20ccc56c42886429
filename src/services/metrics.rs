//! `/metrics`: this instance's figures, and the shared ones read from the database when scraped.

use crate::error::Error;
use crate::metrics::Gauge;
use crate::store::moderation::{self as store_moderation, Tab};
use crate::store::outbox;

use super::App;

/// Everything in the Prometheus text format, with the web layer's own gauges (`more`).
pub async fn scrape(app: &App, more: Vec<Gauge>) -> Result<String, Error> {
    let (depth, pending, reported) = app
        .db(|conn| {
            Ok((
                outbox::depth(conn)?,
                store_moderation::tab_count(conn, Tab::Pending)?,
                store_moderation::tab_count(conn, Tab::Reported)?,
            ))
        })
        .await?;
    // Read after the scrape's own connection went back, so it does not count itself.
    let pool = app.pool.state();
    let pool_gauge = |state: &str, value: u32| Gauge {
        name: "civil_db_pool_connections",
        help: "Database connections of this instance's pool, by state.",
        labels: vec![("state", state.to_owned())],
        value: i64::from(value),
    };
    let mut gauges = more;
    gauges.extend([
        pool_gauge("idle", pool.idle_connections),
        pool_gauge("in_use", pool.connections - pool.idle_connections),
        Gauge {
            name: "civil_event_streams",
            help: "Live event streams (readers' and moderators') open on this instance.",
            labels: vec![],
            value: app.live.open_streams(),
        },
        Gauge {
            name: "civil_db_pool_size",
            help: "The most connections this instance's pool opens.",
            labels: vec![],
            value: i64::from(app.pool.max_size()),
        },
    ]);
    if let Some(bytes) = resident_bytes() {
        gauges.push(Gauge {
            name: "process_resident_memory_bytes",
            help: "Resident memory size in bytes.",
            labels: vec![],
            value: bytes,
        });
    }
    gauges.extend(depth.into_iter().map(|(kind, status, count)| Gauge {
        name: "civil_outbox_jobs",
        help: "Outbox jobs not yet sent (e-mail, newsletter issues, webhooks), by kind and status.",
        labels: vec![("kind", kind), ("status", status)],
        value: count,
    }));
    for (tab, count) in [("pending", pending), ("reported", reported)] {
        gauges.push(Gauge {
            name: "civil_moderation_queue",
            help: "Comments waiting for a moderator: held (pending) and flagged by readers (reported).",
            labels: vec![("tab", tab.to_owned())],
            value: count,
        });
    }
    Ok(app.metrics.render(&gauges))
}

/// This process's resident memory, from `/proc/self/status` (Linux only).
fn resident_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kib: i64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024)
}
