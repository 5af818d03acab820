//! A client for OpenAI-compatible AI APIs that does, by default and correctly, what
//! hand-written scripts do with a semaphore, a retry loop, a token bucket, a circuit
//! breaker and a cost table.
//!
//! `shepherd` is the thin facade of the workspace: it stacks
//! [`shepherd_transport`] (bytes over pooled HTTP), [`shepherd_types`] (the wire
//! types) and [`shepherd_resilience`] (retry, breaker, rate and concurrency limits)
//! and adds only what belongs to the API: endpoints, routing over targets, model
//! fallback, cost and budgets, a cache and metrics.
//!
//! # How a call flows
//!
//! ```text
//! Client::chat(request)
//!   └─ model fallback chain                       (chat.rs)
//!       └─ budget reservation, cache lookup       (cost.rs, cache.rs)
//!           └─ retry loop with the shared budget  (resilience RetryPolicy, outer)
//!               └─ pick the least-loaded available target; wait if all cool down (target.rs)
//!                   └─ target policy: breaker → rate limit (requests + tokens) → concurrency
//!                       └─ Transport::send → status → parse (or first stream chunk)
//! ```
//!
//! Retries and failover share one loop: a retry goes to whichever target is best at
//! that moment, so a 429 or 5xx from one target fails over to another. Time spent
//! waiting for a limiter or for a breaker to admit calls does not count as an attempt.
//!
//! # Examples
//!
//! ```no_run
//! # async fn run() -> Result<(), shepherd::Error> {
//! use shepherd::types::chat::ChatRequest;
//!
//! let client = shepherd::Client::from_env()?;
//! let reply = client.chat(ChatRequest::new("gpt-4.1").user("Empfehle Produkt 42")).await?;
//! println!("{} ({:?}, {} attempts)", reply.text(), reply.meta().latency, reply.meta().attempts);
//! # Ok(()) }
//! ```

mod audio;
pub mod batch;
mod batches;
pub mod cache;
mod chat;
pub mod classify;
mod client;
mod cost;
mod embeddings;
mod error;
mod files;
mod metrics;
mod models;
mod provider;
mod raw;
mod response;
mod stream;
mod target;
pub mod tokens;

pub use audio::ByteStream;
pub use batches::{BatchFiles, PollSchedule};
pub use client::{Client, ClientBuilder, RETRY_COUNT_HEADER};
pub use cost::{CostReservation, CostSnapshot, CostTracker};
pub use error::{Error, PolicyKind};
pub use metrics::{MetricsSnapshot, TokenTotals};
pub use provider::{AuthStyle, Dialect, Provider};
pub use response::{Response, ResponseMeta};
pub use stream::ChatStream;
pub use target::{MigrationRule, Target};

/// The resilience policies (`shepherd-resilience`).
pub use shepherd_resilience as resilience;
/// The transport layer (`shepherd-transport`).
pub use shepherd_transport as transport;
/// The wire types (`shepherd-types`).
pub use shepherd_types as types;
