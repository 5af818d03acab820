//! Embeddings, models, audio, files and batches against shepherd-mock.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use shepherd::transport::ApiKey;
use shepherd::types::audio::{SpeechFormat, SpeechRequest, TranscriptionRequest};
use shepherd::types::batch::{BatchOutputLine, BatchStatus};
use shepherd::types::embeddings::EmbeddingRequest;
use shepherd::{Client, PollSchedule};
use shepherd_mock::MockServer;

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .api_key(ApiKey::new("sk-test-client-0000").unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn large_embedding_inputs_are_split_and_rejoined_in_order() {
    let server = MockServer::start().await.unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(ApiKey::new("sk-test-client-0000").unwrap())
        .embedding_batch_size(3)
        .build()
        .unwrap();
    let texts: Vec<String> = (0..10).map(|i| format!("document {i}")).collect();
    let joined = client
        .embeddings(EmbeddingRequest::new("text-embedding-3-small", texts.clone()).dimensions(8))
        .await
        .unwrap();
    assert_eq!(server.stats().requests, 4, "10 inputs in parts of 3");
    assert_eq!(joined.data.len(), 10);
    for (i, e) in joined.data.iter().enumerate() {
        assert_eq!(e.index as usize, i);
        // Same text, same vector: compare with a single request for that text.
        let single = client
            .embeddings(
                EmbeddingRequest::new("text-embedding-3-small", texts[i].clone()).dimensions(8),
            )
            .await
            .unwrap();
        assert_eq!(single.data[0].embedding.as_slice(), e.embedding.as_slice());
    }
}

#[tokio::test]
async fn models_are_listed() {
    let server = MockServer::start().await.unwrap();
    let models = client(&server).models().await.unwrap();
    assert!(!models.data.is_empty());
}

#[tokio::test]
async fn speech_to_file_and_transcription_from_bytes_and_path() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hello.wav");
    let written = client
        .speech_to_file(
            SpeechRequest::new("tts-1", "Guten Tag", "alloy").format(SpeechFormat::Wav),
            &path,
        )
        .await
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(*written, bytes.len() as u64);
    assert_eq!(&bytes[..4], b"RIFF");
    assert!(
        written.meta().cost_usd.is_some(),
        "tts-1 is priced per character"
    );

    let from_path = client
        .transcribe_file(&path, TranscriptionRequest::new("whisper-1"))
        .await
        .unwrap();
    let from_bytes = client
        .transcribe_bytes(bytes, "hello.wav", TranscriptionRequest::new("whisper-1"))
        .await
        .unwrap();
    assert!(!from_path.text.is_empty());
    assert_eq!(
        from_path.text, from_bytes.text,
        "the text is derived from the bytes"
    );
}

#[tokio::test]
async fn a_batch_job_runs_to_completion_and_its_results_download() {
    let server = MockServer::builder()
        .batch_step(Duration::from_millis(50))
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let mut lines = String::new();
    for i in 0..5 {
        lines.push_str(
            &serde_json::json!({"custom_id": format!("r{i}"), "method": "POST", "url": "/v1/chat/completions",
                "body": {"model": "gpt-4.1", "messages": [{"role": "user", "content": format!("q{i}")}]}})
            .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&input, lines).unwrap();
    let batch = client
        .create_batch_from_file(&input, "/v1/chat/completions")
        .await
        .unwrap();
    let mut seen = Vec::new();
    let schedule = PollSchedule {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(100),
        timeout: Some(Duration::from_secs(20)),
    };
    let done = client
        .wait_batch(&batch.id, schedule, |b| seen.push(b.status.clone()))
        .await
        .unwrap();
    assert_eq!(done.status, BatchStatus::Completed);
    assert!(!seen.is_empty());
    let out = dir.path().join("out.jsonl");
    let errs = dir.path().join("errs.jsonl");
    client
        .download_batch_results(&done, &out, &errs)
        .await
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let parsed: Vec<BatchOutputLine> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed.len(), 5);
    let mut ids: Vec<_> = parsed.iter().map(|l| l.custom_id.clone()).collect();
    ids.sort();
    assert_eq!(ids, ["r0", "r1", "r2", "r3", "r4"]);
}
