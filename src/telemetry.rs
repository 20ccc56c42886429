use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Log to stderr with the filter from settings (`CIVIL_LOG` or `RUST_LOG`), as text or as one JSON
/// object per line. JSON lines carry the fields of the spans they happen in, so every line written
/// while a request is served has its `request_id`, the one sent back as `X-Request-Id`.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().with_current_span(false).with_span_list(true).try_init(),
    };
}
