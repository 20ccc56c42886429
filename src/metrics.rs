//! What an operator's Prometheus scrapes from `/metrics`: counters and histograms kept in memory
//! by this instance, written out in the Prometheus text format. Figures that live in the database
//! (the outbox, the moderation queue) are read when scraped, not kept here.
//!
//! Nothing is recorded unless `metrics_token` is set: the hot paths then pay one branch.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds: from a cached page to a slow SMTP relay.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A latency histogram that many threads add to without a lock.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&bound| seconds <= bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The `_bucket`, `_sum` and `_count` lines, with `labels` (already formatted, may be empty).
    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// Requests to one route with one method.
#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    latency: Histogram,
}

/// This instance's metrics. One per process, shared by every worker.
pub struct Metrics {
    enabled: bool,
    /// Keyed by route pattern (`/articles/{slug}`, never the raw path, so that the number of
    /// series stays bounded) and method.
    requests: Mutex<BTreeMap<String, BTreeMap<String, RouteStats>>>,
    pub pool_wait: Histogram,
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
    /// From a job's creation to its delivery, by kind.
    deliveries: Mutex<BTreeMap<&'static str, Histogram>>,
}

impl Metrics {
    pub fn new(enabled: bool) -> Metrics {
        Metrics {
            enabled,
            requests: Mutex::default(),
            pool_wait: Histogram::default(),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            deliveries: Mutex::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        if !self.enabled {
            return;
        }
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        // Looked up by reference: the keys are allocated only for a route's first request.
        if !requests.contains_key(route) {
            requests.insert(route.to_owned(), BTreeMap::new());
        }
        let methods = requests.get_mut(route).expect("inserted above");
        if !methods.contains_key(method) {
            methods.insert(method.to_owned(), RouteStats::default());
        }
        let stats = methods.get_mut(method).expect("inserted above");
        *stats.by_status.entry(status).or_default() += 1;
        stats.latency.observe(elapsed);
    }

    pub fn cache(&self, hit: bool) {
        if self.enabled {
            let counter = if hit { &self.cache_hits } else { &self.cache_misses };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn delivered(&self, kind: &'static str, since_created: Duration) {
        if self.enabled {
            self.deliveries.lock().unwrap_or_else(|e| e.into_inner()).entry(kind).or_default().observe(since_created);
        }
    }

    /// This instance's figures in the Prometheus text format; `gauges` adds those read elsewhere.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut out = String::with_capacity(16 * 1024);
        out.push_str("# HELP civil_http_requests_total Requests answered, by route pattern, method and status.\n");
        out.push_str("# TYPE civil_http_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        for (route, method, stats) in requests.iter().flat_map(|(r, m)| m.iter().map(move |(m, s)| (r, m, s))) {
            for (status, count) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "civil_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {count}",
                    escape(route),
                    escape(method)
                );
            }
        }
        out.push_str("# HELP civil_http_request_duration_seconds Time to answer, by route pattern and method.\n");
        out.push_str("# TYPE civil_http_request_duration_seconds histogram\n");
        for (route, method, stats) in requests.iter().flat_map(|(r, m)| m.iter().map(move |(m, s)| (r, m, s))) {
            let labels = format!("route=\"{}\",method=\"{}\"", escape(route), escape(method));
            stats.latency.write(&mut out, "civil_http_request_duration_seconds", &labels);
        }
        drop(requests);

        out.push_str("# HELP civil_db_pool_wait_seconds Time spent waiting for a database connection.\n");
        out.push_str("# TYPE civil_db_pool_wait_seconds histogram\n");
        self.pool_wait.write(&mut out, "civil_db_pool_wait_seconds", "");

        out.push_str("# HELP civil_thread_cache_requests_total Anonymous thread renderings asked of the cache.\n");
        out.push_str("# TYPE civil_thread_cache_requests_total counter\n");
        let hits = self.cache_hits.load(Ordering::Relaxed);
        let misses = self.cache_misses.load(Ordering::Relaxed);
        let _ = writeln!(out, "civil_thread_cache_requests_total{{result=\"hit\"}} {hits}");
        let _ = writeln!(out, "civil_thread_cache_requests_total{{result=\"miss\"}} {misses}");

        out.push_str("# HELP civil_outbox_delivery_seconds From a job's creation to its delivery, by kind.\n");
        out.push_str("# TYPE civil_outbox_delivery_seconds histogram\n");
        for (kind, histogram) in self.deliveries.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            histogram.write(&mut out, "civil_outbox_delivery_seconds", &format!("kind=\"{}\"", escape(kind)));
        }

        let mut last = "";
        for gauge in gauges {
            if gauge.name != last {
                let _ = writeln!(out, "# HELP {} {}", gauge.name, gauge.help);
                let _ = writeln!(out, "# TYPE {} gauge", gauge.name);
                last = gauge.name;
            }
            let labels: Vec<String> =
                gauge.labels.iter().map(|(name, value)| format!("{name}=\"{}\"", escape(value))).collect();
            if labels.is_empty() {
                let _ = writeln!(out, "{} {}", gauge.name, gauge.value);
            } else {
                let _ = writeln!(out, "{}{{{}}} {}", gauge.name, labels.join(","), gauge.value);
            }
        }
        out
    }
}

/// A figure read when scraped. Gauges of one name must come together.
#[derive(Debug, Clone)]
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub value: i64,
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_counts_cumulatively_and_sums() {
        let metrics = Metrics::new(true);
        metrics.request("/articles/{slug}", "GET", 200, Duration::from_micros(300));
        metrics.request("/articles/{slug}", "GET", 200, Duration::from_millis(3));
        metrics.request("/articles/{slug}", "GET", 404, Duration::from_secs(20));
        let text = metrics.render(&[]);
        assert!(text.contains("civil_http_requests_total{route=\"/articles/{slug}\",method=\"GET\",status=\"200\"} 2"));
        assert!(text.contains("civil_http_requests_total{route=\"/articles/{slug}\",method=\"GET\",status=\"404\"} 1"));
        let bucket = |le: &str| {
            format!(
                "civil_http_request_duration_seconds_bucket{{route=\"/articles/{{slug}}\",method=\"GET\",le=\"{le}\"}}"
            )
        };
        assert!(text.contains(&format!("{} 1\n", bucket("0.0005"))), "{text}");
        assert!(text.contains(&format!("{} 2\n", bucket("0.005"))), "{text}");
        assert!(text.contains(&format!("{} 2\n", bucket("10"))), "{text}");
        assert!(text.contains(&format!("{} 3\n", bucket("+Inf"))), "{text}");
        assert!(text.contains("civil_http_request_duration_seconds_count{route=\"/articles/{slug}\",method=\"GET\"} 3"));
        assert!(
            text.contains("civil_http_request_duration_seconds_sum{route=\"/articles/{slug}\",method=\"GET\"} 20.0033")
        );
    }

    #[test]
    fn nothing_is_recorded_when_metrics_are_off() {
        let metrics = Metrics::new(false);
        metrics.request("/", "GET", 200, Duration::from_millis(1));
        metrics.cache(true);
        assert!(!metrics.render(&[]).contains("civil_http_requests_total{"));
        assert_eq!(metrics.cache_hits.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn label_values_are_escaped() {
        let metrics = Metrics::new(true);
        let gauge = Gauge { name: "civil_x", help: "x", labels: vec![("kind", "a\"b\\c\nd".into())], value: 1 };
        assert!(metrics.render(&[gauge]).contains("civil_x{kind=\"a\\\"b\\\\c\\nd\"} 1"));
    }
}
