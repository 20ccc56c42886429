//! Comment bodies from other systems, which hold HTML (Disqus, WordPress) or markdown with
//! HTML in it (Isso), turned into markdown that Civil renders like any comment. Paragraphs,
//! line breaks, emphasis, links, code, quotes and lists become their markdown; every other tag
//! is dropped and its text kept; entities are decoded. The result is still rendered and
//! sanitised by `domain::markdown::render_comment` (raw HTML there shows as text), so this
//! conversion decides how a comment reads, never whether it is safe.

/// Convert an HTML (or markdown-with-HTML) body to markdown. Text outside tags is kept as
/// written, so markdown survives.
pub fn to_markdown(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    let mut links: Vec<Option<String>> = Vec::new();
    let mut in_pre = false;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt..];
        let Some(tag) = parse_tag(after) else {
            // A lone `<` (as in "a < b"): text.
            out.push('<');
            rest = &after[1..];
            continue;
        };
        rest = &after[tag.len..];
        match (tag.name.as_str(), tag.closing) {
            ("p" | "div", false) => block_break(&mut out),
            ("p" | "div", true) => block_break(&mut out),
            ("br", _) => out.push_str("  \n"),
            ("b" | "strong", _) => out.push_str("**"),
            ("i" | "em", _) => out.push('*'),
            ("s" | "del" | "strike", _) => out.push_str("~~"),
            ("code", _) if !in_pre => out.push('`'),
            ("pre", false) => {
                block_break(&mut out);
                out.push_str("```\n");
                in_pre = true;
            }
            ("pre", true) => {
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str("```");
                in_pre = false;
                block_break(&mut out);
            }
            ("blockquote", false) => {
                block_break(&mut out);
                out.push_str("> ");
            }
            ("blockquote", true) => block_break(&mut out),
            ("li", false) => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str("- ");
            }
            ("ul" | "ol", _) => block_break(&mut out),
            ("a", false) => {
                let href = tag.href.filter(|h| h.starts_with("http://") || h.starts_with("https://"));
                if href.is_some() {
                    out.push('[');
                }
                links.push(href);
            }
            ("a", true) => {
                if let Some(Some(href)) = links.pop() {
                    out.push_str("](");
                    out.push_str(&href.replace(' ', "%20").replace(')', "%29"));
                    out.push(')');
                }
            }
            // Script and style content is not text anyone wrote for readers.
            ("script" | "style", false) => {
                let close = format!("</{}", tag.name);
                match rest.to_ascii_lowercase().find(&close) {
                    Some(at) => rest = &rest[at..],
                    None => rest = "",
                }
            }
            _ => {}
        }
    }
    out.push_str(&decode_entities(rest));
    tidy(&out)
}

fn block_break(out: &mut String) {
    let trimmed = out.trim_end_matches([' ', '\t', '\n']).len();
    out.truncate(trimmed);
    if !out.is_empty() {
        out.push_str("\n\n");
    }
}

/// Trim each line's end (keeping markdown's two-space hard breaks) and squeeze blank runs.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.trim().lines() {
        let hard_break = line.ends_with("  ");
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        if hard_break && !line.is_empty() {
            out.push_str("  ");
        }
        out.push('\n');
    }
    out.trim_end().to_owned()
}

struct Tag {
    name: String,
    closing: bool,
    href: Option<String>,
    len: usize,
}

/// A tag at the start of `s` (`<a href="...">`, `</p>`, `<br/>`), or `None` when `<` starts
/// no tag.
fn parse_tag(s: &str) -> Option<Tag> {
    let bytes = s.as_bytes();
    let mut i = 1;
    let closing = bytes.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    if bytes.get(i) == Some(&b'!') {
        // A comment or declaration: skip it whole.
        let end = if s.starts_with("<!--") { s.find("-->").map(|e| e + 3) } else { s.find('>').map(|e| e + 1) };
        return Some(Tag { name: "!".into(), closing: false, href: None, len: end.unwrap_or(s.len()) });
    }
    let start = i;
    while bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric()) {
        i += 1;
    }
    if i == start || !bytes[start].is_ascii_alphabetic() {
        return None;
    }
    let name = s[start..i].to_ascii_lowercase();
    // Find the end of the tag, stepping over quoted attribute values.
    let mut quote = None;
    let mut end = None;
    for (at, c) in s[i..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                end = Some(i + at + 1);
                break;
            }
            (None, '<') => return None,
            _ => {}
        }
    }
    let len = end?;
    let href = (name == "a" && !closing).then(|| attribute(&s[i..len - 1], "href")).flatten();
    Some(Tag { name, closing, href, len })
}

fn attribute(attrs: &str, wanted: &str) -> Option<String> {
    let lower = attrs.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(wanted) {
        let at = from + at;
        from = at + wanted.len();
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = attrs[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest.split(|c: char| c.is_whitespace()).next().unwrap_or(""),
        };
        return Some(decode_entities(value.trim()));
    }
    None
}

/// Decode HTML entities: the named ones comments use and numeric references. Unknown ones stay
/// as written.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = if let Some(num) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(num, 16).ok().and_then(char::from_u32)
            } else if let Some(num) = name.strip_prefix('#') {
                num.parse().ok().and_then(char::from_u32)
            } else {
                named_entity(name)
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "laquo" => '«',
        "raquo" => '»',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "copy" => '©',
        "eacute" => 'é',
        "uuml" => 'ü',
        "ouml" => 'ö',
        "auml" => 'ä',
        "szlig" => 'ß',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paragraphs_links_and_emphasis_become_markdown() {
        let html =
            r#"<p>The quick <b>brown</b> fox.</p><p><a href="https://radio-t.com" rel="nofollow">some link</a></p>"#;
        assert_eq!(to_markdown(html), "The quick **brown** fox.\n\n[some link](https://radio-t.com)");
    }

    #[test]
    fn entities_are_decoded_and_markup_in_text_stays_text() {
        assert_eq!(to_markdown("&lt;p&gt;hi&lt;/p&gt;"), "<p>hi</p>");
        assert_eq!(to_markdown("Wednesday Reading &laquo; Cynwise&#039;s"), "Wednesday Reading « Cynwise's");
        assert_eq!(to_markdown("a < b and c > d"), "a < b and c > d");
    }

    #[test]
    fn scripts_and_unsafe_links_are_dropped() {
        assert_eq!(to_markdown("hi<script>alert(1)</script> there"), "hi there");
        assert_eq!(to_markdown(r#"<a href="javascript:alert(1)">x</a>"#), "x");
    }

    #[test]
    fn breaks_and_lists() {
        assert_eq!(to_markdown("one<br>two<br/>three"), "one  \ntwo  \nthree");
        assert_eq!(to_markdown("<ul><li>a</li><li>b</li></ul>"), "- a\n- b");
    }

    #[test]
    fn markdown_outside_tags_is_kept() {
        assert_eq!(to_markdown("multiple lines:  \nWordPress *rocks*"), "multiple lines:  \nWordPress *rocks*");
    }

    proptest! {
        #[test]
        fn text_without_markup_comes_through(s in "[^<&]{0,200}") {
            prop_assert_eq!(to_markdown(&s), tidy(&s));
        }

        #[test]
        fn any_input_converts_without_panicking(s in ".{0,200}") {
            let _ = to_markdown(&s);
        }
    }
}
