use super::Invalid;

/// An email address that is plausible enough to send to: one `@`, a non-empty local part, and a
/// domain with a dot and no spaces. Deliverability is proven by the verification email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, Invalid> {
        let email = input.trim();
        let invalid = || Invalid::new("email", "Enter an email address like name@example.com.");
        if email.is_empty() {
            return Err(Invalid::new("email", "Enter your email address."));
        }
        if email.chars().count() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(EmailAddress(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that makes addresses unique: the whole address lowercased. Lowercasing the local
    /// part is not strictly RFC-correct, but no real mailbox provider distinguishes case.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in ["a@b.co", "first.last+tag@news.example.org", " Reader@Example.COM "] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(EmailAddress::parse("Reader@Example.COM").unwrap().key(), "reader@example.com");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in ["", "plain", "@example.com", "a@", "a@b", "a b@c.com", "a@b..com", "a@.b.com", "a@b.com."] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_valid_ones_have_one_at(s in "\\PC{0,80}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert!(e.as_str().contains('@'));
                prop_assert!(!e.as_str().contains(' '));
            }
        }
    }
}
