//! Names are never masked: a capitalised word inside a sentence that can be a name is a name
//! ("Matt Hancock and Dick Cheney", "Stefan Kuntz", "Julian Assange", "the Wankhede Stadium"),
//! unless the sentence around it is abuse. This replaces listing people and places one by one;
//! the lists in `words` stay for names at the start of a sentence, where a capital says nothing.
//!
//! A masked word is a name when all of these hold:
//! - **It is written as a name**: a capital and then lowercase letters ("Dick", "Kuntz"); not
//!   "dick", "DICK" or "D1ck".
//! - **It can be a name**: it is not a swear word, an inflection or a compound of one
//!   ("Fucking", "Shitty", "Dickhead", "Bullshit"), and not a slur as written ("Coon", "Paki").
//!   A slur inside a longer word can be a name ("Fagan", "Faggin").
//! - **The capital says "name"**: the word is inside its sentence, or it starts the sentence and
//!   the next word is capitalised too ("Dick Cheney said", but not "Dick head" or "Dick Head").
//! - **The sentence is not abuse**: no other word in it is masked, it does not address someone
//!   ("you Dick", "what a total Dick"), a whole rude word does not follow "a" without a surname
//!   ("Boris is a Dick"), and rustrict does not find the rest of the sentence at least
//!   moderately mean.

use rustrict::{Trie, Type};

use super::align::{run_pass, Doc, Shadow};
use super::mask::{is_word_char, Word};

/// Words that are never names, in every inflection and compound: the swear words themselves.
/// Words that are also names ("Dick", "Cock" as in Cock Bridge) are deliberately absent.
const NEVER_NAMES: &[&str] = &[
    "fuck", "fuk", "fuq", "fck", "fcuk", "phuck", "feck", "cunt", "shit", "shite", "twat", "wank", "bollock", "arse",
    "ass", "bitch", "bastard", "whore", "slut", "prick", "pussy", "knob", "bellend", "tosser", "piss", "crap",
    "bugger", "nigger", "nigga", "faggot", "fag", "retard", "spastic", "spaz", "douche", "jizz", "cum", "wanker",
];

/// Endings that make a swear word an inflection or an insult rather than part of a name.
const SUFFIXES: &[&str] = &[
    "", "s", "es", "ed", "d", "ing", "in", "er", "ers", "y", "ey", "ie", "ies", "ier", "iest", "ish", "ery", "ty",
    "ter", "head", "heads", "face", "faces", "wit", "wits", "wad", "wads", "bag", "bags", "hole", "holes", "stain",
    "stains", "sucker", "suckers", "sucking", "tard", "tards", "storm", "show", "load", "loads", "nugget", "weasel",
    "muncher", "lord", "monkey", "burger", "hat", "pants", "house", "box", "end", "ends", "ass", "wipe", "rag",
    "tastic", "tacular", "ton",
];

/// Beginnings that make a compound insult of whatever rude word follows ("Bullshit", "Dumbass").
const PREFIXES: &[&str] = &[
    "bull", "horse", "chicken", "dip", "ape", "bat", "mother", "muther", "cluster", "dumb", "jack", "smart", "fat",
    "dog", "holy",
];

/// Words before a rude word that aim it at someone ("you Dick", "a total Dick").
const ADDRESS: &[&str] = &[
    "you", "u", "ya", "yer", "ur", "ye", "youre", "you're", "you’re", "yous", "thou", "such", "what", "total",
    "absolute", "complete", "utter", "proper", "right", "stupid", "dumb", "fat", "ugly", "little", "big", "massive",
    "bloody", "silly", "pathetic", "lying", "useless", "sad",
];

/// Abbreviations whose full stop does not end a sentence ("Mr. Dick", "Philip K. Dick").
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "prof", "sen", "rep", "gen", "col", "capt", "lt", "sgt", "rev", "hon", "jr", "sr",
    "no", "vs", "v",
];

/// A word of the text: chars `[start, end)` and the sentence it is in.
#[derive(Clone, Copy, Debug)]
struct Token {
    start: usize,
    end: usize,
    sentence: usize,
}

