//! From rustrict's marks to whole masked words, and the masked text built from the original.

use rustrict::{Trie, Type};

use super::align::{run_pass, Doc, Mark, Shadow};

/// A masked word: `span` is the word as shown masked, `raw` the stretch rustrict actually matched
/// inside it (char index ranges, end exclusive).
#[derive(Clone, Copy, Debug)]
pub(super) struct Word {
    pub(super) span: (usize, usize),
    pub(super) raw: (usize, usize),
    /// rustrict's verdict on the word alone.
    pub(super) typ: Type,
}

/// Turns rustrict's masked chars into whole masked words.
///
/// rustrict's matches are fuzzy at the start: in "this shit" it matches "s shit", taking the "s"
/// of "this" for a stutter. So a masked stretch is widened to whole words and then, where it spans
/// several pieces (words, or letters of "f.u.c.k"), each piece is kept only if it is needed for the
/// detection, which is re-checked with the same trie on the piece alone.
pub(super) fn find_words(doc: &Doc, shadow: &Shadow, marks: &[Mark], trie: &Trie, threshold: Type) -> Vec<Word> {
    let n = marks.len();
    let mut stretches: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < n {
        if marks[i] != Mark::Masked {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        loop {
            while end < n && marks[end] == Mark::Masked {
                end += 1;
            }
            // Invisible chars between masked chars belong to the same word.
            let mut j = end;
            while j < n && marks[j] == Mark::Zero {
                j += 1;
            }
            if j > end && j < n && marks[j] == Mark::Masked {
                end = j;
            } else {
                break;
            }
        }
        // rustrict may match only the stem ("wanker" in "wankers"); take the whole word.
        let (mut s, mut e) = (start, end);
        while s > 0 && (marks[s - 1] == Mark::Zero || is_word_char(doc.char(s - 1))) {
            s -= 1;
        }
        while e < n && (marks[e] == Mark::Zero || is_word_char(doc.char(e))) {
            e += 1;
        }
        match stretches.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => stretches.push((s, e)),
        }
        i = end;
    }

    // rustrict's verdict on chars [a, b) alone, if it finds anything at the threshold there.
    let detect = |a: usize, b: usize| -> Option<Type> {
        let from = shadow.owner.partition_point(|&o| o < a);
        let to = shadow.owner.partition_point(|&o| o < b);
        run_pass(trie, &shadow.chars[from..to], threshold)
            .filter(|pass| pass.masked.contains(&true))
            .map(|pass| pass.typ)
    };

    let mut words = Vec::new();
    for (s, e) in stretches {
        let pieces = pieces(doc, s, e);
        let mut groups: Vec<(usize, usize, Type)> = Vec::new();
        // Refining costs a pass or two per piece; past a sane length, take the whole stretch.
        if pieces.len() <= 1 || pieces.len() > MAX_PIECES {
            if let Some(typ) = detect(s, e) {
                groups.push((s, e, typ));
            }
        } else {
            // rustrict's match ends are exact but its starts are not, so only leading pieces
            // can be spurious. A piece detected alone is a word of its own; a piece the rest
            // is detected without is dropped; otherwise the rest belongs together ("f u c k").
            let last = pieces.len() - 1;
            let mut p = 0;
            while p <= last {
                let (ps, pe) = pieces[p];
                // rustrict reads "Dominic Cummings" as "c Cummings", a stutter of "c", so an
                // exemption for "cummings" (which starts later) cannot cancel the match.
                let stutter = p < last && {
                    let next = doc.char(pieces[p + 1].0);
                    let tail = (ps..pe).rev().take_while(|&k| same_letter(doc.char(k), next));
                    let tail_start = tail.last().unwrap_or(pe);
                    tail_start > ps && (ps..tail_start).all(|k| marks[k] != Mark::Masked)
                };
                // Letters spelled out one by one ("N i g g e r") belong together even when the
                // tail alone is also a match ("igger").
                let spelled_out = pe - ps == 1 && p < last && pieces[p + 1].1 - pieces[p + 1].0 == 1;
                if stutter {
                    p += 1;
                } else if spelled_out {
                    if let Some(typ) = detect(ps, pieces[last].1) {
                        groups.push((ps, pieces[last].1, typ));
                    }
                    break;
                } else if let Some(typ) = detect(ps, pe) {
                    groups.push((ps, pe, typ));
                    p += 1;
                } else if p < last && detect(pieces[p + 1].0, pieces[last].1).is_some() {
                    p += 1;
                } else {
                    // Not even the rest together is detected when it is the leftover of a
                    // phrase already taken ("you" of "fuck you"). A match that runs from one
                    // word into a capitalised one ("interview, Ankita" read as "w, ank") spans
                    // two words, not one word spelled apart, so it stands for nothing.
                    if p < last && !starts_new_word(doc, pieces[p], pieces[p + 1]) {
                        if let Some(typ) = detect(ps, pieces[last].1) {
                            groups.push((ps, pieces[last].1, typ));
                        }
                    }
                    break;
                }
            }
        }
        for (gs, ge, typ) in groups {
            let (mut gs, mut ge) = (gs, ge);
            // Markdown syntax and punctuation at the edges stay visible.
            while gs < ge && (marks[gs] == Mark::Zero || is_edge(doc.char(gs))) {
                gs += 1;
            }
            while ge > gs && is_edge(doc.char(ge - 1)) {
                ge -= 1;
            }
            if gs == ge {
                continue;
            }
            let first = (gs..ge).find(|&k| marks[k] == Mark::Masked);
            let last = (gs..ge).rev().find(|&k| marks[k] == Mark::Masked);
            let raw = match (first, last) {
                (Some(a), Some(b)) => (a, b + 1),
                _ => (gs, ge),
            };
            words.push(Word { span: (gs, ge), raw, typ });
        }
    }
    words
}

