//! Rate-limit response headers as data: `x-ratelimit-*`, `retry-after-ms` and `retry-after`.
//!
//! The parsers take header `(name, value)` string pairs rather than an HTTP
//! header map, so this crate needs no `http` dependency; names match without
//! regard to ASCII case. Nothing here panics on what a server sent: a value
//! that does not parse is `None`.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use shepherd_types::ratelimit::{RateLimitHeaders, retry_after};
//!
//! let headers = [
//!     ("x-ratelimit-limit-requests", "500"),
//!     ("x-ratelimit-remaining-requests", "499"),
//!     ("x-ratelimit-reset-requests", "120ms"),
//!     ("x-ratelimit-reset-tokens", "6m0s"),
//!     ("retry-after", "2"),
//! ];
//! let limits = RateLimitHeaders::from_pairs(headers);
//! assert_eq!(limits.remaining_requests, Some(499));
//! assert_eq!(limits.reset_requests, Some(Duration::from_millis(120)));
//! assert_eq!(limits.reset_tokens, Some(Duration::from_secs(360)));
//! assert_eq!(retry_after(headers, SystemTime::now()), Some(Duration::from_secs(2)));
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers of one
/// response (or their `anthropic-ratelimit-*` equivalents).
///
/// Every field is `None` when its header is absent or does not parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RateLimitHeaders {
    /// `x-ratelimit-limit-requests`: requests allowed per window.
    pub limit_requests: Option<u64>,
    /// `x-ratelimit-limit-tokens`: tokens allowed per window.
    pub limit_tokens: Option<u64>,
    /// `x-ratelimit-remaining-requests`: requests left in this window.
    pub remaining_requests: Option<u64>,
    /// `x-ratelimit-remaining-tokens`: tokens left in this window.
    pub remaining_tokens: Option<u64>,
    /// `x-ratelimit-reset-requests`: time until the request budget is full again.
    pub reset_requests: Option<Duration>,
    /// `x-ratelimit-reset-tokens`: time until the token budget is full again.
    pub reset_tokens: Option<Duration>,
}

impl RateLimitHeaders {
    /// Reads OpenAI-style rate-limit headers from `(name, value)` pairs;
    /// other headers are ignored.
    ///
    /// Counts are unsigned integers; a non-negative decimal (`"60.0"`, sent
    /// by some compatible servers) is truncated. Reset values are Go
    /// durations ([`parse_go_duration`]); a bare number, which some servers
    /// send instead, is read as seconds. When a header repeats, the first
    /// value that parses wins.
    ///
    /// Anthropic's `anthropic-ratelimit-*` counts are read too, but their
    /// resets are points in time: use [`RateLimitHeaders::from_pairs_at`] to
    /// turn those into durations.
    pub fn from_pairs<I, K, V>(headers: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        Self::read(headers, None)
    }

    /// Like [`RateLimitHeaders::from_pairs`], and also reads Anthropic's
    /// `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`,
    /// whose resets are RFC 3339 timestamps, as durations from `now`
    /// (a reset in the past is `Duration::ZERO`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use shepherd_types::ratelimit::RateLimitHeaders;
    ///
    /// let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01T00:00:00Z
    /// let h = RateLimitHeaders::from_pairs_at(
    ///     [("anthropic-ratelimit-requests-remaining", "49"),
    ///      ("anthropic-ratelimit-requests-reset", "2026-01-01T00:00:12Z")],
    ///     now,
    /// );
    /// assert_eq!(h.remaining_requests, Some(49));
    /// assert_eq!(h.reset_requests, Some(Duration::from_secs(12)));
    /// ```
    pub fn from_pairs_at<I, K, V>(headers: I, now: SystemTime) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        Self::read(headers, Some(now))
    }

    fn read<I, K, V>(headers: I, now: Option<SystemTime>) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut out = RateLimitHeaders::default();
        for (name, value) in headers {
            let value = value.as_ref().trim();
            let Some((field, dialect)) = classify(name.as_ref()) else {
                continue;
            };
            let (count, reset) = match field {
                Field::LimitRequests => (Some(&mut out.limit_requests), None),
                Field::LimitTokens => (Some(&mut out.limit_tokens), None),
                Field::RemainingRequests => (Some(&mut out.remaining_requests), None),
                Field::RemainingTokens => (Some(&mut out.remaining_tokens), None),
                Field::ResetRequests => (None, Some(&mut out.reset_requests)),
                Field::ResetTokens => (None, Some(&mut out.reset_tokens)),
            };
            if let Some(slot) = count
                && slot.is_none()
            {
                *slot = parse_count(value);
            }
            if let Some(slot) = reset
                && slot.is_none()
            {
                *slot = match dialect {
                    Dialect::OpenAi => parse_go_duration(value).or_else(|| parse_seconds(value)),
                    Dialect::Anthropic => now.and_then(|now| {
                        let at = parse_rfc3339(value)?;
                        Some(at.duration_since(now).unwrap_or(Duration::ZERO))
                    }),
                };
            }
        }
        out
    }

    /// `true` when no rate-limit header was found.
    pub fn is_empty(&self) -> bool {
        *self == RateLimitHeaders::default()
    }
}

