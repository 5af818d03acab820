//! Shared fixtures for the criterion benchmarks in `benches/benches/`.
//!
//! The benches themselves live in `benches/benches/*.rs`; this library holds the
//! realistic payloads they measure, so every bench measures the same bytes.
