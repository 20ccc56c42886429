//! Sending e-mail: SMTP through lettre (pooled, with TLS and authentication from the URL), or,
//! with no SMTP server configured, `.eml` files under the data directory with their links
//! logged, so everything works offline.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{Message, SmtpTransport, Transport};

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// For newsletters and notifications: the one-click unsubscribe URL (RFC 8058).
    pub unsubscribe_url: Option<String>,
}

/// Why a message did not go out.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (a 4xx reply, a timeout, a refused connection).
    #[error("{0}")]
    Transient(String),
    /// Will never work (a 5xx reply such as an unknown mailbox, or an unusable address).
    #[error("{0}")]
    Permanent(String),
}

pub enum Mailer {
    Smtp { transport: SmtpTransport, from: Mailbox },
    Files { dir: PathBuf, from: Mailbox, counter: AtomicU64 },
}

impl Mailer {
    /// SMTP when `smtp_url` is set (`smtp://user:pass@host:587?tls=required`, `smtps://…`), else
    /// `.eml` files in `<data_dir>/mail`.
    pub fn new(smtp_url: Option<&str>, from: &str, data_dir: &std::path::Path) -> anyhow::Result<Mailer> {
        Mailer::with_connections(smtp_url, from, data_dir, 4)
    }

    /// As `new`, keeping up to `connections` SMTP connections open for parallel sends.
    pub fn with_connections(
        smtp_url: Option<&str>,
        from: &str,
        data_dir: &std::path::Path,
        connections: u32,
    ) -> anyhow::Result<Mailer> {
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("mail_from {from:?} is not an address: {e}"))?;
        match smtp_url {
            Some(url) => {
                let transport = SmtpTransport::from_url(url)
                    .map_err(|e| anyhow::anyhow!("CIVIL_SMTP_URL is not usable: {e}"))?
                    .pool_config(PoolConfig::new().max_size(connections.max(1)).idle_timeout(Duration::from_secs(30)))
                    .timeout(Some(Duration::from_secs(30)))
                    .build();
                Ok(Mailer::Smtp { transport, from })
            }
            None => {
                let dir = data_dir.join("mail");
                std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
                Ok(Mailer::Files { dir, from, counter: AtomicU64::new(0) })
            }
        }
    }

    fn from(&self) -> &Mailbox {
        match self {
            Mailer::Smtp { from, .. } | Mailer::Files { from, .. } => from,
        }
    }

    pub fn build(&self, email: &Email) -> Result<Message, SendError> {
        let to: Mailbox =
            email.to.parse().map_err(|e| SendError::Permanent(format!("bad recipient {:?}: {e}", email.to)))?;
        let mut builder = Message::builder().from(self.from().clone()).to(to).subject(email.subject.clone());
        if let Some(url) = &email.unsubscribe_url {
            builder = builder
                .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{url}>")))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = match &email.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone())),
            None => builder.body(email.text.clone()),
        };
        message.map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
    }

    /// Send one message (blocking: call it off the async executor).
    pub fn send(&self, email: &Email) -> Result<(), SendError> {
        let message = self.build(email)?;
        match self {
            Mailer::Smtp { transport, .. } => transport.send(&message).map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
            Mailer::Files { dir, counter, .. } => {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let name = format!("{}-{}-{n}.eml", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"), std::process::id());
                let path = dir.join(name);
                std::fs::write(&path, message.formatted())
                    .map_err(|e| SendError::Transient(format!("cannot write {}: {e}", path.display())))?;
                let links: Vec<&str> = email
                    .text
                    .split_whitespace()
                    .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
                    .collect();
                tracing::info!(to = %email.to, subject = %email.subject, file = %path.display(), links = ?links, "e-mail written (no SMTP server configured)");
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> (tempfile::TempDir, Mailer) {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::new(None, "Civil <news@example.com>", dir.path()).unwrap();
        (dir, mailer)
    }

    #[test]
    fn newsletters_are_multipart_with_one_click_unsubscribe_headers() {
        let (_dir, mailer) = files();
        let email = Email {
            to: "reader@example.com".into(),
            subject: "This week".into(),
            text: "Plain text".into(),
            html: Some("<p>HTML</p>".into()),
            unsubscribe_url: Some("https://news.example/newsletter/unsubscribe/abc".into()),
        };
        let raw = String::from_utf8(mailer.build(&email).unwrap().formatted()).unwrap();
        assert!(raw.contains("List-Unsubscribe: <https://news.example/newsletter/unsubscribe/abc>"), "{raw}");
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain") && raw.contains("text/html"), "{raw}");
    }

    #[test]
    fn without_smtp_messages_become_files() {
        let (dir, mailer) = files();
        let email = Email {
            to: "a@example.com".into(),
            subject: "Hi".into(),
            text: "Go to https://x.example/y".into(),
            html: None,
            unsubscribe_url: None,
        };
        mailer.send(&email).unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("mail")).unwrap().collect();
        assert_eq!(files.len(), 1);
        assert!(matches!(mailer.send(&Email { to: "not an address".into(), ..email }), Err(SendError::Permanent(_))));
    }
}
