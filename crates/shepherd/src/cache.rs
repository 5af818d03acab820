//! An optional response cache for deterministic requests, behind a [`Cache`] trait.
//!
//! Only requests whose answer does not vary are cached: chat with
//! `temperature: 0` (or marked cacheable by the caller), embeddings, and
//! transcriptions keyed by the audio's content hash. The key is a hash of the
//! endpoint and the canonical JSON of the body (object keys sorted), so two
//! requests that differ only in key order share an entry.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

/// A store of response bodies by key. Implement it for a shared store (Redis, disk).
pub trait Cache: Send + Sync + std::fmt::Debug {
    /// The body stored under `key`, if fresh.
    fn get(&self, key: u64) -> Option<Bytes>;
    /// Stores `body` under `key`; `cost_usd` is what a hit on it saves.
    fn put(&self, key: u64, body: Bytes, cost_usd: f64);
    /// Hit, miss and saved-cost counters.
    fn stats(&self) -> CacheStats;
}

/// Counters of a cache.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that went to the server.
    pub misses: u64,
    /// USD not spent thanks to hits.
    pub saved_usd: f64,
    /// Entries stored now.
    pub entries: usize,
}

/// An in-memory cache with a time-to-live and a bound on entries (oldest evicted first).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use shepherd::cache::{Cache, MemoryCache};
///
/// let cache = MemoryCache::new(1000, Duration::from_secs(3600));
/// cache.put(42, bytes::Bytes::from_static(b"{}"), 0.001);
/// assert!(cache.get(42).is_some());
/// assert_eq!(cache.stats().hits, 1);
/// ```
#[derive(Debug)]
pub struct MemoryCache {
    entries: Mutex<HashMap<u64, Entry>>,
    max_entries: usize,
    ttl: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
    saved_micro_usd: AtomicU64,
}

#[derive(Debug)]
struct Entry {
    body: Bytes,
    stored: Instant,
    cost_usd: f64,
}

impl MemoryCache {
    /// A cache of at most `max_entries` entries, each fresh for `ttl`.
    pub fn new(max_entries: usize, ttl: Duration) -> Self {
        MemoryCache {
            entries: Mutex::new(HashMap::new()),
            max_entries: max_entries.max(1),
            ttl,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            saved_micro_usd: AtomicU64::new(0),
        }
    }
}

impl Cache for MemoryCache {
    fn get(&self, key: u64) -> Option<Bytes> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let found = match entries.get(&key) {
            Some(e) if e.stored.elapsed() < self.ttl => Some((e.body.clone(), e.cost_usd)),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        };
        match found {
            Some((body, cost)) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                self.saved_micro_usd
                    .fetch_add((cost * 1e6) as u64, Ordering::Relaxed);
                Some(body)
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    fn put(&self, key: u64, body: Bytes, cost_usd: f64) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.max_entries && !entries.contains_key(&key) {
            // Evict the oldest entry: O(n), fine for the bounded sizes this cache is for.
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.stored)
                .map(|(k, _)| *k)
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            key,
            Entry {
                body,
                stored: Instant::now(),
                cost_usd,
            },
        );
    }

    fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            saved_usd: self.saved_micro_usd.load(Ordering::Relaxed) as f64 / 1e6,
            entries: self
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .len(),
        }
    }
}

/// The cache key of a request: the endpoint and the body's canonical JSON.
pub fn key(endpoint: &str, body: &serde_json::Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    endpoint.hash(&mut hasher);
    hash_canonical(body, &mut hasher);
    hasher.finish()
}

/// The cache key of raw content (an audio file) under an endpoint and its other fields.
pub fn content_key(endpoint: &str, content: &[u8], fields: &[(String, String)]) -> u64 {
    let mut hasher = DefaultHasher::new();
    endpoint.hash(&mut hasher);
    content.hash(&mut hasher);
    let mut fields = fields.to_vec();
    fields.sort();
    fields.hash(&mut hasher);
    hasher.finish()
}

fn hash_canonical(value: &serde_json::Value, h: &mut DefaultHasher) {
    use serde_json::Value;
    match value {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n.to_string()).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(a) => {
            (4u8, a.len()).hash(h);
            for v in a {
                hash_canonical(v, h);
            }
        }
        Value::Object(o) => {
            (5u8, o.len()).hash(h);
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            for k in keys {
                k.hash(h);
                if let Some(v) = o.get(k) {
                    hash_canonical(v, h);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ignores_object_order() {
        let a: serde_json::Value = serde_json::from_str(r#"{"a":1,"b":[1,2]}"#).expect("json");
        let b: serde_json::Value = serde_json::from_str(r#"{"b":[1,2],"a":1}"#).expect("json");
        assert_eq!(key("/x", &a), key("/x", &b));
        assert_ne!(key("/x", &a), key("/y", &a));
    }

    #[tokio::test(start_paused = true)]
    async fn ttl_and_bound() {
        let cache = MemoryCache::new(2, Duration::from_secs(10));
        cache.put(1, Bytes::from_static(b"1"), 0.0);
        tokio::time::advance(Duration::from_secs(1)).await;
        cache.put(2, Bytes::from_static(b"2"), 0.0);
        cache.put(3, Bytes::from_static(b"3"), 0.0);
        assert!(cache.get(1).is_none(), "oldest evicted");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(cache.get(2).is_none(), "expired");
        assert_eq!(cache.stats().misses, 2);
    }
}
