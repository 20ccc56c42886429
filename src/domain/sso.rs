//! Single sign-on with a publisher's site: a short-lived JWT, HS256, signed with the secret the
//! publisher shares with Civil, turned into the identity it vouches for.
//!
//! Only what Civil needs of JWT is accepted, and strictly: three base64url parts without padding
//! (canonical, so no two spellings of one token exist), a header whose `alg` is `HS256` (the
//! algorithm is never chosen by the token), the signature checked in constant time before the
//! claims are read, and whole-second times.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, NaiveDateTime};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::email::EmailAddress;
use super::profanity::ProfanityFilter;
use super::username::{DisplayName, Username};

/// A token may be valid for at most this long: it is made for one page view and used at once.
pub const MAX_LIFETIME: Duration = Duration::minutes(10);
/// How far the publisher's clock may be from ours.
pub const LEEWAY: Duration = Duration::seconds(30);
/// Tokens are a few hundred bytes; anything much longer is not one of them.
const MAX_TOKEN_BYTES: usize = 4096;
/// Shorter secrets could be guessed offline from one token.
pub const MIN_SECRET_BYTES: usize = 32;
const MAX_SUBJECT_CHARS: usize = 255;
/// Room left after a username for a suffix that makes it unique (`-9`, or `-` and 8 characters).
const USERNAME_BASE_CHARS: usize = 21;

/// Why an account made by single sign-on cannot sign in with a password, or reset one.
pub const NO_PASSWORD: &str = "This account signs in through the publisher's website (single sign-on) and has no \
    password here. Sign in on the publisher's site, then come back.";

/// The secret shared with the publisher's server. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SsoSecret(Vec<u8>);

impl SsoSecret {
    pub fn parse(input: &str) -> Result<SsoSecret, String> {
        let secret = input.trim();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "sso_secret must have at least {MIN_SECRET_BYTES} characters (for example 64 random hex digits)"
            ));
        }
        Ok(SsoSecret(secret.as_bytes().to_vec()))
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length")
    }

    /// Sign `claims` (a JSON object) as the publisher would.
    #[cfg(test)]
    fn sign(&self, header: &str, claims: &str) -> String {
        let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for SsoSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SsoSecret(<hidden>)")
    }
}

/// Why a token was refused. Each message says what to fix, for the publisher's developers, and
/// none tells a forger which part of a signature was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("The sign-in token is malformed: {0}.")]
    Malformed(&'static str),
    #[error("The sign-in token must be signed with HS256; other algorithms (and \"none\") are refused.")]
    Algorithm,
    #[error("The sign-in token's signature is not valid.")]
    Signature,
    #[error("The sign-in token has expired. Reload the page to get a new one.")]
    Expired,
    #[error("The sign-in token is not valid yet: check the clock of the server that made it.")]
    NotYetValid,
    #[error("The sign-in token is valid for too long: tokens may last at most 10 minutes.")]
    TooLongLived,
    #[error("The sign-in token's {0} claim is not valid: {1}")]
    Claim(&'static str, String),
    #[error("The sign-in token's claims are not valid: they must be a JSON object with sub, email, username and exp, times in whole seconds ({0}).")]
    Claims(String),
    #[error("The sign-in token has already been used. Reload the page to get a new one.")]
    Replayed,
}

/// The reader a valid token vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The publisher's stable id for the reader.
    pub subject: String,
    pub email: EmailAddress,
    /// The username the publisher proposes, not yet made valid or unique (see `username_base`).
    pub username: String,
    pub name: Option<String>,
}

/// A token that passed every check, and how long it must be remembered to refuse its replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub identity: Identity,
    /// After this, the token is refused as expired, so it need not be remembered as used.
    pub remember_until: NaiveDateTime,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    /// Extensions the receiver must understand, which we do not.
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    email: String,
    username: String,
    #[serde(default)]
    name: Option<String>,
    exp: i64,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    nbf: Option<i64>,
}

fn decode(part: &str, what: &'static str) -> Result<Vec<u8>, Refused> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| Refused::Malformed(what))
}

