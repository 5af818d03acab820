//! Fault descriptions (`503:0.05`, `reset@3`, `drip=500%10`) and the per-request choice among them.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::config::parse_duration;

/// One kind of misbehaviour the mock can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// A 5xx answer, with an OpenAI-style JSON error body or, with `html`, a proxy's HTML page.
    /// Flag: `500`, `502`, `503`, `504`, `503-html`, ...
    ServerError {
        /// The status, 500 to 599.
        status: u16,
        /// Answer with a `text/html` page instead of JSON.
        html: bool,
    },
    /// A 429 `rate_limit_exceeded` for this request and the next `len - 1` API requests.
    /// Flag: `429` (a burst of 1) or `429=5`.
    RateLimitBurst {
        /// How many consecutive requests are refused.
        len: u32,
    },
    /// The TCP connection is reset before any response byte. Flag: `reset`.
    ResetBeforeHeaders,
    /// Headers and half the body are sent, then the connection is reset. Flag: `reset-body`.
    ResetMidBody,
    /// Half the events of a stream are sent, then the connection is reset; on a
    /// non-streaming request this is [`FaultKind::ResetMidBody`]. Flag: `reset-stream`.
    ResetMidStream,
    /// Headers are sent, then nothing for `pause`, then the answer. Flag: `stall` or
    /// `stall=5s` (default 60 s).
    Stall {
        /// How long the body is held back.
        pause: Duration,
    },
    /// The body trickles out one byte per `interval`. Flag: `drip` or `drip=200ms` (default 1 s).
    Drip {
        /// Time between two bytes.
        interval: Duration,
    },
    /// A 200 whose JSON body (or one stream event) is cut and followed by garbage. Flag: `malformed`.
    MalformedJson,
    /// `content-length` promises the whole body but only half is sent before a clean close;
    /// a stream ends without its final events and `[DONE]`. Flag: `truncated`.
    TruncatedBody,
    /// Half the stream, then an `error` event, then the end. Streams only. Flag: `sse-error`.
    SseErrorEvent,
    /// A streaming request is answered with the complete `application/json` body (which
    /// counts as answered, being a whole answer). Plain requests are unaffected.
    /// Flag: `json-for-stream`.
    JsonForStream,
}

impl FaultKind {
    /// The flag name, also the key under which [`Stats::faults`](crate::Stats::faults) counts it.
    pub fn name(&self) -> String {
        match self {
            FaultKind::ServerError {
                status,
                html: false,
            } => status.to_string(),
            FaultKind::ServerError { status, html: true } => format!("{status}-html"),
            FaultKind::RateLimitBurst { .. } => "429".into(),
            FaultKind::ResetBeforeHeaders => "reset".into(),
            FaultKind::ResetMidBody => "reset-body".into(),
            FaultKind::ResetMidStream => "reset-stream".into(),
            FaultKind::Stall { .. } => "stall".into(),
            FaultKind::Drip { .. } => "drip".into(),
            FaultKind::MalformedJson => "malformed".into(),
            FaultKind::TruncatedBody => "truncated".into(),
            FaultKind::SseErrorEvent => "sse-error".into(),
            FaultKind::JsonForStream => "json-for-stream".into(),
        }
    }

