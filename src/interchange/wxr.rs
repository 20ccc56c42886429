//! WordPress's export (WXR): an RSS feed whose `<item>`s (posts, pages) carry their comments as
//! `<wp:comment>` elements, in the `wordpress.org/export/1.x/` namespace (both `http://` and
//! `https://` spellings occur). Comment ids are per site and, in real exports, sometimes
//! repeated across items, so a comment is keyed by its item's link and its id. Pingbacks and
//! trackbacks are not comments anyone wrote here: they are skipped and counted.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::xml::{self, each_child, local, Ev, XmlStream};
use super::{html, Format, FormatError, Record, SkipReason, Source, SourceComment, SourceState, SourceThread};

pub struct WxrFile {
    path: PathBuf,
}

impl WxrFile {
    pub fn new(path: &Path) -> WxrFile {
        WxrFile { path: path.to_owned() }
    }
}

impl Source for WxrFile {
    fn records(&self) -> Result<Box<dyn Iterator<Item = Result<Record, FormatError>> + '_>, FormatError> {
        let mut stream = XmlStream::open(&self.path)?;
        let (name, attrs) = xml::root(&mut stream, &self.path)?;
        let prefixes = xml::wxr_prefixes(&attrs);
        if local(&name) != "rss" || prefixes.is_empty() {
            return Err(FormatError::at(
                1,
                format!(
                    "this is {}, not a WordPress export (WXR: an <rss> document in the \
                     wordpress.org/export/1.x/ namespace)",
                    xml::describe_root(&name, &attrs)
                ),
            ));
        }
        let mut records = Records { stream, prefixes, item: None, items: 0 };
        Ok(super::until_end_or_error(move || records.read()))
    }

    fn format(&self) -> Format {
        Format::WordPress
    }
}

/// The item being read: its comments are yielded as they come, the item itself at its end.
struct Item {
    depth: usize,
    key: String,
    link: String,
    title: Option<String>,
}

struct Records {
    stream: XmlStream,
    prefixes: Vec<String>,
    item: Option<Item>,
    items: u64,
}

impl Records {
    /// `name` is `wp:<wanted>` under one of the export namespace's prefixes.
    fn is_wp(&self, name: &str, wanted: &str) -> bool {
        name.split_once(':').is_some_and(|(p, l)| l == wanted && self.prefixes.iter().any(|x| x == p))
    }

    fn read(&mut self) -> Result<Option<Record>, FormatError> {
        loop {
            let event = self.stream.next()?;
            let depth = self.stream.depth();
            match event {
                Ev::Start { name, offset, .. } => {
                    let is_comment = self.is_wp(&name, "comment");
                    let Some(item) = &mut self.item else {
                        if local(&name) == "item" && !name.contains(':') {
                            self.items += 1;
                            self.item =
                                Some(Item { depth, key: self.items.to_string(), link: String::new(), title: None });
                        }
                        continue;
                    };
                    if depth != item.depth + 1 {
                        continue;
                    }
                    match name.as_str() {
                        "link" => item.link = self.stream.text_until_end()?.trim().to_owned(),
                        "title" => item.title = super::clean_line(&self.stream.text_until_end()?),
                        _ if is_comment => {
                            let line = self.stream.line_at(offset);
                            return self.read_comment(line).map(Some);
                        }
                        _ => self.stream.skip_element()?,
                    }
                }
                Ev::End => {
                    if self.item.as_ref().is_some_and(|item| depth < item.depth) {
                        let item = self.item.take().expect("checked");
                        return Ok(Some(Record::Thread(SourceThread {
                            key: item.key,
                            url: item.link,
                            title: item.title,
                            deleted: false,
                        })));
                    }
                }
                Ev::Eof => return Ok(None),
                Ev::Text(_) => {}
            }
        }
    }

    fn read_comment(&mut self, line: u64) -> Result<Record, FormatError> {
        let item = self.item.as_ref().expect("inside an item");
        let (thread_key, scope) =
            (item.key.clone(), if item.link.is_empty() { format!("item{}", item.key) } else { item.link.clone() });
        let prefixes = self.prefixes.clone();
        let mut fields: Vec<(String, String)> = Vec::new();
        each_child(&mut self.stream, |s, name, _| {
            match name.split_once(':') {
                Some((p, l)) if prefixes.iter().any(|x| x == p) => fields.push((l.to_owned(), s.text_until_end()?)),
                _ => s.skip_element()?,
            }
            Ok(())
        })?;
        let field = |wanted: &str| fields.iter().find(|(k, _)| k == wanted).map(|(_, v)| v.trim());
        let unreadable = |detail: String| Record::Skipped { line, reason: SkipReason::Unreadable, detail };
        let Some(id) = field("comment_id").filter(|id| !id.is_empty()) else {
            return Ok(unreadable("a comment without a comment_id".into()));
        };
        match field("comment_type").unwrap_or("") {
            "pingback" => {
                return Ok(Record::Skipped { line, reason: SkipReason::Pingback, detail: format!("comment {id}") })
            }
            "trackback" => {
                return Ok(Record::Skipped { line, reason: SkipReason::Trackback, detail: format!("comment {id}") })
            }
            _ => {}
        }
        let date = [field("comment_date_gmt"), field("comment_date")]
            .into_iter()
            .flatten()
            .find(|d| !d.is_empty() && !d.starts_with("0000"));
        let Some(created_at) = date.and_then(|d| NaiveDateTime::parse_from_str(d, "%Y-%m-%d %H:%M:%S").ok()) else {
            return Ok(unreadable(format!("comment {id} has no readable comment_date_gmt or comment_date")));
        };
        let state = match field("comment_approved").unwrap_or("1") {
            "1" | "approve" | "approved" => SourceState::Published,
            "0" | "hold" => SourceState::Pending,
            "spam" => SourceState::Spam,
            "trash" | "post-trashed" => SourceState::Trashed,
            other => return Ok(unreadable(format!("comment {id}: comment_approved {other:?} is not a state"))),
        };
        let parent = field("comment_parent").filter(|p| !p.is_empty() && *p != "0");
        // WordPress shows a single line break as a break (wpautop): markdown needs two spaces.
        let content = field("comment_content").unwrap_or("").replace("\r\n", "\n");
        let content = hard_breaks(&content);
        Ok(Record::Comment(SourceComment {
            key: format!("wordpress:{scope}#{id}"),
            thread_key,
            parent_key: parent.map(|p| format!("wordpress:{scope}#{p}")),
            author_name: field("comment_author").and_then(|a| super::clean_line(&html::decode_entities(a))),
            author_email: field("comment_author_email").and_then(super::clean_line),
            body: html::to_markdown(&content),
            created_at,
            state,
            likes: 0,
            dislikes: 0,
            line,
        }))
    }
}

/// A lone line break becomes markdown's hard break; blank lines stay paragraph breaks.
fn hard_breaks(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        if i + 1 < lines.len() {
            let next_blank = lines[i + 1].trim().is_empty();
            if !line.trim().is_empty() && !next_blank {
                out.push_str("  ");
            }
            out.push('\n');
        }
    }
    out
}
