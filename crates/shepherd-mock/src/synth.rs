//! Deterministic content: stable hashes, pseudo-random streams and token estimates.
//!
//! Everything here is a pure function of its input so that an answer can be traced back
//! to its question. The hash is FNV-1a and the generator splitmix64, both fixed
//! algorithms, so values do not change with the Rust or `rand` version.

/// FNV-1a, 64 bit.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The stable hash the mock uses to identify a request body, as 16 hex digits.
///
/// [`Stats::answered`](crate::Stats::answered) is keyed by this value, so a test can look up
/// how often one particular body was answered.
///
/// # Examples
///
/// ```
/// let a = shepherd_mock::body_hash(br#"{"model":"gpt-4.1"}"#);
/// assert_eq!(a.len(), 16);
/// assert_eq!(a, shepherd_mock::body_hash(br#"{"model":"gpt-4.1"}"#));
/// ```
pub fn body_hash(body: &[u8]) -> String {
    format!("{:016x}", fnv1a(body))
}

/// A tiny deterministic generator (splitmix64).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Rough token count for text: a quarter of its characters, at least one for non-empty text.
///
/// This is the rule of thumb OpenAI documents for English; the mock uses it for `usage`
/// and for the token rate limit alike, so the two always agree.
pub(crate) fn estimate_tokens(text: &str) -> u64 {
    let chars = text.chars().count() as u64;
    chars.div_ceil(4)
}

/// The first `n` characters of `text`, on a character boundary.
pub(crate) fn prefix(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

const WORDS: &[&str] = &[
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
];

/// `count` words chosen deterministically from `seed`, separated by spaces.
pub(crate) fn words(seed: u64, count: usize) -> String {
    let mut rng = SplitMix::new(seed);
    let mut out = String::new();
    for i in 0..count {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[(rng.next_u64() % WORDS.len() as u64) as usize]);
    }
    out
}

/// Short lowercase hex id derived from a seed, for `chatcmpl-...`, `file-...` and friends.
pub(crate) fn id_from(seed: u64) -> String {
    format!("{:016x}", SplitMix::new(seed).next_u64())
}

/// Splits text into stream pieces: one word each, the leading space kept with the word.
pub(crate) fn stream_pieces(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        if ch == ' ' && !current.trim().is_empty() {
            pieces.push(std::mem::take(&mut current));
        }
        current.push(ch);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn pieces_rebuild_the_text() {
        let text = "echo: hello  wide world #abc";
        assert_eq!(stream_pieces(text).concat(), text);
        assert_eq!(stream_pieces(text).len(), 5);
    }

    #[test]
    fn tokens_and_prefixes() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(prefix("häppy", 2), "hä");
        assert_eq!(prefix("hi", 40), "hi");
        assert_eq!(words(1, 3), words(1, 3));
        let u = SplitMix::new(3).next_f64();
        assert!((0.0..1.0).contains(&u));
    }
}
