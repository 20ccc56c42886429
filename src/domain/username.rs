use super::profanity::ProfanityFilter;
use super::Invalid;

const MIN_CHARS: usize = 3;
const MAX_CHARS: usize = 30;
const DISPLAY_NAME_MAX_CHARS: usize = 50;

/// Names that would let an account pass itself off as the site or its staff.
const RESERVED: &[&str] = &[
    "admin",
    "administrator",
    "moderator",
    "mod",
    "civil",
    "staff",
    "system",
    "root",
    "support",
    "setup",
    "api",
    "deleted",
    "removed",
    "anonymous",
    "null",
    "editor",
    "newsletter",
];

/// A username: 3 to 30 ASCII letters, digits, `_` or `-`, starting with a letter or digit, and
/// not something the profanity filter objects to. Unique without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str, filter: &ProfanityFilter) -> Result<Username, Invalid> {
        let name = input.trim();
        let field = "username";
        if name.is_empty() {
            return Err(Invalid::new(field, "Choose a username."));
        }
        let chars = name.chars().count();
        if !(MIN_CHARS..=MAX_CHARS).contains(&chars) {
            return Err(Invalid::new(field, format!("A username has {MIN_CHARS} to {MAX_CHARS} characters.")));
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(Invalid::new(field, "A username may use only letters a to z, digits, '_' and '-'."));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(Invalid::new(field, "A username starts with a letter or a digit."));
        }
        if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(Invalid::new(field, "That username is reserved. Choose another."));
        }
        filter
            .check_name(name)
            .map_err(|rejected| Invalid::new(field, format!("That username is not allowed: {}", rejected.0)))?;
        Ok(Username(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The uniqueness key: usernames are unique without regard to case.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// The key for a name typed at sign-in or in a URL, without validating it.
    pub fn key_of(input: &str) -> String {
        input.trim().to_ascii_lowercase()
    }
}

/// An optional display name: up to 50 characters of any printable text, checked for profanity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// `Ok(None)` when the field was left empty.
    pub fn parse_optional(input: Option<&str>, filter: &ProfanityFilter) -> Result<Option<DisplayName>, Invalid> {
        let field = "display_name";
        let name = match input.map(str::trim) {
            None | Some("") => return Ok(None),
            Some(name) => name,
        };
        if name.chars().count() > DISPLAY_NAME_MAX_CHARS {
            return Err(Invalid::new(
                field,
                format!("A display name has at most {DISPLAY_NAME_MAX_CHARS} characters."),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(Invalid::new(field, "A display name cannot contain control characters."));
        }
        filter
            .check_name(name)
            .map_err(|rejected| Invalid::new(field, format!("That display name is not allowed: {}", rejected.0)))?;
        Ok(Some(DisplayName(name.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profanity::SiteWordLists;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn filter() -> &'static ProfanityFilter {
        static FILTER: OnceLock<ProfanityFilter> = OnceLock::new();
        FILTER.get_or_init(|| ProfanityFilter::new(&SiteWordLists::default()))
    }

    #[test]
    fn accepts_ordinary_names() {
        for ok in ["ada", "Ada_Lovelace", "reader-42", "Scunthorpe_United", "essex_girl"] {
            assert!(Username::parse(ok, filter()).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_bad_names_with_a_message() {
        for bad in ["", "ab", "has space", "_leading", "émile", "admin", "ADMIN", "fuckface", "sh1thead"] {
            let err = Username::parse(bad, filter()).unwrap_err();
            assert_eq!(err.field, "username");
            assert!(!err.message.is_empty());
        }
        assert!(Username::parse(&"a".repeat(31), filter()).is_err());
    }

    #[test]
    fn key_ignores_case() {
        assert_eq!(Username::parse("Ada", filter()).unwrap().key(), "ada");
        assert_eq!(Username::key_of(" ADA "), "ada");
    }

    #[test]
    fn display_names() {
        assert_eq!(DisplayName::parse_optional(Some("  "), filter()).unwrap(), None);
        assert_eq!(
            DisplayName::parse_optional(Some(" Ada Lovelace "), filter()).unwrap().unwrap().as_str(),
            "Ada Lovelace"
        );
        assert!(DisplayName::parse_optional(Some("Shit Head"), filter()).is_err());
        assert!(DisplayName::parse_optional(Some(&"x".repeat(51)), filter()).is_err());
    }

    proptest! {
        #[test]
        fn valid_usernames_match_the_charset(s in "[a-zA-Z0-9_-]{0,40}") {
            if let Ok(u) = Username::parse(&s, filter()) {
                prop_assert!((3..=30).contains(&u.as_str().len()));
                prop_assert!(u.as_str().chars().next().unwrap().is_ascii_alphanumeric());
            }
        }
    }
}