const MAX_PIECES: usize = 32;

/// Whether `next` begins a new capitalised word after a word of more than one letter: then the
/// two are separate words, whatever rustrict reads across the gap between them.
fn starts_new_word(doc: &Doc, piece: (usize, usize), next: (usize, usize)) -> bool {
    piece.1 - piece.0 > 1
        && next.1 - next.0 > 1
        && doc.char(next.0).is_uppercase()
        && doc.char(next.0 + 1).is_lowercase()
}

fn same_letter(a: char, b: char) -> bool {
    a.to_lowercase().eq(b.to_lowercase())
}

/// Splits `[s, e)` into pieces at whitespace and punctuation that rustrict never reads as a letter
/// ("$", "@", "!", "*", "<", "(", "|" and digits it does, so "$h!t" and "<unt" stay one piece).
fn pieces(doc: &Doc, s: usize, e: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for k in s..e {
        let c = doc.char(k);
        let sep = rustrict::is_whitespace(c)
            || matches!(
                c,
                '.' | ','
                    | '_'
                    | '-'
                    | ':'
                    | ';'
                    | '"'
                    | '\''
                    | '>'
                    | '~'
                    | '`'
                    | '='
                    | '?'
                    | '%'
                    | '^'
                    | '…'
                    | '‘'
                    | '’'
                    | '“'
                    | '”'
                    | '»'
            );
        match (sep, start) {
            (true, Some(a)) => {
                out.push((a, k));
                start = None;
            }
            (false, None) => start = Some(k),
            _ => {}
        }
    }
    if let Some(a) = start {
        out.push((a, e));
    }
    out
}

pub(super) fn merge(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Letters and digits of scripts that separate words with spaces; in scripts that don't (CJK,
/// Thai, ...) a "word" would be the whole sentence.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        && !matches!(c as u32,
            0x0E00..=0x0FFF   // Thai, Lao, Tibetan
            | 0x1000..=0x109F // Myanmar
            | 0x1780..=0x17FF // Khmer
            | 0x2E80..=0xA4CF // CJK, kana, Yi
            | 0xAC00..=0xD7FF // Hangul syllables
            | 0xF900..=0xFAFF // CJK compatibility
            | 0x20000..=0x3FFFF)
}

fn is_edge(c: char) -> bool {
    rustrict::is_whitespace(c)
        || matches!(
            c,
            '*' | '_'
                | '~'
                | '`'
                | '['
                | ']'
                | '('
                | ')'
                | '{'
                | '}'
                | '<'
                | '>'
                | '#'
                | '|'
                | '\\'
                | '/'
                | '"'
                | '\''
                | '.'
                | ','
                | ';'
                | ':'
                | '?'
                | '!'
                | '='
                | '-'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '«'
                | '»'
                | '…'
        )
}

