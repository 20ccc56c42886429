//! The API's thread, shared. A page of the thread as JSON is the same for everyone who is not
//! signed in, so it is made once per version of the discussion, compressed once, and kept in
//! the thread cache (`cache::ApiKey`) with the page it was made from. A signed-in reader sees
//! that same page plus what is theirs: their upvotes and the comments they may still edit
//! (`types::Personal`). When none of that is on the page, they get the shared bytes too;
//! otherwise their JSON is made from the kept page, without asking the database for the
//! thread again. Readers with held comments of their own on the article, and moderators, who
//! see every held comment, see a different thread and get theirs made whole.

use actix_web::web::Bytes;

use super::types::{CommentsPage, Personal};
use crate::domain::thread::{Node, Sort};
use crate::http::compress::{Effort, GzipJoin, Piece, Precompressed};
use crate::services::threads::{Comment, ThreadPage};

pub struct SharedThread {
    /// The page as a reader who is not signed in sees it.
    page: ThreadPage,
    sort: Sort,
    /// That page as JSON, in every encoding.
    body: Precompressed,
    /// The JSON again, in parts, one per comment (in the order the JSON lists them), each
    /// compressed ahead: a signed-in reader's gzip body is joined from them (`personal_gzip`).
    json: Bytes,
    parts: Vec<JsonPart>,
    tail: Piece,
}

/// The JSON from the end of the previous comment's personal fields to the end of this one's.
struct JsonPart {
    start: usize,
    /// Where this comment's personal fields (`NOBODYS`) start.
    fields: usize,
    piece: Piece,
}

/// A comment's personal fields for nobody, as serde writes them. Inside a JSON string every
/// `"` is escaped, so these bytes occur only as the fields themselves.
const NOBODYS: &str = r#""voted":false,"editable":false"#;

impl SharedThread {
    pub fn new(mut page: ThreadPage, sort: Sort) -> SharedThread {
        // The API does not list featured comments apart: no need to keep them.
        page.featured = Vec::new();
        let json = CommentsPage::new(&page, sort, &Personal::nobody()).to_json();
        let (parts, tail) = split(&json, in_order(&page.comments).len());
        SharedThread { body: Precompressed::new(json.clone(), Effort::Page), json, parts, tail, page, sort }
    }

    pub fn body(&self) -> &Precompressed {
        &self.body
    }

    /// The page as `reader` sees it: `None` when that is the shared body.
    pub fn personal(&self, reader: &Personal) -> Option<Bytes> {
        reader.touches(&self.page.comments).then(|| CommentsPage::new(&self.page, self.sort, reader).to_json())
    }

    /// `personal`, as gzip joined from the parts compressed ahead: only the comments that are
    /// the reader's own are written and compressed now. `None` when that is the shared body,
    /// or when the page has no parts to join (an empty page).
    pub fn personal_gzip(&self, reader: &Personal) -> Option<Vec<u8>> {
        if self.parts.is_empty() || !reader.touches(&self.page.comments) {
            return None;
        }
        let text = |range: std::ops::Range<usize>| std::str::from_utf8(&self.json[range]).expect("JSON is UTF-8");
        let mut join = GzipJoin::new();
        for (part, c) in self.parts.iter().zip(in_order(&self.page.comments)) {
            let (voted, editable) = (reader.voted(c.id), reader.editable(c));
            if !voted && !editable {
                join.piece(&part.piece);
                continue;
            }
            join.text(text(part.start..part.fields));
            join.text(&format!(r#""voted":{voted},"editable":{editable}"#));
        }
        join.piece(&self.tail);
        Some(join.finish())
    }

    /// The bytes held, roughly, for the cache's budget: the JSON in every encoding, and the
    /// page's text with a fixed allowance per comment for the rest.
    pub fn weight(&self) -> usize {
        fn text(nodes: &[Node<Comment>]) -> usize {
            nodes
                .iter()
                .map(|n| {
                    let c = &n.item;
                    COMMENT_OVERHEAD
                        + c.body_html.len()
                        + c.author_username.len()
                        + c.author_display_name.as_ref().map_or(0, String::len)
                        + text(&n.replies)
                })
                .sum()
        }
        let parts: usize = self.parts.iter().map(|p| p.piece.weight()).sum();
        self.body.weight() + text(&self.page.comments) + parts + self.tail.weight()
    }
}

/// The comments of a page in the order the JSON lists them: each before its replies.
fn in_order(nodes: &[Node<Comment>]) -> Vec<&Comment> {
    fn walk<'a>(nodes: &'a [Node<Comment>], out: &mut Vec<&'a Comment>) {
        for node in nodes {
            out.push(&node.item);
            walk(&node.replies, out);
        }
    }
    let mut out = Vec::new();
    walk(nodes, &mut out);
    out
}

/// Split the page's JSON after each comment's personal fields, each part compressed ahead.
/// There must be one set of fields per comment; otherwise no parts, and the join is not used.
fn split(json: &[u8], comments: usize) -> (Vec<JsonPart>, Piece) {
    let text = std::str::from_utf8(json).expect("JSON is UTF-8");
    let marks: Vec<usize> = text.match_indices(NOBODYS).map(|(at, _)| at).collect();
    if marks.len() != comments {
        debug_assert!(false, "{} personal fields for {comments} comments", marks.len());
        return (Vec::new(), Piece::new(&[], json));
    }
    let mut parts = Vec::with_capacity(marks.len());
    let mut start = 0;
    for fields in marks {
        let end = fields + NOBODYS.len();
        parts.push(JsonPart { start, fields, piece: Piece::new(&json[..start], &json[start..end]) });
        start = end;
    }
    (parts, Piece::new(&json[..start], &json[start..]))
}

/// A comment's fixed fields, its strings' headers and its node, in bytes.
const COMMENT_OVERHEAD: usize = 256;

impl CommentsPage {
    pub fn to_json(&self) -> Bytes {
        serde_json::to_vec(self).expect("a page of comments serialises").into()
    }
}
