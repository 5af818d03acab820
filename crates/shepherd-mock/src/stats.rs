//! Request accounting: what arrived, what was answered, and how often each body succeeded.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// A snapshot of everything the mock counted, served as JSON at `GET /_mock/stats`.
///
/// Only API requests count; `/_mock/*` requests do not.
///
/// # Examples
///
/// ```
/// use shepherd_mock::Stats;
///
/// let stats: Stats = serde_json::from_str(r#"{"requests":2,"answered":{"00000000000000ff":2}}"#)?;
/// assert_eq!(stats.answered_more_than_once(), vec!["00000000000000ff"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Stats {
    /// API requests received.
    pub requests: u64,
    /// Requests received per path, e.g. `/v1/chat/completions`.
    pub by_path: BTreeMap<String, u64>,
    /// Requests received per API key, keys shown redacted (see [`redact_key`](crate::redact_key)).
    pub by_key: BTreeMap<String, u64>,
    /// Responses per HTTP status; a reset before headers has no status and is only in `faults`.
    pub by_status: BTreeMap<u16, u64>,
    /// Injected faults per kind name (see [`FaultKind::name`](crate::FaultKind::name)), plus
    /// `outage` for requests refused inside an outage window.
    pub faults: BTreeMap<String, u64>,
    /// Per distinct request body (its [`body_hash`](crate::body_hash)): how many 2xx answers
    /// were delivered to the end. A body answered twice appears with 2. Requests without a
    /// body (`GET`, `DELETE`) are not tracked here.
    pub answered: BTreeMap<String, u64>,
}

impl Stats {
    /// Hashes of bodies that were answered successfully more than once.
    pub fn answered_more_than_once(&self) -> Vec<&str> {
        self.answered
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(h, _)| h.as_str())
            .collect()
    }

    /// Total successful answers, over all bodies.
    pub fn successes(&self) -> u64 {
        self.answered.values().sum()
    }

    /// How many times the body `body` was answered successfully.
    pub fn answered_count(&self, body: &[u8]) -> u64 {
        self.answered
            .get(&crate::body_hash(body))
            .copied()
            .unwrap_or(0)
    }
}

/// Live counters behind a mutex; cheap enough for the mock's request rates.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    inner: Mutex<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    requests: u64,
    by_path: HashMap<String, u64>,
    by_key: HashMap<String, u64>,
    by_status: HashMap<u16, u64>,
    faults: HashMap<String, u64>,
    answered: HashMap<u64, u64>,
}

impl Recorder {
    fn with<R>(&self, f: impl FnOnce(&mut Counters) -> R) -> R {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    pub(crate) fn request(&self, path: &str, key_label: &str) {
        self.with(|c| {
            c.requests += 1;
            bump(&mut c.by_path, path);
            bump(&mut c.by_key, key_label);
        });
    }

    pub(crate) fn status(&self, status: u16) {
        self.with(|c| *c.by_status.entry(status).or_default() += 1);
    }

    pub(crate) fn fault(&self, name: &str) {
        self.with(|c| bump(&mut c.faults, name));
    }

    pub(crate) fn answered(&self, body_hash: u64) {
        self.with(|c| *c.answered.entry(body_hash).or_default() += 1);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        self.with(|c| Stats {
            requests: c.requests,
            by_path: c.by_path.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            by_key: c.by_key.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            by_status: c.by_status.iter().map(|(k, v)| (*k, *v)).collect(),
            faults: c.faults.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            answered: c
                .answered
                .iter()
                .map(|(k, v)| (format!("{k:016x}"), *v))
                .collect(),
        })
    }

    pub(crate) fn reset(&self) {
        self.with(|c| *c = Counters::default());
    }
}

fn bump(map: &mut HashMap<String, u64>, key: &str) {
    if let Some(n) = map.get_mut(key) {
        *n += 1;
    } else {
        map.insert(key.to_owned(), 1);
    }
}

/// How an API key appears in [`Stats::by_key`]: `sk-...abcd` (first three and last four
/// characters), `...cd` for keys of 8 characters or fewer, `<none>` without a key.
///
/// # Examples
///
/// ```
/// assert_eq!(shepherd_mock::redact_key("sk-test-123456789"), "sk-...6789");
/// assert_eq!(shepherd_mock::redact_key(""), "<none>");
/// ```
pub fn redact_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    match chars.len() {
        0 => "<none>".into(),
        n if n <= 8 => format!(
            "...{}",
            chars[n.saturating_sub(2)..].iter().collect::<String>()
        ),
        n => format!(
            "{}...{}",
            chars[..3].iter().collect::<String>(),
            chars[n - 4..].iter().collect::<String>()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reflects_counts_and_round_trips() {
        let r = Recorder::default();
        r.request("/v1/embeddings", "sk-...abcd");
        r.request("/v1/embeddings", "<none>");
        r.status(200);
        r.fault("503");
        r.answered(crate::synth::fnv1a(b"x"));
        r.answered(crate::synth::fnv1a(b"x"));
        let s = r.snapshot();
        assert_eq!(s.requests, 2);
        assert_eq!(s.by_path.get("/v1/embeddings"), Some(&2));
        assert_eq!(s.answered_count(b"x"), 2);
        assert_eq!(s.answered_more_than_once().len(), 1);
        let json = serde_json::to_string(&s).expect("serializes");
        assert_eq!(serde_json::from_str::<Stats>(&json).expect("parses"), s);
        r.reset();
        assert_eq!(r.snapshot(), Stats::default());
    }

    #[test]
    fn keys_are_redacted() {
        assert_eq!(redact_key("abc"), "...bc");
        assert_eq!(redact_key("sk-proj-abcdefgh"), "sk-...efgh");
    }
}