/// The words of the text, each with its sentence.
fn tokens(doc: &Doc) -> Vec<Token> {
    let n = doc.chars.len();
    let mut out: Vec<Token> = Vec::new();
    let mut sentence = 0;
    let mut i = 0;
    while i < n {
        let c = doc.char(i);
        if is_word_char(c) {
            let start = i;
            // Apostrophes inside a word belong to it ("O'Brien", "Dick's").
            while i < n
                && (is_word_char(doc.char(i))
                    || (matches!(doc.char(i), '\'' | '’') && i + 1 < n && is_word_char(doc.char(i + 1))))
            {
                i += 1;
            }
            out.push(Token { start, end: i, sentence });
            continue;
        }
        let ends_sentence = match c {
            '\n' | '!' | '?' | '…' => true,
            '.' => {
                let after_space = i + 1 >= n || doc.char(i + 1).is_whitespace();
                let abbreviation = out.last().filter(|t| t.end == i).is_some_and(|t| {
                    let word: String = doc.chars[t.start..t.end].iter().flat_map(|&(_, c)| c.to_lowercase()).collect();
                    // A lone capital is an initial ("Philip K. Dick").
                    (t.end - t.start == 1 && doc.char(t.start).is_uppercase()) || ABBREVIATIONS.contains(&word.as_str())
                });
                after_space && !abbreviation
            }
            _ => false,
        };
        if ends_sentence {
            sentence += 1;
        }
        i += 1;
    }
    out
}

fn text(doc: &Doc, t: Token) -> String {
    doc.chars[t.start..t.end].iter().map(|&(_, c)| c).collect()
}

fn lower(doc: &Doc, t: Token) -> String {
    doc.chars[t.start..t.end].iter().flat_map(|&(_, c)| c.to_lowercase()).collect()
}

/// A capital, then lowercase letters (and apostrophes): how names are written in prose.
fn is_capitalised(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else { return false };
    let rest: Vec<char> = chars.collect();
    first.is_uppercase()
        && rest.iter().any(|c| c.is_lowercase())
        && rest.iter().all(|&c| c.is_lowercase() || matches!(c, '\'' | '’'))
}

