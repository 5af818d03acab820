//! An OpenAI-compatible mock server with latency, rate limits and fault injection.
//!
//! `shepherd-mock` answers the OpenAI endpoints shepherd uses (chat completions with
//! streaming and tool calls, embeddings, audio transcription and speech, models, files,
//! batches) plus Anthropic's `/v1/messages`, on loopback, with no key and no internet.
//! Every answer is a pure function of its request, so a test can tell which question an
//! answer belongs to: a chat reply reads `echo: <first 40 characters of the last user
//! message> #<8 hex digits>`.
//!
//! Around the answers sit the behaviours of a real, busy API, all seeded so runs repeat:
//!
//! - **latency**: a fixed, normal or log-normal time to first byte, and a generation
//!   speed in tokens per second that paces stream chunks and delays whole answers by
//!   their length; refusals (401, 429, outage 503) are answered at once;
//! - **rate limits** per API key (requests and tokens per minute, enforced over
//!   one-second periods as a GCRA, rule below),
//!   `x-ratelimit-*` headers on every API response, 429 with `retry-after` and
//!   `retry-after-ms`, an `insufficient_quota` switch and 401 for unknown keys;
//! - **faults** ([`Fault`]) by probability or schedule: 5xx with JSON or HTML bodies, 429
//!   bursts, connection resets before headers, mid-body and mid-stream, stalls, slow
//!   drip, malformed JSON, truncated bodies, `error` events inside streams, JSON answered
//!   to a streaming request, and an [`Outage`] window;
//! - **accounting** ([`Stats`]): requests per path, key and status, and how many times
//!   each distinct request body was answered successfully, from
//!   [`MockServer::stats`] or `GET /_mock/stats`.
//!
//! Rate-limit rule: a per-minute limit `L` earns one unit every `60 s / L` and lets at
//! most `max(1, L / 60)` units be spent ahead of that pace. A request's token cost is its
//! prompt estimate (characters / 4) plus `max_tokens` (times `n`); it is admitted while
//! the key's token debt is within one second's worth and then pays its whole cost.
//! Headers report the per-minute view: `remaining = L - units still owed` and `reset =
//! time until nothing is owed`, formatted like Go durations (`1s`, `6m0s`, `20ms`).
//!
//! Control endpoints, not counted and not limited: `GET /_mock/stats`,
//! `POST /_mock/reset` (zeroes the counters), `GET /_mock/config` (keys redacted).
//!
//! # Examples
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), shepherd_mock::Error> {
//! use shepherd_mock::{Fault, MockServer};
//!
//! let server = MockServer::builder()
//!     .latency_ms(20)
//!     .rpm(600)
//!     .tpm(100_000)
//!     .fault("503:0.05".parse()?)
//!     .seed(7)
//!     .start()
//!     .await?;
//! println!("OPENAI_BASE_URL={}", server.base_url());
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod api;
mod body;
mod config;
mod conn;
mod error;
mod fault;
mod latency;
mod rate_limit;
mod respond;
mod server;
mod service;
mod stats;
mod synth;

pub use config::{LatencyDistribution, MockConfig, Outage, parse_duration};
pub use error::Error;
pub use fault::{Fault, FaultKind, Trigger};
pub use rate_limit::go_duration;
pub use server::{MockServer, MockServerBuilder};
pub use stats::{Stats, redact_key};
pub use synth::body_hash;
