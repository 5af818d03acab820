//! `loadgen report`: runs every harness against its server and writes the Markdown report.
//!
//! Each client runs in its own process (this binary again, or a Python script), so CPU
//! seconds and memory are that client's alone. The Rust clients run `--rounds` times,
//! interleaved, and the round with the median requests/s is reported: this machine is
//! shared, and interleaving spreads its noise evenly over the clients.

use std::fmt::Write as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Args;
use crate::latency::{self, LatencyBound};
use crate::measure;
use crate::servers::{self, Server};
use crate::streams::Streams;
use crate::throughput::Throughput;

const ASYNC_OPENAI: &str = "async-openai 0.43 (reqwest, rustls)";

/// One `shepherd batch` run.
#[derive(Debug, Serialize, Clone)]
pub struct BatchMemory {
    pub lines: u64,
    pub seconds: f64,
    pub lines_per_second: f64,
    pub peak_rss_bytes: u64,
    pub cpu_seconds: f64,
    pub output_lines: u64,
    pub success: bool,
}

/// wrk's steady-state rate against the same server: what the server and this machine
/// allow a client that costs almost nothing.
#[derive(Debug, Serialize, Clone)]
pub struct WrkReference {
    pub connections: usize,
    pub seconds: u64,
    pub requests_per_second: f64,
    /// requests_per_second / (connections / latency): 1.0 is Little's law.
    pub of_bound: f64,
    pub mean_latency: String,
}

