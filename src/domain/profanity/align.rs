//! What rustrict reads, and the way back: the text is normalised char by char as rustrict
//! normalises it (the shadow), so that each char rustrict marks traces back to an original char.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use rustrict::{Censor, Trie, Type};

/// The original text, split into chars once.
pub(super) struct Doc<'a> {
    pub(super) text: &'a str,
    /// (byte offset, char)
    pub(super) chars: Vec<(usize, char)>,
}

impl<'a> Doc<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self { text, chars: text.char_indices().collect() }
    }

    pub(super) fn byte_range(&self, start: usize, end: usize) -> Range<usize> {
        let byte = |i: usize| self.chars.get(i).map_or(self.text.len(), |&(b, _)| b);
        byte(start)..byte(end)
    }

    pub(super) fn char(&self, i: usize) -> char {
        self.chars[i].1
    }
}

/// What rustrict actually reads: the text normalised char by char the way rustrict normalises it
/// (accents and invisible marks stripped), so that its output lines up with this and every output
/// char can be traced back to the original char it came from.
pub(super) struct Shadow {
    pub(super) chars: Vec<char>,
    /// For each shadow char, the index of the original char it came from.
    pub(super) owner: Vec<usize>,
}

impl Shadow {
    pub(super) fn new(doc: &Doc) -> Self {
        let mut chars = Vec::with_capacity(doc.chars.len());
        let mut owner = Vec::with_capacity(doc.chars.len());
        let mut memo: HashMap<char, Vec<char>> = HashMap::new();
        for (i, &(_, c)) in doc.chars.iter().enumerate() {
            if c.is_ascii() {
                chars.push(c);
                owner.push(i);
            } else {
                let normal = memo.entry(c).or_insert_with(|| normalize(&[c]));
                for &n in normal.iter() {
                    chars.push(n);
                    owner.push(i);
                }
            }
        }
        let mut shadow = Self { chars, owner };
        shadow.neutralize_numbers();
        shadow
    }

    /// rustrict reads digits as letters to catch "n1gg3r" and "sh1t", so "in 1939" and the
    /// username "kevin1939" read as a slur ("n" + 1-9-3 as i-g-g). Digits are shown to rustrict as
    /// harmless ones where they cannot be disguising a word: in a token that is only a number
    /// ("1939", "£3,500", "9/11", "1930s") and in any run of four or more digits.
    fn neutralize_numbers(&mut self) {
        let n = self.chars.len();
        let mut k = 0;
        while k < n {
            if rustrict::is_whitespace(self.chars[k]) {
                k += 1;
                continue;
            }
            let start = k;
            while k < n && !rustrict::is_whitespace(self.chars[k]) {
                k += 1;
            }
            if let Some(number) = number_in_token(&self.chars[start..k]) {
                neutralize_digits(&mut self.chars[start + number.start..start + number.end]);
            }
        }
        let mut k = 0;
        while k < n {
            let start = k;
            while k < n && self.chars[k].is_ascii_digit() {
                k += 1;
            }
            if k - start >= 4 {
                neutralize_digits(&mut self.chars[start..k]);
            }
            k += usize::from(k == start);
        }
    }

    /// Which original chars had any of their shadow chars masked.
    pub(super) fn to_original(&self, doc: &Doc, masked: &[bool]) -> Vec<Mark> {
        let mut out = vec![Mark::Zero; doc.chars.len()];
        for (k, &owner) in self.owner.iter().enumerate() {
            let m = masked.get(k).copied().unwrap_or(false);
            out[owner] = match (out[owner], m) {
                (Mark::Masked, _) | (_, true) => Mark::Masked,
                _ => Mark::Clear,
            };
        }
        out
    }
}

