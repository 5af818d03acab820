//! The latency-bound harness: the batch runner against a server that takes a fixed time
//! per request, compared with Little's law (requests / concurrency × latency).

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::throughput::{MAX_TOKENS, MODEL};

/// The run's figures.
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct LatencyBound {
    pub requests: u64,
    pub concurrency: usize,
    pub latency_ms: u64,
    pub seconds: f64,
    pub bound_seconds: f64,
    /// bound / measured: 1.0 is the bound itself.
    pub of_bound: f64,
    pub succeeded: u64,
    pub failed: u64,
}

/// Writes `requests` chat lines to `dir/latency-input.jsonl` and runs them through
/// `BatchRunner` at `concurrency`; the timer covers `run_files` from start to summary.
pub async fn run(
    base_url: &str,
    dir: &Path,
    requests: u64,
    concurrency: usize,
    latency_ms: u64,
) -> Result<LatencyBound, String> {
    let input = dir.join("latency-input.jsonl");
    let output = dir.join("latency-output.jsonl");
    let errors = dir.join("latency-errors.jsonl");
    for path in [&output, &errors] {
        let _ = std::fs::remove_file(path);
    }
    write_lines(&input, requests).map_err(|e| format!("{}: {e}", input.display()))?;
    let key = shepherd::transport::ApiKey::new("sk-bench").map_err(|e| e.to_string())?;
    let client = shepherd::Client::builder()
        .base_url(base_url)
        .api_key(key)
        .build()
        .map_err(|e| e.to_string())?;
    let runner = client.batch_runner().concurrency(concurrency);
    let start = Instant::now();
    let summary = runner
        .run_files(&input, &output, &errors)
        .await
        .map_err(|e| e.to_string())?;
    let seconds = start.elapsed().as_secs_f64();
    let bound_seconds = (requests as f64 / concurrency as f64).ceil() * latency_ms as f64 / 1000.0;
    Ok(LatencyBound {
        requests,
        concurrency,
        latency_ms,
        seconds,
        bound_seconds,
        of_bound: bound_seconds / seconds,
        succeeded: summary.succeeded,
        failed: summary.failed,
    })
}

/// `n` Batch API chat lines, each with its own custom_id and question.
pub fn write_lines(path: &Path, n: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..n {
        let line = serde_json::json!({
            "custom_id": format!("line-{i}"),
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": MODEL,
                "messages": [{"role": "user", "content": format!("Question number {i}: say hello.")}],
                "max_completion_tokens": MAX_TOKENS,
            },
        });
        writeln!(out, "{line}")?;
    }
    out.flush()
}
