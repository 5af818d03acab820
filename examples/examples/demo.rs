//! The demo: 2,000 chat requests through one `Client` against a slow, rate-limited,
//! misbehaving server — and proof from the server's own books that every request was
//! answered exactly once.
//!
//! ```text
//! cargo run --release -p examples --example demo
//! ```
//!
//! It always uses `shepherd-mock` on loopback (never a real provider, whose bill this
//! would be): 200 ms to first byte, a request-per-minute limit, and a fault mix of ~3 %
//! 429s, ~3 % 503s and ~1 % connection resets. The client stays under the rate limit,
//! retries what failed, and runs ~200 requests at a time.

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use shepherd::Client;
use shepherd::types::chat::ChatRequest;
use shepherd_mock::MockServer;

const REQUESTS: usize = 2_000;
const CONCURRENCY: usize = 200;
const LATENCY_MS: u64 = 200;
const RPM: u32 = 60_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Faults in the mock's flag syntax: kind, then the probability per request.
    let mock = MockServer::builder()
        .latency_ms(LATENCY_MS)
        .rpm(RPM)
        .fault("429:0.03".parse()?)
        .fault("503:0.03".parse()?)
        .fault("reset:0.01".parse()?)
        .seed(42)
        .start()
        .await?;
    println!(
        "shepherd-mock at {}: {LATENCY_MS} ms latency, {RPM} rpm, faults 3% 429, 3% 503, 1% reset",
        mock.base_url()
    );

    // The same limit the server enforces, so the client paces itself instead of collecting 429s;
    // six retries make losing a request to the 7 % fault rate practically impossible.
    let client = Client::builder()
        .base_url(mock.base_url())
        .rpm(u64::from(RPM))
        .max_retries(6)
        .build()?;

    let started = Instant::now();
    let results: Vec<_> = stream::iter(0..REQUESTS)
        .map(|i| {
            let client = client.clone();
            async move {
                let request = ChatRequest::new("gpt-4.1-mini")
                    .user(format!("Review #{i}: is product {} any good?", i % 97));
                client.chat(request).await
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let elapsed = started.elapsed();

    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let stats = mock.stats();
    let twice = stats.answered_more_than_once();
    let metrics = client.metrics();
    let retries = client.retry_metrics().retried;
    let cost = client.costs().snapshot();

    println!(
        "sent {REQUESTS} requests, {CONCURRENCY} at a time, in {:.2} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  {:.0} requests/s",
        REQUESTS as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  {} succeeded, {} failed, {retries} retries ({} attempts)",
        metrics.succeeded, metrics.failed, metrics.attempts
    );
    println!("  faults injected by the server: {:?}", stats.faults);
    println!(
        "  latency p50 {:?}, p95 {:?}, p99 {:?} (retries included)",
        metrics.p50, metrics.p95, metrics.p99
    );
    println!("  cost ${:.4} (gpt-4.1-mini prices)", cost.spent_usd);
    let serial = Duration::from_millis(LATENCY_MS) * REQUESTS as u32;
    println!(
        "  one at a time this would take ~{REQUESTS} x {} s = {} s",
        LATENCY_MS as f64 / 1000.0,
        serial.as_secs()
    );

    // The server's books: every distinct body answered exactly once.
    println!(
        "server: {} requests received, {} successful answers, {} bodies answered more than once",
        stats.requests,
        stats.successes(),
        twice.len()
    );
    if !failed.is_empty() || !twice.is_empty() || stats.successes() != REQUESTS as u64 {
        for error in failed.iter().take(5) {
            eprintln!("  failed: {error}");
        }
        return Err(format!(
            "not every request was answered exactly once ({} failed)",
            failed.len()
        )
        .into());
    }
    println!("OK: all {REQUESTS} requests answered exactly once");
    Ok(())
}