/// Letters only, runs of one letter squeezed ("Fuuuck" reads "fuck"), possessive dropped.
fn squeezed(lower: &str) -> String {
    let lower = lower.strip_suffix("'s").or_else(|| lower.strip_suffix("’s")).unwrap_or(lower);
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars().filter(|c| c.is_alphabetic()) {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// Whether the word is a swear word, or one inflected or compounded.
fn is_swearing(lower: &str) -> bool {
    let word = squeezed(lower);
    let word = PREFIXES.iter().find_map(|p| word.strip_prefix(p).filter(|rest| !rest.is_empty())).unwrap_or(&word);
    // Squeezing turns "ass" into "as": compare the lists squeezed too.
    NEVER_NAMES.iter().any(|stem| {
        let stem = squeezed(stem);
        word.contains("fuck") || word.contains("cunt") || {
            word.strip_prefix(stem.as_str()).is_some_and(|rest| SUFFIXES.iter().any(|s| squeezed(s) == rest))
        }
    }) || SUFFIXES
        .iter()
        .filter(|s| s.len() >= 3)
        .any(|s| word.len() > s.len() + 2 && word.ends_with(*s) && is_compound_end(s))
}

/// Endings that make an insult of anything rude before them ("Dickhead", "Knobend").
fn is_compound_end(suffix: &str) -> bool {
    matches!(
        suffix,
        "head"
            | "heads"
            | "face"
            | "faces"
            | "wit"
            | "wits"
            | "wad"
            | "wads"
            | "hole"
            | "holes"
            | "sucker"
            | "suckers"
            | "bag"
            | "bags"
            | "stain"
            | "stains"
            | "wipe"
    )
}

/// What `names` needs from the filter: the trie that judged the text.
pub(super) struct Judge<'a> {
    pub(super) trie: &'a Trie,
    pub(super) threshold: Type,
}

/// Drops the masked words of `words` that are names (see the module documentation).
pub(super) fn keep_names(doc: &Doc, shadow: &Shadow, words: &mut Vec<Word>, masked: Type, judge: &Judge) {
    if !words.iter().any(|w| w.typ.is(masked)) {
        return;
    }
    let tokens = tokens(doc);
    let token_at = |i: usize| tokens.partition_point(|t| t.end <= i);
    // Each masked word that is one whole token and could be a name.
    let mut candidates: Vec<usize> = Vec::new();
    let mut others: Vec<usize> = Vec::new();
    for (k, w) in words.iter().enumerate().filter(|(_, w)| w.typ.is(masked)) {
        let at = token_at(w.span.0);
        let is_candidate = tokens
            .get(at)
            .is_some_and(|&t| t.start == w.span.0 && t.end == w.span.1 && can_be_name(doc, &tokens, at, w));
        if is_candidate {
            candidates.push(k);
        } else {
            others.push(k);
        }
    }
    if candidates.is_empty() {
        return;
    }
    let sentence_of = |k: usize| tokens[token_at(words[k].span.0)].sentence;
    let abusive_sentences: Vec<usize> = others.iter().map(|&k| sentence_of(k)).collect();
    let mut names: Vec<usize> = Vec::new();
    for &k in &candidates {
        let at = token_at(words[k].span.0);
        let sentence = tokens[at].sentence;
        if abusive_sentences.contains(&sentence) || addressed(doc, &tokens, at, &words[k]) {
            continue;
        }
        names.push(k);
    }
    // The rest of each sentence, with its names blanked, judged as rustrict judges any text.
    let mut mean_sentences: Vec<usize> = Vec::new();
    let mut checked: Vec<usize> = Vec::new();
    for &k in &names {
        let sentence = sentence_of(k);
        if checked.contains(&sentence) {
            continue;
        }
        checked.push(sentence);
        let first = tokens.iter().find(|t| t.sentence == sentence).map_or(0, |t| t.start);
        let last = tokens.iter().rev().find(|t| t.sentence == sentence).map_or(0, |t| t.end);
        let blank: Vec<(usize, usize)> = names.iter().map(|&n| words[n].span).collect();
        let from = shadow.owner.partition_point(|&o| o < first);
        let to = shadow.owner.partition_point(|&o| o < last);
        let chars: Vec<char> = (from..to)
            .map(|j| {
                let owner = shadow.owner[j];
                if blank.iter().any(|&(s, e)| s <= owner && owner < e) {
                    ' '
                } else {
                    shadow.chars[j]
                }
            })
            .collect();
        let mean = run_pass(judge.trie, &chars, judge.threshold)
            .is_some_and(|pass| pass.typ.is(Type::MEAN & Type::MODERATE_OR_HIGHER));
        if mean {
            mean_sentences.push(sentence);
        }
    }
    names.retain(|&k| !mean_sentences.contains(&sentence_of(k)));
    let mut k = 0;
    words.retain(|_| {
        k += 1;
        !names.contains(&(k - 1))
    });
}

fn can_be_name(doc: &Doc, tokens: &[Token], at: usize, w: &Word) -> bool {
    let t = tokens[at];
    let word = text(doc, t);
    if !is_capitalised(&word) || is_swearing(&lower(doc, t)) {
        return false;
    }
    // rustrict matched the whole word (give or take an inflection): a slur as written.
    let whole = w.raw.0 == w.span.0 && w.span.1 - w.raw.1 <= 1;
    if whole && w.typ.is(Type::OFFENSIVE & Type::SEVERE) {
        return false;
    }
    let inside = at > 0 && tokens[at - 1].sentence == t.sentence;
    let next_capitalised = tokens.get(at + 1).is_some_and(|&n| {
        n.sentence == t.sentence && is_capitalised(&text(doc, n)) && !is_compound_end(&lower(doc, n))
    });
    inside || next_capitalised
}

/// Whether the words before aim it at someone: "you Dick", "such a Dick", "Boris is a Dick".
fn addressed(doc: &Doc, tokens: &[Token], at: usize, w: &Word) -> bool {
    let t = tokens[at];
    let before = |i: usize| (i > 0 && tokens[i - 1].sentence == t.sentence).then(|| lower(doc, tokens[i - 1]));
    let mut i = at;
    let mut article = false;
    while let Some(word) = before(i) {
        if matches!(word.as_str(), "a" | "an") {
            article = true;
            i -= 1;
            continue;
        }
        if ADDRESS.contains(&word.as_str()) {
            return true;
        }
        break;
    }
    // "a Dick" with no surname after it is a thing called names, not a person.
    let whole = w.raw.0 == w.span.0 && w.raw.1 == w.span.1;
    let surname = tokens.get(at + 1).is_some_and(|&n| n.sentence == t.sentence && is_capitalised(&text(doc, n)));
    article && whole && !surname
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::tests::{filter, masked};

    #[test]
    fn a_capitalised_word_inside_a_sentence_is_a_name() {
        for text in [
            "Matt Hancock and Dick Cheney",
            "Dick Advocaat and Dick Van Dyke",
            "I met Mr Kuntz today",
            "the surname Kuntz",
            "Among the speakers were Stefan Kuntz and Leonid Slutsky.",
            "Cockburn and Dickens and Wankel and Shitole",
            "Supporters of Julian Assange gathered.",
            "A league match between the Dick, Kerr Ladies and St Helens.",
            "Novels by Philip K. Dick and Dean Koontz.",
            "I spoke to Dick yesterday.",
            "Dick Smith said so.",
            "We went to the Wankhede Stadium.",
        ] {
            let a = filter().analyze(text, '*');
            assert_eq!(a.masked, text, "{:?}", a.detected);
            assert!(a.masked_words == 0 && !a.severe && !a.sexual, "{text}: {:?}", a.detected);
        }
    }

    #[test]
    fn abuse_stays_masked() {
        for (text, want) in [
            ("you dick", "you d***"),
            ("Dick head", "D*** head"),
            ("Dick Head", "D*** Head"),
            ("DICK", "D***"),
            ("Dick.", "D***."),
            ("you Dick", "you D***"),
            ("what a total Dick", "what a total D***"),
            ("Boris is a Dick.", "Boris is a D***."),
            ("What a Fucking mess", "What a F****** mess"),
            ("Fuck Boris Johnson", "F*** Boris Johnson"),
            ("the Shitty council", "the S***** council"),
            ("the Dickhead next door", "the D******* next door"),
            ("Matt Hancock is a Dick and a Wanker", "Matt Hancock is a D*** and a W*****"),
            ("Fuck off Dick Durbin", "F*** off D*** Durbin"),
            ("my neighbour Coon", "my neighbour C***"),
            ("the Paki shop", "the P*** shop"),
            ("You are an ugly moron, Dick", "You are an ugly moron, D***"),
            ("Ladies and Gentlemen, a Cunt", "Ladies and Gentlemen, a C***"),
        ] {
            assert_eq!(masked(text), want, "{text}");
        }
    }

    #[test]
    fn a_match_across_two_words_into_a_name_is_no_match() {
        let text = "In an interview, Ankita spoke about the budget.";
        assert_eq!(masked(text), text);
        // Letters spelled apart still count.
        assert_eq!(masked("w a n k e r"), "w**********");
    }

    fn clean_words() -> impl Strategy<Value = Vec<&'static str>> {
        prop::collection::vec(
            prop::sample::select(vec![
                "the", "report", "was", "written", "by", "and", "said", "on", "Monday", "council", "met", "with",
                "later", "in", "London", "players", "from", "of",
            ]),
            1..6,
        )
    }

    fn names() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "Dick Cheney",
            "Dick Durbin",
            "Stefan Kuntz",
            "Julian Assange",
            "Leonid Slutsky",
            "Danny Shittu",
            "Greg Dyke",
            "John Cockcroft",
            "Ralph Lipshitz",
            "Dick",
            "Kuntz",
            "Shitole",
            "Nwankwo Kanu",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// A name inside an ordinary sentence comes through whole.
        #[test]
        fn names_inside_a_sentence_are_never_masked(before in clean_words(), name in names(), after in clean_words()) {
            let text = format!("{} {name} {}.", before.join(" "), after.join(" "));
            let a = filter().analyze(&text, '*');
            prop_assert_eq!(&a.masked, &text);
            prop_assert_eq!(a.masked_words, 0);
        }

        /// The same words aimed at someone, shouted, or beside other swearing, are masked.
        #[test]
        fn abuse_around_a_name_is_masked(before in clean_words(), name in prop::sample::select(vec!["Dick Lugar", "Dick Durbin", "Dick", "Kuntz", "Shitole", "Slutsky"]), lead in prop::sample::select(vec!["you", "you fucking", "such a", "what a total", "shit,"])) {
            let rude = name.split(' ').find(|w| filter().analyze(w, '*').masked_words > 0);
            prop_assume!(rude.is_some());
            let text = format!("{} {lead} {name}", before.join(" "));
            let a = filter().analyze(&text, '*');
            prop_assert!(a.masked_spans.iter().any(|s| rude.is_some_and(|r| text[s.clone()] == *r)), "{} -> {}", text, a.masked);
            let shouted = text.to_uppercase();
            prop_assert!(filter().analyze(&shouted, '*').masked_words > 0, "{}", shouted);
        }
    }
}
