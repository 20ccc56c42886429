//! Password hashing with argon2id (m = 19456 KiB, t = 2, p = 1), on the blocking pool, with a
//! bound on how many run at once so a burst of sign-ins cannot starve everything else.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::Error;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, verified when an account does not exist so a failed
/// sign-in takes the same time either way.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        argon2().hash_password(b"no account has this password").expect("hashing a constant works").to_string()
    })
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

impl Passwords {
    pub fn new() -> Passwords {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Passwords { permits: Arc::new(Semaphore::new(cores)) }
    }

    pub async fn hash(&self, password: String) -> Result<String, Error> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(move || {
            argon2()
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| Error::internal(anyhow::anyhow!("argon2: {e}")))
        })
        .await?
    }

    /// Check a password against a stored hash, or against the dummy hash when there is none.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, Error> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(move || {
            let exists = stored.is_some();
            let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
            let ok = match PasswordHash::new(&stored) {
                Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
                Err(_) => false,
            };
            exists && ok
        })
        .await
        .map_err(Error::from)
    }

    /// Build the dummy hash now rather than during the first failed sign-in.
    pub fn warm_up(&self) {
        let _ = dummy_hash();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_verifies() {
        let passwords = Passwords::new();
        let hash = passwords.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(passwords.verify("correct horse battery".into(), Some(hash.clone())).await.unwrap());
        assert!(!passwords.verify("wrong horse battery".into(), Some(hash)).await.unwrap());
        assert!(!passwords.verify("anything at all".into(), None).await.unwrap());
    }
}
