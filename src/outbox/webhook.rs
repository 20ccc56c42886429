//! `JobKind::Webhook`: the row names an endpoint and holds what happened (`Announcement`, as
//! JSON). It is signed at send time with the endpoint's current secret and a fresh timestamp,
//! so a retry an hour later still carries a timestamp a receiver accepts.
//!
//! The HTTP client is blocking (`ureq`), as the worker's steps run on blocking threads; it
//! follows no redirects and gives up after a short timeout, so a slow receiver holds one
//! sender for seconds, not minutes.

use std::time::Duration;

use super::Deliverer;
use crate::clock::Clock;
use crate::domain::webhook::{signature, Announcement};
use crate::error::Error;
use crate::store::outbox::OutboxRow;
use crate::store::{webhooks, DbConnection};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(10);
/// Receivers answer in a word; more than this is not read.
const RESPONSE_LIMIT: u64 = 4096;

/// A delivery ready to go: where, what, and its signature.
pub struct Signed {
    pub url: String,
    pub body: String,
    pub signature: String,
    pub event: String,
}

/// How a delivery went: the receiver's status code, or why there is none.
pub type Outcome = Result<u16, String>;

pub struct WebhookDeliverer {
    base_url: String,
    clock: Clock,
    agent: ureq::Agent,
}

impl WebhookDeliverer {
    pub fn new(base_url: String, clock: Clock) -> WebhookDeliverer {
        // TLS is rustls, trusting the system's CA certificates.
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            .redirects(0)
            .user_agent(concat!("Civil-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build();
        WebhookDeliverer { base_url, clock, agent }
    }
}

impl Deliverer for WebhookDeliverer {
    type Prepared = Signed;
    type Outcome = Outcome;

    fn prepare(&self, conn: &mut DbConnection, row: &OutboxRow) -> Result<Signed, Error> {
        let endpoint_id = row.webhook_id.ok_or_else(|| Error::not_found("The endpoint of this webhook"))?;
        let endpoint =
            webhooks::find(conn, endpoint_id)?.ok_or_else(|| Error::not_found("The endpoint of this webhook"))?;
        let announcement: Announcement = serde_json::from_str(&row.body_text)
            .map_err(|e| Error::Internal(anyhow::anyhow!("webhook {}: {e}", row.id)))?;
        let body = announcement.payload(&self.base_url).to_string();
        let timestamp = self.clock.now().and_utc().timestamp();
        Ok(Signed {
            signature: signature(&endpoint.secret, timestamp, &body),
            url: endpoint.url,
            body,
            event: announcement.event,
        })
    }

    fn deliver(&self, signed: &Signed) -> Outcome {
        let response = self
            .agent
            .post(&signed.url)
            .set("Content-Type", "application/json")
            .set("Civil-Signature", &signed.signature)
            .set("Civil-Event", &signed.event)
            .send_string(&signed.body);
        match response {
            Ok(response) if (200..300).contains(&response.status()) => {
                let status = response.status();
                // Read what little it says, so the connection can be reused.
                let mut reader = std::io::Read::take(response.into_reader(), RESPONSE_LIMIT);
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
                Ok(status)
            }
            Ok(response) => Err(format!("HTTP {}", response.status())),
            Err(ureq::Error::Status(code, _)) => Err(format!("HTTP {code}")),
            Err(ureq::Error::Transport(transport)) => Err(transport.to_string()),
        }
    }
}
