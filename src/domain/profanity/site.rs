//! Site word lists at work: banned and suspect words found as whole words (with simple
//! inflections), obfuscated spellings included, and the lists cleaned as admins type them.

use rustrict::{Trie, Type};

use super::align::{normalize, run_pass, Doc, Shadow};
use super::mask::{find_words, Word};
use super::words::{ALLOWED_EVERYWHERE, ALLOWED_IN_PROSE};
use super::SiteWordLists;

pub(super) struct SiteMatcher {
    /// Every banned and suspect word at once: a cheap gate before identifying which matched.
    any: Box<Trie>,
    words: Vec<SiteWord>,
}

struct SiteWord {
    word: String,
    banned: bool,
    trie: Box<Trie>,
}

/// Inflections a site word may carry and still count as found (site words match whole words).
const SITE_SUFFIXES: &[&str] = &["s", "es", "ed", "d", "ing", "er", "ers", "'s", "’s"];

impl SiteMatcher {
    pub(super) fn new(lists: &SiteWordLists) -> Option<Self> {
        let words: Vec<(String, bool)> = lists
            .banned
            .iter()
            .map(|w| (w.clone(), true))
            .chain(lists.suspect.iter().filter(|w| !lists.banned.contains(w)).map(|w| (w.clone(), false)))
            .filter(|(w, _)| !lists.allowed.contains(w))
            .collect();
        if words.is_empty() {
            return None;
        }
        let exemptions = || {
            let mut trie = Trie::new();
            for word in ALLOWED_EVERYWHERE.iter().chain(ALLOWED_IN_PROSE) {
                trie.set(word, Type::NONE);
            }
            for key in lists.allowed.iter().map(|w| trie_key(w)) {
                if !key.is_empty() {
                    trie.set(&key, Type::NONE);
                }
            }
            trie
        };
        let mut any = exemptions();
        let mut site_words = Vec::with_capacity(words.len());
        for (word, banned) in words {
            let key = trie_key(&word);
            if key.is_empty() {
                continue;
            }
            any.set(&key, site_word_type());
            let mut trie = exemptions();
            trie.set(&key, site_word_type());
            site_words.push(SiteWord { word, banned, trie: Box::new(trie) });
        }
        if site_words.is_empty() {
            return None;
        }
        Some(Self { any: Box::new(any), words: site_words })
    }
}

/// Severe so that rustrict tolerates obfuscated spellings of site words as it does for its own.
fn site_word_type() -> Type {
    Type::PROFANE & Type::SEVERE
}

/// rustrict strips accents from the text before matching, so trie entries must be stripped too or
/// an admin's "café" would never match.
pub(super) fn trie_key(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    normalize(&chars).into_iter().collect()
}

