//! The streaming harness: many SSE streams open at once through shepherd's `Client`.
//!
//! Every stream is opened and read up to its first content token, then all wait: the
//! resident memory at that moment, less the memory before opening them, divided by
//! their number, is the client memory per open stream. Then all are read to the end at
//! once; the tokens (each stream's final usage, `shepherd-mock --reply-tokens` long, one
//! chunk a token) are counted against the time that took.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use shepherd::types::chat::ChatRequest;
use tokio::sync::Barrier;

use crate::measure;
use crate::throughput::MODEL;

/// The run's figures.
#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct Streams {
    pub streams: usize,
    pub tokens_per_stream: u64,
    pub failed_streams: u64,
    pub tokens_received: u64,
    pub open_seconds: f64,
    pub drain_seconds: f64,
    pub tokens_per_second: f64,
    pub rss_before_bytes: u64,
    pub rss_open_bytes: u64,
    pub bytes_per_stream: u64,
}

fn request() -> ChatRequest {
    ChatRequest::new(MODEL).user("Tell a long story about a shepherd.")
}

/// Opens `streams` streams against a mock that answers `tokens` tokens each.
pub async fn run(base_url: &str, streams: usize, tokens: u64) -> Result<Streams, String> {
    let key = shepherd::transport::ApiKey::new("sk-bench").map_err(|e| e.to_string())?;
    let client = shepherd::Client::builder()
        .base_url(base_url)
        .api_key(key)
        .build()
        .map_err(|e| e.to_string())?;
    // One whole stream first, so lazily built state (TLS roots, tables, the runtime's
    // workers) is in the baseline rather than charged to the streams.
    let mut warm = client
        .chat_stream(request())
        .await
        .map_err(|e| e.to_string())?;
    while let Some(chunk) = warm.next().await {
        chunk.map_err(|e| e.to_string())?;
    }
    let warm_tokens = warm.usage().map_or(0, |u| u64::from(u.completion_tokens));
    if warm_tokens != tokens {
        return Err(format!(
            "the server streamed {warm_tokens} tokens, not {tokens}: start shepherd-mock with --reply-tokens {tokens}"
        ));
    }
    let rss_before_bytes = measure::rss_bytes();

    let opened = Arc::new(Barrier::new(streams + 1));
    let go = Arc::new(Barrier::new(streams + 1));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..streams {
        let (client, opened, go) = (client.clone(), opened.clone(), go.clone());
        tasks.spawn(async move {
            // Open and read to the first content token; failures still meet both barriers.
            let first = async {
                let mut stream = client.chat_stream(request()).await.ok()?;
                while let Some(chunk) = stream.next().await {
                    if !chunk.ok()?.text().is_empty() {
                        return Some(stream);
                    }
                }
                None
            }
            .await;
            opened.wait().await;
            go.wait().await;
            let mut stream = first?;
            while let Some(chunk) = stream.next().await {
                chunk.ok()?;
            }
            // The final usage chunk arrives only on a stream that ran to its end.
            stream.usage().map(|u| u64::from(u.completion_tokens))
        });
    }
    opened.wait().await;
    let open_seconds = start.elapsed().as_secs_f64();
    let rss_open_bytes = measure::rss_bytes();
    let drain = Instant::now();
    go.wait().await;
    let mut tokens_received = 0;
    let mut failed_streams = 0;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Some(n)) => tokens_received += n,
            _ => failed_streams += 1,
        }
    }
    let drain_seconds = drain.elapsed().as_secs_f64();
    Ok(Streams {
        streams,
        tokens_per_stream: tokens,
        failed_streams,
        tokens_received,
        open_seconds,
        drain_seconds,
        tokens_per_second: tokens_received as f64 / drain_seconds,
        rss_before_bytes,
        rss_open_bytes,
        bytes_per_stream: rss_open_bytes.saturating_sub(rss_before_bytes) / streams as u64,
    })
}
