//! Embedding many documents in one call: the client splits the input into requests of at
//! most the API's 2,048 inputs, sends them concurrently and re-joins the vectors in order.
//!
//! ```text
//! OPENAI_API_KEY=sk-... cargo run -p examples --example embeddings
//! ```
//!
//! Without `OPENAI_API_KEY` it starts `shepherd-mock` on loopback and shows how many
//! requests the server received.

use shepherd::Client;
use shepherd::types::embeddings::EmbeddingRequest;
use shepherd_mock::MockServer;

const DOCUMENTS: usize = 5_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, mock) = if std::env::var_os("OPENAI_API_KEY").is_some() {
        println!("using the provider from OPENAI_API_KEY / OPENAI_BASE_URL");
        (Client::from_env()?, None)
    } else {
        let mock = MockServer::builder().latency_ms(100).start().await?;
        println!(
            "OPENAI_API_KEY is not set: using shepherd-mock at {}",
            mock.base_url()
        );
        (
            Client::builder().base_url(mock.base_url()).build()?,
            Some(mock),
        )
    };

    let products = ["tent", "lamp", "stove"];
    let documents: Vec<String> = (0..DOCUMENTS)
        .map(|i| format!("Review {i}: the {} works as described.", products[i % 3]))
        .collect();
    // One call; 5,000 inputs become three requests of at most 2,048.
    let request = EmbeddingRequest::new("text-embedding-3-small", documents).dimensions(256);
    let response = client.embeddings(request).await?;

    let meta = response.meta();
    let dimensions = response
        .data
        .first()
        .map_or(0, |e| e.embedding.as_slice().len());
    let in_order = response
        .data
        .iter()
        .enumerate()
        .all(|(i, e)| e.index as usize == i);
    println!(
        "{DOCUMENTS} documents -> {} vectors of {dimensions} dimensions",
        response.data.len()
    );
    println!("index i holds document i: {in_order}");
    println!(
        "{} tokens, {:?} for the slowest part, {} attempt(s) in all",
        response.usage.total_tokens, meta.latency, meta.attempts
    );
    if let Some(usd) = meta.cost_usd {
        println!("cost: ${usd:.6}");
    }

    let vectors = response.into_inner().into_vectors();
    if let Some(first) = vectors.first() {
        let norm = first.iter().map(|x| x * x).sum::<f32>().sqrt();
        println!(
            "vector 0 starts {:?}..., norm {norm:.3}",
            first.get(..3).unwrap_or(first)
        );
    }
    if let Some(mock) = mock {
        let requests = mock
            .stats()
            .by_path
            .get("/v1/embeddings")
            .copied()
            .unwrap_or(0);
        println!("the server received {requests} embeddings requests");
    }
    Ok(())
}
