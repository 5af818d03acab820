//! `shepherd batch`: flags, client setup, Ctrl-C handling and the exit status around the library's runner.

use std::path::PathBuf;

use clap::Args;
use shepherd::Client;
use shepherd::batch::{BatchRunner, StopHandle, Summary, errors_path_for};

use crate::config::{TargetsFile, reachable};
use crate::{Connection, Fatal, progress};

/// Flags of `shepherd batch` (names fixed by the issue, so scripts can rely on them).
#[derive(Debug, Args)]
pub(crate) struct BatchArgs {
    /// Input JSONL in the Batch API input format.
    #[arg(long, value_name = "FILE")]
    pub(crate) input: PathBuf,
    /// Output JSONL for successful lines.
    #[arg(long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// Output JSONL for failed lines [default: OUTPUT with `.errors` before the extension].
    #[arg(long, value_name = "FILE")]
    pub(crate) errors: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) connection: Connection,
    /// Requests in flight at most.
    #[arg(long, value_name = "N", default_value_t = shepherd::batch::DEFAULT_CONCURRENCY)]
    pub(crate) concurrency: usize,
    /// Requests per minute the provider allows; the run stays under it.
    #[arg(long, value_name = "N")]
    pub(crate) rpm: Option<u64>,
    /// Tokens per minute the provider allows; the run stays under it.
    #[arg(long, value_name = "N")]
    pub(crate) tpm: Option<u64>,
    /// Retries per line (a batch prefers patience to failed lines).
    #[arg(long, value_name = "N", default_value_t = shepherd::batch::DEFAULT_MAX_RETRIES)]
    pub(crate) max_retries: u32,
    /// Stop sending once this much has been spent (USD, estimated before each request).
    #[arg(long, value_name = "X")]
    pub(crate) budget_usd: Option<f64>,
    /// TOML (or .json) file of several endpoints with their key variables and limits.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["rpm", "tpm", "base_url"])]
    pub(crate) targets: Option<PathBuf>,
    /// Model to fall back to when a line's model fails for good (repeatable, tried in order).
    #[arg(long = "fallback-model", value_name = "NAME")]
    pub(crate) fallback_models: Vec<String>,
    /// Continue an earlier run: skip lines already in the output or error file.
    #[arg(long)]
    pub(crate) resume: bool,
    /// With --resume: run the error file's lines again.
    #[arg(long, requires = "resume")]
    pub(crate) retry_failed: bool,
}

impl BatchArgs {
    fn errors_path(&self) -> PathBuf {
        self.errors
            .clone()
            .unwrap_or_else(|| errors_path_for(&self.output))
    }

    async fn client(&self) -> Result<Client, Fatal> {
        let builder = match &self.targets {
            Some(path) => {
                let file = TargetsFile::read(path)?;
                reachable(file.first_base_url()).await?;
                file.targets()?
                    .into_iter()
                    .fold(Client::builder(), |b, t| b.target(t))
            }
            None => {
                let mut builder = self.connection.builder()?;
                reachable(&self.connection.resolved_base_url()).await?;
                if let Some(rpm) = self.rpm {
                    builder = builder.rpm(rpm);
                }
                if let Some(tpm) = self.tpm {
                    builder = builder.tpm(tpm);
                }
                builder
            }
        };
        let mut builder = builder.circuit_breaker(shepherd::batch::breaker);
        if let Some(budget) = self.budget_usd {
            builder = builder.budget_usd(budget);
        }
        Ok(builder.build()?)
    }
}

/// Runs `shepherd batch`; returns the exit status (0 all succeeded, 2 some failed).
pub(crate) async fn run(args: BatchArgs) -> Result<u8, Fatal> {
    if !args.input.exists() {
        return Err(Fatal(format!(
            "{}: no such input file",
            args.input.display()
        )));
    }
    let client = args.client().await?;
    let errors = args.errors_path();
    let runner = client
        .batch_runner()
        .concurrency(args.concurrency)
        .max_retries(args.max_retries)
        .resume(args.resume)
        .retry_failed(args.retry_failed)
        .fallback_models(args.fallback_models.clone());
    let summary = run_with_progress(runner, &args.input, &args.output, &errors, "batch").await?;
    report(&summary, &args.output, &errors);
    Ok(summary.exit_code() as u8)
}

/// Runs a batch with the progress display and Ctrl-C handling; shared with `demo`.
pub(crate) async fn run_with_progress(
    runner: BatchRunner,
    input: &std::path::Path,
    output: &std::path::Path,
    errors: &std::path::Path,
    label: &str,
) -> Result<Summary, Fatal> {
    let display = progress::Display::start(runner.progress(), label);
    let interrupts = tokio::spawn(handle_interrupts(runner.stop_handle()));
    let result = runner.run_files(input, output, errors).await;
    interrupts.abort();
    display.finish().await;
    let summary = result?;
    if summary.interrupted {
        eprintln!(
            "stopped before the end; to continue where it stopped, run:\n  {}",
            resume_command()
        );
    }
    Ok(summary)
}

async fn handle_interrupts(stop: StopHandle) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    eprintln!(
        "\nstopping: no new requests; waiting for those in flight (Ctrl-C again to abandon them)"
    );
    stop.stop();
    if tokio::signal::ctrl_c().await.is_ok() {
        eprintln!("abandoning the requests in flight; a resume sends them again");
        stop.cancel();
    }
}

/// This process's command line with `--resume` added (once), quoted for a POSIX shell.
fn resume_command() -> String {
    let mut args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--resume") {
        // `demo` has no --resume; its files are only an example.
        if args.iter().any(|a| a == "batch") {
            args.push("--resume".into());
        }
    }
    args.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Prints the summary and where the results are.
pub(crate) fn report(summary: &Summary, output: &std::path::Path, errors: &std::path::Path) {
    println!("{summary}");
    println!(
        "results: {}\nerrors:  {}",
        output.display(),
        errors.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("--input"), "--input");
        assert_eq!(shell_quote("my file.jsonl"), "'my file.jsonl'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
