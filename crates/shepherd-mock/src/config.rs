//! The mock's configuration: a plain struct whose fields map one-to-one to command-line flags.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::fault::Fault;

/// Everything the mock can be told, readable from TOML or JSON.
///
/// Every field is optional in a document (missing fields take the defaults listed below),
/// and each maps to one flag of `shepherd mock`: `latency_ms` is `--latency-ms`,
/// `faults` is a repeated `--fault 503:0.05`, and so on. Durations are plain milliseconds
/// so that flags stay integers.
///
/// `Debug` shows API keys redacted, like [`redact_key`](crate::redact_key).
///
/// # Examples
///
/// ```
/// use shepherd_mock::MockConfig;
///
/// let config = MockConfig::from_toml_str(r#"
///     latency_ms = 120
///     rpm = 600
///     faults = ["503:0.05", "reset@3"]
/// "#)?;
/// assert_eq!(config.rpm, Some(600));
/// assert_eq!(config.faults.len(), 2);
/// # Ok::<(), shepherd_mock::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct MockConfig {
    /// Address to listen on. Default `127.0.0.1`.
    pub host: IpAddr,
    /// Port to listen on; `0` picks a free one. Default `0`.
    pub port: u16,
    /// Seed for every random draw (latency, faults), so runs repeat. Default `0`.
    pub seed: u64,
    /// Mean time to first byte in milliseconds. Default `0`.
    pub latency_ms: u64,
    /// Spread of the time to first byte (standard deviation) in milliseconds. Default `0`.
    pub latency_jitter_ms: u64,
    /// Shape of the time-to-first-byte distribution. Default [`LatencyDistribution::Fixed`].
    pub latency_distribution: LatencyDistribution,
    /// Generation speed in output tokens per second: paces stream chunks and delays
    /// non-streaming answers by their length. `0` means instant. Default `0`.
    pub tokens_per_sec: u32,
    /// Pad every text chat reply with filler words to at least this many tokens (one
    /// stream chunk each), for long streams in benchmarks; `max_tokens` still cuts it.
    /// Default `None`: the short echo reply.
    pub reply_tokens: Option<u32>,
    /// Requests per minute per API key; `None` disables the request limit. Default `None`.
    pub rpm: Option<u32>,
    /// Tokens per minute per API key; `None` disables the token limit. Default `None`.
    pub tpm: Option<u32>,
    /// Accepted API keys. Empty accepts any key, or none. Default empty.
    pub keys: Vec<String>,
    /// Answer every API request with a 429 `insufficient_quota`. Default `false`.
    pub insufficient_quota: bool,
    /// Injected faults, in flag syntax (see [`Fault`]). Default none.
    pub faults: Vec<Fault>,
    /// A window in which every API request fails with 503. Default none.
    pub outage: Option<Outage>,
    /// Model ids listed by `GET /v1/models`. Default: a handful of common OpenAI and Anthropic ids.
    pub models: Vec<String>,
    /// How long each batch status step (validating, in progress, finalizing) takes,
    /// in milliseconds. Default `1000`.
    pub batch_step_ms: u64,
    /// Largest request body accepted, in bytes. Default 32 MiB.
    pub max_body_bytes: usize,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            seed: 0,
            latency_ms: 0,
            latency_jitter_ms: 0,
            latency_distribution: LatencyDistribution::Fixed,
            tokens_per_sec: 0,
            reply_tokens: None,
            rpm: None,
            tpm: None,
            keys: Vec::new(),
            insufficient_quota: false,
            faults: Vec::new(),
            outage: None,
            models: default_models(),
            batch_step_ms: 1000,
            max_body_bytes: 32 * 1024 * 1024,
        }
    }
}