pub(super) fn clean_list(words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        let word = word.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if !word.is_empty() && !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

impl SiteMatcher {
    /// The site words in the text. `shadow` must have lined up in a pass already.
    pub(super) fn hits(&self, doc: &Doc, shadow: &Shadow) -> SiteHits {
        let mut hits = SiteHits::default();
        // The shadow was already validated by the main pass, so these passes cannot misalign.
        let Some(gate) = run_pass(&self.any, &shadow.chars, Type::ANY) else {
            return hits;
        };
        if !gate.masked.contains(&true) {
            return hits;
        }
        for word in &self.words {
            let Some(pass) = run_pass(&word.trie, &shadow.chars, Type::ANY) else {
                continue;
            };
            let marks = shadow.to_original(doc, &pass.masked);
            let mut found = false;
            for w in find_words(doc, shadow, &marks, &word.trie, Type::ANY) {
                if is_whole_word(doc, &w) {
                    found = true;
                    if word.banned {
                        hits.banned_spans.push(w.span);
                    }
                }
            }
            if found {
                if word.banned {
                    hits.banned.push(word.word.clone());
                } else {
                    hits.suspect.push(word.word.clone());
                }
            }
        }
        hits
    }
}

#[derive(Default)]
pub(super) struct SiteHits {
    pub(super) banned: Vec<String>,
    pub(super) suspect: Vec<String>,
    pub(super) banned_spans: Vec<(usize, usize)>,
}

/// Site words are admin-entered and lack rustrict's false-positive dictionary, so they only count
/// as whole words (optionally inflected): suspect "ass" must not be found in "class" or "assess".
fn is_whole_word(doc: &Doc, word: &Word) -> bool {
    if word.span.0 < word.raw.0 {
        return false;
    }
    if word.span.1 <= word.raw.1 {
        return true;
    }
    let suffix: String = doc.chars[word.raw.1..word.span.1].iter().flat_map(|&(_, c)| c.to_lowercase()).collect();
    SITE_SUFFIXES.contains(&suffix.as_str())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{filter, masked, site_filter};
    use super::super::{ProfanityFilter, SiteWordLists};

    #[test]
    fn site_allowed_word_is_not_masked() {
        assert_eq!(masked("the old bugger"), "the old b*****");
        let a = site_filter().analyze("the old bugger", '*');
        assert_eq!(a.masked, "the old bugger");
        assert_eq!(a.masked_words, 0);
        // A phrase allows only itself.
        assert_eq!(masked("a cock pheasant"), "a c*** pheasant");
        assert_eq!(site_filter().analyze("a cock pheasant", '*').masked, "a cock pheasant");
        assert_eq!(site_filter().analyze("what a cock", '*').masked, "what a c***");
    }

    #[test]
    fn site_banned_word_is_masked_and_reported() {
        let a = site_filter().analyze("Typical gammon. Gammons everywhere, g4mmon.", '*');
        assert_eq!(a.masked, "Typical g*****. G****** everywhere, g*****.");
        assert_eq!(a.banned_words, ["gammon"]);
        assert_eq!(a.masked_words, 3);
        // Listed in any case, reported lowercase.
        let a = site_filter().analyze("what a remoaner", '*');
        assert_eq!(a.masked, "what a r*******");
        assert_eq!(a.banned_words, ["remoaner"]);
        // Phrases work; a word only containing a banned word does not count.
        let a = site_filter().analyze("Go back to Africa! I love backgammon.", '*');
        assert_eq!(a.masked, "G****************! I love backgammon.");
        assert_eq!(a.banned_words, ["go back to africa"]);
        // Without site lists, nothing is reported.
        assert!(filter().analyze("gammon", '*').banned_words.is_empty());
    }

    #[test]
    fn site_suspect_word_is_reported_not_masked() {
        let text = "Another snowflake, and globalists everywhere.";
        let a = site_filter().analyze(text, '*');
        assert_eq!(a.masked, text);
        assert_eq!(a.masked_words, 0);
        assert_eq!(a.suspect_words, ["snowflake", "globalist"]);
        assert!(a.banned_words.is_empty());
        assert!(site_filter().analyze("Snowflakes fell on Glossop.", '*').suspect_words == ["snowflake"]);
        assert!(site_filter().analyze("a globalisation story", '*').suspect_words.is_empty());
    }

    #[test]
    fn check_name_applies_site_lists() {
        assert!(site_filter().check_name("gammon_hunter").is_err());
        assert!(site_filter().check_name("the_snowflake").is_err());
        assert!(site_filter().check_name("old_bugger").is_ok());
        assert!(filter().check_name("old_bugger").is_err());
    }

    #[test]
    fn site_lists_are_cleaned() {
        let f = ProfanityFilter::new(&SiteWordLists {
            banned: vec!["  Gammon ".into(), "gammon".into(), "".into(), "Café  Crème".into()],
            suspect: vec![],
            allowed: vec![],
        });
        assert_eq!(f.site_lists().banned, ["gammon", "café crème"]);
        let a = f.analyze("un café crème, s'il vous plaît", '*');
        assert_eq!(a.banned_words, ["café crème"]);
        assert_eq!(a.masked, "un c*********, s'il vous plaît");
    }
}