    fn parse(name: &str, param: Option<&str>, input: &str) -> Result<Self, Error> {
        let no_param = |kind: FaultKind| match param {
            None => Ok(kind),
            Some(_) => Err(Error::parse(
                "fault",
                input,
                format!("{name} takes no parameter"),
            )),
        };
        let duration = |default: Duration| match param {
            None => Ok(default),
            Some(p) => parse_duration(p),
        };
        match name {
            "reset" => no_param(FaultKind::ResetBeforeHeaders),
            "reset-body" => no_param(FaultKind::ResetMidBody),
            "reset-stream" => no_param(FaultKind::ResetMidStream),
            "malformed" => no_param(FaultKind::MalformedJson),
            "truncated" => no_param(FaultKind::TruncatedBody),
            "sse-error" => no_param(FaultKind::SseErrorEvent),
            "json-for-stream" => no_param(FaultKind::JsonForStream),
            "stall" => Ok(FaultKind::Stall {
                pause: duration(Duration::from_secs(60))?,
            }),
            "drip" => Ok(FaultKind::Drip {
                interval: duration(Duration::from_secs(1))?,
            }),
            "429" => {
                let len = match param {
                    None => 1,
                    Some(p) => p.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                        Error::parse("fault", input, "burst length must be a positive integer")
                    })?,
                };
                Ok(FaultKind::RateLimitBurst { len })
            }
            other => {
                let (code, html) = match other.strip_suffix("-html") {
                    Some(code) => (code, true),
                    None => (other, false),
                };
                match code.parse::<u16>() {
                    Ok(status) if (500..=599).contains(&status) => {
                        no_param(FaultKind::ServerError { status, html })
                    }
                    _ => Err(Error::parse(
                        "fault",
                        input,
                        format!("unknown fault kind {other:?}"),
                    )),
                }
            }
        }
    }

    fn param(&self) -> Option<String> {
        match self {
            FaultKind::RateLimitBurst { len } if *len != 1 => Some(len.to_string()),
            FaultKind::Stall { pause } => Some(format!("{}ms", pause.as_millis())),
            FaultKind::Drip { interval } => Some(format!("{}ms", interval.as_millis())),
            _ => None,
        }
    }
}

/// When a fault fires.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Trigger {
    /// On each API request with this probability, drawn from the seeded generator
    /// (`:0.05`). Probabilities of all faults are cumulative and must add up to at most 1.
    Probability(f64),
    /// On API requests number `first..=last`, counted from 1 in order of arrival (`@3`, `@3-5`).
    Requests {
        /// First request number.
        first: u64,
        /// Last request number, inclusive.
        last: u64,
    },
    /// On every `n`-th API request: `n`, `2n`, ... (`%10`).
    Every(u64),
}

impl Trigger {
    /// The probability, if this is a probabilistic trigger.
    pub fn probability(&self) -> Option<f64> {
        match self {
            Trigger::Probability(p) => Some(*p),
            _ => None,
        }
    }

    /// True if the deterministic schedule selects request number `seq` (1-based).
    pub fn schedules(&self, seq: u64) -> bool {
        match *self {
            Trigger::Probability(_) => false,
            Trigger::Requests { first, last } => (first..=last).contains(&seq),
            Trigger::Every(n) => n > 0 && seq.is_multiple_of(n),
        }
    }
}

/// A fault and when it fires, written `KIND[=PARAM](:PROBABILITY | @N[-M] | %EVERY)`.
///
/// Kinds: `500`..`599` (JSON body), `5xx-html` (HTML body), `429[=BURST]`, `reset`,
/// `reset-body`, `reset-stream`, `stall[=DURATION]`, `drip[=DURATION]`, `malformed`,
/// `truncated`, `sse-error`, `json-for-stream`. See [`FaultKind`] for what each does.
///
/// Scheduled faults take precedence over probabilistic ones; among several that match,
/// the first listed wins. In configuration files a fault is the same string.
///
/// # Examples
///
/// ```
/// use shepherd_mock::{Fault, FaultKind, Trigger};
///
/// let fault: Fault = "503:0.05".parse()?;
/// assert_eq!(fault.kind, FaultKind::ServerError { status: 503, html: false });
/// assert_eq!(fault.trigger, Trigger::Probability(0.05));
///
/// let fault: Fault = "drip=200ms@2-4".parse()?;
/// assert!(fault.trigger.schedules(3));
/// assert_eq!(fault.to_string(), "drip=200ms@2-4");
/// # Ok::<(), shepherd_mock::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// When it happens.
    pub trigger: Trigger,
}

impl Fault {
    /// A fault that fires with probability `p` on each request.
    pub fn with_probability(kind: FaultKind, p: f64) -> Self {
        Fault {
            kind,
            trigger: Trigger::Probability(p),
        }
    }

    /// A fault that fires on request number `seq` only (1-based).
    pub fn on_request(kind: FaultKind, seq: u64) -> Self {
        Fault {
            kind,
            trigger: Trigger::Requests {
                first: seq,
                last: seq,
            },
        }
    }
}

