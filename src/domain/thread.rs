//! The shape and order of a discussion thread.
//!
//! Each comment stores a materialised `path`: its parent's path followed by its own id,
//! zero-padded to a fixed width. Sorting by path gives reading order, and a subtree is a prefix.
//! Threads are paged by top-level comment with keyset cursors, never OFFSET.

use super::Invalid;

/// Width of one id in a path. Twelve digits allow a trillion comments.
pub const PATH_SEGMENT_WIDTH: usize = 12;
/// Replies nest visually this deep; deeper replies are shown at this depth with "in reply to".
pub const MAX_DISPLAY_DEPTH: usize = 6;
pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 200;

pub fn path_segment(id: i64) -> String {
    format!("{id:0width$}", width = PATH_SEGMENT_WIDTH)
}

pub fn child_path(parent_path: Option<&str>, id: i64) -> String {
    match parent_path {
        Some(parent) => format!("{parent}{}", path_segment(id)),
        None => path_segment(id),
    }
}

/// The ids of a comment's ancestors, nearest first, read from its path.
pub fn ancestor_ids(path: &str) -> Vec<i64> {
    let segments: Vec<i64> = path
        .as_bytes()
        .chunks(PATH_SEGMENT_WIDTH)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok()?.parse().ok())
        .collect();
    segments.iter().rev().skip(1).copied().collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Published,
    /// Held for review: shown only to its author and moderators.
    Pending,
    /// Taken down by a moderator.
    Removed,
    /// Deleted by its author.
    Deleted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Pending => "pending",
            Status::Removed => "removed",
            Status::Deleted => "deleted",
        }
    }

    pub fn from_db(s: &str) -> Status {
        match s {
            "pending" => Status::Pending,
            "removed" => Status::Removed,
            "deleted" => Status::Deleted,
            _ => Status::Published,
        }
    }
}

/// Whether the public sees a comment at all. A removed or deleted comment stays, as a
/// placeholder, only while something shown hangs below it, so the thread keeps its shape.
pub fn is_shown(status: Status, live_replies: i64) -> bool {
    status == Status::Published || (matches!(status, Status::Removed | Status::Deleted) && live_replies > 0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Oldest,
    Newest,
    Top,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Oldest, Sort::Newest, Sort::Top];

    pub fn parse(s: Option<&str>) -> Result<Sort, Invalid> {
        match s.map(str::trim) {
            None | Some("") | Some("oldest") => Ok(Sort::Oldest),
            Some("newest") => Ok(Sort::Newest),
            Some("top") => Ok(Sort::Top),
            Some(_) => Err(Invalid::new("sort", "Sort by oldest, newest or top.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Oldest => "oldest",
            Sort::Newest => "newest",
            Sort::Top => "top",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Oldest => "Oldest",
            Sort::Newest => "Newest",
            Sort::Top => "Top",
        }
    }
}

/// Where the next page of top-level comments starts: just after this comment in the sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub score: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(self, sort: Sort) -> String {
        match sort {
            Sort::Top => format!("{}_{}", self.score, self.id),
            Sort::Oldest | Sort::Newest => self.id.to_string(),
        }
    }

    pub fn parse(s: &str, sort: Sort) -> Result<Cursor, Invalid> {
        let invalid = || Invalid::new("after", "That page cursor is not valid. Start again from the first page.");
        match sort {
            Sort::Top => {
                let (score, id) = s.split_once('_').ok_or_else(invalid)?;
                Ok(Cursor { score: score.parse().map_err(|_| invalid())?, id: id.parse().map_err(|_| invalid())? })
            }
            Sort::Oldest | Sort::Newest => Ok(Cursor { score: 0, id: s.parse().map_err(|_| invalid())? }),
        }
    }
}

pub fn page_size(requested: Option<i64>) -> Result<i64, Invalid> {
    match requested {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
        Some(_) => Err(Invalid::new("limit", format!("The limit is between 1 and {MAX_PAGE_SIZE}."))),
    }
}

