//! Disqus's XML export: `<thread>` elements, then `<post>` elements naming their thread and
//! parent by `dsq:id`. Posts are keyed by `dsq:id` (or their `<id>` when a post has none),
//! threads by `dsq:id`; both ids are Disqus's own and global.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime};

use super::xml::{self, attr, each_child, local, Attrs, Ev, XmlStream};
use super::{html, Format, FormatError, Record, SkipReason, Source, SourceComment, SourceState, SourceThread};

pub struct DisqusFile {
    path: PathBuf,
}

impl DisqusFile {
    pub fn new(path: &Path) -> DisqusFile {
        DisqusFile { path: path.to_owned() }
    }
}

impl Source for DisqusFile {
    fn records(&self) -> Result<Box<dyn Iterator<Item = Result<Record, FormatError>> + '_>, FormatError> {
        let mut stream = XmlStream::open(&self.path)?;
        let (name, attrs) = xml::root(&mut stream, &self.path)?;
        if local(&name) != "disqus" {
            return Err(FormatError::at(
                stream.line_at(0).max(1),
                format!(
                    "this is {}, not a Disqus export (whose root element is <disqus>)",
                    xml::describe_root(&name, &attrs)
                ),
            ));
        }
        let mut records = Records { stream };
        Ok(super::until_end_or_error(move || records.read()))
    }

    fn format(&self) -> Format {
        Format::Disqus
    }
}

struct Records {
    stream: XmlStream,
}

impl Records {
    fn read(&mut self) -> Result<Option<Record>, FormatError> {
        loop {
            match self.stream.next()? {
                Ev::Start { name, attrs, offset } if self.stream.depth() == 2 => {
                    let line = self.stream.line_at(offset);
                    match local(&name) {
                        "thread" => return read_thread(&mut self.stream, &attrs, line).map(Some),
                        "post" => return read_post(&mut self.stream, &attrs, line).map(Some),
                        _ => self.stream.skip_element()?,
                    }
                }
                Ev::Eof => return Ok(None),
                _ => {}
            }
        }
    }
}

fn unreadable(line: u64, detail: String) -> Record {
    Record::Skipped { line, reason: SkipReason::Unreadable, detail }
}

fn read_thread(s: &mut XmlStream, attrs: &Attrs, line: u64) -> Result<Record, FormatError> {
    let mut problem = None;
    let mut key = attr(attrs, "id").unwrap_or_else(|e| {
        problem = Some(format!("a thread's attributes cannot be read ({e})"));
        None
    });
    let (mut link, mut title, mut deleted) = (String::new(), None, false);
    each_child(s, |s, name, _| {
        match local(name) {
            "id" if key.is_none() => key = super::clean_line(&s.text_until_end()?),
            "link" => link = s.text_until_end()?.trim().to_owned(),
            "title" => title = super::clean_line(&html::decode_entities(&s.text_until_end()?)),
            "isDeleted" => match flag(&s.text_until_end()?) {
                Ok(v) => deleted = v,
                Err(e) => problem = Some(e),
            },
            _ => s.skip_element()?,
        }
        Ok(())
    })?;
    if let Some(problem) = problem {
        return Ok(unreadable(line, problem));
    }
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Ok(unreadable(line, "a thread without a dsq:id".into()));
    };
    Ok(Record::Thread(SourceThread { key, url: link, title, deleted }))
}

#[derive(Default)]
struct Post {
    key: Option<String>,
    message: String,
    created_at: String,
    deleted: bool,
    spam: bool,
    name: Option<String>,
    email: Option<String>,
    username: Option<String>,
    thread: Option<String>,
    parent: Option<String>,
}

fn read_post(s: &mut XmlStream, attrs: &Attrs, line: u64) -> Result<Record, FormatError> {
    let mut problem: Option<String> = None;
    let mut post = Post::default();
    match attr(attrs, "id") {
        Ok(id) => post.key = id.filter(|k| !k.trim().is_empty()),
        Err(e) => problem = Some(format!("a post's attributes cannot be read ({e})")),
    }
    each_child(s, |s, name, attrs| {
        let mut note = |p: String| {
            problem.get_or_insert(p);
        };
        match local(name) {
            "id" => {
                let id = s.text_until_end()?;
                if post.key.is_none() {
                    post.key = super::clean_line(&id);
                }
            }
            "message" => post.message = s.text_until_end()?,
            "createdAt" => post.created_at = s.text_until_end()?.trim().to_owned(),
            "isDeleted" => match flag(&s.text_until_end()?) {
                Ok(v) => post.deleted = v,
                Err(e) => note(format!("isDeleted: {e}")),
            },
            "isSpam" => match flag(&s.text_until_end()?) {
                Ok(v) => post.spam = v,
                Err(e) => note(format!("isSpam: {e}")),
            },
            "author" => each_child(s, |s, name, _| {
                match local(name) {
                    "name" => post.name = super::clean_line(&s.text_until_end()?),
                    "email" => post.email = super::clean_line(&s.text_until_end()?),
                    "username" => post.username = super::clean_line(&s.text_until_end()?),
                    _ => s.skip_element()?,
                }
                Ok(())
            })?,
            "thread" | "parent" => {
                let id = match attr(attrs, "id") {
                    Ok(id) => id,
                    Err(e) => {
                        note(format!("<{}> cannot be read ({e})", local(name)));
                        None
                    }
                };
                if local(name) == "thread" {
                    post.thread = id;
                } else {
                    post.parent = id.filter(|p| !p.trim().is_empty());
                }
                s.skip_element()?;
            }
            _ => s.skip_element()?,
        }
        Ok(())
    })?;
    if let Some(problem) = problem {
        return Ok(unreadable(line, problem));
    }
    let Some(key) = post.key else {
        return Ok(unreadable(line, "a post without a dsq:id or <id>".into()));
    };
    let Some(thread) = post.thread else {
        return Ok(unreadable(line, format!("post {key} names no thread")));
    };
    let created_at = match DateTime::parse_from_rfc3339(&post.created_at) {
        Ok(at) => at.naive_utc(),
        Err(_) => match NaiveDateTime::parse_from_str(&post.created_at, "%Y-%m-%dT%H:%M:%S") {
            Ok(at) => at,
            Err(_) => {
                return Ok(unreadable(line, format!("post {key}: createdAt {:?} is not a date", post.created_at)))
            }
        },
    };
    let state = if post.spam {
        SourceState::Spam
    } else if post.deleted {
        SourceState::Deleted
    } else {
        SourceState::Published
    };
    Ok(Record::Comment(SourceComment {
        key: format!("disqus:{key}"),
        thread_key: thread,
        parent_key: post.parent.map(|p| format!("disqus:{p}")),
        author_name: post.name.or(post.username),
        author_email: post.email,
        body: html::to_markdown(post.message.trim()),
        created_at,
        state,
        likes: 0,
        dislikes: 0,
        line,
    }))
}

fn flag(text: &str) -> Result<bool, String> {
    match text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        other => Err(format!("{other:?} is neither true nor false")),
    }
}