/// The public text: in each span (sorted, disjoint), every char but line breaks becomes
/// `replacement`, except the first when it is a letter or digit and the span is longer than it.
pub(super) fn mask_text(doc: &Doc, spans: &[(usize, usize)], replacement: char) -> String {
    let mut out = String::with_capacity(doc.text.len());
    let mut next_span = 0;
    for (i, &(_, c)) in doc.chars.iter().enumerate() {
        while next_span < spans.len() && spans[next_span].1 <= i {
            next_span += 1;
        }
        let masked_here = spans.get(next_span).is_some_and(|&(s, e)| {
            let kept = i == s && e - s > 1 && c.is_alphanumeric();
            s <= i && i < e && !kept && !matches!(c, '\n' | '\r')
        });
        out.push(if masked_here { replacement } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check_invariants, filter, masked};

    #[test]
    fn masked_word_keeps_first_letter_and_stars_the_rest() {
        assert_eq!(masked("What the fuck is this shit"), "What the f*** is this s***");
        assert_eq!(masked("Shit!"), "S***!");
        assert_eq!(masked("FUCKING hell"), "F****** hell");
        // The whole word goes, not only the part rustrict matched.
        assert_eq!(masked("wankers"), "w******");
        assert_eq!(masked("bullshitting"), "b***********");
    }

    #[test]
    fn obfuscations_are_masked() {
        for (text, want) in [
            ("f4ck off", "f*** off"),
            ("sh1t", "s***"),
            ("f u c k this", "f****** this"),
            ("f.u.c.k this", "f****** this"),
            ("fuuuuuck", "f*******"),
            ("FuCk", "F***"),
            // The first letter is kept, and a symbol is not a letter.
            ("$hit", "****"),
            ("a$$hole", "a******"),
            // Accents, a Cyrillic/Armenian homoglyph, fullwidth letters, an invisible space.
            ("fùck", "f***"),
            ("fսck", "f***"),
            ("ｆｕｃｋ", "ｆ***"),
            ("fu\u{200B}ck", "f****"),
            ("f\u{0301}uck", "f****"),
        ] {
            assert_eq!(masked(text), want, "{text:?}");
        }
    }

    #[test]
    fn replacement_char_is_honoured() {
        let a = filter().analyze("oh shit", '\u{E000}');
        assert_eq!(a.masked, "oh s\u{E000}\u{E000}\u{E000}");
        let a = filter().analyze("oh shit", '#');
        assert_eq!(a.masked, "oh s###");
    }

    #[test]
    fn markdown_around_a_masked_word_survives() {
        let p = '\u{E000}';
        let a = filter().analyze("**fuck** this, _shit_ and [bastard](https://example.com)\n", p);
        assert_eq!(
            a.masked,
            format!("**f{p}{p}{p}** this, _s{p}{p}{p}_ and [b{p}{p}{p}{p}{p}{p}](https://example.com)\n")
        );
    }

    #[test]
    fn masked_spans_point_at_the_masked_words() {
        let text = "Ça, c'est de la shit — total bullshit.\nFuck.";
        let a = filter().analyze(text, '*');
        let words: Vec<&str> = a.masked_spans.iter().map(|s| &text[s.clone()]).collect();
        assert_eq!(words, ["shit", "bullshit", "Fuck"]);
        assert_eq!(a.masked_words, 3);
        for span in &a.masked_spans {
            // The same bytes in the output are the first char followed by stars.
            let start = a.masked.char_indices().nth(text[..span.start].chars().count()).unwrap().0;
            let n = text[span.clone()].chars().count();
            let shown: String = a.masked[start..].chars().take(n).collect();
            assert_eq!(shown.chars().skip(1).collect::<String>(), "*".repeat(n - 1));
            assert_eq!(shown.chars().next(), text[span.clone()].chars().next());
        }
        check_invariants(text, '*', &a).unwrap();
    }

    #[test]
    fn spelled_out_and_stuttered_words() {
        assert_eq!(masked("N i g g e r"), "N**********");
        assert_eq!(masked("son of a bitch"), "son of a b****");
        // A neighbouring word ending in the same letter is not part of the match.
        assert_eq!(masked("this shit"), "this s***");
        for text in ["Dominic Cummings", "a brass sextant", "music Cockermouth", "this Shitterton"] {
            let a = filter().analyze(text, '*');
            assert_eq!(a.masked, text);
            assert!(!a.sexual && !a.mean, "{text}: {:?}", a.detected);
        }
    }
}
