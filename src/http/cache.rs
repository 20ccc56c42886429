//! Rendered comment threads for anonymous readers, keyed by the article's comment version.
//! Every write to a discussion bumps that version in the database, and every page view reads
//! it with the article, so an instance never serves a thread older than the database, whichever
//! instance made the change.
//!
//! The cache is bounded by bytes as well as entries and forgets the least recently used page
//! first, so a burst of rarely read pages cannot push out the threads everyone is reading. The
//! handler keeps only pages whose cursor names a real top-level comment (see
//! `threads::is_known_page`), so made-up cursors cannot fill it at all. A hit takes the lock,
//! finds the key (a few integers: nothing to allocate) and moves it to the front of the list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::compress::Precompressed;
use super::thread::SharedThread as ReaderThread;
use crate::domain::thread::{Cursor, Sort};
use crate::http::api::shared::SharedThread;

/// How a rendering links to Civil: by path on Civil's own pages, or by full URL in a fragment
/// that another site includes (the embed), where a path would name the publisher's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Links {
    Local,
    Absolute,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    article_id: i64,
    links: Links,
    sort: Sort,
    after: Option<Cursor>,
    /// For a whole response (`Value::Whole`): the hour its form token was made in
    /// (`tokens::FormKey::epoch`), so that no page is served with an old token.
    whole: Option<i64>,
    /// For the API's thread (`Value::Api`): the page size asked for.
    api_limit: Option<i64>,
    /// For the signed-in readers' shared rendering (`Value::Reader`): whether the discussion
    /// takes comments (it can close with time, the version unchanged).
    reader: Option<bool>,
}

/// What is kept: the comment list alone, the whole anonymous response around it (the article
/// page, the embed fragment) in every encoding, or a page of the API's thread.
#[derive(Clone)]
enum Value {
    Thread(Arc<str>),
    Whole(Arc<Precompressed>),
    Api(Arc<SharedThread>),
    Reader(Arc<ReaderThread>),
}

impl Value {
    fn weight(&self) -> usize {
        match self {
            Value::Thread(html) => html.len(),
            Value::Whole(body) => body.weight(),
            Value::Api(thread) => thread.weight(),
            Value::Reader(shared) => shared.weight(),
        }
    }
}

/// What an entry costs beyond its HTML: the key, the slot and the map's share, roughly.
const ENTRY_OVERHEAD: usize = 128;
const NONE: usize = usize::MAX;

struct Slot {
    key: Key,
    version: i64,
    value: Value,
    /// Neighbours in recency order: `prev` was used more recently, `next` less.
    prev: usize,
    next: usize,
}

/// A least-recently-used list threaded through a vector of slots by index.
struct Lru {
    index: HashMap<Key, usize>,
    slots: Vec<Slot>,
    /// Slots whose entry was evicted, for reuse.
    free: Vec<usize>,
    newest: usize,
    oldest: usize,
    bytes: usize,
}

impl Lru {
    fn unlink(&mut self, at: usize) {
        let (prev, next) = (self.slots[at].prev, self.slots[at].next);
        match prev {
            NONE => self.newest = next,
            p => self.slots[p].next = next,
        }
        match next {
            NONE => self.oldest = prev,
            n => self.slots[n].prev = prev,
        }
    }

    fn push_newest(&mut self, at: usize) {
        self.slots[at].prev = NONE;
        self.slots[at].next = self.newest;
        match self.newest {
            NONE => self.oldest = at,
            n => self.slots[n].prev = at,
        }
        self.newest = at;
    }

    fn touch(&mut self, at: usize) {
        if self.newest != at {
            self.unlink(at);
            self.push_newest(at);
        }
    }

    fn evict_oldest(&mut self) {
        let at = self.oldest;
        if at == NONE {
            return;
        }
        self.unlink(at);
        let slot = &mut self.slots[at];
        self.index.remove(&slot.key);
        self.bytes -= slot.value.weight() + ENTRY_OVERHEAD;
        // Let the HTML go now rather than when the slot is reused.
        slot.value = Value::Thread(Arc::from(""));
        self.free.push(at);
    }
}

