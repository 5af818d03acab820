//! Runnable examples: `cargo run -p examples --example <name>` (see `examples/`).
//!
//! Each runs against a real provider when `OPENAI_API_KEY` is set (and `OPENAI_BASE_URL`,
//! optionally) and otherwise starts `shepherd-mock` on loopback:
//!
//! | example | shows |
//! |---|---|
//! | `demo` | 2,000 chat requests, 200 at a time, through faults and a rate limit; every one answered exactly once (mock only) |
//! | `chat` | one chat completion with status, request id, latency, attempts, rate limits, usage, cost |
//! | `stream` | a streamed chat completion printed as it arrives, then the accumulated answer and usage |
//! | `embeddings` | 5,000 documents in one call, split into requests of 2,048 and re-joined in order |
//! | `transcribe` | speech to text from a file (synthesized first when none is given) |
//! | `speech` | text to speech streamed into a file |
//! | `router` | two targets, the first answering 429s: failover, cool-down, recovery |
//! | `custom_transport` | a `Transport` wrapping `HyperTransport` that logs and counts requests |
//! | `batch_job` | the Batch API: upload JSONL, create, wait with progress, download results |
