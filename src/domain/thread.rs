//! The shape and order of a discussion thread.
//!
//! Each comment stores a materialised `path`: its place in the thread's structure, as the ids
//! of the comments it hangs under followed by its own, each zero-padded to a fixed width.
//! Sorting by path gives reading order, and a subtree is a prefix. Threads are paged by
//! top-level comment with keyset cursors, never OFFSET.
//!
//! The structure nests at most `MAX_NESTING` levels deep, whatever readers do. A reply to a
//! comment at the deepest level keeps its true `parent_id` (shown as "in reply to ...") but is
//! placed beside that parent, under the deepest ancestor that may still have replies, so the
//! flat run that forms there reads in the order it was written. Without the cap a chain of
//! replies grows paths with the square of its length and nests the tree as deep as a reader
//! cares to type, past what any recursive reader of it can hold.

use super::Invalid;

/// Width of one id in a path. Twelve digits allow a trillion comments.
pub const PATH_SEGMENT_WIDTH: usize = 12;
/// How many levels a thread nests, the top-level comment being the first: a path has at most
/// this many segments, and a comment's `depth` is at most one less.
pub const MAX_NESTING: usize = 6;
pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 200;

pub fn path_segment(id: i64) -> String {
    format!("{id:0width$}", width = PATH_SEGMENT_WIDTH)
}

/// The path of a new comment with this id, replying to a comment with `parent_path` (or
/// starting a thread). A reply to a comment at the deepest level goes beside it.
pub fn child_path(parent_path: Option<&str>, id: i64) -> String {
    match parent_path {
        Some(parent) => {
            let keep = parent.len().min((MAX_NESTING - 1) * PATH_SEGMENT_WIDTH);
            format!("{}{}", parent.get(..keep).unwrap_or(parent), path_segment(id))
        }
        None => path_segment(id),
    }
}

/// The depth of a new comment (0 for a top-level one) replying to a comment at `parent_depth`.
pub fn child_depth(parent_depth: Option<i32>) -> i32 {
    match parent_depth {
        Some(depth) => (depth + 1).min(MAX_NESTING as i32 - 1),
        None => 0,
    }
}

fn segments(path: &str) -> impl DoubleEndedIterator<Item = i64> + '_ {
    path.as_bytes().chunks(PATH_SEGMENT_WIDTH).filter_map(|chunk| std::str::from_utf8(chunk).ok()?.parse().ok())
}

/// The ids of the comments a comment hangs under in the thread's structure, nearest first, read
/// from its path: at most `MAX_NESTING - 1` of them. (Its true parent may be a sibling.)
pub fn ancestor_ids(path: &str) -> Vec<i64> {
    segments(path).rev().skip(1).collect()
}

