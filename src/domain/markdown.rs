//! Markdown to safe HTML. Comments are rendered once, when written, from the already-masked
//! text; the result is sanitised by ammonia whatever the markdown produced.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

/// Stands in for masked characters while markdown runs, so a masked word's `*`s are not read as
/// emphasis. It is a private-use character, swapped for `*` after rendering.
pub const MASK_PLACEHOLDER: char = '\u{E000}';

fn comment_sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        // `empty()` clears only the tags: ammonia's default attributes (`lang` and `title`
        // anywhere, `hreflang` on links, …) would stay, so every attribute is listed here.
        let mut b = ammonia::Builder::empty();
        b.add_tags(["p", "br", "em", "strong", "del", "a", "code", "pre", "blockquote", "ul", "ol", "li"])
            .generic_attributes(HashSet::new())
            .tag_attributes(HashMap::from([("a", HashSet::from(["href", "title"])), ("ol", HashSet::from(["start"]))]))
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("nofollow ugc noopener"))
            .strip_comments(true);
        b
    })
}

fn article_sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.link_rel(Some("noopener"));
        b
    })
}

/// Render a comment: paragraphs, emphasis, links, inline code and code blocks, quotes and lists.
/// Headings become paragraphs, images become their alt text, and raw HTML is shown as text.
pub fn render_comment(masked_markdown: &str) -> String {
    let parser = Parser::new_ext(masked_markdown, Options::ENABLE_STRIKETHROUGH);
    let events = parser.filter_map(|event| match event {
        Event::Start(Tag::Heading { .. }) => Some(Event::Start(Tag::Paragraph)),
        Event::End(TagEnd::Heading(_)) => Some(Event::End(TagEnd::Paragraph)),
        // The alt text inside stays, as plain text.
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => None,
        Event::Rule => Some(Event::Text(CowStr::Borrowed("———"))),
        other => Some(other),
    });
    let mut raw_html = String::with_capacity(masked_markdown.len() + masked_markdown.len() / 4);
    html::push_html(&mut raw_html, events);
    finish(comment_sanitizer().clean(&raw_html).to_string())
}

/// Render an article body written by an editor: full markdown, still sanitised.
pub fn render_article(markdown: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES;
    let mut raw_html = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut raw_html, Parser::new_ext(markdown, options));
    article_sanitizer().clean(&raw_html).to_string()
}

fn finish(html: String) -> String {
    if html.contains(MASK_PLACEHOLDER) {
        html.replace(MASK_PLACEHOLDER, "*")
    } else {
        html
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn renders_the_allowed_subset() {
        let html = render_comment("Hello *world*, see [this](https://example.com) and `code`.\n\n> quoted\n\n- one\n- two\n\n```\nfn main() {}\n```");
        assert!(html.contains("<em>world</em>"));
        assert!(html.contains(r#"<a href="https://example.com" rel="nofollow ugc noopener">this</a>"#), "{html}");
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<blockquote>"));
        assert!(html.contains("<li>one</li>"));
        assert!(html.contains("<pre><code>fn main() {}"));
    }

    /// Found by the `comment_markdown` fuzz target: a link title came out as an attribute the
    /// sanitiser was never told to allow, because ammonia's defaults were still in force.
    #[test]
    fn comments_carry_only_the_attributes_listed() {
        assert_eq!(
            render_comment("[t](https://example.com \"A title\")"),
            "<p><a href=\"https://example.com\" title=\"A title\" rel=\"nofollow ugc noopener\">t</a></p>\n"
        );
        let cleaned = comment_sanitizer()
            .clean(r#"<p lang="en" title="t">x</p><a href="https://a.example/" hreflang="en">y</a><ol start="3" reversed><li>z</li></ol>"#)
            .to_string();
        assert_eq!(
            cleaned,
            r#"<p>x</p><a href="https://a.example/" rel="nofollow ugc noopener">y</a><ol start="3"><li>z</li></ol>"#
        );
    }

    #[test]
    fn refuses_images_raw_html_and_script_links() {
        let html = render_comment(
            "![alt text](https://evil.example/x.png) <script>alert(1)</script> <b>bold</b> [x](javascript:alert(1))",
        );
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");
        assert!(html.contains("alt text"), "{html}");
    }

    #[test]
    fn placeholder_becomes_star_without_emphasis() {
        let masked = format!("what the f{0}{0}{0} is *this*", MASK_PLACEHOLDER);
        assert_eq!(render_comment(&masked), "<p>what the f*** is <em>this</em></p>\n");
    }

    #[test]
    fn headings_become_paragraphs() {
        assert_eq!(render_comment("# Big"), "<p>Big</p>\n");
    }

    proptest! {
        #[test]
        fn output_never_contains_dangerous_markup(s in "\\PC{0,300}") {
            let html = render_comment(&s).to_lowercase();
            prop_assert!(!html.contains("<script"));
            prop_assert!(!html.contains("<img"));
            prop_assert!(!html.contains("onerror="));
            prop_assert!(!html.contains("<iframe"));
        }
    }
}

/// The text with markdown emphasis markers (`*`, `_` runs at the edge of a word) turned into
/// spaces, for profanity analysis: "who *really*" must not read as "whor…". Runs inside a word
/// ("f**k") are kept, since there they hide letters. Char-aligned with the input.
pub fn without_emphasis_markers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '*' || chars[i] == '_' {
            let start = i;
            while i < chars.len() && (chars[i] == '*' || chars[i] == '_') {
                i += 1;
            }
            let before = start.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i).copied();
            let inside_word = before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric);
            for &c in &chars[start..i] {
                out.push(if inside_word { c } else { ' ' });
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Carry the masking found on a probe (the same text with some characters replaced one for
/// one) back onto the original text.
pub fn carry_mask(original: &str, probe: &str, masked_probe: &str) -> String {
    original
        .chars()
        .zip(probe.chars())
        .zip(masked_probe.chars())
        .map(|((o, p), m)| if m != p { m } else { o })
        .collect()
}

#[cfg(test)]
mod emphasis_tests {
    use super::*;

    #[test]
    fn emphasis_markers_become_spaces_but_hidden_letters_stay() {
        assert_eq!(without_emphasis_markers("who *really* cares"), "who  really  cares");
        assert_eq!(without_emphasis_markers("**bold** and __under__"), "  bold   and   under  ");
        assert_eq!(without_emphasis_markers("f**k and sh_t"), "f**k and sh_t");
        assert_eq!(carry_mask("a *b* f**k", "a  b  f**k", "a  b  f***"), "a *b* f***");
    }
}