fn time(seconds: i64, claim: &'static str) -> Result<NaiveDateTime, Refused> {
    DateTime::from_timestamp(seconds, 0)
        .map(|t| t.naive_utc())
        .ok_or_else(|| Refused::Claim(claim, "it is not a time".into()))
}

/// Check a token against the secret at `now`. Replay is the caller's to check, with the
/// store of used tokens, until `remember_until`.
pub fn verify(token: &str, secret: &SsoSecret, now: NaiveDateTime) -> Result<Verified, Refused> {
    let token = token.trim();
    if token.is_empty() {
        return Err(Refused::Malformed("it is empty"));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refused::Malformed("it is too long"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused::Malformed("a JWT has three parts separated by dots"));
    };
    let header: Header = serde_json::from_slice(&decode(header, "the header is not base64url")?)
        .map_err(|_| Refused::Malformed("the header is not a JSON object with an alg"))?;
    if header.alg != "HS256" {
        return Err(Refused::Algorithm);
    }
    if header.typ.as_deref().is_some_and(|typ| !typ.eq_ignore_ascii_case("JWT")) || header.crit.is_some() {
        return Err(Refused::Malformed("the header's typ must be JWT, and crit is not supported"));
    }
    let signature = decode(signature, "the signature is not base64url")?;
    let mut mac = secret.mac();
    mac.update(&token.as_bytes()[..header_and_payload_len(token)]);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&signature).map_err(|_| Refused::Signature)?;

    let claims: Claims = serde_json::from_slice(&decode(payload, "the claims are not base64url")?)
        .map_err(|e| Refused::Claims(e.to_string()))?;
    let exp = time(claims.exp, "exp")?;
    if now >= exp + LEEWAY {
        return Err(Refused::Expired);
    }
    if let Some(nbf) = claims.nbf {
        if time(nbf, "nbf")? > now + LEEWAY {
            return Err(Refused::NotYetValid);
        }
    }
    if let Some(iat) = claims.iat {
        let iat = time(iat, "iat")?;
        if iat > now + LEEWAY {
            return Err(Refused::NotYetValid);
        }
        if exp - iat > MAX_LIFETIME {
            return Err(Refused::TooLongLived);
        }
    }
    if exp - now > MAX_LIFETIME + LEEWAY {
        return Err(Refused::TooLongLived);
    }

    let subject = claims.sub.trim();
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS || subject.chars().any(char::is_control) {
        return Err(Refused::Claim("sub", format!("it must be 1 to {MAX_SUBJECT_CHARS} printable characters.")));
    }
    let email = EmailAddress::parse(&claims.email).map_err(|invalid| Refused::Claim("email", invalid.message))?;
    Ok(Verified {
        identity: Identity { subject: subject.to_owned(), email, username: claims.username, name: claims.name },
        remember_until: exp + LEEWAY,
    })
}

/// The signed part of a token: everything before the last dot.
fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(0)
}

/// A valid username made from the one the publisher proposes: characters a username may not
/// hold become `_`, others are dropped from the front until it starts with a letter or digit,
/// and it is cut short enough to take a suffix. A name that is still too short, reserved or
/// refused by the filter becomes `reader`.
pub fn username_base(proposed: &str, filter: &ProfanityFilter) -> Username {
    let mapped: String = proposed
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .skip_while(|c| !c.is_ascii_alphanumeric())
        .take(USERNAME_BASE_CHARS)
        .collect();
    let mapped = mapped.trim_end_matches(['_', '-']);
    Username::parse(mapped, filter)
        .unwrap_or_else(|_| Username::parse("reader", filter).expect("\"reader\" is a valid username"))
}

/// The `attempt`-th username to try for a base: the base itself, then `base-2`, `base-3` and so
/// on; `suffix` (random, from the caller) after that.
pub fn username_candidate(base: &Username, attempt: u32, filter: &ProfanityFilter) -> Option<Username> {
    let name = match attempt {
        0 => base.as_str().to_owned(),
        n => format!("{}-{}", base.as_str(), n + 1),
    };
    Username::parse(&name, filter).ok()
}

