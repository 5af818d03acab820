//! Wire types for OpenAI-compatible APIs (and Anthropic Messages), exact to the spec and tolerant of deviating servers.

pub mod audio;
pub mod batch;
pub mod chat;
pub mod embeddings;
pub mod error;
pub mod files;
pub mod models;
pub mod pricing;
pub mod ratelimit;
pub mod usage;

#[cfg(feature = "anthropic")]
pub mod anthropic;

pub(crate) mod base64;
pub(crate) mod fields;
pub(crate) mod string_enum;
pub(crate) mod tagged;

pub use usage::Usage;

/// Fields a server sent that this crate does not model, kept so they round-trip.
pub type Extra = serde_json::Map<String, serde_json::Value>;
