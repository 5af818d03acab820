//! The batch runner end to end against shepherd-mock: a fault mix, bad input lines, an outage.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shepherd::Client;
use shepherd::batch::{self, Summary};
use shepherd::transport::ApiKey;
use shepherd_mock::{MockServer, Outage};

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .api_key(ApiKey::new("sk-test-batch-secretvalue").unwrap())
        .circuit_breaker(batch::breaker)
        .build()
        .unwrap()
}

/// The question of line `i`: unique within the 40 characters the mock echoes.
fn question(i: usize) -> String {
    format!("q{i:05}: Wie zufrieden sind Sie mit Produkt {}?", i % 97)
}

fn chat_line(i: usize) -> String {
    json!({
        "custom_id": format!("req-{i}"),
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": question(i)}], "max_tokens": 20},
    })
    .to_string()
}

fn embedding_line(i: usize) -> String {
    json!({
        "custom_id": format!("req-{i}"),
        "method": "POST",
        "url": "/v1/embeddings",
        "body": {"model": "text-embedding-3-small", "input": question(i)},
    })
    .to_string()
}

/// Reads an output file: each line parsed, keyed by custom_id (panics on a repeated id).
fn read_lines(path: &Path, into: &mut HashMap<String, Value>) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut n = 0;
    for line in text.lines() {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("unparseable line {line:?}: {e}"));
        let id = v["custom_id"].as_str().unwrap().to_owned();
        // Invalid lines without a custom_id are keyed by their output id.
        let key = if id.is_empty() {
            v["id"].as_str().unwrap().to_owned()
        } else {
            id
        };
        assert!(into.insert(key.clone(), v).is_none(), "{key} written twice");
        n += 1;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_lines_under_faults_get_one_line_each() {
    const LINES: usize = 5_000;
    let server = MockServer::builder()
        .latency_ms(2)
        .seed(11)
        .fault("503:0.03".parse().unwrap())
        .fault("500:0.02".parse().unwrap())
        .fault("reset-body:0.02".parse().unwrap())
        .fault("malformed:0.02".parse().unwrap())
        .fault("429%1500".parse().unwrap())
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
        .map(|i| if i % 10 == 9 { embedding_line(i) } else { chat_line(i) } + "\n")
        .collect();
    std::fs::write(&input, text).unwrap();

    let runner = client(&server.base_url()).batch_runner().concurrency(64);
    let progress = runner.progress();
    let summary: Summary = runner.run_files(&input, &output, &errors).await.unwrap();

    let mut lines = HashMap::new();
    let written = read_lines(&output, &mut lines) + read_lines(&errors, &mut lines);
    assert_eq!(written, LINES, "one line per input line\n{summary}");
    assert_eq!(
        summary.succeeded as usize, LINES,
        "every line succeeds within its retries\n{summary}"
    );
    assert_eq!(
        (summary.failed, summary.invalid, summary.interrupted),
        (0, 0, false)
    );
    for i in 0..LINES {
        let line = &lines[&format!("req-{i}")];
        assert_eq!(line["id"], format!("batch_req_{}", i + 1));
        assert!(line["error"].is_null(), "{line}");
        let body = &line["response"]["body"];
        assert_eq!(line["response"]["status_code"], 200);
        if i % 10 == 9 {
            assert_eq!(body["data"].as_array().map(Vec::len), Some(1), "{body}");
        } else {
            let reply = body["choices"][0]["message"]["content"].as_str().unwrap();
            let expected: String = question(i).chars().take(40).collect();
            assert!(
                reply.starts_with(&format!("echo: {expected}")),
                "line {i} got someone else's answer: {reply}"
            );
        }
    }
    let stats = server.stats();
    assert!(
        stats.answered_more_than_once().is_empty(),
        "a body was answered twice"
    );
    assert_eq!(stats.successes() as usize, LINES);
    assert!(
        stats.faults.values().sum::<u64>() > 300,
        "the fault mix fired: {:?}",
        stats.faults
    );
    assert!(summary.retries > 300 && summary.throttled >= 3, "{summary}");
    let snapshot = progress.snapshot();
    assert_eq!(
        (snapshot.total, snapshot.succeeded, snapshot.in_flight),
        (LINES as u64, LINES as u64, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lines_become_error_lines_naming_their_line() {
    let server = MockServer::builder().seed(3).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (input, output, errors) = (
        dir.path().join("in.jsonl"),
        dir.path().join("out.jsonl"),
        dir.path().join("err.jsonl"),
    );
    let lines = [
        chat_line(1),                                                                  // 1 ok
        r#"{"custom_id":"broken","method":"POST","url":"/v1/chat/comp"#.to_owned(), // 2 malformed
        r#"{"method":"POST","url":"/v1/embeddings","body":{"input":"x"}}"#.to_owned(), // 3 no custom_id
        chat_line(1), // 4 duplicate of line 1
        r#"{"custom_id":"img","method":"POST","url":"/v1/images/generations","body":{}}"#
            .to_owned(), // 5 url
        r#"{"custom_id":"str","method":"POST","url":"/v1/embeddings","body":"hello"}"#.to_owned(), // 6 body
        r#"{"custom_id":"get","method":"GET","url":"/v1/embeddings","body":{}}"#.to_owned(), // 7 method
        String::new(),     // 8 empty
        embedding_line(2), // 9 ok
    ];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let summary = client(&server.base_url())
        .batch_runner()
        .run_files(&input, &output, &errors)
        .await
        .unwrap();
    assert_eq!(
        (
            summary.lines,
            summary.succeeded,
            summary.invalid,
            summary.failed
        ),
        (9, 2, 7, 0),
        "{summary}"
    );
    assert_eq!(summary.exit_code(), 2);

    let text = std::fs::read_to_string(&errors).unwrap();
    let by_line: HashMap<String, Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["id"].as_str().unwrap().to_owned(), v))
        .collect();
    let expect = [
        (2, "invalid_json", ""),
        (3, "missing_custom_id", ""),
        (4, "duplicate_custom_id", "req-1"),
        (5, "unsupported_url", "img"),
        (6, "invalid_body", "str"),
        (7, "invalid_method", "get"),
        (8, "invalid_json", ""),
    ];
    assert_eq!(by_line.len(), expect.len(), "{text}");
    for (line, code, custom_id) in expect {
        let v = &by_line[&format!("batch_req_{line}")];
        assert_eq!(v["error"]["code"], code, "{v}");
        assert_eq!(v["custom_id"], custom_id, "{v}");
        assert!(v["response"].is_null());
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("line {line}: ")), "{message}");
    }
    assert!(
        by_line["batch_req_4"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 1")
    );

    // Resuming the finished run sends nothing and writes nothing more.
    let before = server.stats().requests;
    let again = client(&server.base_url())
        .batch_runner()
        .resume(true)
        .run_files(&input, &output, &errors)
        .await
        .unwrap();
    assert_eq!(
        (again.skipped, again.succeeded, again.invalid),
        (9, 0, 0),
        "{again}"
    );
    assert_eq!(server.stats().requests, before);
    assert_eq!(std::fs::read_to_string(&errors).unwrap(), text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_pauses_the_run_and_only_probes_reach_the_server() {
    const LINES: usize = 300;
    // 30 requests/s for ~10 s of work; the server is down from 2 s to 6 s.
    let server = MockServer::builder()
        .latency_ms(5)
        .seed(5)
        .outage(Outage {
            after: Duration::from_secs(2),
            length: Duration::from_secs(4),
        })
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (input, output, errors) = (
        dir.path().join("in.jsonl"),
        dir.path().join("out.jsonl"),
        dir.path().join("err.jsonl"),
    );
    let text: String = (0..LINES).map(|i| chat_line(i) + "\n").collect();
    std::fs::write(&input, text).unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .rpm(1_800)
        .circuit_breaker(batch::breaker)
        .build()
        .unwrap();
    let started = Instant::now();
    let summary = client
        .batch_runner()
        .concurrency(32)
        .run_files(&input, &output, &errors)
        .await
        .unwrap();
    assert_eq!(
        summary.succeeded as usize, LINES,
        "no line fails because of the outage\n{summary}"
    );
    assert!(
        started.elapsed() > Duration::from_secs(6),
        "the run waited for the outage to end"
    );
    let refused = server.stats().faults.get("outage").copied().unwrap_or(0);
    // The breaker opens after 10 to 20 failed calls, then only its probes go out: a few
    // dozen requests in all. Without it the ~120 lines due in those 4 s would each be sent
    // and retried several times.
    assert!(
        refused < 60,
        "{refused} requests hit the outage: the breaker did not hold the queue back\n{summary}"
    );
}
