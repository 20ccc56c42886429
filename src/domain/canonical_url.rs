//! The key of an external thread: the address of the publisher's article, normalised so that
//! every spelling of one page names one thread. Scheme and host are lower-cased, the default
//! port and the fragment dropped, an empty path becomes `/`, and the query keeps only the
//! parameters the site lists as meaningful, sorted so their order in a link does not matter.

use std::fmt;

use url::Url;

use super::Invalid;

/// Longer addresses are not articles; the limit keeps the unique index and the count API small.
pub const MAX_URL_LEN: usize = 2_000;

/// A site that may embed Civil, as browsers name it in `Origin`: `https://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(String);

impl Origin {
    /// An origin as an operator or admin writes it, with or without a trailing slash.
    pub fn parse(input: &str) -> Result<Origin, Invalid> {
        let refuse = || {
            Invalid::new(
                "origin",
                "An origin is a scheme and a host, with a port if needed, like https://news.example.com.",
            )
        };
        let url = web_url(input.trim(), "origin").map_err(|_| refuse())?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(refuse());
        }
        Ok(Origin::of(&url))
    }

    fn of(url: &Url) -> Origin {
        Origin(url.origin().ascii_serialization())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The origin of a page's address, as a browser's `Referer` gives it (the whole address or
    /// only its origin); `None` for anything but an http(s) address.
    pub fn of_page(address: &str) -> Option<Origin> {
        web_url(address.trim(), "referer").ok().map(|url| Origin::of(&url))
    }
}

/// Where a request for an embed comes from, as the browser tells it (`Origin`, `Referer`,
/// `Sec-Fetch-Site`). Only Civil's own pages and the article's own site may start its thread,
/// so a page elsewhere cannot make Civil host threads on an allowed site's addresses; a server
/// (a CMS including the fragment) sends none of these headers, and may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requester {
    /// No browser said where it came from: a server, a feed reader, an address typed in.
    Unstated,
    /// A page on Civil itself.
    Civil,
    /// A page on this origin.
    Page(Origin),
    /// A page on another site that did not say which (`Referrer-Policy: no-referrer`).
    Undisclosed,
}

impl Requester {
    /// Whether this requester may start the thread of an article on `site`.
    pub fn may_start_thread_on(&self, site: &Origin) -> bool {
        match self {
            Requester::Unstated | Requester::Civil => true,
            Requester::Page(origin) => origin == site,
            Requester::Undisclosed => false,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The query parameters a site says change which article a URL shows (`?id=42` on an old CMS),
/// as a sorted list of distinct names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeaningfulParams(Vec<String>);

impl MeaningfulParams {
    /// Names separated by commas or white space.
    pub fn parse(input: &str) -> Result<MeaningfulParams, Invalid> {
        let mut names: Vec<String> = Vec::new();
        for name in input.split(|c: char| c == ',' || c.is_whitespace()).filter(|n| !n.is_empty()) {
            let plain = name.len() <= 100 && name.bytes().all(|b| b.is_ascii_graphic() && !b"&=#?%+".contains(&b));
            if !plain {
                return Err(Invalid::new(
                    "params",
                    format!("{name:?} is not a query parameter name: use letters, digits, - and _ ."),
                ));
            }
            names.push(name.to_owned());
        }
        if names.len() > 20 {
            return Err(Invalid::new("params", "A site has at most 20 meaningful query parameters."));
        }
        names.sort();
        names.dedup();
        Ok(MeaningfulParams(names))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.binary_search_by(|n| n.as_str().cmp(name)).is_ok()
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }

    /// As stored and shown: names separated by commas.
    pub fn to_text(&self) -> String {
        self.0.join(",")
    }
}

/// An article address as given, checked: http or https, a host, no user name or password.
#[derive(Debug, Clone)]
pub struct ArticleUrl(Url);

impl ArticleUrl {
    pub fn parse(input: &str) -> Result<ArticleUrl, Invalid> {
        web_url(input.trim(), "url").map(ArticleUrl)
    }

    pub fn origin(&self) -> Origin {
        Origin::of(&self.0)
    }

    /// The address as parsed (not normalised).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The thread's key, keeping only the query parameters in `meaningful`.
    pub fn canonical(&self, meaningful: &MeaningfulParams) -> CanonicalUrl {
        let mut url = self.0.clone();
        url.set_fragment(None);
        let mut kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| meaningful.contains(name))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        kept.sort();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(&kept);
        }
        CanonicalUrl(url.to_string())
    }
}

fn web_url(input: &str, field: &'static str) -> Result<Url, Invalid> {
    let refuse = |why: &str| Invalid::new(field, format!("That is not an article address: {why}."));
    if input.len() > MAX_URL_LEN {
        return Err(refuse(&format!("it is longer than {MAX_URL_LEN} characters")));
    }
    let url = Url::parse(input).map_err(|e| refuse(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse("only http and https addresses can be embedded"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("it names a user or password"));
    }
    Ok(url)
}

/// The normalised address of an external article: the thread's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CanonicalUrl(String);

impl CanonicalUrl {
    /// A key read back from the database, which only ever holds normalised addresses.
    pub fn from_stored(url: String) -> CanonicalUrl {
        CanonicalUrl(url)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A title for a thread whose embed gave none: the last part of the path in words
    /// (`/2026/ai-story.html` gives "Ai story"), else the host.
    pub fn fallback_title(&self) -> String {
        let url = Url::parse(&self.0).expect("a canonical URL parses");
        let last = url.path_segments().and_then(|mut s| s.rfind(|seg| !seg.is_empty())).unwrap_or("");
        let last = urlencoding::decode(last).map(|s| s.into_owned()).unwrap_or_else(|_| last.to_owned());
        let stem = match last.rsplit_once('.') {
            Some((stem, ext))
                if !stem.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                stem.to_owned()
            }
            _ => last,
        };
        let words: Vec<&str> = stem.split(['-', '_', '+', ' ']).filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return url.host_str().unwrap_or("Discussion").to_owned();
        }
        let title = words.join(" ");
        let mut chars = title.chars();
        let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
        let title: String = first + chars.as_str();
        title.chars().take(200).collect()
    }
}

impl fmt::Display for CanonicalUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_civil_the_articles_own_site_or_a_server_may_start_its_thread() {
        let site = Origin::parse("https://news.example.com").unwrap();
        assert!(Requester::Unstated.may_start_thread_on(&site));
        assert!(Requester::Civil.may_start_thread_on(&site));
        assert!(Requester::Page(site.clone()).may_start_thread_on(&site));
        let elsewhere = Origin::of_page("https://evil.example/page?x=1").unwrap();
        assert_eq!(elsewhere.as_str(), "https://evil.example");
        assert!(!Requester::Page(elsewhere).may_start_thread_on(&site));
        assert!(!Requester::Undisclosed.may_start_thread_on(&site));
        assert_eq!(Origin::of_page("https://NEWS.example.com:443/"), Some(site));
        assert_eq!(Origin::of_page("android-app://x"), None);
    }
    use proptest::prelude::*;

