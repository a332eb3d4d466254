//! A bounded, in-container cache whose entries expire after a per-entry TTL.
//!
//! Times are Unix seconds supplied by the caller (the decision's `now`), so tests need no
//! clock. An entry inserted at `t` with TTL `ttl` is fresh for `t <= now < t + ttl`; an
//! entry seen at a `now` before its insertion (the clock went back) is treated as expired.
//! Expired entries are never returned. When full, an insertion first drops expired entries
//! and then, if still full, the oldest one. Lookups by `&str` do not allocate.

use std::collections::HashMap;
use std::hash::{BuildHasher, DefaultHasher, Hasher, RandomState};
use std::sync::Mutex;

/// How many bytes at the end of a key are hashed (all of a shorter key).
pub const HASHED_TAIL: usize = 128;

/// The map's hasher: std's keyed SipHash (a random key per process) over a key's length and
/// its last [`HASHED_TAIL`] bytes. The certificate cache's keys are whole PEMs (1-2 KB of
/// JSON), and SipHash over all of one was the largest single cost of a warm cache hit. What
/// a PEM ends with is its signature (base64, then the END line), which the issuing CA
/// computed and no two certificates share; keys that share a tail still compare in full, so
/// a collision costs time (bounded by the cache's capacity), never a wrong entry.
#[derive(Clone, Debug, Default)]
pub struct TailHash(RandomState);

impl BuildHasher for TailHash {
    type Hasher = TailHasher;

    fn build_hasher(&self) -> TailHasher {
        TailHasher(self.0.build_hasher())
    }
}

#[derive(Debug)]
pub struct TailHasher(DefaultHasher);

impl Hasher for TailHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write_usize(bytes.len());
        self.0.write(bytes.get(bytes.len().saturating_sub(HASHED_TAIL)..).unwrap_or_default());
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    inserted_at: u64,
    ttl: u64,
}

impl<V> Entry<V> {
    fn fresh(&self, now: u64) -> bool {
        now >= self.inserted_at && now - self.inserted_at < self.ttl
    }
}

#[derive(Debug)]
pub struct TtlCache<V> {
    capacity: usize,
    entries: Mutex<HashMap<Box<str>, Entry<V>, TailHash>>,
}

impl<V: Clone> TtlCache<V> {
    /// A cache of at most `capacity` entries (a capacity of 0 caches nothing).
    pub fn new(capacity: usize) -> Self {
        Self { capacity, entries: Mutex::new(HashMap::default()) }
    }

    /// The value, if present and fresh at `now`.
    pub fn get(&self, key: &str, now: u64) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|e| e.fresh(now)).map(|e| e.value.clone())
    }

    /// Stores `value` for `ttl` seconds from `now`; a TTL of 0 stores nothing.
    pub fn insert(&self, key: &str, value: V, now: u64, ttl: u64) {
        if ttl == 0 || self.capacity == 0 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            entries.retain(|_, e| e.fresh(now));
            if entries.len() >= self.capacity {
                let oldest = entries.iter().min_by_key(|(_, e)| e.inserted_at).map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(key.into(), Entry { value, inserted_at: now, ttl });
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Op {
        Insert(&'static str, u32, u64, u64),
        Get(&'static str, u64, Option<u32>),
        Len(usize),
    }

    #[track_caller]
    fn check(capacity: usize, ops: &[Op]) {
        let cache = TtlCache::new(capacity);
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Insert(k, v, now, ttl) => cache.insert(k, *v, *now, *ttl),
                Op::Get(k, now, expected) => assert_eq!(cache.get(k, *now), *expected, "step {i}"),
                Op::Len(expected) => assert_eq!(cache.len(), *expected, "step {i}"),
            }
        }
    }

    #[test]
    fn expiry() {
        use Op::*;
        check(
            10,
            &[
                Insert("a", 1, 100, 60),
                Get("a", 100, Some(1)),
                Get("a", 159, Some(1)),
                Get("a", 160, None),
                Get("a", 99, None),
                Get("b", 100, None),
                Insert("z", 1, 100, 0),
                Get("z", 100, None),
                Insert("a", 2, 200, 10),
                Get("a", 205, Some(2)),
            ],
        );
    }

    /// Keys that differ only before their hashed tail are told apart (they collide, and are
    /// compared in full).
    #[test]
    fn keys_sharing_a_tail() {
        let tail = "t".repeat(HASHED_TAIL);
        let (a, b) = (format!("a{tail}"), format!("b{tail}"));
        let state = TailHash::default();
        assert_eq!(state.hash_one(a.as_str()), state.hash_one(b.as_str()));
        assert_ne!(state.hash_one(format!("{tail}a").as_str()), state.hash_one(format!("{tail}b").as_str()));
        let cache = TtlCache::new(10);
        cache.insert(&a, 1, 100, 60);
        cache.insert(&b, 2, 100, 60);
        assert_eq!((cache.get(&a, 100), cache.get(&b, 100), cache.get(&tail, 100)), (Some(1), Some(2), None));
    }

    #[test]
    fn bounded() {
        use Op::*;
        check(
            2,
            &[
                Insert("a", 1, 100, 60),
                Insert("b", 2, 101, 60),
                Insert("c", 3, 102, 60),
                Len(2),
                Get("a", 102, None),
                Get("b", 102, Some(2)),
                Get("c", 102, Some(3)),
                Insert("c", 4, 103, 60),
                Len(2),
                Get("b", 103, Some(2)),
                Insert("d", 5, 200, 60),
                Len(1),
                Get("d", 200, Some(5)),
            ],
        );
        check(0, &[Insert("a", 1, 100, 60), Get("a", 100, None), Len(0)]);
    }
}