/// Where a whole anonymous response is kept: the thread's key and the form token's hour.
#[derive(Debug, Clone, Copy)]
pub struct WholeKey {
    pub article_id: i64,
    pub links: Links,
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub epoch: i64,
}

impl WholeKey {
    fn key(self) -> Key {
        Key {
            article_id: self.article_id,
            links: self.links,
            sort: self.sort,
            after: self.after,
            whole: Some(self.epoch),
            api_limit: None,
            reader: None,
        }
    }
}

/// Where a page of the API's thread is kept: the query that asked for it.
#[derive(Debug, Clone, Copy)]
pub struct ApiKey {
    pub article_id: i64,
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub limit: i64,
}

impl ApiKey {
    fn key(self) -> Key {
        Key {
            article_id: self.article_id,
            links: Links::Absolute,
            sort: self.sort,
            after: self.after,
            whole: None,
            api_limit: Some(self.limit),
            reader: None,
        }
    }
}

/// Where the signed-in readers' shared rendering of a page of a thread is kept.
#[derive(Debug, Clone, Copy)]
pub struct ReaderKey {
    pub article_id: i64,
    pub links: Links,
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub comments_open: bool,
}

impl ReaderKey {
    fn key(self) -> Key {
        Key {
            article_id: self.article_id,
            links: self.links,
            sort: self.sort,
            after: self.after,
            whole: None,
            api_limit: None,
            reader: Some(self.comments_open),
        }
    }
}

pub struct ThreadCache {
    lru: Mutex<Lru>,
    max_entries: usize,
    max_bytes: usize,
}

impl ThreadCache {
    /// A cache of at most `max_entries` pages and `max_bytes` of HTML (either 0 turns it off).
    pub fn new(max_entries: usize, max_bytes: usize) -> ThreadCache {
        let max_entries = if max_bytes == 0 { 0 } else { max_entries };
        ThreadCache {
            lru: Mutex::new(Lru {
                index: HashMap::with_capacity(max_entries.min(4096)),
                slots: Vec::with_capacity(max_entries.min(4096)),
                free: Vec::new(),
                newest: NONE,
                oldest: NONE,
                bytes: 0,
            }),
            max_entries,
            max_bytes,
        }
    }

    pub fn get(
        &self,
        article_id: i64,
        links: Links,
        sort: Sort,
        after: Option<Cursor>,
        version: i64,
    ) -> Option<Arc<str>> {
        match self.find(Key { article_id, links, sort, after, whole: None, api_limit: None, reader: None }, version)? {
            Value::Thread(html) => Some(html),
            _ => None,
        }
    }

    pub fn put(&self, article_id: i64, links: Links, sort: Sort, after: Option<Cursor>, version: i64, html: Arc<str>) {
        let key = Key { article_id, links, sort, after, whole: None, api_limit: None, reader: None };
        self.insert(key, version, Value::Thread(html));
    }

    /// The thread as every participating signed-in reader sees it before their own comments and
    /// votes are put in (`thread::personal`).
    pub fn get_reader(&self, at: ReaderKey, version: i64) -> Option<Arc<ReaderThread>> {
        match self.find(at.key(), version)? {
            Value::Reader(shared) => Some(shared),
            _ => None,
        }
    }

    pub fn put_reader(&self, at: ReaderKey, version: i64, shared: Arc<ReaderThread>) {
        self.insert(at.key(), version, Value::Reader(shared));
    }

    /// The whole anonymous response (`links` tells the article page from the fragment), made
    /// for this version of the discussion with a form token of hour `epoch`.
    pub fn get_whole(&self, at: WholeKey, version: i64) -> Option<Arc<Precompressed>> {
        match self.find(at.key(), version)? {
            Value::Whole(body) => Some(body),
            _ => None,
        }
    }

    pub fn put_whole(&self, at: WholeKey, version: i64, body: Arc<Precompressed>) {
        self.insert(at.key(), version, Value::Whole(body));
    }

    /// A page of the API's thread, as every reader shares it, for this version of the discussion.
    pub fn get_api(&self, at: ApiKey, version: i64) -> Option<Arc<SharedThread>> {
        match self.find(at.key(), version)? {
            Value::Api(thread) => Some(thread),
            _ => None,
        }
    }

