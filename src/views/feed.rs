//! Atom 1.0 feeds (RFC 4287) of published comments, threaded with RFC 4685 `thr:in-reply-to`.
//!
//! Written with a small writer rather than maud: maud writes void elements HTML's way
//! (`<link ...>`), which is not XML, and XML 1.0 cannot carry most control characters even as
//! references, so every text and attribute goes through `escape`, which escapes markup and
//! drops those characters. Comment bodies go out as `type="html"` content: the sanitised HTML
//! the thread shows, escaped once more, never the raw text.

use chrono::{NaiveDateTime, SecondsFormat};

use crate::services::feeds::FeedEntry;

pub const CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
const ATOM: &str = "http://www.w3.org/2005/Atom";
const THREADING: &str = "http://purl.org/syndication/thread/1.0";

/// What a feed says about itself.
pub struct FeedView<'a> {
    /// The feed's permanent id (its own address).
    pub id: &'a str,
    pub title: &'a str,
    /// Where the feed lives, and the page it follows.
    pub self_url: &'a str,
    pub alternate_url: &'a str,
    /// Absolute URLs of permalinks and profiles start with this.
    pub base_url: &'a str,
    /// Name each entry's article in its title (the site-wide feed, where entries mix threads).
    pub name_articles: bool,
    /// The feed's `updated` when it has no entries to take it from.
    pub empty_updated: NaiveDateTime,
}

/// A comment's permalink: also its entry id, which never changes (slugs can, ids cannot).
pub fn permalink(base_url: &str, comment_id: i64) -> String {
    format!("{base_url}/comments/{comment_id}")
}

fn timestamp(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn updated(entry: &FeedEntry) -> NaiveDateTime {
    entry.edited_at.unwrap_or(entry.created_at)
}

pub fn atom(feed: &FeedView<'_>, entries: &[FeedEntry]) -> String {
    let mut xml = Xml(String::with_capacity(1024 + entries.iter().map(|e| 2 * e.body_html.len() + 800).sum::<usize>()));
    xml.0.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.open("feed", &[("xmlns", ATOM), ("xmlns:thr", THREADING)]);
    xml.element("id", &[], feed.id);
    xml.element("title", &[], feed.title);
    let latest = entries.iter().map(updated).max().unwrap_or(feed.empty_updated);
    xml.element("updated", &[], &timestamp(latest));
    xml.empty("link", &[("rel", "self"), ("type", "application/atom+xml"), ("href", feed.self_url)]);
    xml.empty("link", &[("rel", "alternate"), ("type", "text/html"), ("href", feed.alternate_url)]);
    xml.element("generator", &[], "Civil");
    for entry in entries {
        let name = entry.author_display_name.as_deref().unwrap_or(&entry.author_username);
        let link = permalink(feed.base_url, entry.id);
        xml.open("entry", &[]);
        xml.element("id", &[], &link);
        let title = if feed.name_articles {
            format!("{name} on {}", entry.article_title)
        } else {
            format!("Comment by {name}")
        };
        xml.element("title", &[], &title);
        xml.element("published", &[], &timestamp(entry.created_at));
        xml.element("updated", &[], &timestamp(updated(entry)));
        xml.open("author", &[]);
        xml.element("name", &[], name);
        xml.element("uri", &[], &format!("{}/users/{}", feed.base_url, urlencoding::encode(&entry.author_username)));
        xml.close("author");
        xml.empty("link", &[("rel", "alternate"), ("type", "text/html"), ("href", &link)]);
        if let Some(parent) = entry.parent_id {
            let parent = permalink(feed.base_url, parent);
            xml.empty("thr:in-reply-to", &[("ref", &parent), ("href", &parent), ("type", "text/html")]);
        }
        xml.element("content", &[("type", "html")], &entry.body_html);
        xml.close("entry");
    }
    xml.close("feed");
    xml.0
}

struct Xml(String);

impl Xml {
    fn start(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.0.push('<');
        self.0.push_str(name);
        for (key, value) in attributes {
            self.0.push(' ');
            self.0.push_str(key);
            self.0.push_str("=\"");
            escape(&mut self.0, value, true);
            self.0.push('"');
        }
    }

    fn open(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.start(name, attributes);
        self.0.push('>');
    }

    fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.start(name, attributes);
        self.0.push_str("/>");
    }

    fn close(&mut self, name: &str) {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
    }

    fn element(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        self.open(name, attributes);
        escape(&mut self.0, text, false);
        self.close(name);
    }
}

/// Append `text` as XML character data. In an attribute, line breaks and tabs become
/// references, since parsers would otherwise fold them into spaces.
fn escape(out: &mut String, text: &str, in_attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' if in_attribute => out.push_str(&format!("&#{};", u32::from(c))),
            '\t' | '\n' | '\r' => out.push(c),
            // Not allowed anywhere in an XML 1.0 document, not even as a reference.
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str, in_attribute: bool) -> String {
        let mut out = String::new();
        escape(&mut out, text, in_attribute);
        out
    }

    #[test]
    fn markup_is_escaped_and_characters_xml_cannot_carry_are_dropped() {
        assert_eq!(
            escaped(r#"<b a='1'>"Tom" & Jerry</b>"#, false),
            "&lt;b a=&apos;1&apos;&gt;&quot;Tom&quot; &amp; Jerry&lt;/b&gt;"
        );
        assert_eq!(escaped("a\u{0}b\u{1b}c\u{fffe}d\te\nf", false), "abcd\te\nf");
        assert_eq!(escaped("a\tb\nc", true), "a&#9;b&#10;c");
    }
}