/// The display name from the `name` claim. A name that is too long is cut; one the filter
/// refuses is left out (the username shows instead) rather than refusing the reader.
pub fn display_name(name: Option<&str>, filter: &ProfanityFilter) -> Option<DisplayName> {
    let name: String = name?.chars().filter(|c| !c.is_control()).take(50).collect();
    DisplayName::parse_optional(Some(&name), filter).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profanity::SiteWordLists;
    use chrono::NaiveDate;
    use proptest::prelude::*;
    use serde_json::json;
    use std::sync::OnceLock;

    const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    fn filter() -> &'static ProfanityFilter {
        static FILTER: OnceLock<ProfanityFilter> = OnceLock::new();
        FILTER.get_or_init(|| ProfanityFilter::new(&SiteWordLists::default()))
    }

    fn secret() -> SsoSecret {
        SsoSecret::parse("0123456789abcdef0123456789abcdef-test").unwrap()
    }

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap().and_hms_opt(12, 0, 0).unwrap()
    }

    fn ts(offset_seconds: i64) -> i64 {
        now().and_utc().timestamp() + offset_seconds
    }

    fn claims() -> serde_json::Value {
        json!({"sub": "42", "email": "Ada@Example.com", "username": "ada.lovelace", "name": "Ada", "exp": ts(300), "iat": ts(0)})
    }

    fn token(claims: &serde_json::Value) -> String {
        secret().sign(HS256, &claims.to_string())
    }

    #[test]
    fn a_valid_token_gives_the_identity() {
        let verified = verify(&token(&claims()), &secret(), now()).unwrap();
        assert_eq!(verified.identity.subject, "42");
        assert_eq!(verified.identity.email.key(), "ada@example.com");
        assert_eq!(verified.identity.username, "ada.lovelace");
        assert_eq!(verified.identity.name.as_deref(), Some("Ada"));
        assert_eq!(verified.remember_until, now() + Duration::seconds(300) + LEEWAY);
    }

    #[test]
    fn expired_tokens_are_refused_after_the_leeway() {
        let mut c = claims();
        c["exp"] = json!(ts(-10));
        c["iat"] = json!(ts(-100));
        assert!(verify(&token(&c), &secret(), now()).is_ok(), "within the leeway");
        c["exp"] = json!(ts(-31));
        assert_eq!(verify(&token(&c), &secret(), now()), Err(Refused::Expired));
    }

    #[test]
    fn long_lived_and_future_tokens_are_refused() {
        let mut c = claims();
        c["exp"] = json!(ts(3600));
        assert_eq!(verify(&token(&c), &secret(), now()), Err(Refused::TooLongLived));
        c.as_object_mut().unwrap().remove("iat");
        assert_eq!(verify(&token(&c), &secret(), now()), Err(Refused::TooLongLived), "exp alone too far away");
        let mut c = claims();
        c["iat"] = json!(ts(-3600));
        c["exp"] = json!(ts(60));
        assert_eq!(verify(&token(&c), &secret(), now()), Err(Refused::TooLongLived), "issued for over 10 minutes");
        let mut c = claims();
        c["nbf"] = json!(ts(120));
        assert_eq!(verify(&token(&c), &secret(), now()), Err(Refused::NotYetValid));
        let mut c = claims();
        c["iat"] = json!(ts(120));
        assert_eq!(verify(&token(&c), &secret(), now()), Err(Refused::NotYetValid));
    }

    #[test]
    fn forged_tokens_are_refused() {
        let other = SsoSecret::parse("another secret, also 32 characters long").unwrap();
        assert_eq!(verify(&other.sign(HS256, &claims().to_string()), &secret(), now()), Err(Refused::Signature));
        // Claims swapped under a valid signature.
        let good = token(&claims());
        let mut forged = claims();
        forged["sub"] = json!("1");
        let parts: Vec<&str> = good.split('.').collect();
        let swapped = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(forged.to_string()), parts[2]);
        assert_eq!(verify(&swapped, &secret(), now()), Err(Refused::Signature));
    }

    #[test]
    fn only_hs256_is_accepted() {
        let claims = URL_SAFE_NO_PAD.encode(claims().to_string());
        for alg in ["none", "None", "HS512", "RS256", "hs256"] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
            let unsigned = format!("{header}.{claims}.");
            assert_eq!(verify(&unsigned, &secret(), now()), Err(Refused::Algorithm), "{alg}");
        }
        let crit = secret().sign(r#"{"alg":"HS256","crit":["exp"]}"#, &claims);
        assert!(matches!(verify(&crit, &secret(), now()), Err(Refused::Malformed(_))));
    }

    #[test]
    fn malformed_tokens_and_claims_are_refused() {
        for bad in ["", "abc", "a.b", "a.b.c.d", "....", &"a".repeat(5000)] {
            assert!(matches!(verify(bad, &secret(), now()), Err(Refused::Malformed(_))), "{bad:.20}");
        }
        let padded = format!("{}=", token(&claims()));
        assert!(verify(&padded, &secret(), now()).is_err(), "padding is not canonical");
        for (field, value) in [("email", json!("not an address")), ("sub", json!(" ")), ("exp", json!(i64::MAX))] {
            let mut c = claims();
            c[field] = value;
            assert!(matches!(verify(&token(&c), &secret(), now()), Err(Refused::Claim(..))), "{field}");
        }
        let mut c = claims();
        c["exp"] = json!(1.5e9);
        assert!(matches!(verify(&token(&c), &secret(), now()), Err(Refused::Claims(_))), "fractional seconds");
        c = claims();
        c.as_object_mut().unwrap().remove("sub");
        assert!(matches!(verify(&token(&c), &secret(), now()), Err(Refused::Claims(_))));
        let duplicate = format!(r#"{{"sub":"1","sub":"2","email":"a@b.example","username":"ab1","exp":{}}}"#, ts(60));
        assert!(matches!(verify(&secret().sign(HS256, &duplicate), &secret(), now()), Err(Refused::Claims(_))));
    }

    #[test]
    fn short_secrets_are_refused_and_secrets_are_not_printed() {
        assert!(SsoSecret::parse("too short").is_err());
        assert_eq!(format!("{:?}", secret()), "SsoSecret(<hidden>)");
    }

    #[test]
    fn usernames_are_made_valid() {
        let base = |s: &str| username_base(s, filter()).as_str().to_owned();
        assert_eq!(base("ada.lovelace"), "ada_lovelace");
        assert_eq!(base("__Ada Lovelace!"), "Ada_Lovelace");
        assert_eq!(base("José"), "Jos");
        assert_eq!(base("x"), "reader");
        assert_eq!(base("admin"), "reader");
        assert_eq!(base("shithead"), "reader");
        assert_eq!(base(&"a".repeat(40)).len(), USERNAME_BASE_CHARS);
        let ada = username_base("ada", filter());
        assert_eq!(username_candidate(&ada, 0, filter()).unwrap().as_str(), "ada");
        assert_eq!(username_candidate(&ada, 1, filter()).unwrap().as_str(), "ada-2");
    }

    #[test]
    fn display_names_are_cut_or_left_out() {
        assert_eq!(display_name(Some("Ada Lovelace"), filter()).unwrap().as_str(), "Ada Lovelace");
        let long = "Augusta Ada King, Countess of Lovelace, née Byron, mathematician";
        assert_eq!(display_name(Some(long), filter()).unwrap().as_str(), long.chars().take(50).collect::<String>());
        assert_eq!(display_name(Some("Shit Head"), filter()), None);
        assert_eq!(display_name(None, filter()), None);
    }

    proptest! {
        #[test]
        fn any_altered_character_is_refused(index in 0usize..400, replacement in any::<char>()) {
            let good = token(&claims());
            let index = index % good.len();
            prop_assume!(good.as_bytes()[index] as char != replacement);
            let mut altered = good.clone();
            altered.replace_range(index..index + 1, &replacement.to_string());
            prop_assert!(verify(&altered, &secret(), now()).is_err());
        }

        #[test]
        fn any_username_becomes_a_valid_one(proposed in any::<String>()) {
            let name = username_base(&proposed, filter());
            prop_assert!(Username::parse(name.as_str(), filter()).is_ok());
            prop_assert!(name.as_str().len() <= USERNAME_BASE_CHARS);
        }
    }
}