/// Anything that sits in a thread.
pub trait Threaded {
    fn id(&self) -> i64;
    fn parent_id(&self) -> Option<i64>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node<T> {
    pub item: T,
    pub replies: Vec<Node<T>>,
}

/// Nest comments given in reading order (each parent before its replies, siblings in order).
/// A reply whose parent is missing from the input (hidden, or on no page) is dropped, since
/// it cannot be placed.
pub fn nest<T: Threaded>(items: Vec<T>) -> Vec<Node<T>> {
    fn attach<T: Threaded>(stack: &mut Vec<Node<T>>, roots: &mut Vec<Node<T>>, until_parent: Option<i64>) {
        while let Some(top) = stack.last() {
            if Some(top.item.id()) == until_parent {
                return;
            }
            let done = stack.pop().expect("stack is not empty");
            match stack.last_mut() {
                Some(parent) => parent.replies.push(done),
                None => roots.push(done),
            }
        }
    }

    let mut roots = Vec::new();
    let mut stack: Vec<Node<T>> = Vec::new();
    for item in items {
        let parent = item.parent_id();
        match parent {
            None => attach(&mut stack, &mut roots, None),
            Some(parent_id) => {
                if !stack.iter().any(|n| n.item.id() == parent_id) {
                    continue;
                }
                attach(&mut stack, &mut roots, Some(parent_id));
            }
        }
        stack.push(Node { item, replies: Vec::new() });
    }
    attach(&mut stack, &mut roots, None);
    roots
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, PartialEq)]
    struct C(i64, Option<i64>);
    impl Threaded for C {
        fn id(&self) -> i64 {
            self.0
        }
        fn parent_id(&self) -> Option<i64> {
            self.1
        }
    }

    fn ids<T: Threaded>(nodes: &[Node<T>]) -> Vec<(i64, Vec<i64>)> {
        nodes.iter().map(|n| (n.item.id(), n.replies.iter().map(|r| r.item.id()).collect())).collect()
    }

    #[test]
    fn nests_in_reading_order() {
        let tree = nest(vec![C(1, None), C(2, Some(1)), C(4, Some(2)), C(3, Some(1)), C(5, None)]);
        assert_eq!(ids(&tree), vec![(1, vec![2, 3]), (5, vec![])]);
        assert_eq!(ids(&tree[0].replies), vec![(2, vec![4]), (3, vec![])]);
    }

    #[test]
    fn drops_orphans() {
        let tree = nest(vec![C(1, None), C(9, Some(8)), C(2, Some(1))]);
        assert_eq!(ids(&tree), vec![(1, vec![2])]);
    }

    #[test]
    fn paths_sort_in_reading_order_and_yield_ancestors() {
        let a = child_path(None, 7);
        let b = child_path(Some(&a), 12);
        let c = child_path(Some(&b), 3);
        let d = child_path(None, 8);
        let mut paths = vec![d.clone(), c.clone(), a.clone(), b.clone()];
        paths.sort();
        assert_eq!(paths, vec![a, b, c.clone(), d]);
        assert_eq!(ancestor_ids(&c), vec![12, 7]);
    }

    #[test]
    fn cursors_round_trip() {
        let c = Cursor { score: -3, id: 42 };
        assert_eq!(Cursor::parse(&c.encode(Sort::Top), Sort::Top).unwrap(), c);
        assert_eq!(Cursor::parse("42", Sort::Oldest).unwrap().id, 42);
        assert!(Cursor::parse("x", Sort::Newest).is_err());
        assert!(Cursor::parse("42", Sort::Top).is_err());
    }

    #[test]
    fn shown_rule() {
        assert!(is_shown(Status::Published, 0));
        assert!(!is_shown(Status::Deleted, 0));
        assert!(is_shown(Status::Deleted, 1));
        assert!(!is_shown(Status::Pending, 3));
    }

    proptest! {
        /// Any tree, flattened in path order, nests back into the same tree.
        #[test]
        fn nest_inverts_flattening(parents in proptest::collection::vec(0usize..1000, 1..60)) {
            // Comment i (1-based) replies to an earlier comment or starts a thread.
            let mut items: Vec<(i64, Option<i64>, String)> = Vec::new();
            for (i, p) in parents.iter().enumerate() {
                let id = i as i64 + 1;
                let parent = if i == 0 || p % 3 == 0 { None } else { Some(items[p % i].0) };
                let path = child_path(parent.map(|pid| items[pid as usize - 1].2.as_str()), id);
                items.push((id, parent, path));
            }
            let mut flat = items.clone();
            flat.sort_by(|a, b| a.2.cmp(&b.2));
            let tree = nest(flat.iter().map(|(id, p, _)| C(*id, *p)).collect());
            fn count(nodes: &[Node<C>]) -> usize { nodes.iter().map(|n| 1 + count(&n.replies)).sum() }
            prop_assert_eq!(count(&tree), items.len());
            fn check(nodes: &[Node<C>], parent: Option<i64>) -> bool {
                nodes.iter().all(|n| n.item.1 == parent && check(&n.replies, Some(n.item.0)))
            }
            prop_assert!(check(&tree, None));
        }
    }
}
