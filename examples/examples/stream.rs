//! Streaming a chat completion to stdout as it is generated, then the accumulated
//! answer, the final usage and the cost.
//!
//! ```text
//! OPENAI_API_KEY=sk-... cargo run -p examples --example stream
//! ```
//!
//! Without `OPENAI_API_KEY` it starts `shepherd-mock` on loopback, generating 40 tokens
//! a second so the stream is visible. `SHEPHERD_MODEL` picks the model (default `gpt-4.1-mini`).

use std::io::Write;

use futures_util::StreamExt;
use shepherd::Client;
use shepherd::types::chat::ChatRequest;
use shepherd_mock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = if std::env::var_os("OPENAI_API_KEY").is_some() {
        println!("using the provider from OPENAI_API_KEY / OPENAI_BASE_URL");
        (Client::from_env()?, None)
    } else {
        let mock = MockServer::builder()
            .latency_ms(100)
            .tokens_per_sec(40)
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
        .user("Write four lines about a shepherd counting sheep at night.")
        .max_tokens(120);
    // An HTTP error (401, 429 after retries, ...) comes back here, not as the first chunk.
    let mut stream = client.chat_stream(request).await?;
    if let Some(meta) = stream.meta() {
        println!(
            "first chunk after {:?} ({} attempt(s))\n",
            meta.latency, meta.attempts
        );
    }

    let mut stdout = std::io::stdout();
    while let Some(chunk) = stream.next().await {
        // An `error` event inside the stream, or a cut connection, arrives as an Err item.
        print!("{}", chunk?.text());
        stdout.flush()?;
    }
    println!("\n");

    let answer = stream.response();
    println!(
        "accumulated: {} characters, finish reason {:?}",
        answer.text().len(),
        answer.finish_reason()
    );
    match stream.usage() {
        Some(usage) => println!(
            "usage: {} prompt + {} completion tokens",
            usage.prompt_tokens, usage.completion_tokens
        ),
        None => println!("usage: the server sent none"),
    }
    if let Some(usd) = stream.meta().and_then(|m| m.cost_usd) {
        println!("cost: ${usd:.6}");
    }
    Ok(())
}