fn default_models() -> Vec<String> {
    [
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4o",
        "gpt-4o-mini",
        "text-embedding-3-small",
        "text-embedding-3-large",
        "whisper-1",
        "gpt-4o-mini-transcribe",
        "tts-1",
        "gpt-4o-mini-tts",
        "claude-sonnet-4-5",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self.keys.iter().map(|k| crate::redact_key(k)).collect();
        f.debug_struct("MockConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("seed", &self.seed)
            .field("latency_ms", &self.latency_ms)
            .field("latency_jitter_ms", &self.latency_jitter_ms)
            .field("latency_distribution", &self.latency_distribution)
            .field("tokens_per_sec", &self.tokens_per_sec)
            .field("reply_tokens", &self.reply_tokens)
            .field("rpm", &self.rpm)
            .field("tpm", &self.tpm)
            .field("keys", &keys)
            .field("insufficient_quota", &self.insufficient_quota)
            .field("faults", &self.faults)
            .field("outage", &self.outage)
            .field("models", &self.models)
            .field("batch_step_ms", &self.batch_step_ms)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl MockConfig {
    /// A copy with every API key redacted, safe to show or serve.
    pub fn redacted(&self) -> MockConfig {
        MockConfig {
            keys: self.keys.iter().map(|k| crate::redact_key(k)).collect(),
            ..self.clone()
        }
    }

    /// Reads a configuration from a TOML document.
    pub fn from_toml_str(text: &str) -> Result<Self, Error> {
        toml::from_str(text).map_err(|e| Error::Config(e.to_string()))
    }

    /// Reads a configuration from a JSON document.
    pub fn from_json_str(text: &str) -> Result<Self, Error> {
        serde_json::from_str(text).map_err(|e| Error::Config(e.to_string()))
    }

    /// Sets one field from its flag name and a string value, as a command line gives them:
    /// `set("latency-ms", "120")`, `set("fault", "503:0.05")` (appends), `set("key", ...)`
    /// (appends), `set("insufficient-quota", "true")`. Dashes and underscores are equivalent.
    ///
    /// # Examples
    ///
    /// ```
    /// use shepherd_mock::MockConfig;
    ///
    /// let mut config = MockConfig::default();
    /// for (flag, value) in [("rpm", "500"), ("fault", "503:0.05"), ("fault", "reset@3"), ("outage", "5s+10s")] {
    ///     config.set(flag, value)?;
    /// }
    /// assert_eq!(config.rpm, Some(500));
    /// assert_eq!(config.faults.len(), 2);
    /// # Ok::<(), shepherd_mock::Error>(())
    /// ```
    pub fn set(&mut self, flag: &str, value: &str) -> Result<(), Error> {
        fn number<T: FromStr>(flag: &str, value: &str) -> Result<T, Error> {
            value.trim().parse().map_err(|_| {
                Error::parse("flag value", value, format!("--{flag} expects a number"))
            })
        }
        let name = flag.trim_start_matches('-').replace('_', "-");
        match name.as_str() {
            "host" => {
                self.host = value.parse().map_err(|_| {
                    Error::parse("flag value", value, "--host expects an IP address")
                })?
            }
            "port" => self.port = number(&name, value)?,
            "seed" => self.seed = number(&name, value)?,
            "latency-ms" => self.latency_ms = number(&name, value)?,
            "latency-jitter-ms" => self.latency_jitter_ms = number(&name, value)?,
            "latency-distribution" => self.latency_distribution = value.parse()?,
            "tokens-per-sec" => self.tokens_per_sec = number(&name, value)?,
            "reply-tokens" => self.reply_tokens = Some(number(&name, value)?),
            "rpm" => self.rpm = Some(number(&name, value)?),
            "tpm" => self.tpm = Some(number(&name, value)?),
            "key" | "keys" => self.keys.push(value.to_owned()),
            "insufficient-quota" => {
                self.insufficient_quota = match value {
                    "" | "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => return Err(Error::parse("flag value", value, "expected true or false")),
                }
            }
            "fault" | "faults" => self.faults.push(value.parse()?),
            "outage" => self.outage = Some(value.parse()?),
            "model" | "models" => self.models.push(value.to_owned()),
            "batch-step-ms" => self.batch_step_ms = number(&name, value)?,
            "max-body-bytes" => self.max_body_bytes = number(&name, value)?,
            _ => return Err(Error::parse("flag", flag, "unknown mock option")),
        }
        Ok(())
    }

    /// Checks values that types alone cannot: fault probabilities must add up to at most 1.
    pub fn validate(&self) -> Result<(), Error> {
        let total: f64 = self
            .faults
            .iter()
            .filter_map(|f| f.trigger.probability())
            .sum();
        if total > 1.0 + 1e-9 {
            return Err(Error::Config(format!(
                "fault probabilities add up to {total}, more than 1"
            )));
        }
        if self.rpm == Some(0) || self.tpm == Some(0) {
            return Err(Error::Config(
                "rpm and tpm must be positive when set".into(),
            ));
        }
        Ok(())
    }
}

/// The shape of the time-to-first-byte distribution.
///
/// Parsed from `fixed`, `normal` or `lognormal` (also `log-normal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatencyDistribution {
    /// Always exactly `latency_ms`.
    #[default]
    Fixed,
    /// Normal with mean `latency_ms` and standard deviation `latency_jitter_ms`, cut at zero.
    Normal,
    /// Log-normal with mean `latency_ms` and standard deviation `latency_jitter_ms`:
    /// the long right tail real APIs show.
    #[serde(alias = "log-normal")]
    LogNormal,
}

impl FromStr for LatencyDistribution {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fixed" => Ok(LatencyDistribution::Fixed),
            "normal" => Ok(LatencyDistribution::Normal),
            "lognormal" | "log-normal" => Ok(LatencyDistribution::LogNormal),
            _ => Err(Error::parse(
                "latency distribution",
                s,
                "expected fixed, normal or lognormal",
            )),
        }
    }
}

