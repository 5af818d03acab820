//! `shepherd demo`: ten thousand synthetic reviews through the real batch runner, against a local simulator.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use shepherd::Client;
use shepherd::transport::ApiKey;
use shepherd_mock::{LatencyDistribution, MockServer};

use crate::batch::{report, run_with_progress};
use crate::{Fatal, reviews};

/// Flags of `shepherd demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Reviews to send.
    #[arg(long, default_value_t = 10_000)]
    lines: usize,
    /// Directory for the input and result files [default: a new directory under the system temp dir].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The simulator's mean latency per request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    latency_ms: u64,
    /// Requests in flight at most.
    #[arg(long, value_name = "N", default_value_t = 256)]
    concurrency: usize,
    /// Requests per minute the simulator allows (the client is told the same limit).
    #[arg(long, value_name = "N", default_value_t = 45_000)]
    rpm: u32,
    /// Tokens per minute the simulator allows (the client is told the same limit).
    #[arg(long, value_name = "N", default_value_t = 12_000_000)]
    tpm: u32,
    /// Seed for the reviews, latencies and faults.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// The fault mix: a few percent of 5xx, resets and garbled bodies, and two short 429 bursts.
const FAULTS: &[&str] = &[
    "503:0.02",
    "500:0.01",
    "reset:0.005",
    "reset-body:0.005",
    "malformed:0.005",
    "429=3@1500",
    "429@6000",
];

/// Runs the demo; returns the batch's exit status.
pub(crate) async fn run(args: DemoArgs) -> Result<u8, Fatal> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => {
            let stamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            crate::default_dir().join(format!("shepherd-demo-{stamp}"))
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| Fatal(format!("{}: {e}", dir.display())))?;
    let (input, output, errors) = (
        dir.join("reviews.jsonl"),
        dir.join("results.jsonl"),
        dir.join("results.errors.jsonl"),
    );
    for file in [&output, &errors] {
        if file.exists() {
            std::fs::remove_file(file).map_err(|e| Fatal(format!("{}: {e}", file.display())))?;
        }
    }
    std::fs::write(&input, reviews::reviews(args.lines, args.seed))
        .map_err(|e| Fatal(format!("{}: {e}", input.display())))?;

    let mut mock = MockServer::builder()
        .seed(args.seed)
        .latency_ms(args.latency_ms)
        .latency_jitter_ms(args.latency_ms / 4)
        .latency_distribution(LatencyDistribution::LogNormal)
        .rpm(args.rpm)
        .tpm(args.tpm);
    for fault in FAULTS {
        mock = mock.fault(fault.parse()?);
    }
    let server = mock.start().await?;
    eprintln!(
        "shepherd demo: {} product reviews (German and English) → a local OpenAI-compatible simulator at {}\n\
         simulated: ~{} ms latency, {} requests/min and {} tokens/min limits, faults {}",
        args.lines,
        server.base_url(),
        args.latency_ms,
        args.rpm,
        args.tpm,
        FAULTS.join(" ")
    );
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(ApiKey::new("sk-demo-local-simulator")?)
        .rpm(u64::from(args.rpm))
        .tpm(u64::from(args.tpm))
        .circuit_breaker(shepherd::batch::breaker)
        .build()?;
    let runner = client.batch_runner().concurrency(args.concurrency);
    let summary = run_with_progress(runner, &input, &output, &errors, "demo").await?;
    let stats = server.stats();
    server.shutdown().await;

    report(&summary, &output, &errors);
    let sequential =
        Duration::from_millis(args.latency_ms) * u32::try_from(args.lines).unwrap_or(u32::MAX);
    let here = summary.elapsed.as_secs_f64();
    println!(
        "\none at a time this would take {} × {} ms = {:.1} min; here it took {:.1} s ({:.0}× faster), \
         with {} retries after {} injected faults and nothing lost: {} lines in, {} lines out.",
        args.lines,
        args.latency_ms,
        sequential.as_secs_f64() / 60.0,
        here,
        sequential.as_secs_f64() / here.max(1e-3),
        summary.retries,
        stats.faults.values().sum::<u64>(),
        summary.lines,
        summary.succeeded + summary.failed + summary.invalid,
    );
    println!(
        "This ran against shepherd-mock, a simulator on this machine: no API key, no network, nothing billed \
         (the cost shown is what these tokens would cost at list price).\ninput: {}",
        input.display()
    );
    Ok(summary.exit_code() as u8)
}