    fn key(input: &str, params: &str) -> String {
        ArticleUrl::parse(input).unwrap().canonical(&MeaningfulParams::parse(params).unwrap()).as_str().to_owned()
    }

    #[test]
    fn equivalent_spellings_give_one_key() {
        let want = "https://news.example.com/2026/ai-story";
        for spelling in [
            "https://news.example.com/2026/ai-story",
            "HTTPS://News.Example.COM/2026/ai-story",
            "https://news.example.com:443/2026/ai-story",
            "https://news.example.com/2026/ai-story#comments",
            "https://news.example.com/2026/ai-story?utm_source=x&fbclid=y",
            "  https://news.example.com/2026/ai-story?  ",
        ] {
            assert_eq!(key(spelling, ""), want, "{spelling}");
        }
        assert_eq!(key("http://Example.com:80", ""), "http://example.com/", "an empty path is /");
        assert_eq!(key("http://example.com:8080/a", ""), "http://example.com:8080/a", "a port that matters stays");
        assert_ne!(key("http://example.com/a", ""), key("https://example.com/a", ""), "the scheme matters");
        assert_ne!(key("https://example.com/A", ""), key("https://example.com/a", ""), "paths are case-sensitive");
    }

    #[test]
    fn meaningful_parameters_stay_sorted() {
        assert_eq!(
            key("https://e.com/story.php?utm=1&page=2&id=42", "id page"),
            "https://e.com/story.php?id=42&page=2"
        );
        assert_eq!(key("https://e.com/story.php?page=2&id=42", "page,id"), "https://e.com/story.php?id=42&page=2");
        assert_eq!(key("https://e.com/s?id=a%20b", "id"), key("https://e.com/s?id=a+b", "id"));
        assert_eq!(key("https://e.com/s?x=1", "id"), "https://e.com/s");
    }

