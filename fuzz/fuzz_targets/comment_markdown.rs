//! A comment as the server screens it: parse, mask, carry the mask back onto the markdown, render
//! and sanitise. Whatever a reader types, this must not panic, and what comes out must be safe to
//! put in a page: only the tags comments may use, no script links, no event handlers.
#![no_main]

use std::sync::OnceLock;

use civil::domain::comment_body::CommentBody;
use civil::domain::markdown::{self, MASK_PLACEHOLDER};
use civil::domain::profanity::{ProfanityFilter, SiteWordLists};
use libfuzzer_sys::fuzz_target;

const COMMENT_TAGS: &[&str] = &["p", "br", "em", "strong", "del", "a", "code", "pre", "blockquote", "ul", "ol", "li"];

fn filter() -> &'static ProfanityFilter {
    static FILTER: OnceLock<ProfanityFilter> = OnceLock::new();
    FILTER.get_or_init(|| ProfanityFilter::new(&SiteWordLists::default()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(body) = CommentBody::parse(text) else { return };
    let probe = markdown::without_emphasis_markers(body.as_str());
    assert_eq!(probe.chars().count(), body.as_str().chars().count(), "the probe is char-aligned");
    let analysis = filter().analyze(&probe, MASK_PLACEHOLDER);
    assert_eq!(analysis.masked.chars().count(), probe.chars().count(), "masking keeps the length");
    let carried = markdown::carry_mask(body.as_str(), &probe, &analysis.masked);
    assert_eq!(carried.chars().count(), body.as_str().chars().count(), "carrying keeps the length");
    let html = markdown::render_comment(&carried);
    assert!(!html.contains(MASK_PLACEHOLDER), "a placeholder leaked: {html:?}");
    check_safe(&html);
});

/// Every `<` in sanitised output opens a tag ammonia allowed, with only the attributes it allows
/// (always double-quoted); text is escaped.
fn check_safe(html: &str) {
    let lower = html.to_ascii_lowercase();
    for (at, _) in lower.match_indices('<') {
        let rest = &lower[at + 1..];
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        assert!(COMMENT_TAGS.contains(&name.as_str()), "tag <{name}> in {html:?}");
        let mut attributes = &rest[name.len()..];
        loop {
            attributes = attributes.trim_start();
            if attributes.is_empty() || attributes.starts_with('>') {
                break;
            }
            let (attribute, after) =
                attributes.split_once("=\"").unwrap_or_else(|| panic!("unquoted attribute in {html:?}"));
            let (value, after) = after.split_once('"').unwrap_or_else(|| panic!("unterminated attribute in {html:?}"));
            let allowed = match name.as_str() {
                "a" => matches!(attribute, "href" | "title" | "rel"),
                "ol" => attribute == "start",
                _ => false,
            };
            assert!(allowed, "attribute {attribute} on <{name}> in {html:?}");
            if attribute == "href" {
                let value: String =
                    value.replace("&amp;", "&").chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
                for scheme in ["javascript:", "data:", "vbscript:", "&#"] {
                    assert!(!value.starts_with(scheme), "href {value:?} in {html:?}");
                }
            }
            attributes = after;
        }
    }
}
