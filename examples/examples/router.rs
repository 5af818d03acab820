//! A multi-key router with failover: two targets, the first answering 429s. Calls fail
//! over to the second at once, the throttled one sits out its `Retry-After`, and traffic
//! returns to it once it recovers. Each line shows which target answered.
//!
//! ```text
//! cargo run -p examples --example router
//! ```
//!
//! The throttled primary is always a `shepherd-mock` on loopback (it refuses its first
//! three requests). The secondary is a second mock, or, when `OPENAI_API_KEY` is set, the
//! real provider (`OPENAI_BASE_URL`, default OpenAI).

use std::time::Duration;

use shepherd::transport::ApiKey;
use shepherd::types::chat::ChatRequest;
use shepherd::{Client, Target};
use shepherd_mock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let throttled = MockServer::builder()
        .latency_ms(30)
        .fault("429@1-3".parse()?)
        .start()
        .await?;
    println!(
        "primary: shepherd-mock at {} (answers 429 to its first 3 requests)",
        throttled.base_url()
    );
    let primary = Target::new(throttled.base_url(), ApiKey::new("sk-mock-key-a-0001")?)
        .name("primary")
        .rpm(600);

    let mut healthy_mock = None;
    let secondary = if std::env::var_os("OPENAI_API_KEY").is_some() {
        let base = std::env::var("OPENAI_BASE_URL")
            .unwrap_or_else(|_| "https://api.openai.com/v1".to_owned());
        println!("secondary: the provider at {base} (OPENAI_API_KEY)");
        Target::new(base, ApiKey::from_env("OPENAI_API_KEY")?)
    } else {
        let mock = MockServer::builder().latency_ms(30).start().await?;
        println!(
            "secondary: shepherd-mock at {} (OPENAI_API_KEY is not set)",
            mock.base_url()
        );
        let target = Target::new(mock.base_url(), ApiKey::new("sk-mock-key-b-0002")?);
        healthy_mock = Some(mock);
        target
    };
    let client = Client::builder()
        .target(primary)
        .target(secondary.name("secondary").rpm(600))
        .build()?;

    for i in 1..=16 {
        let request = ChatRequest::new("gpt-4.1-mini")
            .user(format!("Question {i}"))
            .max_tokens(20);
        let reply = client.chat(request).await?;
        let meta = reply.meta();
        println!(
            "request {i:>2}: answered by {:<9} after {} attempt(s) in {:?}",
            meta.target, meta.attempts, meta.latency
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let metrics = client.metrics();
    println!("answers per target: {:?}", metrics.by_target);
    println!(
        "{} calls, {} attempts, {} failed",
        metrics.succeeded + metrics.failed,
        metrics.attempts,
        metrics.failed
    );
    println!(
        "429s the primary sent: {}",
        throttled.stats().by_status.get(&429).copied().unwrap_or(0)
    );
    drop(healthy_mock);
    Ok(())
}
