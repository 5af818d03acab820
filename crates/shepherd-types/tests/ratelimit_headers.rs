//! Rate-limit headers as real servers send them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shepherd_types::ratelimit::{
    RateLimitHeaders, parse_go_duration, parse_http_date, retry_after,
};

#[test]
fn openai_429_response_headers() {
    // Shape of a real OpenAI 429 response's headers.
    let headers = [
        ("date", "Tue, 25 Nov 2025 10:00:00 GMT"),
        ("content-type", "application/json"),
        ("x-ratelimit-limit-requests", "10000"),
        ("x-ratelimit-limit-tokens", "30000000"),
        ("x-ratelimit-remaining-requests", "9999"),
        ("x-ratelimit-remaining-tokens", "29999390"),
        ("x-ratelimit-reset-requests", "6ms"),
        ("x-ratelimit-reset-tokens", "1ms"),
        ("retry-after-ms", "6"),
        ("retry-after", "1"),
    ];
    let h = RateLimitHeaders::from_pairs(headers);
    assert_eq!(
        h,
        RateLimitHeaders {
            limit_requests: Some(10_000),
            limit_tokens: Some(30_000_000),
            remaining_requests: Some(9_999),
            remaining_tokens: Some(29_999_390),
            reset_requests: Some(Duration::from_millis(6)),
            reset_tokens: Some(Duration::from_millis(1)),
        }
    );
    assert_eq!(
        retry_after(headers, SystemTime::now()),
        Some(Duration::from_millis(6))
    );
}

#[test]
fn twenty_ms_is_milliseconds_and_six_m_zero_s_is_minutes() {
    assert_eq!(parse_go_duration("20ms"), Some(Duration::from_millis(20)));
    assert_eq!(parse_go_duration("20m"), Some(Duration::from_secs(1_200)));
    assert_eq!(parse_go_duration("6m0s"), Some(Duration::from_secs(360)));
    assert_eq!(
        parse_go_duration("1m30.5s"),
        Some(Duration::from_millis(90_500))
    );
}

#[test]
fn retry_after_http_date_is_relative_to_now() {
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    let at = parse_http_date(date).expect("IMF-fixdate");
    assert_eq!(at, UNIX_EPOCH + Duration::from_secs(1_445_412_480));
    let now = at - Duration::from_millis(2_500);
    assert_eq!(
        retry_after([("Retry-After", date)], now),
        Some(Duration::from_millis(2_500))
    );
    let later = at + Duration::from_secs(60);
    assert_eq!(
        retry_after([("Retry-After", date)], later),
        Some(Duration::ZERO)
    );
}

#[test]
fn garbage_never_panics() {
    let long = "9".repeat(400);
    let dashes = "-".repeat(100_000);
    let junk = [
        "",
        " ",
        "-",
        "+",
        ".",
        "µ",
        "1µ",
        &long,
        &dashes,
        "1h-1s",
        "\u{0}",
        "Sun, ",
        "Sun, 99 Nov 1994 08:49:37 GMT",
        "Sun Nov 99 08:49:37 1994",
        "NaN",
        "-inf",
        "1e309",
        "0x10",
        "١٢",
        "Mon, 01 Jan 99999 00:00:00 GMT",
    ];
    for v in junk {
        let _ = parse_go_duration(v);
        let _ = parse_http_date(v);
        let h = RateLimitHeaders::from_pairs([
            ("x-ratelimit-reset-tokens", v),
            ("x-ratelimit-limit-tokens", v),
        ]);
        assert!(h.is_empty(), "{v:?} -> {h:?}");
        assert_eq!(
            retry_after([("retry-after", v), ("retry-after-ms", v)], UNIX_EPOCH),
            None,
            "{v:?}"
        );
    }
}

/// Seeded random strings over the characters these formats are made of:
/// every parser must return without panicking, and what parses must be sane.
#[test]
fn seeded_random_inputs_never_panic() {
    const ALPHABET: &[&str] = &[
        "0", "1", "2", "5", "9", ".", ":", "-", "+", " ", ",", "h", "m", "s", "n", "u", "µ", "μ",
        "T", "Z", "GMT", "Sun", "Sunday", "Nov", "Feb", "29", "60", "1994", "e", "∞", "é",
    ];
    let mut state: u64 = 0x5eed_1234_abcd_ef01;
    let mut next = move || {
        // xorshift64*: deterministic, no dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    for _ in 0..20_000 {
        let len = (next() % 12) as usize;
        let s: String = (0..len)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        if let Some(d) = parse_go_duration(&s) {
            assert!(d < Duration::from_secs(u64::MAX / 2), "{s:?} -> {d:?}");
        }
        let _ = parse_http_date(&s);
        let _ = shepherd_types::ratelimit::parse_rfc3339(&s);
        let _ = retry_after(
            [("retry-after", s.as_str()), ("retry-after-ms", s.as_str())],
            now,
        );
        let _ = RateLimitHeaders::from_pairs_at(
            [
                ("x-ratelimit-reset-tokens", s.as_str()),
                ("anthropic-ratelimit-tokens-reset", s.as_str()),
            ],
            now,
        );
    }
}
