//! Masking, with site word lists like an admin's (phrases, digits, accents, and words that
//! overlap rustrict's own), and name checks. It must not panic, and its report must describe
//! the text it was given.
#![no_main]

use std::sync::OnceLock;

use civil::domain::profanity::{ProfanityFilter, SiteWordLists};
use libfuzzer_sys::fuzz_target;

fn filter() -> &'static ProfanityFilter {
    static FILTER: OnceLock<ProfanityFilter> = OnceLock::new();
    let list = |words: &[&str]| words.iter().map(|w| w.to_string()).collect();
    FILTER.get_or_init(|| {
        ProfanityFilter::new(&SiteWordLists {
            banned: list(&["darn phrase", "crap", "sp4m", "überbad", "x"]),
            suspect: list(&["suspicious", "buy now", "ass"]),
            allowed: list(&["frick", "dick cheney", "shitake"]),
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let filter = filter();
    let analysis = filter.analyze(text, '*');

    assert_eq!(analysis.masked.chars().count(), text.chars().count(), "masking keeps the length");
    assert_eq!(analysis.masked_spans.len(), analysis.masked_words);
    let mut previous_end = 0;
    for span in &analysis.masked_spans {
        assert!(span.start >= previous_end && span.start < span.end && span.end <= text.len(), "{span:?} in {text:?}");
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "{span:?} in {text:?}");
        previous_end = span.end;
    }
    // Outside the masked words, the text is unchanged.
    let mut masked = analysis.masked.chars();
    for (at, original) in text.char_indices() {
        let shown = masked.next().expect("same length");
        if !analysis.masked_spans.iter().any(|s| s.contains(&at)) {
            assert_eq!(shown, original, "changed outside a masked word at {at} in {text:?}");
        }
    }
    let _ = filter.check_name(text);
});