    pub fn put_api(&self, at: ApiKey, version: i64, thread: Arc<SharedThread>) {
        self.insert(at.key(), version, Value::Api(thread));
    }

    fn find(&self, key: Key, version: i64) -> Option<Value> {
        if self.max_entries == 0 {
            return None;
        }
        let mut lru = self.lru.lock().unwrap_or_else(|e| e.into_inner());
        let at = *lru.index.get(&key)?;
        if lru.slots[at].version != version {
            return None;
        }
        lru.touch(at);
        Some(lru.slots[at].value.clone())
    }

    fn insert(&self, key: Key, version: i64, value: Value) {
        let cost = value.weight() + ENTRY_OVERHEAD;
        if self.max_entries == 0 || cost > self.max_bytes {
            return;
        }
        let mut guard = self.lru.lock().unwrap_or_else(|e| e.into_inner());
        let lru = &mut *guard;
        if let Some(at) = lru.index.get(&key).copied() {
            let old = lru.slots[at].value.weight();
            lru.bytes = lru.bytes - old + value.weight();
            let slot = &mut lru.slots[at];
            slot.version = version;
            slot.value = value;
            lru.touch(at);
        } else {
            let slot = Slot { key, version, value, prev: NONE, next: NONE };
            let at = match lru.free.pop() {
                Some(at) => {
                    lru.slots[at] = slot;
                    at
                }
                None => {
                    lru.slots.push(slot);
                    lru.slots.len() - 1
                }
            };
            lru.index.insert(key, at);
            lru.bytes += cost;
            lru.push_newest(at);
        }
        while lru.bytes > self.max_bytes || lru.index.len() > self.max_entries {
            lru.evict_oldest();
        }
    }