impl fmt::Display for LatencyDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LatencyDistribution::Fixed => "fixed",
            LatencyDistribution::Normal => "normal",
            LatencyDistribution::LogNormal => "lognormal",
        })
    }
}

/// A window, measured from server start, in which every API request fails with 503.
///
/// Flag syntax: `AFTER+LENGTH`, both durations, e.g. `5s+10s` or `500+2000` (milliseconds).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use shepherd_mock::Outage;
///
/// let outage: Outage = "5s+10s".parse()?;
/// assert_eq!(outage.after, Duration::from_secs(5));
/// assert_eq!(outage.length, Duration::from_secs(10));
/// # Ok::<(), shepherd_mock::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Outage {
    /// When the outage starts, counted from server start.
    pub after: Duration,
    /// How long it lasts.
    pub length: Duration,
}

impl FromStr for Outage {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let (after, length) = s
            .split_once('+')
            .ok_or_else(|| Error::parse("outage", s, "expected AFTER+LENGTH, e.g. 5s+10s"))?;
        Ok(Outage {
            after: parse_duration(after)?,
            length: parse_duration(length)?,
        })
    }
}

impl TryFrom<String> for Outage {
    type Error = Error;

    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<Outage> for String {
    fn from(o: Outage) -> String {
        o.to_string()
    }
}

impl fmt::Display for Outage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}ms+{}ms",
            self.after.as_millis(),
            self.length.as_millis()
        )
    }
}

/// Parses `250ms`, `2s`, `1.5s`, `3m` or a bare number of milliseconds.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// assert_eq!(shepherd_mock::parse_duration("1.5s")?, Duration::from_millis(1500));
/// assert_eq!(shepherd_mock::parse_duration("40")?, Duration::from_millis(40));
/// # Ok::<(), shepherd_mock::Error>(())
/// ```
pub fn parse_duration(s: &str) -> Result<Duration, Error> {
    let t = s.trim();
    let (number, unit_ms) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3_600_000.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| Error::parse("duration", s, "expected e.g. 250ms, 2s, 1.5s, 3m"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(Error::parse("duration", s, "must be a non-negative number"));
    }
    Ok(Duration::from_secs_f64(value * unit_ms / 1000.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_and_without_units() {
        assert_eq!(
            parse_duration("250ms").ok(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_duration("2s").ok(), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("3m").ok(), Some(Duration::from_secs(180)));
        assert_eq!(parse_duration("7").ok(), Some(Duration::from_millis(7)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn json_and_toml_agree() {
        let from_toml = MockConfig::from_toml_str(
            "seed = 7\nrpm = 60\nlatency_distribution = \"lognormal\"\noutage = \"1s+2s\"\nfaults = [\"503:0.5\"]",
        )
        .expect("valid toml");
        let from_json = MockConfig::from_json_str(
            r#"{"seed":7,"rpm":60,"latency_distribution":"lognormal","outage":"1000ms+2000ms","faults":["503:0.5"]}"#,
        )
        .expect("valid json");
        assert_eq!(from_toml, from_json);
        assert_eq!(from_toml.models, default_models());
    }

    #[test]
    fn unknown_fields_and_bad_probabilities_are_rejected() {
        assert!(MockConfig::from_toml_str("latency = 5").is_err());
        let config =
            MockConfig::from_toml_str("faults = [\"503:0.7\", \"500:0.6\"]").expect("parses");
        assert!(config.validate().is_err());
    }

    #[test]
    fn keys_never_show() {
        let config = MockConfig {
            keys: vec!["sk-secret-key-123456".into()],
            ..MockConfig::default()
        };
        assert!(!format!("{config:?}").contains("secret"));
        assert_eq!(config.redacted().keys, ["sk-...3456"]);
    }

    #[test]
    fn flags_set_fields() {
        let mut c = MockConfig::default();
        c.set("--latency-ms", "30").expect("number");
        c.set("latency_distribution", "normal")
            .expect("distribution");
        c.set("insufficient-quota", "").expect("switch");
        c.set("key", "sk-a").expect("key");
        assert_eq!(
            (c.latency_ms, c.latency_distribution),
            (30, LatencyDistribution::Normal)
        );
        assert!(c.insufficient_quota);
        assert_eq!(c.keys, ["sk-a"]);
        assert!(c.set("rpm", "many").is_err());
        assert!(c.set("colour", "red").is_err());
    }

    #[test]
    fn config_round_trips_through_json() {
        let config = MockConfig {
            faults: vec!["reset@3-4".parse().expect("fault")],
            outage: Some("1s+1s".parse().expect("outage")),
            ..MockConfig::default()
        };
        let text = serde_json::to_string(&config).expect("serializes");
        assert_eq!(MockConfig::from_json_str(&text).expect("parses"), config);
    }
}
