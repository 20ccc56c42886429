//! Sending e-mail: SMTP through lettre (our own small pool of connections, with TLS and
//! authentication from the URL), or, with no SMTP server configured, `.eml` files under the data
//! directory with their links logged, so everything works offline.
//!
//! The SMTP conversation is driven one command at a time so that a refusal is judged by the stage
//! it came at: only a refusal of the recipient's mailbox at RCPT says anything about the address.
//! Everything else the relay says (a wrong password, a policy, relaying denied, being down) is
//! the relay's or our configuration's fault, and must not cost a subscriber their subscription.

pub mod templates;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{SmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::Message;

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

/// Why a message did not go out, by whose fault, which decides what happens to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The recipient's mailbox does not exist or is disabled (refused at RCPT), or the address
    /// is unusable: never write to it again.
    #[error("{0}")]
    Mailbox(String),
    /// This recipient, for now (a 4xx reply at RCPT, such as greylisting or a full mailbox):
    /// try again later, up to `mail_max_attempts` times.
    #[error("{0}")]
    Transient(String),
    /// The relay or our configuration: it cannot be reached, refuses our credentials, refuses
    /// us by policy, or fails for everyone. Nothing is wrong with the message or the address, so
    /// nothing fails: the message waits until the relay works again. The text says what to check.
    #[error("{0}")]
    Relay(String),
    /// The message itself cannot be put together; it fails without blaming the address.
    #[error("{0}")]
    Unsendable(String),
}

/// Where in the conversation a reply came, which says what the reply is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Connecting, TLS, EHLO and AUTH.
    Connect,
    Mail,
    Rcpt,
    Data,
    /// The message and the final dot.
    Message,
}

/// Sort one SMTP failure: only an RCPT-stage refusal of the address itself (550, 551 or 553,
/// with an enhanced code of 5.1.x or 5.2.1, or none) blames the recipient.
fn classify(stage: Stage, error: &lettre::transport::smtp::Error, relay: &str) -> SendError {
    let text = error.to_string();
    let Some(code) = error.status().map(u16::from) else {
        let hint = if error.is_timeout() {
            "the relay did not answer in time"
        } else if error.is_tls() {
            "TLS with the relay failed; check the relay's certificate and the tls= setting of CIVIL_SMTP_URL"
        } else if stage == Stage::Connect && text.contains("authentication mechanism") {
            "the relay offers no way to sign in that we support; check CIVIL_SMTP_URL"
        } else {
            "is the relay running and reachable?"
        };
        return SendError::Relay(format!("SMTP relay {relay}: {text} ({hint}); mail waits until the relay takes it"));
    };
    let reply = std::error::Error::source(error).map(|s| s.to_string()).unwrap_or_default();
    judge(stage, code, &reply, &format!("SMTP relay {relay}: {text}"))
}

/// What a negative reply `code` with text `reply` at `stage` means; `described` is the whole
/// error as the log and the outbox row will show it.
fn judge(stage: Stage, code: u16, reply: &str, described: &str) -> SendError {
    // The enhanced status code (RFC 3463), when the relay gives one, opens the reply's text.
    let enhanced = reply.split_whitespace().next().filter(|word| {
        let parts: Vec<&str> = word.split('.').collect();
        parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    });
    if stage == Stage::Rcpt {
        let mailbox = matches!(code, 550 | 551 | 553)
            && match enhanced {
                None => true,
                Some(e) => e.starts_with("5.1.") || e == "5.2.1",
            };
        if mailbox {
            return SendError::Mailbox(format!("the recipient's mailbox was refused: {described}"));
        }
        // 421 closes the whole service; other 4xx replies at RCPT are about this recipient, and
        // so is a full mailbox, which is no proof that the address is gone.
        let about_recipient = ((400..500).contains(&code) && code != 421)
            || (code == 552 && enhanced.is_none_or(|e| e.starts_with("5.2.")))
            || enhanced.is_some_and(|e| e == "5.2.2");
        if about_recipient {
            return SendError::Transient(described.to_owned());
        }
    }
    let hint = if matches!(code, 530 | 534 | 535 | 538) || enhanced.is_some_and(|e| e == "5.7.8" || e == "5.7.0") {
        "the relay refuses our credentials: check the user name and password in CIVIL_SMTP_URL"
    } else if enhanced.is_some_and(|e| e.starts_with("5.7.")) || code == 554 {
        "the relay refuses us by policy: check that mail_from (CIVIL_MAIL_FROM) may send through it"
    } else if (400..500).contains(&code) {
        "the relay is failing for now"
    } else {
        "the relay refuses mail from us"
    };
    SendError::Relay(format!("{described} (at {stage:?}; {hint}); mail waits until the relay takes it"))
}

