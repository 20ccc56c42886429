//! Rendered comment threads for anonymous readers, keyed by the article's comment version.
//! Every write to a discussion bumps that version in the database, and every page view reads
//! it with the article, so an instance never serves a thread older than the database, whichever
//! instance made the change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::thread::Sort;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    article_id: i64,
    sort: Sort,
    after: Option<String>,
}

pub struct ThreadCache {
    entries: Mutex<HashMap<Key, (i64, Arc<str>)>>,
    capacity: usize,
}

impl ThreadCache {
    pub fn new(capacity: usize) -> ThreadCache {
        ThreadCache { entries: Mutex::new(HashMap::with_capacity(capacity.min(4096))), capacity }
    }

    pub fn get(&self, article_id: i64, sort: Sort, after: Option<&str>, version: i64) -> Option<Arc<str>> {
        if self.capacity == 0 {
            return None;
        }
        let key = Key { article_id, sort, after: after.map(str::to_owned) };
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(&key) {
            Some((cached_version, html)) if *cached_version == version => Some(html.clone()),
            _ => None,
        }
    }

    pub fn put(&self, article_id: i64, sort: Sort, after: Option<&str>, version: i64, html: Arc<str>) {
        if self.capacity == 0 {
            return;
        }
        let key = Key { article_id, sort, after: after.map(str::to_owned) };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            // Crude but bounded: a full cache starts over. Hot threads are re-rendered at once.
            entries.clear();
        }
        entries.insert(key, (version, html));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_version_misses() {
        let cache = ThreadCache::new(2);
        cache.put(1, Sort::Oldest, None, 5, Arc::from("v5"));
        assert_eq!(cache.get(1, Sort::Oldest, None, 5).as_deref(), Some("v5"));
        assert!(cache.get(1, Sort::Oldest, None, 6).is_none());
        assert!(cache.get(1, Sort::Top, None, 5).is_none());
        cache.put(2, Sort::Oldest, None, 1, Arc::from("a"));
        cache.put(3, Sort::Oldest, None, 1, Arc::from("b"));
        assert!(cache.get(1, Sort::Oldest, None, 5).is_none(), "a full cache starts over");
    }
}