#[derive(Clone, Copy)]
enum Field {
    LimitRequests,
    LimitTokens,
    RemainingRequests,
    RemainingTokens,
    ResetRequests,
    ResetTokens,
}

#[derive(Clone, Copy)]
enum Dialect {
    /// `x-ratelimit-<what>-<resource>`, resets as Go durations.
    OpenAi,
    /// `anthropic-ratelimit-<resource>-<what>`, resets as RFC 3339 times.
    Anthropic,
}

fn classify(name: &str) -> Option<(Field, Dialect)> {
    const OPENAI: [(&str, Field); 6] = [
        ("limit-requests", Field::LimitRequests),
        ("limit-tokens", Field::LimitTokens),
        ("remaining-requests", Field::RemainingRequests),
        ("remaining-tokens", Field::RemainingTokens),
        ("reset-requests", Field::ResetRequests),
        ("reset-tokens", Field::ResetTokens),
    ];
    const ANTHROPIC: [(&str, Field); 6] = [
        ("requests-limit", Field::LimitRequests),
        ("tokens-limit", Field::LimitTokens),
        ("requests-remaining", Field::RemainingRequests),
        ("tokens-remaining", Field::RemainingTokens),
        ("requests-reset", Field::ResetRequests),
        ("tokens-reset", Field::ResetTokens),
    ];
    let (rest, table, dialect) = if let Some(rest) = strip_prefix_ignore_case(name, "x-ratelimit-")
    {
        (rest, &OPENAI, Dialect::OpenAi)
    } else if let Some(rest) = strip_prefix_ignore_case(name, "anthropic-ratelimit-") {
        (rest, &ANTHROPIC, Dialect::Anthropic)
    } else {
        return None;
    };
    table
        .iter()
        .find(|(suffix, _)| rest.eq_ignore_ascii_case(suffix))
        .map(|(_, field)| (*field, dialect))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

fn parse_count(s: &str) -> Option<u64> {
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let f = s.parse::<f64>().ok()?;
    // `as` saturates, and the range check keeps NaN, negatives and huge values out.
    (f.is_finite() && f >= 0.0 && f < u64::MAX as f64).then_some(f as u64)
}

/// A non-negative number of seconds, integer or fractional.
fn parse_seconds(s: &str) -> Option<Duration> {
    let f = s.parse::<f64>().ok()?;
    if f < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(f).ok()
}

/// Parses a Go `time.Duration` string, the format of OpenAI's reset headers.
///
/// A duration is a sequence of decimal numbers, each with an optional
/// fraction and a unit: `ns`, `us` (or `µs`/`μs`), `ms`, `s`, `m`, `h`.
/// `"0"` alone is zero. Note that `m` is minutes and `ms` milliseconds:
/// `"20ms"` is 20 milliseconds. Negative durations, a missing unit, an
/// unknown unit and overflow all give `None`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use shepherd_types::ratelimit::parse_go_duration;
///
/// assert_eq!(parse_go_duration("20ms"), Some(Duration::from_millis(20)));
/// assert_eq!(parse_go_duration("6m0s"), Some(Duration::from_secs(360)));
/// assert_eq!(parse_go_duration("1h2m3.5s"), Some(Duration::from_millis(3_723_500)));
/// assert_eq!(parse_go_duration("20"), None);
/// ```
pub fn parse_go_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (negative, s) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if s == "0" {
        return Some(Duration::ZERO);
    }
    if s.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let (int_digits, after_int) = split_digits(rest);
        let (frac_digits, after_frac) = match after_int.strip_prefix('.') {
            Some(r) => split_digits(r),
            None => ("", after_int),
        };
        if int_digits.is_empty() && frac_digits.is_empty() {
            return None;
        }
        let unit_len = after_frac
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after_frac.len());
        let (unit, next) = after_frac.split_at(unit_len);
        let unit_ns: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            _ => return None,
        };
        let mut int: u128 = 0;
        for d in int_digits.bytes() {
            int = int.checked_mul(10)?.checked_add(u128::from(d - b'0'))?;
        }
        total = total.checked_add(int.checked_mul(unit_ns)?)?;
        // Digits past the 20th are below a nanosecond even for hours: drop
        // them rather than overflow.
        let mut frac: u128 = 0;
        let mut scale: u128 = 1;
        for d in frac_digits.bytes().take(20) {
            frac = frac * 10 + u128::from(d - b'0');
            scale *= 10;
        }
        total = total.checked_add(frac * unit_ns / scale)?;
        rest = next;
    }
    // Only a negative zero is a valid non-positive reset; anything else
    // negative is meaningless for a wait.
    if negative && total != 0 {
        return None;
    }
    let secs = u64::try_from(total / 1_000_000_000).ok()?;
    // The remainder is below 10^9, so it always fits.
    let nanos = u32::try_from(total % 1_000_000_000).ok()?;
    Some(Duration::new(secs, nanos))
}

fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// How long the server asks to wait before retrying, from `retry-after-ms`
/// or `retry-after`.
///
/// `retry-after-ms` (milliseconds, possibly fractional; sent by OpenAI and
/// Azure) wins over `retry-after`, which is seconds (integer, or fractional
/// as some servers send) or an HTTP date ([`parse_http_date`]) measured
/// from `now`. A date in the past means "retry now": `Duration::ZERO`.
/// A header that does not parse is skipped, so a garbage `retry-after-ms`
/// falls back to `retry-after`.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use shepherd_types::ratelimit::retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_770); // 1994-11-06 08:49:30 UTC
/// let wait = retry_after([("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT")], now);
/// assert_eq!(wait, Some(Duration::from_secs(7)));
///
/// let wait = retry_after([("retry-after", "1"), ("retry-after-ms", "250.5")], now);
/// assert_eq!(wait, Some(Duration::from_micros(250_500)));
/// ```
pub fn retry_after<I, K, V>(headers: I, now: SystemTime) -> Option<Duration>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut from_ms = None;
    let mut from_header = None;
    for (name, value) in headers {
        let name = name.as_ref();
        let value = value.as_ref().trim();
        if from_ms.is_none() && name.eq_ignore_ascii_case("retry-after-ms") {
            from_ms = value
                .parse::<f64>()
                .ok()
                .filter(|ms| *ms >= 0.0)
                .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok());
        } else if from_header.is_none() && name.eq_ignore_ascii_case("retry-after") {
            from_header = parse_seconds(value).or_else(|| {
                let at = parse_http_date(value)?;
                Some(at.duration_since(now).unwrap_or(Duration::ZERO))
            });
        }
    }
    from_ms.or(from_header)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Parses an HTTP date in any of the three formats RFC 9110 requires a
/// recipient to accept:
///
/// - IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT` (what servers send today)
/// - RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT` (two-digit years 70–99 are
///   19xx, 00–69 are 20xx)
/// - asctime: `Sun Nov  6 08:49:37 1994`
///
/// The weekday name must be a real one but is not checked against the date.
/// Returns `None` for anything else, including impossible dates.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use shepherd_types::ratelimit::parse_http_date;
///
/// let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
/// ```
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let (weekday, rest) = s.split_once([',', ' '])?;
    if let Some(rest) = rest.strip_prefix(' ')
        && s.as_bytes().get(weekday.len()) == Some(&b',')
    {
        if DAYS.contains(&weekday) {
            parse_imf_fixdate(rest)
        } else if LONG_DAYS.contains(&weekday) {
            parse_rfc850(rest)
        } else {
            None
        }
    } else if DAYS.contains(&weekday) {
        parse_asctime(rest)
    } else {
        None
    }
}

