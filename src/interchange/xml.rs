//! The streaming XML reader both XML formats share: quick-xml underneath, with element names,
//! attributes and text decoded, empty elements expanded, and a byte offset turned into a line
//! number for messages. DOCTYPEs that declare entities are refused, and no entity but XML's own
//! is ever expanded, so nothing outside the file is read (no XXE).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use quick_xml::events::Event;
use quick_xml::Reader;

use super::FormatError;

pub(crate) enum Ev {
    Start {
        name: String,
        attrs: Result<Vec<(String, String)>, String>,
        offset: u64,
    },
    End,
    /// Text and CDATA, decoded.
    Text(String),
    Eof,
}

pub(crate) struct XmlStream {
    reader: Reader<BufReader<File>>,
    buf: Vec<u8>,
    lines: LineCounter,
    /// Open elements, for "the file ends inside <post>".
    open: Vec<String>,
    seen_root: bool,
    pending_end: Option<()>,
}

impl XmlStream {
    pub(crate) fn open(path: &Path) -> Result<XmlStream, FormatError> {
        let file = File::open(path).map_err(|e| FormatError::at(0, format!("cannot read {}: {e}", path.display())))?;
        let mut reader = Reader::from_reader(BufReader::with_capacity(64 * 1024, file));
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Ok(XmlStream {
            reader,
            buf: Vec::with_capacity(8 * 1024),
            lines: LineCounter::new(path.to_owned()),
            open: Vec::new(),
            seen_root: false,
            pending_end: None,
        })
    }

    /// The 1-based line holding byte `offset`. Offsets must not go backwards between calls.
    pub(crate) fn line_at(&mut self, offset: u64) -> u64 {
        self.lines.line_at(offset)
    }

    pub(crate) fn depth(&self) -> usize {
        self.open.len()
    }

    fn error_here(&mut self, message: String) -> FormatError {
        let offset = self.reader.error_position();
        FormatError::at(self.lines.line_at(offset), message)
    }

    pub(crate) fn next(&mut self) -> Result<Ev, FormatError> {
        if self.pending_end.take().is_some() {
            self.open.pop();
            return Ok(Ev::End);
        }
        loop {
            self.buf.clear();
            let offset = self.reader.buffer_position();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(e) => {
                    let message = format!("this is not well-formed XML ({e})");
                    return Err(self.error_here(message));
                }
            };
            match event {
                Event::Start(ref start) | Event::Empty(ref start) => {
                    let empty = matches!(event, Event::Empty(_));
                    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                    let attrs = start
                        .attributes()
                        .map(|a| {
                            let a = a.map_err(|e| e.to_string())?;
                            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                            let value = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
                            Ok((key, value))
                        })
                        .collect::<Result<Vec<_>, String>>();
                    self.seen_root = true;
                    self.open.push(name.clone());
                    if empty {
                        self.pending_end = Some(());
                    }
                    return Ok(Ev::Start { name, attrs, offset });
                }
                Event::End(_) => {
                    self.open.pop();
                    return Ok(Ev::End);
                }
                Event::Text(text) => {
                    if self.open.is_empty() {
                        // Before the root (a stray byte before `<?xml` in real exports) or after
                        // it: not part of the document's content.
                        if self.seen_root && !text.iter().all(u8::is_ascii_whitespace) {
                            let message = "there is text after the end of the document".to_owned();
                            return Err(FormatError::at(self.lines.line_at(offset), message));
                        }
                        continue;
                    }
                    match text.unescape() {
                        Ok(text) => return Ok(Ev::Text(text.into_owned())),
                        Err(e) => {
                            let message =
                                format!("{e}: only XML's own entities are read (never a DTD or an external entity)");
                            return Err(FormatError::at(self.lines.line_at(offset), message));
                        }
                    }
                }
                Event::CData(data) => {
                    let text = String::from_utf8(data.into_inner().into_owned())
                        .map_err(|_| FormatError::at(self.lines.line_at(offset), "the text is not UTF-8"))?;
                    return Ok(Ev::Text(text));
                }
                Event::DocType(doctype) => {
                    if String::from_utf8_lossy(doctype.as_ref()).contains("<!ENTITY") {
                        let message = "the file declares entities in a DOCTYPE: Civil never reads DTDs or external \
                                       entities, and real exports have none";
                        return Err(FormatError::at(self.lines.line_at(offset), message));
                    }
                }
                Event::Eof => {
                    if let Some(inside) = self.open.last() {
                        let message = format!("the file ends inside <{inside}>: it is cut short (truncated download?)");
                        let end = self.reader.buffer_position();
                        return Err(FormatError::at(self.lines.line_at(end), message));
                    }
                    return Ok(Ev::Eof);
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            }
        }
    }