impl FromStr for Fault {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        let s = input.trim();
        let at = s
            .find([':', '@', '%'])
            .ok_or_else(|| Error::parse("fault", input, "expected KIND:P, KIND@N[-M] or KIND%N"))?;
        let (head, rest) = s.split_at(at);
        let (name, param) = match head.split_once('=') {
            Some((n, p)) => (n, Some(p)),
            None => (head, None),
        };
        let kind = FaultKind::parse(&name.to_ascii_lowercase(), param, input)?;
        let spec = &rest[1..];
        let trigger = match rest.as_bytes()[0] {
            b':' => {
                let p: f64 = spec
                    .parse()
                    .map_err(|_| Error::parse("fault", input, "probability must be a number"))?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(Error::parse(
                        "fault",
                        input,
                        "probability must be within 0..=1",
                    ));
                }
                Trigger::Probability(p)
            }
            b'@' => {
                let number = |t: &str| {
                    t.trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| Error::parse("fault", input, "request numbers start at 1"))
                };
                let (first, last) = match spec.split_once('-') {
                    Some((a, b)) => (number(a)?, number(b)?),
                    None => (number(spec)?, number(spec)?),
                };
                if last < first {
                    return Err(Error::parse("fault", input, "empty request range"));
                }
                Trigger::Requests { first, last }
            }
            _ => Trigger::Every(spec.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                Error::parse("fault", input, "period must be a positive integer")
            })?),
        };
        Ok(Fault { kind, trigger })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind.name())?;
        if let Some(p) = self.kind.param() {
            write!(f, "={p}")?;
        }
        match self.trigger {
            Trigger::Probability(p) => write!(f, ":{p}"),
            Trigger::Requests { first, last } if first == last => write!(f, "@{first}"),
            Trigger::Requests { first, last } => write!(f, "@{first}-{last}"),
            Trigger::Every(n) => write!(f, "%{n}"),
        }
    }
}

impl TryFrom<String> for Fault {
    type Error = Error;

    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<Fault> for String {
    fn from(f: Fault) -> String {
        f.to_string()
    }
}

/// Picks the fault for request number `seq`, given a uniform draw `u` in `[0, 1)`.
pub(crate) fn choose(faults: &[Fault], seq: u64, u: f64) -> Option<FaultKind> {
    if let Some(f) = faults.iter().find(|f| f.trigger.schedules(seq)) {
        return Some(f.kind);
    }
    let mut cumulative = 0.0;
    for f in faults {
        if let Trigger::Probability(p) = f.trigger {
            cumulative += p;
            if u < cumulative {
                return Some(f.kind);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_and_round_trips() {
        for text in [
            "500:0.1",
            "502:0.1",
            "503:0.1",
            "504-html:0.1",
            "503-html@2",
            "429:0.2",
            "429=5@1",
            "reset@1",
            "reset-body@1-3",
            "reset-stream%4",
            "stall:0.1",
            "stall=5000ms:0.1",
            "drip=200ms%3",
            "malformed:1",
            "truncated:0",
            "sse-error@9",
            "json-for-stream@2",
        ] {
            let fault: Fault = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            let again: Fault = fault.to_string().parse().expect("display parses back");
            assert_eq!(fault, again, "{text}");
        }
    }

    #[test]
    fn bad_faults_are_rejected() {
        for text in [
            "503",
            "418:0.1",
            "503:1.5",
            "reset=3@1",
            "429=0@1",
            "stall=soon:0.1",
            "503@0",
            "503@5-2",
            "503%0",
        ] {
            assert!(text.parse::<Fault>().is_err(), "{text} should be rejected");
        }
    }

    #[test]
    fn schedule_wins_over_probability_and_probabilities_accumulate() {
        let faults: Vec<Fault> = ["500:0.25", "502:0.25", "reset@3"]
            .iter()
            .map(|t| t.parse().expect("fault"))
            .collect();
        assert_eq!(choose(&faults, 3, 0.9), Some(FaultKind::ResetBeforeHeaders));
        assert_eq!(
            choose(&faults, 1, 0.1),
            Some(FaultKind::ServerError {
                status: 500,
                html: false
            })
        );
        assert_eq!(
            choose(&faults, 1, 0.3),
            Some(FaultKind::ServerError {
                status: 502,
                html: false
            })
        );
        assert_eq!(choose(&faults, 1, 0.5), None);
    }
}
