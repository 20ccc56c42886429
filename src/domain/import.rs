//! Rules for bringing comments from other systems: rewriting their addresses, and what an
//! account made for an imported author may do.

use super::Invalid;

/// Shown to whoever tries to sign in by username to an account made for an imported author.
pub const UNCLAIMED: &str = "This account was made for comments imported from the site's previous comment system \
    and has no password yet. To claim it, ask for a password reset with the e-mail address those comments were \
    written with.";

/// Shown to whoever signs in by username to an account restored from an export made without
/// its password hashes (`civil export` without `--with-secrets`).
pub const RESTORED_WITHOUT_PASSWORD: &str = "This site moved to a new server without its passwords. Set a new \
    one with \"Forgot your password?\", using your account's e-mail address.";

/// Address rewrites for sites that moved (`https://old.example/` to `https://new.example/`) or
/// changed their permalinks. Each rule replaces a prefix; the longest matching prefix wins, and
/// an address no rule matches is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlMap(Vec<(String, String)>);

impl UrlMap {
    /// Add one `OLD=NEW` rule, as `--map-url` takes it.
    pub fn add_rule(&mut self, rule: &str) -> Result<(), Invalid> {
        let (old, new) = rule.split_once('=').ok_or_else(|| {
            Invalid::new(
                "map-url",
                format!("{rule:?} is not OLD=NEW (for example https://old.example/=https://new.example/)"),
            )
        })?;
        self.push(old, new, "map-url")
    }

    /// Add the rules of a CSV file: one `OLD,NEW` pair a line. Blank lines, lines starting with
    /// `#` and a header line (`old,new`) are ignored; fields may be double-quoted.
    pub fn add_csv(&mut self, text: &str) -> Result<(), Invalid> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = csv_fields(line);
            let [old, new] = fields.as_slice() else {
                return Err(Invalid::new(
                    "map-file",
                    format!("line {}: expected two fields, OLD,NEW; found {}", n + 1, fields.len()),
                ));
            };
            if n == 0 && old.eq_ignore_ascii_case("old") {
                continue;
            }
            self.push(old, new, "map-file")
                .map_err(|e| Invalid::new("map-file", format!("line {}: {}", n + 1, e.message)))?;
        }
        Ok(())
    }

    fn push(&mut self, old: &str, new: &str, field: &'static str) -> Result<(), Invalid> {
        let (old, new) = (old.trim(), new.trim());
        if old.is_empty() || new.is_empty() {
            return Err(Invalid::new(field, "both sides of a URL rule need a value"));
        }
        self.0.push((old.to_owned(), new.to_owned()));
        // Longest first, so the most specific rule wins.
        self.0.sort_by_key(|rule| std::cmp::Reverse(rule.0.len()));
        Ok(())
    }

    pub fn apply(&self, url: &str) -> String {
        match self.0.iter().find(|(old, _)| url.starts_with(old.as_str())) {
            Some((old, new)) => format!("{new}{}", &url[old.len()..]),
            None => url.to_owned(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_longest_prefix_wins_and_the_rest_is_kept() {
        let mut map = UrlMap::default();
        map.add_rule("http://old.example/=https://new.example/").unwrap();
        map.add_rule("http://old.example/blog/=https://new.example/posts/").unwrap();
        assert_eq!(map.apply("http://old.example/blog/a?x=1"), "https://new.example/posts/a?x=1");
        assert_eq!(map.apply("http://old.example/about"), "https://new.example/about");
        assert_eq!(map.apply("https://elsewhere.example/"), "https://elsewhere.example/");
    }

    #[test]
    fn csv_files_take_headers_comments_and_quotes() {
        let mut map = UrlMap::default();
        map.add_csv("old,new\n# moved in 2020\n\"http://a.example/?p=1\",https://b.example/one/\n").unwrap();
        assert_eq!(map.apply("http://a.example/?p=1"), "https://b.example/one/");
        let err = UrlMap::default().add_csv("http://a.example/\n").unwrap_err();
        assert!(err.message.contains("line 1"), "{}", err.message);
    }

    #[test]
    fn a_rule_without_equals_is_refused() {
        assert!(UrlMap::default().add_rule("http://a.example/").is_err());
        assert!(UrlMap::default().add_rule("=http://a.example/").is_err());
    }

    proptest! {
        #[test]
        fn no_rule_leaves_every_address_alone(url in "\\PC{0,80}") {
            prop_assert_eq!(UrlMap::default().apply(&url), url);
        }
    }
}