/// The comment this one hangs under in the thread's structure: its parent, or for a reply
/// placed beside its parent at the deepest level, the parent's own.
pub fn thread_parent(path: &str) -> Option<i64> {
    segments(path).rev().nth(1)
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
/// Parsed cursors are normalised (no score unless the order is by score), so equal pages have
/// equal cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// The comment it hangs under in the thread's structure (see `thread_parent`).
    fn thread_parent_id(&self) -> Option<i64>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node<T> {
    pub item: T,
    pub replies: Vec<Node<T>>,
}

/// Nest comments given in reading order (each parent before its replies, siblings in order).
/// A reply whose parent is missing from the input (hidden, or on no page) is dropped, since
/// it cannot be placed. The tree is never deeper than `MAX_NESTING`, whatever the input: a
/// reply below the deepest level goes beside its parent, as its path would put it. So whatever
/// walks the tree by recursion (rendering, JSON, dropping it) stays within a few frames.
pub fn nest<T: Threaded>(items: Vec<T>) -> Vec<Node<T>> {
    /// Close the open nodes at `depth` and below, each into its parent's replies.
    fn close<T>(open: &mut Vec<Node<T>>, roots: &mut Vec<Node<T>>, depth: usize) {
        while open.len() > depth {
            let done = open.pop().expect("there is an open node");
            match open.last_mut() {
                Some(parent) => parent.replies.push(done),
                None => roots.push(done),
            }
        }
    }

    let mut roots = Vec::new();
    // The chain of nodes the next item may hang under, outermost first: at most MAX_NESTING.
    let mut open: Vec<Node<T>> = Vec::with_capacity(MAX_NESTING);
    for item in items {
        let depth = match item.thread_parent_id() {
            None => 0,
            Some(parent_id) => match open.iter().rposition(|n| n.item.id() == parent_id) {
                Some(at) => (at + 1).min(MAX_NESTING - 1),
                None => continue,
            },
        };
        close(&mut open, &mut roots, depth);
        open.push(Node { item, replies: Vec::new() });
    }
    close(&mut open, &mut roots, 0);
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
        fn thread_parent_id(&self) -> Option<i64> {
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

    /// A chain of replies, each to the one before: the paths the rule gives it, in id order.
    fn chain_paths(length: i64) -> Vec<String> {
        let mut paths: Vec<String> = Vec::new();
        for id in 1..=length {
            let path = child_path(paths.last().map(String::as_str), id);
            paths.push(path);
        }
        paths
    }

    #[test]
    fn a_long_chain_stays_within_the_nesting_and_reads_in_order() {
        let paths = chain_paths(10_000);
        assert!(paths.iter().all(|p| p.len() <= MAX_NESTING * PATH_SEGMENT_WIDTH));
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(sorted, paths, "reading order is the order of the chain");
        // Levels one to six nest; every later reply sits beside the sixth, under the fifth.
        assert_eq!(thread_parent(&paths[5]), Some(5));
        assert_eq!(thread_parent(&paths[9_999]), Some(5));
        assert_eq!(ancestor_ids(&paths[9_999]), vec![5, 4, 3, 2, 1]);
        assert_eq!(child_depth(Some(5)), 5);
        assert_eq!(child_depth(Some(2)), 3);
        assert_eq!(child_depth(None), 0);
    }

    #[test]
    fn nest_builds_a_shallow_tree_from_ten_thousand_levels_of_input() {
        // Even given a chain that claims each item hangs under the one before (as no path the
        // rule makes can), nest stops at MAX_NESTING; rendering, serialising and dropping the
        // tree then recurse a few levels, not ten thousand.
        let items: Vec<C> = (1..=10_000).map(|id| C(id, (id > 1).then_some(id - 1))).collect();
        let tree = nest(items);
        fn depth(nodes: &[Node<C>]) -> usize {
            nodes.iter().map(|n| 1 + depth(&n.replies)).max().unwrap_or(0)
        }
        fn count(nodes: &[Node<C>]) -> usize {
            nodes.iter().map(|n| 1 + count(&n.replies)).sum()
        }
        assert_eq!(depth(&tree), MAX_NESTING);
        assert_eq!(count(&tree), 10_000);
        // And the chain as the paths place it nests the same way.
        let placed: Vec<C> =
            chain_paths(10_000).iter().enumerate().map(|(i, p)| C(i as i64 + 1, thread_parent(p))).collect();
        let tree = nest(placed);
        assert_eq!(depth(&tree), MAX_NESTING);
        assert_eq!(count(&tree), 10_000);
        let fifth = &tree[0].replies[0].replies[0].replies[0].replies[0];
        assert_eq!(fifth.item.0, 5);
        assert_eq!(fifth.replies.len(), 10_000 - 5, "the rest of the chain reads beside the sixth");
        assert!(fifth.replies.windows(2).all(|w| w[0].item.0 < w[1].item.0));
    }

    /// A random forest by true parent: comment i (1-based) replies to an earlier one or starts a
    /// thread. Returns (id, true parent, capped path, uncapped path).
    fn forest(parents: &[usize]) -> Vec<(i64, Option<i64>, String, String)> {
        let mut items: Vec<(i64, Option<i64>, String, String)> = Vec::new();
        for (i, p) in parents.iter().enumerate() {
            let id = i as i64 + 1;
            // Mostly replies to the latest comments, so long chains form.
            let parent = if i == 0 || p % 7 == 0 { None } else { Some(items[i - 1 - (p % i.min(3))].0) };
            let parent_item = parent.map(|pid| items[pid as usize - 1].clone());
            let path = child_path(parent_item.as_ref().map(|p| p.2.as_str()), id);
            let full = match &parent_item {
                Some(p) => format!("{}{}", p.3, path_segment(id)),
                None => path_segment(id),
            };
            items.push((id, parent, path, full));
        }
        items
    }

    proptest! {
        /// Whatever the replies, a path has at most MAX_NESTING segments, every comment reads
        /// after its true parent and within the subtree of its ancestors down to the fifth
        /// level, and comments within the nesting keep the place they had without a cap.
        #[test]
        fn capped_paths_are_bounded_and_keep_reading_order(parents in proptest::collection::vec(0usize..1000, 1..200)) {
            let items = forest(&parents);
            let position: std::collections::HashMap<&str, usize> = {
                let mut sorted: Vec<&str> = items.iter().map(|i| i.2.as_str()).collect();
                sorted.sort_unstable();
                sorted.into_iter().enumerate().map(|(n, p)| (p, n)).collect()
            };
            let keep = (MAX_NESTING - 1) * PATH_SEGMENT_WIDTH;
            for (id, parent, path, full) in &items {
                prop_assert!(path.len() <= MAX_NESTING * PATH_SEGMENT_WIDTH);
                prop_assert_eq!(path.len() % PATH_SEGMENT_WIDTH, 0);
                prop_assert!(path.ends_with(&path_segment(*id)));
                if let Some(parent) = parent {
                    let parent_path = &items[*parent as usize - 1].2;
                    prop_assert!(position[parent_path.as_str()] < position[path.as_str()]);
                }
                if full.len() <= MAX_NESTING * PATH_SEGMENT_WIDTH {
                    prop_assert_eq!(path, full);
                } else {
                    prop_assert_eq!(&path[..keep], &full[..keep]);
                }
            }
            // Among comments within the nesting, the order is the uncapped order.
            let mut within: Vec<&(i64, Option<i64>, String, String)> =
                items.iter().filter(|i| i.3.len() <= MAX_NESTING * PATH_SEGMENT_WIDTH).collect();
            within.sort_by(|a, b| a.2.cmp(&b.2));
            prop_assert!(within.windows(2).all(|w| w[0].3 < w[1].3));
        }

        /// Any tree, flattened in path order, nests back into the tree its paths describe.
        #[test]
        fn nest_inverts_flattening(parents in proptest::collection::vec(0usize..1000, 1..120)) {
            let mut flat = forest(&parents);
            flat.sort_by(|a, b| a.2.cmp(&b.2));
            let tree = nest(flat.iter().map(|(id, _, path, _)| C(*id, thread_parent(path))).collect());
            fn count(nodes: &[Node<C>]) -> usize { nodes.iter().map(|n| 1 + count(&n.replies)).sum() }
            prop_assert_eq!(count(&tree), flat.len());
            fn check(nodes: &[Node<C>], parent: Option<i64>, depth: usize) -> bool {
                nodes.is_empty() || (depth < MAX_NESTING
                    && nodes.iter().all(|n| n.item.1 == parent && check(&n.replies, Some(n.item.0), depth + 1)))
            }
            prop_assert!(check(&tree, None, 0));
        }
    }
}