/// The number in a whitespace-delimited token that is only a number, give or take brackets,
/// quotes, currency, trailing punctuation and a short unit or ordinal ("(£3,500)", "1930s", "21st").
fn number_in_token(token: &[char]) -> Option<Range<usize>> {
    let is_wrapper = |c: &char| {
        matches!(
            c,
            '(' | ')'
                | '['
                | ']'
                | '"'
                | '\''
                | '‘'
                | '’'
                | '“'
                | '”'
                | '£'
                | '$'
                | '€'
                | '#'
                | '~'
                | '.'
                | ','
                | ';'
                | ':'
                | '!'
                | '?'
        )
    };
    let lead = token.iter().take_while(|c| is_wrapper(c)).count();
    let trail = token[lead..].iter().rev().take_while(|c| is_wrapper(c)).count();
    let core = &token[lead..token.len() - trail];
    let letters = core.iter().rev().take_while(|c| c.is_ascii_alphabetic()).count();
    let number = &core[..core.len() - letters];
    let digits = number.iter().filter(|c| c.is_ascii_digit()).count();
    let is_number = digits >= 2
        && letters <= 3
        && number.first().is_some_and(char::is_ascii_digit)
        && number
            .iter()
            .all(|&c| c.is_ascii_digit() || matches!(c, ',' | '.' | ':' | '/' | '%' | '-' | '–' | '—' | '\''));
    is_number.then(|| lead..lead + number.len())
}

/// Replaces digits with two neutral ones (read as "o" and "t"), alternating so that rustrict's
/// repetition count, which feeds its spam verdict, stays what it was.
fn neutralize_digits(chars: &mut [char]) {
    let mut prev: Option<(char, char)> = None;
    for c in chars.iter_mut().filter(|c| c.is_ascii_digit()) {
        let neutral = match prev {
            Some((orig, neutral)) if orig == *c => neutral,
            Some((_, '0')) => '7',
            _ => '0',
        };
        prev = Some((*c, neutral));
        *c = neutral;
    }
}

/// How one original char came through rustrict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mark {
    /// rustrict never saw it (normalisation dropped it: combining marks, private-use chars, ...).
    Zero,
    Clear,
    Masked,
}

/// rustrict's own normalisation of a few chars (NFD, strip marks and banned chars, NFC).
pub(super) fn normalize(chars: &[char]) -> Vec<char> {
    static EMPTY: OnceLock<Trie> = OnceLock::new();
    let mut censor = Censor::new(chars.iter().copied());
    censor.with_trie(EMPTY.get_or_init(Trie::new));
    censor.censor().chars().collect()
}

/// Stands in for chars that compose with their neighbour under normalisation. It is unchanged by
/// rustrict's normalisation, has no rustrict replacements and is not a letter.
const PLACEHOLDER: char = '\u{203B}';

/// rustrict marks masked chars with this. Private-use chars never reach the shadow (rustrict's
/// normalisation strips them), so it cannot be confused with input.
const MARK: char = '\u{F8FF}';

pub(super) struct Pass {
    /// One per shadow char.
    pub(super) masked: Vec<bool>,
    pub(super) typ: Type,
}

/// Runs rustrict over the shadow; `None` if its output does not line up with the shadow.
pub(super) fn run_pass(trie: &Trie, shadow: &[char], threshold: Type) -> Option<Pass> {
    // SAFETY: `Censor::with_trie` demands `&'static Trie` although the Censor only reads the trie
    // while it exists. The Censor lives only inside this function and nothing borrowed from it
    // escapes (we return owned data), so the trie, which outlives this call, outlives every use.
    // Leaking a fresh Trie per filter would avoid this, but admins rebuild the filter whenever
    // they edit the word lists, and each leak would cost megabytes for the life of the process.
    let trie: &'static Trie = unsafe { &*(trie as *const Trie) };
    let (out, typ) = {
        let mut censor = Censor::new(shadow.iter().copied());
        censor
            .with_trie(trie)
            .with_censor_threshold(threshold)
            // Mask whole matches; Civil decides which char of the word stays visible.
            .with_censor_first_character_threshold(Type::ANY)
            .with_censor_replacement(MARK);
        censor.censor_and_analyze()
    };
    let masked: Vec<bool> = out.chars().map(|c| c == MARK).collect();
    (masked.len() == shadow.len()).then_some(Pass { masked, typ })
}

