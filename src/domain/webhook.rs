//! Signed webhooks: the events an endpoint can hear, the endpoint's URL and secret as parsed at
//! the edge, the announcement written with the change, and the signature over each delivery.

use std::fmt;

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::Invalid;

/// Something that happened to a comment, announced to the endpoints that chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    /// A comment became public: posted, edited while public, or brought back by a moderator.
    CommentPublished,
    /// A comment was held for review: by the policy when posted or edited, or by readers' flags.
    CommentHeld,
    /// A moderator approved a comment.
    CommentApproved,
    /// A moderator removed a comment.
    CommentRemoved,
    /// A reader flagged a comment.
    ReaderFlagged,
}

impl Event {
    pub const ALL: [Event; 5] = [
        Event::CommentPublished,
        Event::CommentHeld,
        Event::CommentApproved,
        Event::CommentRemoved,
        Event::ReaderFlagged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::CommentPublished => "comment.published",
            Event::CommentHeld => "comment.held",
            Event::CommentApproved => "comment.approved",
            Event::CommentRemoved => "comment.removed",
            Event::ReaderFlagged => "reader.flagged",
        }
    }

    pub fn parse(name: &str) -> Result<Event, Invalid> {
        let name = name.trim();
        Event::ALL.into_iter().find(|e| e.as_str() == name).ok_or_else(|| {
            Invalid::new("events", format!("There is no event {name:?}. The events are: {}.", Event::names()))
        })
    }

    fn names() -> String {
        Event::ALL.map(Event::as_str).join(", ")
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The events an endpoint hears: at least one, each once, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Events(Vec<Event>);

impl Events {
    /// From names, each of which may itself be a comma-separated list (`--events a,b` or
    /// checkboxes alike).
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Events, Invalid> {
        let mut events = names
            .iter()
            .flat_map(|n| n.as_ref().split(','))
            .filter(|n| !n.trim().is_empty())
            .map(Event::parse)
            .collect::<Result<Vec<_>, _>>()?;
        events.sort_unstable();
        events.dedup();
        if events.is_empty() {
            return Err(Invalid::new("events", format!("Choose at least one event: {}.", Event::names())));
        }
        Ok(Events(events))
    }

    /// As stored: names joined by commas.
    pub fn to_db(&self) -> String {
        self.0.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",")
    }

    /// What the database holds; names this version does not know are left out, not fatal.
    pub fn from_db(stored: &str) -> Vec<Event> {
        stored.split(',').filter_map(|n| Event::parse(n).ok()).collect()
    }

    pub fn contains(&self, event: Event) -> bool {
        self.0.contains(&event)
    }

    pub fn iter(&self) -> impl Iterator<Item = Event> + '_ {
        self.0.iter().copied()
    }
}

/// Where deliveries go: an absolute http or https URL with a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(String);

impl EndpointUrl {
    pub const MAX_LEN: usize = 2000;

