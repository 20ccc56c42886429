use super::Invalid;

pub const MAX_CHARS: usize = 10_000;

/// A comment body as the author wrote it: 1 to 10,000 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    pub fn parse(input: &str) -> Result<CommentBody, Invalid> {
        // Browsers send a line break in a form as CRLF but count it as one character against
        // `maxlength`; count it as they do.
        let normalized = input.replace("\r\n", "\n");
        let body = normalized.trim();
        if body.is_empty() {
            return Err(Invalid::new("body", "Write something before posting."));
        }
        let chars = body.chars().count();
        if chars > MAX_CHARS {
            return Err(Invalid::new(
                "body",
                format!(
                    "A comment has at most {MAX_CHARS} characters; this one has {chars}. Shorten it by {}.",
                    chars - MAX_CHARS
                ),
            ));
        }
        Ok(CommentBody(body.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounds() {
        assert!(CommentBody::parse("   \n ").is_err());
        assert_eq!(CommentBody::parse("  hi  ").unwrap().as_str(), "hi");
        assert!(CommentBody::parse(&"é".repeat(10_000)).is_ok());
        let err = CommentBody::parse(&"é".repeat(10_001)).unwrap_err();
        assert!(err.message.contains("10001"), "{}", err.message);
    }

    #[test]
    fn line_breaks_count_once_as_browsers_count_them() {
        let body = "line\r\n".repeat(2_000);
        assert_eq!(body.chars().count(), 12_000);
        let parsed = CommentBody::parse(&body).unwrap();
        assert!(!parsed.as_str().contains('\r'));
        assert_eq!(parsed.as_str().chars().count(), 9_999);
    }

    proptest! {
        #[test]
        fn accepted_bodies_are_trimmed_and_bounded(s in "\\PC{0,200}") {
            match CommentBody::parse(&s) {
                Ok(b) => {
                    let expected = s.replace("\r\n", "\n");
                    prop_assert_eq!(b.as_str(), expected.trim());
                    prop_assert!(!b.as_str().is_empty());
                }
                Err(_) => prop_assert!(s.trim().is_empty() || s.chars().count() > MAX_CHARS),
            }
        }
    }
}