/// Runs rustrict over the shadow, repairing the shadow until rustrict's output lines up with it.
/// Normalising char by char differs from normalising the whole text only where neighbouring chars
/// compose (Hangul jamo, some Indic vowel signs); those chars are replaced by a placeholder.
pub(super) fn run_pass_repairing(trie: &Trie, shadow: &mut Shadow, threshold: Type) -> Pass {
    if let Some(pass) = run_pass(trie, &shadow.chars, threshold) {
        return pass;
    }
    for k in 1..shadow.chars.len() {
        let (a, b) = (shadow.chars[k - 1], shadow.chars[k]);
        if !a.is_ascii() && !b.is_ascii() && normalize(&[a, b]).len() != 2 {
            shadow.chars[k] = PLACEHOLDER;
        }
    }
    if let Some(pass) = run_pass(trie, &shadow.chars, threshold) {
        return pass;
    }
    // ASCII and the placeholder are invariant under normalisation, so this always lines up.
    for c in shadow.chars.iter_mut().filter(|c| !c.is_ascii()) {
        *c = PLACEHOLDER;
    }
    run_pass(trie, &shadow.chars, threshold)
        .unwrap_or_else(|| Pass { masked: vec![false; shadow.chars.len()], typ: Type::NONE })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::tests::{check_invariants, filter, masked, site_filter};

    #[test]
    fn years_are_not_read_as_leetspeak() {
        for text in ["in 1939", "on 1933", "between 1993 and 1999", "in the 1930s", "£1,933", "9/11"] {
            let a = filter().analyze(text, '*');
            assert_eq!(a.masked, text);
            assert!(!a.severe, "{text}");
        }
        // Digits inside a word still count.
        assert_eq!(masked("n1gg3r"), "n*****");
    }

    #[test]
    fn composing_scripts_keep_alignment() {
        // Conjoining jamo compose into syllables under rustrict's normalisation; Devanagari,
        // Tamil and Thai are harmed by it. The output must still line up with the input.
        for text in [
            "\u{1100}\u{1161}\u{11A8} fuck \u{1100}\u{1161}",
            "नमस्ते shit दुनिया",
            "\u{0BC6}\u{0BBE} fuck \u{0B47}\u{0B3E}",
            "สวัสดี fuck",
            "e\u{0301}\u{0301}\u{0301} sh\u{0308}it \u{202E}fuck\u{202C}",
        ] {
            let a = filter().analyze(text, '*');
            check_invariants(text, '*', &a).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert!(a.masked_words >= 1, "{text:?} -> {}", a.masked);
        }
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(vec![
                "fuck", "sh1t", "f u c k", "Shit", "cunt", "n1gg3r", "bastard", "Scunthorpe",
                "Dick Cheney", "in 1939", " ", "  ", "\n", "\r\n", "*", "**", "_", "[", "](", "é",
                "e\u{0301}", "\u{0301}", "\u{200B}", "\u{202E}", "\u{E000}", "ｆ", "\u{1100}",
                "\u{1161}", "\u{11A8}", "가", "\u{0BC6}", "\u{0BBE}", "न", "\u{094D}", "ß", "İ",
                "🍆", "$", "@", "!", ".", "-", "'",
            ])
            .prop_map(String::from),
            1 => any::<char>().prop_map(String::from),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn alignment_holds_for_arbitrary_text(text in any::<String>(), star in any::<bool>()) {
            let replacement = if star { '*' } else { '\u{E000}' };
            let a = filter().analyze(&text, replacement);
            prop_assert!(check_invariants(&text, replacement, &a).is_ok(), "{:?}: {:?}", text, check_invariants(&text, replacement, &a));
        }

        #[test]
        fn alignment_holds_for_mixed_fragments(parts in prop::collection::vec(fragment(), 0..24)) {
            let text: String = parts.concat();
            let a = site_filter().analyze(&text, '*');
            prop_assert!(check_invariants(&text, '*', &a).is_ok(), "{:?}: {:?}", text, check_invariants(&text, '*', &a));
            let _ = site_filter().check_name(&text);
        }
    }
}