    pub fn parse(input: &str) -> Result<EndpointUrl, Invalid> {
        let input = input.trim();
        let bad = |message: &str| Invalid::new("url", message);
        if input.is_empty() {
            return Err(bad("Give the URL that receives the webhooks."));
        }
        if input.len() > Self::MAX_LEN {
            return Err(bad("A webhook URL has at most 2000 characters."));
        }
        let url = url::Url::parse(input)
            .map_err(|e| bad(&format!("That is not a URL ({e}): give one such as https://hooks.example.com/civil.")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("A webhook URL starts with https:// (or http://)."));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("A webhook URL names a host, such as https://hooks.example.com/civil."));
        }
        if url.fragment().is_some() {
            return Err(bad("A webhook URL has no #fragment: it would never be sent."));
        }
        Ok(EndpointUrl(url.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key an endpoint verifies signatures with: given, or generated.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub const MIN_LEN: usize = 16;
    pub const MAX_LEN: usize = 200;

    pub fn parse(input: &str) -> Result<Secret, Invalid> {
        let chars = input.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&chars) {
            return Err(Invalid::new(
                "secret",
                format!("A webhook secret has {} to {} characters.", Self::MIN_LEN, Self::MAX_LEN),
            ));
        }
        if !input.chars().all(|c| c.is_ascii_graphic()) {
            return Err(Invalid::new("secret", "A webhook secret is printable ASCII, without spaces."));
        }
        Ok(Secret(input.to_owned()))
    }

    /// A secret from random URL-safe characters, such as a token generator makes.
    pub fn generated(random: &str) -> Secret {
        Secret(format!("whsec_{random}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The `Civil-Signature` header: `t=TIMESTAMP,v1=HEX`, HMAC-SHA256 with the endpoint's secret
/// over `TIMESTAMP.BODY`. The timestamp (Unix seconds, at delivery) is signed too, so a
/// receiver that refuses old timestamps cannot be fed a captured delivery again later.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        use std::fmt::Write;
        let _ = write!(hex, "{byte:02x}");
    }
    format!("t={timestamp},v1={hex}")
}

/// What happened, as it was when it happened: written into the outbox with the change, and
/// turned into the delivered payload (with absolute links) when it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub event: String,
    pub created_at: NaiveDateTime,
    pub comment_id: i64,
    pub parent_id: Option<i64>,
    pub status: String,
    pub author: String,
    pub article_slug: String,
    pub article_title: String,
    /// Only for a comment the public can see.
    pub body_html: Option<String>,
    pub edited: bool,
    pub removal_reason: Option<String>,
    pub flag_reason: Option<String>,
    /// For `reader.flagged`: whether this flag took the comment out of public view.
    pub hidden: Option<bool>,
}

impl Announcement {
    /// The JSON body delivered, links made absolute with the site's `base_url`.
    pub fn payload(&self, base_url: &str) -> serde_json::Value {
        let base = base_url.trim_end_matches('/');
        let mut data = serde_json::json!({
            "comment_id": self.comment_id,
            "comment_url": format!("{base}/comments/{}", self.comment_id),
            "parent_id": self.parent_id,
            "status": self.status,
            "author": self.author,
            "article_slug": self.article_slug,
            "article_title": self.article_title,
            "article_url": format!("{base}/articles/{}", self.article_slug),
            "edited": self.edited,
        });
        let extra = [
            ("body_html", self.body_html.clone().map(serde_json::Value::from)),
            ("removal_reason", self.removal_reason.clone().map(serde_json::Value::from)),
            ("flag_reason", self.flag_reason.clone().map(serde_json::Value::from)),
            ("hidden", self.hidden.map(serde_json::Value::from)),
        ];
        for (key, value) in extra {
            if let Some(value) = value {
                data[key] = value;
            }
        }
        serde_json::json!({
            "event": self.event,
            "created_at": self.created_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "data": data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_from_lists_and_refuse_unknown_names() {
        let events = Events::parse(&["comment.held,comment.published", " reader.flagged ", "comment.held"]).unwrap();
        assert_eq!(events.to_db(), "comment.published,comment.held,reader.flagged");
        assert_eq!(Events::from_db(&events.to_db()), events.iter().collect::<Vec<_>>());
        let unknown = Events::parse(&["comment.published,comment.deleted"]).unwrap_err();
        assert!(unknown.message.contains("\"comment.deleted\""), "{}", unknown.message);
        assert!(Events::parse::<&str>(&[]).is_err());
        assert!(Events::parse(&[" , "]).is_err());
    }

    #[test]
    fn only_http_and_https_urls_with_a_host_are_endpoints() {
        assert_eq!(
            EndpointUrl::parse(" https://hooks.example.com/civil ").unwrap().as_str(),
            "https://hooks.example.com/civil"
        );
        assert!(EndpointUrl::parse("http://127.0.0.1:9000/hook").is_ok());
        for bad in [
            "",
            "ftp://example.com/x",
            "javascript:alert(1)",
            "hooks.example.com",
            "https://",
            "https://x.example/#a",
            "file:///etc/passwd",
        ] {
            assert!(EndpointUrl::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn secrets_are_long_enough_and_printable() {
        assert!(Secret::parse("short").is_err());
        assert!(Secret::parse("sixteen chars ok").is_err(), "a space is refused");
        assert!(Secret::parse("0123456789abcdef").is_ok());
        assert!(Secret::generated("abc").as_str().starts_with("whsec_"));
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Computed independently (Python's hmac module) over "1700000000.what do ya want for nothing?".
        assert_eq!(
            signature("Jefe", 1700000000, "what do ya want for nothing?"),
            "t=1700000000,v1=1cdd0650c8be1cb0974b1788d458b1e781206cfef59b85faafc582d2e182c57e"
        );
        assert_ne!(signature("key", 1700000000, "{}"), signature("key", 1700000001, "{}"), "the timestamp is signed");
    }
}
