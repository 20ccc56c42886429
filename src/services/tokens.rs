//! Random tokens for cookies and links. Only their hashes are stored, so a leaked database
//! does not leak live sessions.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::App;
use crate::error::Error;
use crate::store;

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        use std::fmt::Write;
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Compare secrets without leaking, through timing, how many leading bytes matched.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Signs the CSRF tokens of forms on pages that are the same for every signed-out visitor (the
/// article page, the home page, the embed fragment), which set no cookie, so that a CDN can keep
/// them. Such a token belongs to no visitor: it only shows that the form came from a page we
/// rendered in the last day. `http::extract` accepts it only together with an `Origin` (or
/// `Sec-Fetch-Site`) that says the form was posted from Civil's own pages or an allowed
/// embedding site, which a forging page elsewhere cannot fake in its visitor's browser.
/// Every instance on a database uses the same key, stored with the site settings.
#[derive(Clone)]
pub struct FormKey([u8; 32]);

/// How long a form on a cached page keeps working.
pub const FORM_TOKEN_HOURS: i64 = 24;
/// The site setting holding the key that signs forms on cached pages: a secret.
pub const FORM_KEY_SETTING: &str = "form_token_key";

impl FormKey {
    fn mac(&self, hour: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(format!("civil form token {hour}").as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
    }

    /// The token for forms rendered at `now`. Every page made in the same hour carries the same
    /// one, so a cached page stays the same for an hour.
    pub fn token(&self, now: NaiveDateTime) -> String {
        let hour = hour_of(now);
        format!("f{hour}.{}", self.mac(hour))
    }

    /// Whether `token` is one of ours, made in the last `FORM_TOKEN_HOURS` (an hour ahead is
    /// allowed, for instances whose clocks differ a little).
    pub fn verify(&self, token: &str, now: NaiveDateTime) -> bool {
        let Some((hour, mac)) = token.strip_prefix('f').and_then(|t| t.split_once('.')) else { return false };
        let Ok(hour) = hour.parse::<i64>() else { return false };
        let age = hour_of(now) - hour;
        (-1..=FORM_TOKEN_HOURS).contains(&age) && constant_time_eq(&self.mac(hour), mac)
    }

    /// A MAC of `message` under the site's key, for a value Civil hands out and reads back
    /// (the edit cookie of a comment posted through Isso's client). Each use starts `message` with its own
    /// purpose, so no two uses share a MAC, and none shares the form tokens'.
    pub fn sign(&self, message: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(message.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
    }

    /// The hour (since 1970) in which tokens made at `now` were made: cached pages made in an
    /// earlier hour are made again, so none carries a token near its end.
    pub fn epoch(now: NaiveDateTime) -> i64 {
        hour_of(now)
    }
}

fn hour_of(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp().div_euclid(3600)
}

/// The site's form key, made on first use. Two instances starting at once on an empty
/// database may both try to store one: the first write wins and both read it back.
pub async fn form_key(app: &App) -> Result<FormKey, Error> {
    let stored = || async {
        app.db(|conn| {
            let pairs = store::settings::all(conn)?;
            Ok(pairs.into_iter().find(|(key, _)| key == FORM_KEY_SETTING).map(|(_, value)| value))
        })
        .await
    };
    let value = match stored().await? {
        Some(value) => value,
        None => {
            let fresh = random_token();
            let now = app.clock.now();
            // Losing the race is a failed write (rolled back, as PostgreSQL requires): the
            // winner's key is there to read.
            let written = app
                .write(move |conn| match store::settings::insert(conn, FORM_KEY_SETTING, &fresh, now) {
                    Err(e) if store::is_unique_violation(&e) => {
                        Err(Error::Conflict(crate::domain::Invalid::new("key", "already stored")))
                    }
                    other => Ok(other.map(|_| ())?),
                })
                .await;
            match written {
                Ok(()) | Err(Error::Conflict(_)) => {}
                Err(other) => return Err(other),
            }
            stored().await?.ok_or_else(|| Error::internal(anyhow::anyhow!("the form key was not stored")))?
        }
    };
    let bytes = URL_SAFE_NO_PAD.decode(value.as_bytes()).map_err(Error::internal)?;
    let key: [u8; 32] =
        bytes.try_into().map_err(|_| Error::internal(anyhow::anyhow!("the stored form key is not 32 bytes")))?;
    Ok(FormKey(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_last_a_day_and_belong_to_their_key() {
        let key = FormKey([7; 32]);
        let at = |h: i64| chrono::DateTime::from_timestamp(h * 3600 + 1234, 0).unwrap().naive_utc();
        let token = key.token(at(500_000));
        assert_eq!(token, key.token(at(500_000) + chrono::Duration::minutes(30)), "the same all hour");
        for hour in [499_999, 500_000, 500_010, 500_024] {
            assert!(key.verify(&token, at(hour)), "good at {hour}");
        }
        assert!(!key.verify(&token, at(500_025)), "a day later it has expired");
        assert!(!key.verify(&token, at(499_998)), "not long before it was made");
        assert!(!FormKey([8; 32]).verify(&token, at(500_000)), "another site's key");
        let forged = format!("f500024.{}", token.split_once('.').unwrap().1);
        assert!(!key.verify(&forged, at(500_024)), "a later hour with an old signature");
        for junk in ["", "f", "f.x", "fx.y", "500000.abc", &random_token()] {
            assert!(!key.verify(junk, at(500_000)), "{junk:?}");
        }
    }

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a), hash(&a));
        assert_eq!(hash(&a).len(), 64);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
    }
}
