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
use crate::http::compress::{Effort, Precompressed};
use crate::services::threads::{Comment, ThreadPage};

pub struct SharedThread {
    /// The page as a reader who is not signed in sees it.
    page: ThreadPage,
    sort: Sort,
    /// That page as JSON, in every encoding.
    body: Precompressed,
}

impl SharedThread {
    pub fn new(mut page: ThreadPage, sort: Sort) -> SharedThread {
        // The API does not list featured comments apart: no need to keep them.
        page.featured = Vec::new();
        let body = CommentsPage::new(&page, sort, &Personal::nobody()).to_json();
        SharedThread { body: Precompressed::new(body, Effort::Page), page, sort }
    }

    pub fn body(&self) -> &Precompressed {
        &self.body
    }

    /// The page as `reader` sees it: `None` when that is the shared body.
    pub fn personal(&self, reader: &Personal) -> Option<Bytes> {
        reader.touches(&self.page.comments).then(|| CommentsPage::new(&self.page, self.sort, reader).to_json())
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
        self.body.weight() + text(&self.page.comments)
    }
}

/// A comment's fixed fields, its strings' headers and its node, in bytes.
const COMMENT_OVERHEAD: usize = 256;

impl CommentsPage {
    pub fn to_json(&self) -> Bytes {
        serde_json::to_vec(self).expect("a page of comments serialises").into()
    }
}
