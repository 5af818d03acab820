//! The `shepherd` binary against an in-test mock: SIGKILL at random moments and resume, Ctrl-C, exit codes.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use shepherd_mock::MockServer;

const BIN: &str = env!("CARGO_BIN_EXE_shepherd");

fn write_input(path: &Path, lines: usize) {
    let text: String = (0..lines)
        .map(|i| {
            json!({
                "custom_id": format!("id-{i}"),
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": format!("frage {i}")}]},
            })
            .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

fn batch_command(base_url: &str, dir: &Path, resume: bool) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["batch", "--input"])
        .arg(dir.join("in.jsonl"))
        .arg("--output")
        .arg(dir.join("out.jsonl"))
        .args(["--base-url", base_url, "--concurrency", "8"])
        .env("OPENAI_API_KEY", "sk-test-cli-secretvalue")
        .env_remove("OPENAI_BASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if resume {
        cmd.arg("--resume");
    }
    cmd
}

/// custom_ids in the files of a killed run, ignoring a half-written last line.
fn ids_in_repaired(dir: &Path) -> usize {
    let mut n = 0;
    for file in ["out.jsonl", "out.errors.jsonl"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        n += text
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .count();
    }
    n
}

/// Every line of both files parsed, as custom_id → how many lines carry it.
fn ids_in(dir: &Path) -> HashMap<String, usize> {
    let mut ids = HashMap::new();
    for file in ["out.jsonl", "out.errors.jsonl"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{file} ends mid-line after a completed run"
        );
        for line in text.lines() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{file}: corrupt line {line:?}: {e}"));
            *ids.entry(v["custom_id"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_then_resume_leaves_each_id_once() {
    const LINES: usize = 1_500;
    let server = MockServer::builder()
        .latency_ms(40)
        .seed(9)
        .fault("503:0.03".parse().unwrap())
        .fault("reset-body:0.02".parse().unwrap())
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_input(&dir.path().join("in.jsonl"), LINES);
    let mut rng = SmallRng::seed_from_u64(2024);
    let mut kills = 0;
    for round in 0..4 {
        let mut child = batch_command(&server.base_url(), dir.path(), round > 0)
            .spawn()
            .unwrap();
        let wait = Duration::from_millis(rng.random_range(1_200..3_500));
        tokio::time::sleep(wait).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(kills >= 2, "the runs were killed mid-way");
    // Killed runs leave parseable files (a half-written last line is repaired on resume).
    assert!(
        ids_in_repaired(dir.path()) < LINES,
        "a kill left work for the resume"
    );

    let finished = batch_command(&server.base_url(), dir.path(), true)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&finished.stdout);
    assert_eq!(
        finished.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    assert!(stdout.contains("skipped (done earlier)"), "{stdout}");
    let ids = ids_in(dir.path());
    assert_eq!(ids.len(), LINES, "every custom_id has a line");
    assert!(ids.values().all(|n| *n == 1), "no custom_id twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_finishes_in_flight_and_prints_the_resume_command() {
    let server = MockServer::builder()
        .latency_ms(100)
        .seed(1)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_input(&dir.path().join("in.jsonl"), 2_000);
    let child = batch_command(&server.base_url(), dir.path(), false)
        .spawn()
        .unwrap();
    // Interrupt once the run is under way (a debug build takes a while to load the tokenizer).
    let output = dir.path().join("out.jsonl");
    for _ in 0..300 {
        if std::fs::metadata(&output).is_ok_and(|m| m.len() > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "interrupted runs exit 2\n{stderr}"
    );
    assert!(stderr.contains("--resume"), "{stderr}");
    let ids = ids_in(dir.path());
    assert!(!ids.is_empty() && ids.len() < 2_000);
    // Lines in flight were finished, not dropped: the mock answered exactly what was written.
    assert_eq!(server.stats().successes() as usize, ids.len());
}

#[test]
fn a_missing_key_or_unreachable_server_is_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    write_input(&dir.path().join("in.jsonl"), 3);
    let out = batch_command("http://127.0.0.1:9/v1", dir.path(), false)
        .env_remove("OPENAI_API_KEY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("OPENAI_API_KEY"), "{stderr}");

    let out = batch_command("http://127.0.0.1:9/v1", dir.path(), false)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot reach") && stderr.contains("--base-url"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_lines_exit_2_and_retry_failed_runs_them_again() {
    // Every request fails with a non-retryable 400 ... until the fault schedule ends.
    let server = MockServer::builder()
        .seed(4)
        .insufficient_quota(true)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_input(&dir.path().join("in.jsonl"), 20);
    let out = batch_command(&server.base_url(), dir.path(), false)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let errors = std::fs::read_to_string(dir.path().join("out.errors.jsonl")).unwrap();
    assert_eq!(errors.lines().count(), 20);
    assert!(errors.contains("insufficient_quota"), "{errors}");

    server.set_insufficient_quota(false);
    let mut cmd = batch_command(&server.base_url(), dir.path(), true);
    let out = cmd.arg("--retry-failed").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let ids = ids_in(dir.path());
    assert_eq!(ids.len(), 20);
    assert!(ids.values().all(|n| *n == 1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.errors.jsonl")).unwrap(),
        ""
    );
}