    /// Pages held and the bytes they take, for tests and operators.
    pub fn usage(&self) -> (usize, usize) {
        let lru = self.lru.lock().unwrap_or_else(|e| e.into_inner());
        (lru.index.len(), lru.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(n: usize) -> Arc<str> {
        Arc::from("x".repeat(n))
    }

    fn after(id: i64) -> Option<Cursor> {
        Some(Cursor { score: 0, id })
    }

    #[test]
    fn absolute_and_local_links_are_kept_apart() {
        let cache = ThreadCache::new(4, 1 << 20);
        cache.put(1, Links::Local, Sort::Oldest, None, 1, Arc::from("local"));
        assert!(cache.get(1, Links::Absolute, Sort::Oldest, None, 1).is_none());
        cache.put(1, Links::Absolute, Sort::Oldest, None, 1, Arc::from("absolute"));
        assert_eq!(cache.get(1, Links::Local, Sort::Oldest, None, 1).as_deref(), Some("local"));
        assert_eq!(cache.get(1, Links::Absolute, Sort::Oldest, None, 1).as_deref(), Some("absolute"));
    }

    #[test]
    fn a_new_version_misses() {
        let cache = ThreadCache::new(2, 1 << 20);
        cache.put(1, Links::Local, Sort::Oldest, None, 5, Arc::from("v5"));
        assert_eq!(cache.get(1, Links::Local, Sort::Oldest, None, 5).as_deref(), Some("v5"));
        assert!(cache.get(1, Links::Local, Sort::Oldest, None, 6).is_none());
        assert!(cache.get(1, Links::Local, Sort::Top, None, 5).is_none());
        assert!(cache.get(1, Links::Local, Sort::Oldest, after(3), 5).is_none());
        cache.put(1, Links::Local, Sort::Oldest, None, 6, Arc::from("v6"));
        assert_eq!(cache.get(1, Links::Local, Sort::Oldest, None, 6).as_deref(), Some("v6"));
        assert_eq!(cache.usage(), (1, 2 + ENTRY_OVERHEAD));
    }

    #[test]
    fn the_least_recently_used_page_goes_first() {
        let cache = ThreadCache::new(3, 1 << 20);
        cache.put(1, Links::Local, Sort::Oldest, None, 1, Arc::from("one"));
        cache.put(2, Links::Local, Sort::Oldest, None, 1, Arc::from("two"));
        cache.put(3, Links::Local, Sort::Oldest, None, 1, Arc::from("three"));
        assert!(cache.get(1, Links::Local, Sort::Oldest, None, 1).is_some(), "1 is now the most recent");
        cache.put(4, Links::Local, Sort::Oldest, None, 1, Arc::from("four"));
        assert!(cache.get(2, Links::Local, Sort::Oldest, None, 1).is_none(), "2 was the least recently used");
        for article in [1, 3, 4] {
            assert!(cache.get(article, Links::Local, Sort::Oldest, None, 1).is_some(), "{article} stays");
        }
        assert_eq!(cache.usage().0, 3);
    }

    #[test]
    fn bytes_bound_the_cache_and_a_hot_page_survives_a_flood() {
        let cache = ThreadCache::new(100_000, 100 * (1000 + ENTRY_OVERHEAD));
        cache.put(1, Links::Local, Sort::Oldest, None, 1, html(1000));
        for id in 0..5_000 {
            cache.put(2, Links::Local, Sort::Oldest, after(id), 1, html(1000));
            // Readers keep reading the hot first page meanwhile.
            if id % 50 == 0 {
                assert!(
                    cache.get(1, Links::Local, Sort::Oldest, None, 1).is_some(),
                    "the hot page is still there at {id}"
                );
            }
            let (entries, bytes) = cache.usage();
            assert!(bytes <= 100 * (1000 + ENTRY_OVERHEAD) && entries <= 100);
        }
        assert!(cache.get(1, Links::Local, Sort::Oldest, None, 1).is_some());
        // A page bigger than the whole budget is not kept, and evicts nothing.
        cache.put(3, Links::Local, Sort::Oldest, None, 1, html(200 * 1000));
        assert!(cache.get(3, Links::Local, Sort::Oldest, None, 1).is_none());
        assert!(cache.get(1, Links::Local, Sort::Oldest, None, 1).is_some());
    }

    #[test]
    fn replacing_an_entry_keeps_the_byte_count_right_and_slots_are_reused() {
        let cache = ThreadCache::new(2, 1 << 20);
        cache.put(1, Links::Local, Sort::Oldest, None, 1, html(10));
        cache.put(1, Links::Local, Sort::Oldest, None, 2, html(30));
        assert_eq!(cache.usage(), (1, 30 + ENTRY_OVERHEAD));
        for article in 2..50 {
            cache.put(article, Links::Local, Sort::Newest, None, 1, html(5));
        }
        assert_eq!(cache.usage(), (2, 2 * (5 + ENTRY_OVERHEAD)));
        assert!(cache.lru.lock().unwrap().slots.len() <= 3, "evicted slots are reused");
        assert!(
            cache.get(49, Links::Local, Sort::Newest, None, 1).is_some()
                && cache.get(48, Links::Local, Sort::Newest, None, 1).is_some()
        );
    }

    #[test]
    fn a_whole_response_is_kept_apart_from_its_thread_and_from_other_hours() {
        use crate::http::compress::Effort;
        let cache = ThreadCache::new(8, 1 << 20);
        let at = |epoch| WholeKey { article_id: 1, links: Links::Local, sort: Sort::Oldest, after: None, epoch };
        cache.put(1, Links::Local, Sort::Oldest, None, 3, Arc::from("thread"));
        assert!(cache.get_whole(at(10), 3).is_none(), "the thread is not the page");
        cache.put_whole(at(10), 3, Arc::new(Precompressed::new("page", Effort::Page)));
        assert_eq!(cache.get_whole(at(10), 3).unwrap().identity().as_ref(), b"page");
        assert!(cache.get_whole(at(11), 3).is_none(), "a new hour makes a new page");
        assert!(cache.get_whole(at(10), 4).is_none(), "a new version too");
        assert_eq!(cache.get(1, Links::Local, Sort::Oldest, None, 3).as_deref(), Some("thread"));
    }

    #[test]
    fn zero_turns_it_off() {
        for cache in [ThreadCache::new(0, 1 << 20), ThreadCache::new(10, 0)] {
            cache.put(1, Links::Local, Sort::Oldest, None, 1, Arc::from("a"));
            assert!(cache.get(1, Links::Local, Sort::Oldest, None, 1).is_none());
        }
    }
}