/// How to reach the relay, from `CIVIL_SMTP_URL`.
struct RelayConfig {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
}

impl RelayConfig {
    /// The URL forms lettre accepts: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// (or `opportunistic`), `smtps://host:465`, with an optional `/hello-name` path.
    fn parse(url: &str) -> Result<RelayConfig, String> {
        let (scheme, rest) = url.split_once("://").ok_or("it must start with smtp:// or smtps://")?;
        let (rest, query) = rest.split_once('?').map_or((rest, None), |(r, q)| (r, Some(q)));
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let (userinfo, hostport) = authority.rsplit_once('@').map_or((None, authority), |(u, h)| (Some(u), h));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || !p.is_empty() => {
                (h, Some(p.parse::<u16>().map_err(|_| format!("{p:?} is not a port"))?))
            }
            _ => (hostport, None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        if host.is_empty() {
            return Err("it names no host".into());
        }
        let tls_mode =
            query.into_iter().flat_map(|q| q.split('&')).find_map(|pair| pair.strip_prefix("tls=")).map(str::to_owned);
        let parameters = || TlsParameters::new(host.clone()).map_err(|e| format!("TLS: {e}"));
        let (tls, default_port) = match (scheme, tls_mode.as_deref()) {
            ("smtp", None) => (Tls::None, 25),
            ("smtp", Some("required")) => (Tls::Required(parameters()?), 587),
            ("smtp", Some("opportunistic")) => (Tls::Opportunistic(parameters()?), 587),
            ("smtps", _) => (Tls::Wrapper(parameters()?), 465),
            (scheme, tls) => return Err(format!("unknown scheme {scheme:?} or tls={tls:?}")),
        };
        let credentials = match userinfo.and_then(|u| u.split_once(':')) {
            Some((user, password)) => {
                let decode = |s: &str| urlencoding::decode(s).map(|c| c.into_owned()).map_err(|e| e.to_string());
                Some(Credentials::new(decode(user)?, decode(password)?))
            }
            None => None,
        };
        let path = path.trim_matches('/');
        let hello = if path.is_empty() { ClientId::default() } else { ClientId::Domain(path.to_owned()) };
        Ok(RelayConfig {
            host,
            port: port.unwrap_or(default_port),
            tls,
            credentials,
            hello,
            timeout: Duration::from_secs(30),
        })
    }

    fn name(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// A new connection, encrypted and signed in as configured.
    fn connect(&self) -> Result<SmtpConnection, lettre::transport::smtp::Error> {
        let wrapper = match &self.tls {
            Tls::Wrapper(parameters) => Some(parameters),
            _ => None,
        };
        let mut conn =
            SmtpConnection::connect((self.host.as_str(), self.port), Some(self.timeout), &self.hello, wrapper, None)?;
        match &self.tls {
            Tls::Opportunistic(parameters) if conn.can_starttls() => conn.starttls(parameters, &self.hello)?,
            Tls::Required(parameters) => conn.starttls(parameters, &self.hello)?,
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            if let Err(error) = conn.auth(DEFAULT_MECHANISMS, credentials) {
                close(conn);
                return Err(error);
            }
        }
        Ok(conn)
    }
}

/// SMTP connections kept open between messages, at most `max_idle`.
pub struct Relay {
    config: RelayConfig,
    idle: Mutex<Vec<(SmtpConnection, Instant)>>,
    max_idle: usize,
}

/// An idle connection older than this is closed rather than reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

impl Relay {
    fn checkout(&self) -> Result<SmtpConnection, SendError> {
        loop {
            let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match idle {
                Some((mut conn, since)) => {
                    if since.elapsed() < IDLE_TIMEOUT && conn.test_connected() {
                        return Ok(conn);
                    }
                    close(conn);
                }
                None => {
                    return self.config.connect().map_err(|e| classify(Stage::Connect, &e, &self.config.name()));
                }
            }
        }
    }

    fn checkin(&self, conn: SmtpConnection) {
        if conn.has_broken() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle {
            idle.push((conn, Instant::now()));
        }
    }

    fn send(&self, envelope: &Envelope, body: &[u8]) -> Result<(), SendError> {
        let mut conn = self.checkout()?;
        let result = conversation(&mut conn, envelope, body);
        match &result {
            Ok(()) => self.checkin(conn),
            Err((_, error)) if error.status().is_some() => {
                // A refusal leaves the connection usable once the transaction is reset; a relay
                // that does not answer that promptly is not kept waiting for.
                let _ = conn.set_timeout(Some(RESET_TIMEOUT));
                if conn.command(Rset).is_ok() && conn.set_timeout(Some(self.config.timeout)).is_ok() {
                    self.checkin(conn);
                } else {
                    close(conn);
                }
            }
            Err(_) => close(conn),
        }
        result.map_err(|(stage, error)| classify(stage, &error, &self.config.name()))
    }
}

/// How long a connection that failed gets to reset or say goodbye.
const RESET_TIMEOUT: Duration = Duration::from_secs(2);

/// Close a connection we no longer trust, without waiting long for the relay's goodbye.
fn close(mut conn: SmtpConnection) {
    let _ = conn.set_timeout(Some(RESET_TIMEOUT));
    conn.abort();
}

/// MAIL, RCPT, DATA and the message, each failure tagged with its stage.
fn conversation(
    conn: &mut SmtpConnection,
    envelope: &Envelope,
    body: &[u8],
) -> Result<(), (Stage, lettre::transport::smtp::Error)> {
    let mut parameters = Vec::new();
    let ascii_addresses = envelope.to().iter().chain(envelope.from()).all(|a| a.to_string().is_ascii());
    if !ascii_addresses && conn.server_info().supports_feature(Extension::SmtpUtfEight) {
        parameters.push(MailParameter::SmtpUtfEight);
    }
    if !body.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    conn.command(Mail::new(envelope.from().cloned(), parameters)).map_err(|e| (Stage::Mail, e))?;
    for to in envelope.to() {
        conn.command(Rcpt::new(to.clone(), vec![])).map_err(|e| (Stage::Rcpt, e))?;
    }
    conn.command(Data).map_err(|e| (Stage::Data, e))?;
    conn.message(body).map_err(|e| (Stage::Message, e))?;
    Ok(())
}

pub enum Mailer {
    Smtp { relay: Relay, from: Mailbox },
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
                let config =
                    RelayConfig::parse(url).map_err(|e| anyhow::anyhow!("CIVIL_SMTP_URL is not usable: {e}"))?;
                let relay = Relay { config, idle: Mutex::new(Vec::new()), max_idle: connections.max(1) as usize };
                Ok(Mailer::Smtp { relay, from })
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
            email.to.parse().map_err(|e| SendError::Mailbox(format!("bad recipient {:?}: {e}", email.to)))?;
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
        message.map_err(|e| SendError::Unsendable(format!("cannot build the message: {e}")))
    }

    /// Send one message (blocking: call it off the async executor).
    pub fn send(&self, email: &Email) -> Result<(), SendError> {
        let message = self.build(email)?;
        match self {
            Mailer::Smtp { relay, .. } => relay.send(message.envelope(), &message.formatted()),
            Mailer::Files { dir, counter, .. } => {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let name = format!("{}-{}-{n}.eml", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"), std::process::id());
                let path = dir.join(name);
                std::fs::write(&path, message.formatted())
                    .map_err(|e| SendError::Relay(format!("cannot write {}: {e}", path.display())))?;
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

    #[test]
    fn only_a_mailbox_refused_at_rcpt_blames_the_recipient() {
        let mailbox = |stage, code, reply| matches!(judge(stage, code, reply, "x"), SendError::Mailbox(_));
        assert!(mailbox(Stage::Rcpt, 550, "5.1.1 No such user"));
        assert!(mailbox(Stage::Rcpt, 550, "Mailbox unavailable"));
        assert!(mailbox(Stage::Rcpt, 551, "User not local"));
        assert!(mailbox(Stage::Rcpt, 553, "5.1.3 Bad address syntax"));
        assert!(mailbox(Stage::Rcpt, 550, "5.2.1 Mailbox disabled"));
        for (stage, code, reply) in [
            (Stage::Rcpt, 550, "5.7.1 Relaying denied"),
            (Stage::Rcpt, 554, "5.7.1 Rejected by policy"),
            (Stage::Rcpt, 530, "5.7.0 Authentication required"),
            (Stage::Mail, 550, "5.1.8 Bad sender address"),
            (Stage::Mail, 550, "No such user"),
            (Stage::Message, 550, "Message rejected"),
            (Stage::Message, 554, "5.7.1 Spam"),
            (Stage::Connect, 535, "5.7.8 Authentication credentials invalid"),
            (Stage::Data, 554, "Transaction failed"),
        ] {
            assert!(
                matches!(judge(stage, code, reply, "x"), SendError::Relay(_)),
                "{stage:?} {code} {reply} is the relay's or the configuration's"
            );
        }
        assert!(matches!(judge(Stage::Rcpt, 451, "4.7.1 Greylisted", "x"), SendError::Transient(_)));
        assert!(matches!(judge(Stage::Rcpt, 452, "4.2.2 Mailbox full", "x"), SendError::Transient(_)));
        assert!(matches!(judge(Stage::Rcpt, 552, "5.2.2 Mailbox full", "x"), SendError::Transient(_)));
        assert!(matches!(judge(Stage::Rcpt, 421, "Closing", "x"), SendError::Relay(_)));
        let SendError::Relay(auth) = judge(Stage::Connect, 535, "5.7.8 Bad credentials", "relay said 535") else {
            panic!()
        };
        assert!(auth.contains("CIVIL_SMTP_URL") && auth.contains("relay said 535"), "{auth}");
    }

    #[test]
    fn relay_urls_parse_as_lettre_reads_them() {
        let c = RelayConfig::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((c.host.as_str(), c.port, c.credentials.is_none()), ("127.0.0.1", 2525, true));
        assert!(matches!(c.tls, Tls::None));
        let c = RelayConfig::parse("smtps://user%40example.com:pa%24%24word%3F@smtp.example.com").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("smtp.example.com", 465));
        assert_eq!(c.credentials, Some(Credentials::new("user@example.com".into(), "pa$$word?".into())));
        assert!(matches!(c.tls, Tls::Wrapper(_)));
        let c = RelayConfig::parse("smtp://u:p@mail.example.com?tls=required").unwrap();
        assert_eq!(c.port, 587);
        assert!(matches!(c.tls, Tls::Required(_)));
        let c = RelayConfig::parse("smtp://mail.example.com:25/civil.example.com?tls=opportunistic").unwrap();
        assert_eq!(c.hello, ClientId::Domain("civil.example.com".into()));
        assert!(matches!(c.tls, Tls::Opportunistic(_)));
        assert!(RelayConfig::parse("http://mail.example.com").is_err());
        assert!(RelayConfig::parse("smtp://:25").is_err());
        assert!(RelayConfig::parse("smtp://mail.example.com:port").is_err());
    }

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
        assert!(matches!(mailer.send(&Email { to: "not an address".into(), ..email }), Err(SendError::Mailbox(_))));
    }
}