    /// The text of the element just started, up to its end; nested elements' text is kept.
    pub(crate) fn text_until_end(&mut self) -> Result<String, FormatError> {
        let depth = self.open.len();
        let mut text = String::new();
        loop {
            match self.next()? {
                Ev::Text(t) => text.push_str(&t),
                Ev::End if self.open.len() < depth => return Ok(text),
                Ev::Eof => return Ok(text),
                _ => {}
            }
        }
    }

    /// Read past the end of the element just started.
    pub(crate) fn skip_element(&mut self) -> Result<(), FormatError> {
        self.text_until_end().map(drop)
    }
}

/// Byte offsets to line numbers, reading the file a second time, forwards only.
struct LineCounter {
    path: PathBuf,
    reader: Option<BufReader<File>>,
    offset: u64,
    line: u64,
}

impl LineCounter {
    fn new(path: PathBuf) -> LineCounter {
        LineCounter { path, reader: None, offset: 0, line: 1 }
    }

    fn line_at(&mut self, target: u64) -> u64 {
        if target < self.offset {
            *self = LineCounter::new(self.path.clone());
        }
        if self.reader.is_none() {
            match File::open(&self.path) {
                Ok(f) => self.reader = Some(BufReader::with_capacity(64 * 1024, f)),
                Err(_) => return 0,
            }
        }
        let reader = self.reader.as_mut().expect("opened above");
        while self.offset < target {
            let chunk = match reader.fill_buf() {
                Ok([]) | Err(_) => break,
                Ok(chunk) => chunk,
            };
            let take = chunk.len().min((target - self.offset) as usize);
            self.line += chunk[..take].iter().filter(|&&b| b == b'\n').count() as u64;
            self.offset += take as u64;
            reader.consume(take);
        }
        self.line
    }
}

/// The local part of a qualified name: `dsq:id` gives `id`.
pub(crate) fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

pub(crate) type Attrs = Result<Vec<(String, String)>, String>;

/// The value of the attribute whose local name is `name`.
pub(crate) fn attr(attrs: &Attrs, name: &str) -> Result<Option<String>, String> {
    match attrs {
        Ok(list) => Ok(list.iter().find(|(k, _)| local(k) == name).map(|(_, v)| v.clone())),
        Err(e) => Err(e.clone()),
    }
}

/// Call `f` for each child element of the element just started; `f` must read the child to
/// its end (`text_until_end`, `skip_element` or `each_child`).
pub(crate) fn each_child(
    s: &mut XmlStream,
    mut f: impl FnMut(&mut XmlStream, &str, &Attrs) -> Result<(), FormatError>,
) -> Result<(), FormatError> {
    let depth = s.depth();
    loop {
        match s.next()? {
            Ev::Start { name, attrs, .. } => f(s, &name, &attrs)?,
            Ev::End if s.depth() < depth => return Ok(()),
            Ev::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// The root element: its name, attributes and the line it starts on. Says what the file is
/// when it is not XML at all.
pub(crate) fn root(s: &mut XmlStream, path: &Path) -> Result<(String, Attrs), FormatError> {
    let mut head = [0u8; 64];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| FormatError::at(0, format!("cannot read {}: {e}", path.display())))?;
    let head = &head[..n];
    if n == 0 {
        return Err(FormatError::at(0, "the file is empty"));
    }
    if head.starts_with(b"SQLite format 3") {
        return Err(FormatError::at(
            0,
            "this is an SQLite database, not an XML export (Isso's database is read by `civil import isso`)",
        ));
    }
    if !head.iter().take(16).any(|&b| b == b'<') {
        return Err(FormatError::at(1, "this is not XML: an export starts with `<?xml` or an element"));
    }
    loop {
        match s.next()? {
            Ev::Start { name, attrs, .. } => return Ok((name, attrs)),
            Ev::Eof => return Err(FormatError::at(0, "the file holds no XML element: it is not an export")),
            _ => {}
        }
    }
}

/// What a root element says the file is, for "this is X, not Y".
pub(crate) fn describe_root(name: &str, attrs: &Attrs) -> String {
    match local(name) {
        "disqus" => "a Disqus export (its root element is <disqus>)".to_owned(),
        "rss" if wxr_prefixes(attrs).is_empty() => "an RSS feed without WordPress's export namespace".to_owned(),
        "rss" => "a WordPress export (WXR)".to_owned(),
        other => format!("an XML file whose root element is <{other}>"),
    }
}

/// The prefixes bound to a WordPress export namespace, `http://` or `https://`
/// `wordpress.org/export/1.x/`.
pub(crate) fn wxr_prefixes(attrs: &Attrs) -> Vec<String> {
    let Ok(list) = attrs else { return Vec::new() };
    list.iter()
        .filter_map(|(k, v)| {
            let prefix = k.strip_prefix("xmlns:")?;
            let rest = v.strip_prefix("http://").or_else(|| v.strip_prefix("https://"))?;
            let version = rest.strip_prefix("wordpress.org/export/1.")?.trim_end_matches('/');
            (!version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())).then(|| prefix.to_owned())
        })
        .collect()
}