/// Parses an RFC 3339 timestamp such as `2026-01-01T00:00:12Z` or
/// `2026-01-01T01:00:12.5+01:00` (the format of Anthropic's reset headers).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use shepherd_types::ratelimit::parse_rfc3339;
///
/// let t = UNIX_EPOCH + Duration::from_millis(1_767_225_612_500);
/// assert_eq!(parse_rfc3339("2026-01-01T00:00:12.5Z"), Some(t));
/// assert_eq!(parse_rfc3339("2026-01-01T01:00:12.500+01:00"), Some(t));
/// assert_eq!(parse_rfc3339("2026-01-01"), None);
/// ```
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = parse_fixed(s.get(..4)?, 4)?;
    let month = parse_fixed(s.get(5..7)?, 2)?;
    let day = parse_fixed(s.get(8..10)?, 2)?;
    let (h, m, sec) = parse_clock(s.get(11..19)?)?;
    let mut rest = s.get(19..)?;
    let mut nanos: u32 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let (digits, after) = split_digits(frac);
        if digits.is_empty() {
            return None;
        }
        // Digits past nanoseconds carry no meaning for a reset time.
        for (i, d) in digits.bytes().take(9).enumerate() {
            nanos += u32::from(d - b'0') * 10u32.pow(8 - u32::try_from(i).ok()?);
        }
        rest = after;
    }
    let offset_secs: i64 = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let oh = i64::from(parse_fixed(rest.get(1..3)?, 2)?);
            let om = i64::from(parse_fixed(rest.get(4..6)?, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3_600 + om * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let local = to_system_time(year, month, day, h, m, sec)?;
    let utc = if offset_secs >= 0 {
        local.checked_sub(Duration::from_secs(offset_secs.unsigned_abs()))?
    } else {
        local.checked_add(Duration::from_secs(offset_secs.unsigned_abs()))?
    };
    utc.checked_add(Duration::from_nanos(u64::from(nanos)))
}

/// `06 Nov 1994 08:49:37 GMT`
fn parse_imf_fixdate(s: &str) -> Option<SystemTime> {
    let mut parts = s.split(' ');
    let day = parse_fixed(parts.next()?, 2)?;
    let month = parse_month(parts.next()?)?;
    let year = parse_fixed(parts.next()?, 4)?;
    let (h, m, sec) = parse_clock(parts.next()?)?;
    (parts.next()? == "GMT" && parts.next().is_none()).then_some(())?;
    to_system_time(year, month, day, h, m, sec)
}

/// `06-Nov-94 08:49:37 GMT`
fn parse_rfc850(s: &str) -> Option<SystemTime> {
    let mut parts = s.split(' ');
    let mut date = parts.next()?.split('-');
    let day = parse_fixed(date.next()?, 2)?;
    let month = parse_month(date.next()?)?;
    let yy = parse_fixed(date.next()?, 2)?;
    date.next().is_none().then_some(())?;
    let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
    let (h, m, sec) = parse_clock(parts.next()?)?;
    (parts.next()? == "GMT" && parts.next().is_none()).then_some(())?;
    to_system_time(year, month, day, h, m, sec)
}

/// `Nov  6 08:49:37 1994` (the day is space-padded to two characters).
fn parse_asctime(s: &str) -> Option<SystemTime> {
    let month = parse_month(s.get(..3)?)?;
    let s = s.get(3..)?.strip_prefix(' ')?;
    let day = s.get(..2)?;
    let day = match day.strip_prefix(' ') {
        Some(single) => parse_fixed(single, 1)?,
        None => parse_fixed(day, 2)?,
    };
    let mut parts = s.get(2..)?.strip_prefix(' ')?.split(' ');
    let (h, m, sec) = parse_clock(parts.next()?)?;
    let year = parse_fixed(parts.next()?, 4)?;
    parts.next().is_none().then_some(())?;
    to_system_time(year, month, day, h, m, sec)
}

/// Exactly `len` ASCII digits (at least one).
fn parse_fixed(s: &str, len: usize) -> Option<u32> {
    if len == 0 || s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_month(s: &str) -> Option<u32> {
    let i = MONTHS.iter().position(|m| *m == s)?;
    u32::try_from(i + 1).ok()
}

/// `08:49:37`
fn parse_clock(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split(':');
    let h = parse_fixed(it.next()?, 2)?;
    let m = parse_fixed(it.next()?, 2)?;
    let sec = parse_fixed(it.next()?, 2)?;
    it.next().is_none().then_some(())?;
    // 60 is a leap second, which IMF-fixdate allows.
    (h < 24 && m < 60 && sec <= 60).then_some((h, m, sec))
}

fn to_system_time(year: u32, month: u32, day: u32, h: u32, m: u32, sec: u32) -> Option<SystemTime> {
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(h) * 3_600 + i64::from(m) * 60 + i64::from(sec);
    match u64::try_from(secs) {
        Ok(secs) => UNIX_EPOCH.checked_add(Duration::from_secs(secs)),
        Err(_) => UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs())),
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`), so no calendar crate is needed.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<Duration> {
        parse_go_duration(s)
    }

    #[test]
    fn go_durations_of_every_unit() {
        assert_eq!(d("0"), Some(Duration::ZERO));
        assert_eq!(d("0s"), Some(Duration::ZERO));
        assert_eq!(d("1s"), Some(Duration::from_secs(1)));
        assert_eq!(d("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(d("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(d("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(d("1h2m3.5s"), Some(Duration::from_millis(3_723_500)));
        assert_eq!(d("500us"), Some(Duration::from_micros(500)));
        assert_eq!(d("500µs"), Some(Duration::from_micros(500)));
        assert_eq!(d("500μs"), Some(Duration::from_micros(500)));
        assert_eq!(d("750ns"), Some(Duration::from_nanos(750)));
        assert_eq!(d(".5s"), Some(Duration::from_millis(500)));
        assert_eq!(d("5.s"), Some(Duration::from_secs(5)));
        assert_eq!(d("+2m"), Some(Duration::from_secs(120)));
        assert_eq!(d("1.000000001s"), Some(Duration::new(1, 1)));
        assert_eq!(
            d("2h0m0.123456789123456789123s"),
            Some(Duration::new(7200, 123_456_789))
        );
        assert_eq!(d("-0s"), Some(Duration::ZERO));
        assert_eq!(d("-0"), Some(Duration::ZERO));
    }

    #[test]
    fn go_duration_garbage_is_none() {
        for bad in [
            "",
            "s",
            ".s",
            "20",
            "1.5",
            "-1s",
            "1x",
            "1S",
            "1 s",
            "ms",
            "1h2",
            "..5s",
            "1e3s",
            "99999999999999999999999999999999999999999h",
            "18446744073709551616s",
            "--0",
            "+-1s",
            "-",
            "+",
            "-1ns",
        ] {
            assert_eq!(d(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn headers_parse_case_insensitively_and_tolerate_plain_seconds() {
        let h = RateLimitHeaders::from_pairs([
            ("X-RateLimit-Limit-Tokens", "200000"),
            ("x-ratelimit-remaining-tokens", "199,5"),
            ("x-ratelimit-remaining-requests", "59.0"),
            ("x-ratelimit-reset-requests", "1.5"),
            ("x-ratelimit-reset-tokens", "20ms"),
            ("content-type", "application/json"),
        ]);
        assert_eq!(h.limit_tokens, Some(200_000));
        assert_eq!(h.remaining_tokens, None, "garbage is None, not zero");
        assert_eq!(h.remaining_requests, Some(59));
        assert_eq!(h.reset_requests, Some(Duration::from_millis(1500)));
        assert_eq!(h.reset_tokens, Some(Duration::from_millis(20)));
        assert_eq!(h.limit_requests, None);
        assert!(!h.is_empty());
        assert!(RateLimitHeaders::from_pairs([("server", "x")]).is_empty());
    }

    #[test]
    fn headers_from_owned_strings_first_valid_wins() {
        let pairs = vec![
            ("x-ratelimit-limit-requests".to_owned(), "abc".to_owned()),
            ("x-ratelimit-limit-requests".to_owned(), "10".to_owned()),
            ("x-ratelimit-limit-requests".to_owned(), "20".to_owned()),
        ];
        assert_eq!(RateLimitHeaders::from_pairs(pairs).limit_requests, Some(10));
    }

    #[test]
    fn anthropic_headers_need_a_clock_for_resets() {
        let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01T00:00:00Z
        let pairs = [
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", "2026-01-01T00:00:30Z"),
            ("anthropic-ratelimit-tokens-limit", "30000"),
            ("anthropic-ratelimit-tokens-remaining", "29000"),
            ("Anthropic-RateLimit-Tokens-Reset", "2025-12-31T23:59:00Z"),
            ("anthropic-ratelimit-input-tokens-limit", "1"),
        ];
        let at = RateLimitHeaders::from_pairs_at(pairs, now);
        assert_eq!(at.limit_requests, Some(50));
        assert_eq!(at.remaining_requests, Some(0));
        assert_eq!(at.reset_requests, Some(Duration::from_secs(30)));
        assert_eq!(at.limit_tokens, Some(30_000));
        assert_eq!(
            at.reset_tokens,
            Some(Duration::ZERO),
            "past reset means now"
        );
        let plain = RateLimitHeaders::from_pairs(pairs);
        assert_eq!(plain.remaining_tokens, Some(29_000));
        assert_eq!(plain.reset_requests, None, "no clock, no absolute reset");
    }

    #[test]
    fn rfc3339_forms() {
        let t = |secs: u64, nanos: u32| Some(UNIX_EPOCH + Duration::new(secs, nanos));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), t(0, 0));
        assert_eq!(
            parse_rfc3339("2026-01-01t00:00:00.123456789123z"),
            t(1_767_225_600, 123_456_789)
        );
        assert_eq!(
            parse_rfc3339("2025-12-31 19:00:00-05:00"),
            t(1_767_225_600, 0)
        );
        for bad in [
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00+0100",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01X00:00:00Z",
            "２０２６-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z junk",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    const NOW: u64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    #[test]
    fn http_dates_in_all_three_formats() {
        for s in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(s), Some(now()), "{s}");
        }
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 23:59:60 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_835_481_600))
        );
        assert_eq!(
            parse_http_date("Wed Nov 25 22:31:16 2026"),
            Some(UNIX_EPOCH + Duration::from_secs(1_795_645_876))
        );
        assert_eq!(
            parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(946_684_800))
        );
    }

    #[test]
    fn impossible_or_malformed_dates_are_none() {
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 2100 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sun Nov 6 08:49:37 1994",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "1994-11-06T08:49:37Z",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun,",
            "Sun Nov",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_forms() {
        let ra = |pairs: &[(&str, &str)]| retry_after(pairs.iter().copied(), now());
        assert_eq!(ra(&[("retry-after", "3")]), Some(Duration::from_secs(3)));
        assert_eq!(
            ra(&[("retry-after", "0.25")]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            ra(&[("Retry-After-Ms", "1500")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            ra(&[("retry-after", "9"), ("retry-after-ms", "20.5")]),
            Some(Duration::from_micros(20_500)),
            "retry-after-ms wins whatever the order"
        );
        assert_eq!(
            ra(&[("retry-after-ms", "soon"), ("retry-after", "4")]),
            Some(Duration::from_secs(4)),
            "garbage ms falls back to seconds"
        );
        assert_eq!(
            ra(&[("retry-after", "Sun, 06 Nov 1994 08:50:07 GMT")]),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            ra(&[("retry-after", "Sun, 06 Nov 1994 08:00:00 GMT")]),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(ra(&[("retry-after", "-1")]), None);
        assert_eq!(ra(&[("retry-after", "NaN")]), None);
        assert_eq!(ra(&[("retry-after", "inf")]), None);
        assert_eq!(ra(&[("retry-after", "1e400")]), None);
        assert_eq!(ra(&[("retry-after-ms", "-5")]), None);
        assert_eq!(ra(&[("retry-after", "tomorrow")]), None);
        assert_eq!(ra(&[]), None);
    }
}
