//! A Batch API job: write a JSONL file of chat requests, upload it, create the batch,
//! wait for it with a progress line per poll, and stream the results to disk.
//!
//! ```text
//! cargo run -p examples --example batch_job
//! ```
//!
//! Without `OPENAI_API_KEY` it starts `shepherd-mock` on loopback, whose batches move
//! through their states in about a second. With `OPENAI_API_KEY` it submits a real batch
//! (half the price of live calls) and polls until it ends — that can take up to 24 h.

use std::time::Duration;

use shepherd::types::batch::BatchInputLine;
use shepherd::{Client, PollSchedule};
use shepherd_mock::MockServer;

const LINES: usize = 50;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock, schedule) = if std::env::var_os("OPENAI_API_KEY").is_some() {
        println!("using the provider from OPENAI_API_KEY / OPENAI_BASE_URL");
        (Client::from_env()?, None, PollSchedule::default())
    } else {
        let mock = MockServer::builder()
            .batch_step(Duration::from_millis(300))
            .start()
            .await?;
        println!(
            "OPENAI_API_KEY is not set: using shepherd-mock at {}",
            mock.base_url()
        );
        let ms = Duration::from_millis;
        let schedule = PollSchedule {
            initial: ms(100),
            max: ms(400),
            timeout: Some(ms(30_000)),
        };
        (
            Client::builder().base_url(mock.base_url()).build()?,
            Some(mock),
            schedule,
        )
    };

    let dir = std::env::temp_dir().join(format!("shepherd-batch-job-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut jsonl = String::new();
    for i in 0..LINES {
        let body = serde_json::json!({
            "model": "gpt-4.1-mini",
            "max_tokens": 30,
            "messages": [{"role": "user", "content": format!("Summarize review {i} in five words.")}],
        });
        let url = "/v1/chat/completions".to_owned();
        let line = BatchInputLine {
            custom_id: format!("review-{i}"),
            method: "POST".into(),
            url,
            body,
        };
        jsonl.push_str(&serde_json::to_string(&line)?);
        jsonl.push('\n');
    }
    let input = dir.join("input.jsonl");
    std::fs::write(&input, jsonl)?;

    // Upload (streamed from disk), then create the batch over the uploaded file.
    let batch = client
        .create_batch_from_file(&input, "/v1/chat/completions")
        .await?;
    println!(
        "created batch {} over {LINES} requests ({})",
        batch.id, batch.status
    );

    let done = client
        .wait_batch(&batch.id, schedule, |b| {
            let c = b.request_counts.unwrap_or_default();
            let status = b.status.to_string();
            println!(
                "  {status:<12} {:>3}/{} done, {} failed",
                c.completed, c.total, c.failed
            );
        })
        .await?;
    println!("batch ended: {}", done.status);

    let (output, errors) = (dir.join("output.jsonl"), dir.join("errors.jsonl"));
    let files = client
        .download_batch_results(&done, &output, &errors)
        .await?;
    println!(
        "results: {} bytes in {}",
        files.output_bytes,
        output.display()
    );
    if files.error_bytes > 0 {
        println!(
            "errors:  {} bytes in {}",
            files.error_bytes,
            errors.display()
        );
    }
    let text = std::fs::read_to_string(&output).unwrap_or_default();
    if let Some(first) = text.lines().next() {
        let preview: String = first.chars().take(120).collect();
        println!(
            "{} result lines; the first: {preview}...",
            text.lines().count()
        );
    }
    Ok(())
}
