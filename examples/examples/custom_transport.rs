//! A custom transport under the client: a `Transport` that wraps the default
//! `HyperTransport`, logs every HTTP exchange (method, path, status, time — never
//! headers, which carry the key) and counts them. Retries show up as extra sends.
//!
//! ```text
//! OPENAI_API_KEY=sk-... cargo run -p examples --example custom_transport
//! ```
//!
//! Without `OPENAI_API_KEY` it starts `shepherd-mock` on loopback, set to fail its first
//! request with a 503 so a retry appears in the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use shepherd::Client;
use shepherd::transport::{Body, HyperTransport, SendFuture, Transport};
use shepherd::types::chat::ChatRequest;
use shepherd::types::embeddings::EmbeddingRequest;
use shepherd_mock::MockServer;

/// Logs and counts the requests it passes to the wrapped transport.
struct Logging<T> {
    inner: T,
    sent: Arc<AtomicU64>,
}

impl<T: Transport> Transport for Logging<T> {
    fn send(&self, request: http::Request<Body>) -> SendFuture {
        let n = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        let line = format!("#{n} {} {}", request.method(), request.uri().path());
        let response = self.inner.send(request);
        // The future must own what it uses ('static), so it takes the line, not `self`.
        Box::pin(async move {
            let start = Instant::now();
            let result = response.await;
            match &result {
                Ok(r) => println!(
                    "  [transport] {line} -> {} in {:?}",
                    r.status(),
                    start.elapsed()
                ),
                Err(e) => println!("  [transport] {line} -> error: {e}"),
            }
            result
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sent = Arc::new(AtomicU64::new(0));
    let transport = Logging {
        inner: HyperTransport::new()?,
        sent: sent.clone(),
    };
    let (client, _mock) = if std::env::var_os("OPENAI_API_KEY").is_some() {
        println!("using the provider from OPENAI_API_KEY / OPENAI_BASE_URL");
        (Client::builder().from_env()?.build_with(transport)?, None)
    } else {
        let mock = MockServer::builder()
            .latency_ms(20)
            .fault("503@1".parse()?)
            .start()
            .await?;
        println!(
            "OPENAI_API_KEY is not set: using shepherd-mock at {} (first request fails with 503)",
            mock.base_url()
        );
        (
            Client::builder()
                .base_url(mock.base_url())
                .build_with(transport)?,
            Some(mock),
        )
    };

    let reply = client
        .chat(
            ChatRequest::new("gpt-4.1-mini")
                .user("Say hello")
                .max_tokens(20),
        )
        .await?;
    println!(
        "chat: {:?} after {} attempt(s)",
        reply.text(),
        reply.meta().attempts
    );

    let inputs = vec!["first document".to_owned(), "second document".to_owned()];
    let vectors = client
        .embeddings(EmbeddingRequest::new("text-embedding-3-small", inputs))
        .await?;
    println!("embeddings: {} vectors", vectors.data.len());

    let models = client.models().await?;
    println!("models: {} listed", models.data.len());

    println!(
        "the transport sent {} HTTP requests for 3 calls",
        sent.load(Ordering::Relaxed)
    );
    Ok(())
}
