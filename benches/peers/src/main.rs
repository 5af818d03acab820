//! `loadgen`: shepherd measured beside what users would pick instead.
//!
//! `loadgen report` (what `cargo xtask bench` runs) starts the servers, runs every harness
//! below as its own process and writes `benches/RESULTS.md`. The other subcommands are
//! the harnesses, each printing one JSON object:
//!
//! - `throughput --client bare|shepherd|async-openai --url URL --requests N --concurrency C`
//! - `latency --url URL --dir DIR --requests N --concurrency C --latency-ms MS`
//! - `streams --url URL --streams N --tokens T`

mod latency;
mod measure;
mod report;
mod servers;
mod streams;
mod throughput;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// `--name value` pairs, and `--flag` alone as `"true"`.
struct Args {
    values: HashMap<String, String>,
}

impl Args {
    fn parse(args: &[String]) -> Result<Args, String> {
        let mut values = HashMap::new();
        let mut it = args.iter().peekable();
        while let Some(arg) = it.next() {
            let name = arg
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {arg:?}"))?;
            let value = match it.peek() {
                Some(v) if !v.starts_with("--") => it.next().cloned().unwrap_or_default(),
                _ => "true".to_owned(),
            };
            values.insert(name.to_owned(), value);
        }
        Ok(Args { values })
    }

    fn string(&self, name: &str) -> Result<String, String> {
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| format!("--{name} is required"))
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.values.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name} expects a number, not {v:?}")),
        }
    }

    fn flag(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), String> {
    println!(
        "{}",
        serde_json::to_string(value).map_err(|e| e.to_string())?
    );
    Ok(())
}

async fn run(command: &str, args: &Args) -> Result<(), String> {
    match command {
        "throughput" => {
            let url = args.string("url")?;
            let requests = args.number("requests", 20_000u64)?;
            let concurrency = args.number("concurrency", 64usize)?;
            let result = match args.string("client")?.as_str() {
                "bare" => throughput::bare(&url, requests, concurrency).await,
                "shepherd" => throughput::shepherd(&url, requests, concurrency).await,
                "async-openai" => throughput::async_openai(&url, requests, concurrency).await,
                other => return Err(format!("unknown client {other:?}")),
            };
            print_json(&result)
        }
        "latency" => {
            let result = latency::run(
                &args.string("url")?,
                &PathBuf::from(args.string("dir")?),
                args.number("requests", 10_000u64)?,
                args.number("concurrency", 500usize)?,
                args.number("latency-ms", 200u64)?,
            )
            .await?;
            print_json(&result)
        }
        "streams" => {
            measure::raise_fd_limit();
            let result = streams::run(
                &args.string("url")?,
                args.number("streams", 1000usize)?,
                args.number("tokens", 500u64)?,
            )
            .await?;
            print_json(&result)
        }
        "report" => report::run(args).await,
        other => Err(format!(
            "unknown command {other:?}: report | throughput | latency | streams"
        )),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = all.split_first() else {
        eprintln!("usage: loadgen report | throughput | latency | streams [--flags]");
        return ExitCode::from(2);
    };
    let result = match Args::parse(rest) {
        Ok(args) => run(command, &args).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("loadgen {command}: {message}");
            ExitCode::FAILURE
        }
    }
}