/// Runs wrk (Debian's `wrk`) with `connections` connections for `seconds`, POSTing the
/// same chat line body the batch runner sends, against a server answering after
/// `latency_ms`.
fn wrk_reference(
    base_url: &str,
    dir: &Path,
    connections: usize,
    latency_ms: u64,
    seconds: u64,
) -> Result<WrkReference, String> {
    let body = serde_json::json!({
        "model": crate::throughput::MODEL,
        "messages": [{"role": "user", "content": "Question number 1: say hello."}],
        "max_completion_tokens": crate::throughput::MAX_TOKENS,
    })
    .to_string();
    let script = dir.join("post.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = [[{body}]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Bearer sk-bench\"\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "-s",
        ])
        .arg(&script)
        .arg(format!("{base_url}/chat/completions"))
        .output()
        .map_err(|e| format!("wrk not run ({e}); apt-get install wrk"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let rps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("wrk printed no rate: {text}"))?;
    let mean_latency = text
        .lines()
        .find(|l| l.trim_start().starts_with("Latency"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("?")
        .to_owned();
    let bound = connections as f64 / (latency_ms as f64 / 1000.0);
    Ok(WrkReference {
        connections,
        seconds,
        requests_per_second: rps,
        of_bound: rps / bound,
        mean_latency,
    })
}

/// Everything one report holds (also written as JSON beside the Markdown).
#[derive(Debug, Serialize)]
struct Results {
    date: String,
    machine: String,
    load_before: String,
    load_after: String,
    throughput_server: String,
    throughput: Vec<Throughput>,
    all_rounds: Vec<Throughput>,
    latency: Result<LatencyBound, String>,
    latency_wrk: Result<WrkReference, String>,
    latency_warm: Vec<Throughput>,
    streams: Result<Streams, String>,
    batch: Vec<Result<BatchMemory, String>>,
    criterion: Vec<(String, f64)>,
}

/// Runs a harness process and parses the JSON object on its last line of output.
fn child_json<T: DeserializeOwned>(command: &mut Command) -> Result<T, String> {
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{command:?} failed ({})", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| format!("{command:?} printed nothing"))?;
    serde_json::from_str(last).map_err(|e| format!("{command:?} printed {last:?}: {e}"))
}

fn shell(command: &str) -> String {
    Command::new("sh")
        .args(["-c", command])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// A virtualenv with the Python peers' requirements, made once under `venv`.
fn python_env(venv: &Path, requirements: &Path) -> Result<PathBuf, String> {
    let python = venv.join("bin/python");
    if !python.exists() {
        eprintln!("loadgen: making a Python virtualenv in {}", venv.display());
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .map_err(|e| format!("python3 -m venv: {e}"))?;
        if !status.success() {
            return Err(format!("python3 -m venv failed ({status})"));
        }
    }
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(requirements)
        .status()
        .map_err(|e| format!("pip: {e}"))?;
    if !status.success() {
        return Err(format!("pip install -r {} failed", requirements.display()));
    }
    Ok(python)
}

fn skipped(client: &str, requests: u64, concurrency: usize, why: String) -> Throughput {
    Throughput {
        client: client.to_owned(),
        requests,
        concurrency,
        errors: 0,
        seconds: 0.0,
        rps: 0.0,
        p50_us: 0,
        p99_us: 0,
        cpu_seconds: 0.0,
        skipped: Some(why),
    }
}

/// Runs `shepherd batch` on `lines` generated lines and takes its peak RSS from `wait4`.
fn batch_memory(shepherd: &Path, url: &str, dir: &Path, lines: u64) -> Result<BatchMemory, String> {
    let input = dir.join(format!("batch-{lines}.jsonl"));
    let output = dir.join(format!("batch-{lines}.out.jsonl"));
    let errors = dir.join(format!("batch-{lines}.out.errors.jsonl"));
    let _ = std::fs::remove_file(&output);
    let _ = std::fs::remove_file(&errors);
    latency::write_lines(&input, lines).map_err(|e| e.to_string())?;
    let log =
        std::fs::File::create(dir.join(format!("batch-{lines}.log"))).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let child = Command::new(shepherd)
        .args(["batch", "--concurrency", "64", "--base-url", url, "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .env("OPENAI_API_KEY", "sk-bench")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", shepherd.display()))?;
    let usage = measure::wait_with_usage(&child).map_err(|e| e.to_string())?;
    let seconds = start.elapsed().as_secs_f64();
    let output_lines = std::fs::File::open(&output)
        .map(|f| std::io::BufReader::new(f).lines().count() as u64)
        .unwrap_or(0);
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    Ok(BatchMemory {
        lines,
        seconds,
        lines_per_second: lines as f64 / seconds,
        peak_rss_bytes: usage.max_rss_bytes,
        cpu_seconds: usage.cpu_seconds,
        output_lines,
        success: usage.success,
    })
}

/// Every `new/estimates.json` under criterion's output: benchmark id and median (ns).
fn criterion_medians(dir: &Path) -> Vec<(String, f64)> {
    fn walk(dir: &Path, out: &mut Vec<(String, f64)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == "new") {
                let read = |name: &str| -> Option<serde_json::Value> {
                    serde_json::from_str(&std::fs::read_to_string(path.join(name)).ok()?).ok()
                };
                if let (Some(bench), Some(estimates)) =
                    (read("benchmark.json"), read("estimates.json"))
                {
                    let id = bench["full_id"].as_str().unwrap_or("?").to_owned();
                    if let Some(median) = estimates["median"]["point_estimate"].as_f64() {
                        out.push((id, median));
                    }
                }
            } else {
                walk(&path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn median_round(rounds: &[Throughput], client: &str) -> Option<Throughput> {
    let mut mine: Vec<&Throughput> = rounds.iter().filter(|t| t.client == client).collect();
    mine.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    mine.get(mine.len() / 2).map(|t| (*t).clone())
}

pub async fn run(args: &Args) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin_dir = exe
        .parent()
        .ok_or("no directory for this binary")?
        .to_owned();
    let out = args
        .values
        .get("out")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("benches/RESULTS.md"));
    let criterion_dir = args
        .values
        .get("criterion-dir")
        .map(PathBuf::from)
        .unwrap_or_else(|| bin_dir.join("../criterion"));
    let venv = args
        .values
        .get("venv")
        .map(PathBuf::from)
        .unwrap_or_else(|| bin_dir.join("../bench-venv"));
    let requests = args.number("requests", 20_000u64)?;
    let concurrency = args.number("concurrency", 64usize)?;
    let rounds = args.number("rounds", 3usize)?.max(1);
    let batch_lines = args.number("batch-lines", 1_000_000u64)?;
    let mock_bin = bin_dir.join("shepherd-mock");
    let shepherd_bin = bin_dir.join("shepherd");
    for bin in [&mock_bin, &shepherd_bin] {
        if !bin.exists() {
            return Err(format!(
                "{} is missing: build it first (`cargo build --release -p shepherd-mock -p shepherd-cli`, which `cargo xtask bench` does)",
                bin.display()
            ));
        }
    }
    measure::raise_fd_limit();
    let work = std::env::temp_dir().join(format!("shepherd-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;

    let machine = format!(
        "{} × {} ({} GiB RAM), {}",
        shell("nproc"),
        shell("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
        shell("awk '/MemTotal/ {printf \"%d\", $2/1048576}' /proc/meminfo"),
        shell("uname -sr"),
    );
    let load_before = shell("cut -d' ' -f1-3 /proc/loadavg");

    // Throughput.
    let server: Server = match servers::nginx_binary() {
        Some(nginx) => servers::nginx(&nginx, &work)?,
        None => {
            eprintln!(
                "loadgen: nginx not found (apt-get install nginx-light); using shepherd-mock"
            );
            servers::mock(&mock_bin, &["--seed", "1"])?
        }
    };
    eprintln!(
        "loadgen: throughput against {} at {}",
        server.name, server.base_url
    );
    let mut all_rounds = Vec::new();
    for round in 0..rounds {
        for client in ["bare", "shepherd", "async-openai"] {
            eprintln!("loadgen: round {} of {rounds}: {client}", round + 1);
            let result: Throughput = child_json(
                Command::new(&exe)
                    .args(["throughput", "--client", client, "--url", &server.base_url])
                    .args(["--requests", &requests.to_string()])
                    .args(["--concurrency", &concurrency.to_string()]),
            )?;
            all_rounds.push(result);
        }
    }
    let mut throughput: Vec<Throughput> = ["bare hyper-util", "shepherd Client", "async-openai"]
        .iter()
        .filter_map(|c| median_round(&all_rounds, c))
        .collect();
    let scripts = root.join("benches/peers/python");
    let python = if args.flag("skip-python") {
        Err("--skip-python".to_owned())
    } else {
        python_env(&venv, &scripts.join("requirements.txt"))
    };
    for (script, name) in [
        ("openai_client.py", "Python openai (AsyncOpenAI)"),
        ("aiohttp_client.py", "Python aiohttp + semaphore"),
    ] {
        eprintln!("loadgen: {name}");
        let result = python.clone().and_then(|python| {
            child_json::<Throughput>(Command::new(python).arg(scripts.join(script)).args([
                &server.base_url,
                &requests.to_string(),
                &concurrency.to_string(),
            ]))
        });
        throughput.push(result.unwrap_or_else(|why| skipped(name, requests, concurrency, why)));
    }
    let throughput_server = server.name.clone();
    drop(server);

    // Latency-bound.
    eprintln!("loadgen: latency-bound run (10,000 requests, 200 ms, concurrency 500)");
    let latency =
        servers::mock(&mock_bin, &["--latency-ms", "200", "--seed", "1"]).and_then(|mock| {
            child_json::<LatencyBound>(
                Command::new(&exe)
                    .args(["latency", "--url", &mock.base_url, "--dir"])
                    .arg(&work)
                    .args([
                        "--requests",
                        "10000",
                        "--concurrency",
                        "500",
                        "--latency-ms",
                        "200",
                    ]),
            )
        });
    let latency_wrk = servers::mock(&mock_bin, &["--latency-ms", "200", "--seed", "1"])
        .and_then(|mock| wrk_reference(&mock.base_url, &work, 500, 200, 5));
    // The same requests with connections already open (the throughput harness warms up
    // first): separates the batch run's cold start from the steady state.
    let mut latency_warm = Vec::new();
    if let Ok(mock) = servers::mock(&mock_bin, &["--latency-ms", "200", "--seed", "1"]) {
        for client in ["bare", "shepherd"] {
            match child_json::<Throughput>(
                Command::new(&exe)
                    .args(["throughput", "--client", client, "--url", &mock.base_url])
                    .args(["--requests", "10000", "--concurrency", "500"]),
            ) {
                Ok(t) => latency_warm.push(t),
                Err(e) => eprintln!("loadgen: warm latency run of {client} failed: {e}"),
            }
        }
    }

    // Streaming.
    eprintln!("loadgen: 1,000 streams of 500 tokens");
    let streams =
        servers::mock(&mock_bin, &["--reply-tokens", "500", "--seed", "1"]).and_then(|mock| {
            child_json::<Streams>(
                Command::new(&exe)
                    .args(["streams", "--url", &mock.base_url])
                    .args(["--streams", "1000", "--tokens", "500"]),
            )
        });

    // Batch memory: the same run at a tenth of the size, to show RSS does not grow with it.
    let mut batch = Vec::new();
    for lines in [batch_lines / 10, batch_lines] {
        eprintln!("loadgen: shepherd batch on {lines} lines");
        batch.push(
            servers::mock(&mock_bin, &["--seed", "1"])
                .and_then(|mock| batch_memory(&shepherd_bin, &mock.base_url, &work, lines)),
        );
    }
    let _ = std::fs::remove_dir_all(&work);

    let results = Results {
        date: shell("date -u '+%Y-%m-%d %H:%M UTC'"),
        machine,
        load_before,
        load_after: shell("cut -d' ' -f1-3 /proc/loadavg"),
        throughput_server,
        throughput,
        all_rounds,
        latency,
        latency_wrk,
        latency_warm,
        streams,
        batch,
        criterion: criterion_medians(&criterion_dir),
    };
    let markdown = render(&results, requests, concurrency, rounds);
    std::fs::write(&out, &markdown).map_err(|e| format!("{}: {e}", out.display()))?;
    let json = out.with_extension("json");
    let text = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    std::fs::write(&json, text).map_err(|e| format!("{}: {e}", json.display()))?;
    print!("{markdown}");
    eprintln!("loadgen: wrote {} and {}", out.display(), json.display());
    Ok(())
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

fn duration(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

fn render(r: &Results, requests: u64, concurrency: usize, rounds: usize) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# shepherd benchmark results\n");
    let _ = writeln!(
        md,
        "Written by `cargo xtask bench` on {}. Machine: {}. Load average before: {}, after: {}.\n\
         Every figure below comes from this one run; rerun the command to reproduce them.\n",
        r.date, r.machine, r.load_before, r.load_after
    );

    let bare = r
        .throughput
        .iter()
        .find(|t| t.client == "bare hyper-util")
        .map(|t| t.rps);
    let rps_of = |prefix: &str| {
        r.throughput
            .iter()
            .find(|t| t.client.starts_with(prefix) && t.skipped.is_none())
            .map(|t| t.rps)
    };
    let shepherd = rps_of("shepherd");
    let _ = writeln!(md, "## Throughput\n");
    let _ = writeln!(
        md,
        "{requests} chat completions per client at concurrency {concurrency} over loopback, against {} \
         (a server no client under test controls). Same request body from every client; each \
         client in its own process; CPU seconds are that process's user + system time for the \
         timed requests (a warm-up of {} requests opens the connections first). Rust clients: \
         the median of {rounds} interleaved rounds. {ASYNC_OPENAI}.\n",
        r.throughput_server,
        concurrency * 4
    );
    let _ = writeln!(
        md,
        "| client | requests/s | p50 | p99 | CPU s | CPU µs/request | errors | × bare hyper-util | shepherd × this |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for t in &r.throughput {
        if let Some(why) = &t.skipped {
            let _ = writeln!(md, "| {} | not run: {why} | | | | | | | |", t.client);
            continue;
        }
        let vs_bare = bare.map_or("–".to_owned(), |b| format!("{:.2}×", t.rps / b));
        let ours = shepherd.map_or("–".to_owned(), |s| format!("{:.1}×", s / t.rps));
        let _ = writeln!(
            md,
            "| {} | {:.0} | {} | {} | {:.2} | {:.1} | {} | {vs_bare} | {ours} |",
            t.client,
            t.rps,
            ms(t.p50_us),
            ms(t.p99_us),
            t.cpu_seconds,
            t.cpu_seconds / t.requests as f64 * 1e6,
            t.errors,
        );
    }
    let _ = writeln!(md, "\nAll rounds (requests/s): {}\n", {
        r.all_rounds
            .iter()
            .map(|t| format!("{} {:.0}", t.client, t.rps))
            .collect::<Vec<_>>()
            .join(", ")
    });

    let _ = writeln!(md, "## Latency-bound batch\n");
    match &r.latency {
        Ok(l) => {
            let _ = writeln!(
                md,
                "{} requests through `BatchRunner` at concurrency {} against shepherd-mock answering each after \
                 {} ms: **{:.2} s** against the Little's-law bound of {:.2} s = **{:.1} %** of the bound \
                 ({} succeeded, {} failed).\n",
                l.requests,
                l.concurrency,
                l.latency_ms,
                l.seconds,
                l.bound_seconds,
                l.of_bound * 100.0,
                l.succeeded,
                l.failed
            );
        }
        Err(e) => {
            let _ = writeln!(md, "Not run: {e}\n");
        }
    }
    match &r.latency_wrk {
        Ok(w) => {
            let _ = writeln!(
                md,
                "The same server and body under wrk (C, `-c{}` for {} s, steady state): {:.0} requests/s = \
                 **{:.1} %** of Little's law (mean latency {}): the ceiling this server and machine allow \
                 any client.\n",
                w.connections,
                w.seconds,
                w.requests_per_second,
                w.of_bound * 100.0,
                w.mean_latency
            );
        }
        Err(e) => {
            let _ = writeln!(md, "wrk reference not run: {e}\n");
        }
    }
    if !r.latency_warm.is_empty() {
        let latency = r
            .latency
            .as_ref()
            .map_or(0.2, |l| l.latency_ms as f64 / 1000.0);
        let runs: Vec<String> = r
            .latency_warm
            .iter()
            .map(|t| {
                format!(
                    "{} {:.2} s = {:.1} % (p99 {})",
                    t.client,
                    t.seconds,
                    t.requests as f64 / t.concurrency as f64 * latency / t.seconds * 100.0,
                    ms(t.p99_us)
                )
            })
            .collect();
        let _ = writeln!(
            md,
            "The same 10,000 requests at concurrency 500 with the connections already open (the \
             throughput harness, after its warm-up; no files): {}. The batch run's remaining gap is its \
             cold start: 500 connections opened at once, and the input and output files.\n",
            runs.join("; ")
        );
    }

    let _ = writeln!(md, "## Streaming\n");
    match &r.streams {
        Ok(s) => {
            let _ = writeln!(
                md,
                "{} concurrent SSE streams of {} tokens each through shepherd's `Client` against \
                 shepherd-mock streaming as fast as it can (both on this machine's cores). All opened in \
                 {:.2} s; client RSS {} before opening, {} with all open = **{:.1} KiB per open stream**. \
                 Reading all to the end: {} tokens in {:.2} s = **{:.0} tokens/s** ({} streams failed).\n",
                s.streams,
                s.tokens_per_stream,
                s.open_seconds,
                mib(s.rss_before_bytes),
                mib(s.rss_open_bytes),
                s.bytes_per_stream as f64 / 1024.0,
                s.tokens_received,
                s.drain_seconds,
                s.tokens_per_second,
                s.failed_streams
            );
        }
        Err(e) => {
            let _ = writeln!(md, "Not run: {e}\n");
        }
    }

    let _ = writeln!(md, "## Batch memory\n");
    let _ = writeln!(
        md,
        "`shepherd batch --concurrency 64` on generated chat lines against shepherd-mock at zero latency; \
         peak RSS of the `shepherd` process from `wait4`.\n"
    );
    let _ = writeln!(
        md,
        "| lines | wall | lines/s | peak RSS | CPU s | output lines | exit |"
    );
    let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---|");
    for b in &r.batch {
        match b {
            Ok(b) => {
                let _ = writeln!(
                    md,
                    "| {} | {:.1} s | {:.0} | {} | {:.1} | {} | {} |",
                    b.lines,
                    b.seconds,
                    b.lines_per_second,
                    mib(b.peak_rss_bytes),
                    b.cpu_seconds,
                    b.output_lines,
                    if b.success { "ok" } else { "failed" }
                );
            }
            Err(e) => {
                let _ = writeln!(md, "| not run: {e} | | | | | | |");
            }
        }
    }

    let _ = writeln!(md, "\n## Goals\n");
    let _ = writeln!(md, "| goal | measured | |\n|---|---:|---|");
    let ratio_goal =
        |md: &mut String, name: &str, peer: Option<f64>, goal: f64, as_ratio_of_peer: bool| match (
            shepherd, peer,
        ) {
            (Some(s), Some(p)) => {
                let x = if as_ratio_of_peer { s / p } else { p };
                let _ = writeln!(md, "| {name} | {x:.2}× | {} |", verdict(x >= goal));
            }
            _ => {
                let _ = writeln!(md, "| {name} | not measured | |");
            }
        };
    ratio_goal(&mut md, "shepherd ≥ 0.9× bare hyper-util", bare, 0.9, true);
    ratio_goal(
        &mut md,
        "shepherd ≥ 2× async-openai",
        rps_of("async-openai"),
        2.0,
        true,
    );
    ratio_goal(
        &mut md,
        "shepherd ≥ 20× Python openai",
        rps_of("Python openai"),
        20.0,
        true,
    );
    ratio_goal(
        &mut md,
        "shepherd ≥ 20× Python aiohttp",
        rps_of("Python aiohttp"),
        20.0,
        true,
    );
    match &r.latency {
        Ok(l) => {
            let wrk = r.latency_wrk.as_ref().map_or(String::new(), |w| {
                format!(" (wrk on the same server: {:.1} %)", w.of_bound * 100.0)
            });
            let _ = writeln!(
                md,
                "| ≥ 95 % of the Little's-law bound | {:.1} %{wrk} | {} |",
                l.of_bound * 100.0,
                verdict(l.of_bound >= 0.95 && l.failed == 0)
            );
        }
        Err(_) => {
            let _ = writeln!(md, "| ≥ 95 % of the Little's-law bound | not measured | |");
        }
    }
    match &r.streams {
        Ok(s) => {
            let _ = writeln!(
                md,
                "| < 64 KiB client memory per open stream | {:.1} KiB | {} |",
                s.bytes_per_stream as f64 / 1024.0,
                verdict(s.bytes_per_stream < 64 * 1024 && s.failed_streams == 0)
            );
        }
        Err(_) => {
            let _ = writeln!(
                md,
                "| < 64 KiB client memory per open stream | not measured | |"
            );
        }
    }
    match (r.batch.first(), r.batch.last()) {
        (Some(Ok(small)), Some(Ok(large))) if r.batch.len() == 2 => {
            let growth = large.peak_rss_bytes as f64 / small.peak_rss_bytes.max(1) as f64;
            let complete = large.success
                && small.success
                && large.output_lines == large.lines
                && small.output_lines == small.lines;
            let _ = writeln!(
                md,
                "| batch RSS flat in the input size (10× the lines, ≤ 1.2× the RSS) | {:.2}× ({} → {}) | {} |",
                growth,
                mib(small.peak_rss_bytes),
                mib(large.peak_rss_bytes),
                verdict(growth <= 1.2 && complete)
            );
        }
        _ => {
            let _ = writeln!(md, "| batch RSS flat in the input size | not measured | |");
        }
    }

    if !r.criterion.is_empty() {
        let _ = writeln!(md, "\n## Criterion benches (median)\n");
        let _ = writeln!(md, "| benchmark | median |\n|---|---:|");
        for (id, median) in &r.criterion {
            let _ = writeln!(md, "| {id} | {} |", duration(*median));
        }
    }
    md
}
