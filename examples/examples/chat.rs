//! One chat completion, and what rides along with the answer: status, request id,
//! latency, attempts, rate-limit headers, usage and cost.
//!
//! Run against a real provider (OpenAI, or any compatible server via `OPENAI_BASE_URL`):
//!
//! ```text
//! OPENAI_API_KEY=sk-... cargo run -p examples --example chat
//! ```
//!
//! Without `OPENAI_API_KEY` it starts `shepherd-mock` on loopback and talks to that.
//! `SHEPHERD_MODEL` picks the model (default `gpt-4.1-mini`).

use shepherd::Client;
use shepherd::types::chat::ChatRequest;
use shepherd_mock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the mock alive for as long as the client talks to it.
    let (client, _mock) = if std::env::var_os("OPENAI_API_KEY").is_some() {
        println!("using the provider from OPENAI_API_KEY / OPENAI_BASE_URL");
        (Client::from_env()?, None)
    } else {
        // A rate limit makes the mock send `x-ratelimit-*` headers, as real providers do.
        let mock = MockServer::builder()
            .latency_ms(50)
            .rpm(600)
            .tpm(100_000)
            .start()
            .await?;
        println!(
            "OPENAI_API_KEY is not set: using shepherd-mock at {}",
            mock.base_url()
        );
        (
            Client::builder().base_url(mock.base_url()).build()?,
            Some(mock),
        )
    };
    let model = std::env::var("SHEPHERD_MODEL").unwrap_or_else(|_| "gpt-4.1-mini".to_owned());

    let request = ChatRequest::new(model)
        .system("You answer in one short sentence.")
        .user("Which product would you recommend to a customer who bought a tent?")
        .max_tokens(60);
    let reply = client.chat(request).await?;

    println!("answer: {}", reply.text());
    let meta = reply.meta();
    println!(
        "status {} | request id {} | {:?} | {} attempt(s) | target {}",
        meta.status,
        meta.request_id.as_deref().unwrap_or("-"),
        meta.latency,
        meta.attempts,
        meta.target,
    );
    let limits = &meta.rate_limits;
    println!(
        "rate limits: {} of {} requests and {} of {} tokens left this minute",
        show(limits.remaining_requests),
        show(limits.limit_requests),
        show(limits.remaining_tokens),
        show(limits.limit_tokens),
    );
    if let Some(usage) = &reply.usage {
        println!(
            "usage: {} prompt + {} completion tokens",
            usage.prompt_tokens, usage.completion_tokens
        );
    }
    match meta.cost_usd {
        Some(usd) => println!(
            "cost: ${usd:.6} (client total ${:.6})",
            client.costs().snapshot().spent_usd
        ),
        None => println!("cost: unknown (the price table has no entry for this model)"),
    }
    Ok(())
}

fn show(value: Option<u64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| v.to_string())
}
