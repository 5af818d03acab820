//! The batch runner against a rate-limited shepherd-mock: with the client told the server's limits,
//! almost no 429 arrives and the run uses nearly all of the allowance.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use serde_json::json;
use shepherd::Client;
use shepherd_mock::MockServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_equal_to_the_servers_give_few_429s_and_near_full_throughput() {
    const RPM: u32 = 3_000; // 50 requests/s
    const TPM: u32 = 300_000;
    const LINES: usize = 300;
    let server = MockServer::builder()
        .latency_ms(5)
        .rpm(RPM)
        .tpm(TPM)
        .seed(8)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (input, output, errors) = (
        dir.path().join("in.jsonl"),
        dir.path().join("out.jsonl"),
        dir.path().join("err.jsonl"),
    );
    let text: String = (0..LINES)
        .map(|i| {
            json!({
                "custom_id": format!("r{i}"),
                "url": "/v1/chat/completions",
                "body": {"model": "gpt-4.1-mini", "max_tokens": 30,
                         "messages": [{"role": "user", "content": format!("Bewerte Produkt {i} kurz.")}]},
            })
            .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(&input, text).unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .rpm(u64::from(RPM))
        .tpm(u64::from(TPM))
        .circuit_breaker(shepherd::batch::breaker)
        .build()
        .unwrap();
    // Load the tokenizer first (seconds in a debug build): the test times the limiter, not that.
    assert!(shepherd::tokens::count("gpt-4.1-mini", "warm up") > 0);
    let started = Instant::now();
    let summary = client
        .batch_runner()
        .concurrency(64)
        .run_files(&input, &output, &errors)
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(summary.succeeded as usize, LINES, "{summary}");

    let stats = server.stats();
    let throttled = stats.by_status.get(&429).copied().unwrap_or(0);
    assert!(
        (throttled as f64) < 0.01 * stats.requests as f64,
        "{throttled} 429s in {} requests",
        stats.requests
    );
    // The first second's burst is free; after it the pace is the limit's.
    let burst = f64::from(RPM) / 60.0;
    let allowed = f64::from(RPM) / 60.0;
    let rate = (LINES as f64 - burst) / elapsed;
    assert!(
        rate >= 0.9 * allowed,
        "{rate:.1} requests/s against a limit of {allowed:.1}/s\n{summary}"
    );
}