    #[test]
    fn refuses_what_is_not_a_web_page() {
        for bad in [
            "",
            "news.example.com/a",
            "/2026/ai-story",
            "javascript:alert(1)",
            "ftp://example.com/a",
            "file:///etc/passwd",
            "https://user:pw@example.com/a",
            "https://user@example.com/a",
            "https://",
            "data:text/html,hi",
        ] {
            assert!(ArticleUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(ArticleUrl::parse(&format!("https://e.com/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }

    #[test]
    fn origins() {
        assert_eq!(Origin::parse("https://News.Example.com/").unwrap().as_str(), "https://news.example.com");
        assert_eq!(Origin::parse("http://localhost:8000").unwrap().as_str(), "http://localhost:8000");
        assert_eq!(Origin::parse("https://e.com:443").unwrap().as_str(), "https://e.com");
        for bad in ["https://e.com/path", "e.com", "https://e.com/?a=1", "ftp://e.com", "https://u@e.com"] {
            assert!(Origin::parse(bad).is_err(), "{bad}");
        }
        let url = ArticleUrl::parse("HTTPS://E.com:443/a?b#c").unwrap();
        assert_eq!(url.origin(), Origin::parse("https://e.com").unwrap());
    }

    #[test]
    fn parameter_lists() {
        assert_eq!(MeaningfulParams::parse(" page, id id ").unwrap().names(), ["id", "page"]);
        assert_eq!(MeaningfulParams::parse("").unwrap(), MeaningfulParams::default());
        assert!(MeaningfulParams::parse("a=b").is_err());
        assert_eq!(MeaningfulParams::parse("p,id").unwrap().to_text(), "id,p");
    }

    #[test]
    fn fallback_titles() {
        let title = |u: &str| key(u, "").pipe(CanonicalUrl::from_stored).fallback_title();
        assert_eq!(title("https://e.com/2026/ai-story"), "Ai story");
        assert_eq!(title("https://e.com/2026/ai_story.html"), "Ai story");
        assert_eq!(title("https://e.com/news/caf%C3%A9-society/"), "Café society");
        assert_eq!(title("https://e.com/"), "e.com");
    }

    trait Pipe: Sized {
        fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
            f(self)
        }
    }
    impl<T> Pipe for T {}

    fn spelling() -> impl Strategy<Value = (String, String)> {
        (
            prop::sample::select(vec!["http", "https", "HTTP", "HtTpS"]),
            "[a-zA-Z][a-zA-Z0-9]{0,8}(\\.[a-zA-Z]{2,4}){1,2}",
            prop::option::of(prop::sample::select(vec![80u16, 443, 8080])),
            "(/[a-zA-Z0-9._~%-]{0,8}){0,3}",
            // No bare spaces: a URL parser trims them from the ends of the input.
            prop::collection::vec(("[a-z]{1,3}", "[a-zA-Z0-9%+]{0,4}(%20)?"), 0..4),
            prop::option::of("[a-z0-9]{0,6}"),
            "[a-z ,]{0,8}",
        )
            .prop_map(|(scheme, host, port, path, query, fragment, params)| {
                let mut url = format!("{scheme}://{host}");
                if let Some(port) = port {
                    url.push_str(&format!(":{port}"));
                }
                url.push_str(&path);
                if !query.is_empty() {
                    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    url.push('?');
                    url.push_str(&q.join("&"));
                }
                if let Some(fragment) = fragment {
                    url.push('#');
                    url.push_str(&fragment);
                }
                (url, params)
            })
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent((url, params) in spelling()) {
            let params = MeaningfulParams::parse(&params).unwrap();
            if let Ok(parsed) = ArticleUrl::parse(&url) {
                let once = parsed.canonical(&params);
                let twice = ArticleUrl::parse(once.as_str()).unwrap().canonical(&params);
                prop_assert_eq!(&once, &twice);
                prop_assert!(!once.as_str().contains('#'));
                prop_assert_eq!(ArticleUrl::parse(once.as_str()).unwrap().origin(), parsed.origin());
            }
        }

        #[test]
        fn case_of_scheme_and_host_order_of_parameters_and_fragments_do_not_matter(
            (url, params) in spelling(),
            extra in "[a-z]{1,3}=[a-z0-9]{0,3}",
        ) {
            let params = MeaningfulParams::parse(&params).unwrap();
            let Ok(parsed) = ArticleUrl::parse(&url) else { return Ok(()) };
            let key = parsed.canonical(&params);
            let (head, fragment) = url.split_once('#').map_or((url.as_str(), None), |(h, f)| (h, Some(f)));
            let (base, query) = head.split_once('?').map_or((head, None), |(b, q)| (b, Some(q)));
            let (scheme, rest) = base.split_once("://").unwrap();
            let (host, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
            let mut pairs: Vec<&str> = query.map(|q| q.split('&').collect()).unwrap_or_default();
            pairs.reverse();
            // A parameter the site does not list changes nothing.
            if !params.contains(extra.split('=').next().unwrap()) {
                pairs.push(&extra);
            }
            let respelled = format!(
                "{}://{}{}{}{}",
                scheme.to_ascii_uppercase(),
                host.to_ascii_uppercase(),
                path,
                if pairs.is_empty() { String::new() } else { format!("?{}", pairs.join("&")) },
                if fragment.is_some() { "" } else { "#elsewhere" },
            );
            let other = ArticleUrl::parse(&respelled).unwrap().canonical(&params);
            // Reversing pairs of one name changes their values' order; sorting pairs by name
            // and value makes that irrelevant too.
            prop_assert_eq!(key, other, "{} vs {}", url, respelled);
        }
    }
}
