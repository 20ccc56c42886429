use super::Invalid;

pub const MIN_CHARS: usize = 10;
/// Longer input is refused before hashing, so nobody can make the server hash megabytes.
pub const MAX_CHARS: usize = 1024;

static COMMON_PASSWORDS: &str = include_str!("../../assets/common-passwords.txt");

/// A new password that meets NIST 800-63B: long enough, not absurdly long, and not a common one.
/// Any Unicode is accepted and nothing is trimmed or truncated.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: String) -> Result<NewPassword, Invalid> {
        let chars = input.chars().count();
        if chars < MIN_CHARS {
            return Err(Invalid::new(
                "password",
                format!("Use a password of at least {MIN_CHARS} characters. A few words in a row work well."),
            ));
        }
        if chars > MAX_CHARS {
            return Err(Invalid::new("password", format!("Use a password of at most {MAX_CHARS} characters.")));
        }
        if is_common(&input) {
            return Err(Invalid::new(
                "password",
                "That password is one of the most common ones and easy to guess. Choose another.",
            ));
        }
        Ok(NewPassword(input))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A password typed at sign-in. It is only length-checked, since the policy may have changed
/// since the account was made.
pub struct LoginPassword(String);

impl LoginPassword {
    pub fn parse(input: String) -> Result<LoginPassword, Invalid> {
        if input.is_empty() {
            return Err(Invalid::new("password", "Enter your password."));
        }
        if input.chars().count() > MAX_CHARS {
            return Err(Invalid::new("password", "That username or password is not right."));
        }
        Ok(LoginPassword(input))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn is_common(password: &str) -> bool {
    let lowered = password.to_lowercase();
    COMMON_PASSWORDS.lines().filter(|line| !line.starts_with('#')).any(|line| line == lowered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn length_limits() {
        assert!(NewPassword::parse("short pw".into()).is_err());
        assert!(NewPassword::parse("ten chars!".into()).is_ok());
        assert!(NewPassword::parse("x".repeat(1024)).is_ok());
        assert!(NewPassword::parse("x".repeat(1025)).is_err());
    }

    #[test]
    fn counts_characters_not_bytes_and_keeps_spaces() {
        let p = NewPassword::parse("  émoji 🎉🎉 ".into()).unwrap();
        assert_eq!(p.expose(), "  émoji 🎉🎉 ");
        assert!(NewPassword::parse("ééééééééé".into()).is_err(), "9 chars, 18 bytes");
    }

    #[test]
    fn refuses_common_passwords_without_regard_to_case() {
        assert!(NewPassword::parse("qwertyuiop".into()).is_err());
        assert!(NewPassword::parse("Password123".into()).is_err());
        assert!(NewPassword::parse("1234567890".into()).is_err());
        assert!(NewPassword::parse("correct horse battery".into()).is_ok());
    }

    proptest! {
        #[test]
        fn any_unicode_of_valid_length_is_kept_verbatim(s in "[a-zA-Z0-9 \\p{L}\\p{So}]{10,60}") {
            if let Ok(p) = NewPassword::parse(s.clone()) {
                prop_assert_eq!(p.expose(), s.as_str());
            }
        }
    }
}
