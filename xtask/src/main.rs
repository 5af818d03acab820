//! Project automation, run as `cargo xtask <task>` (alias in `.cargo/config.toml`).
//!
//! Tasks:
//! - `ci`: exactly what `.ci/run` runs — the README's test command, then
//!   `cargo fmt --check` and `cargo clippy -D warnings`.
//! - `bench [CRITERION ARGS]`: runs the criterion benches of the `benches` crate.
//! - `fuzz [CASES]`: runs the SSE decoder's property tests (random events, split at
//!   random boundaries: no panic, bounded memory, same events) with many more cases
//!   than the normal test run (default 200,000), in release mode. A proptest instead of
//!   `cargo fuzz` because this machine's only toolchain is stable and libFuzzer needs
//!   nightly; the same properties run (with fewer cases) in every `cargo test`.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz(args.get(1).map(String::as_str)),
        _ => {
            eprintln!("usage: cargo xtask <ci | bench [criterion args] | fuzz [cases]>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the same three steps as `.ci/run`, in the same order.
fn ci() -> Result<(), String> {
    cargo(&["test", "--workspace"])?;
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])
}

fn bench(extra: &[String]) -> Result<(), String> {
    let mut args = vec!["bench", "--package", "benches"];
    if !extra.is_empty() {
        args.push("--");
        args.extend(extra.iter().map(String::as_str));
    }
    cargo(&args)
}

fn fuzz(cases: Option<&str>) -> Result<(), String> {
    let cases = cases.unwrap_or("200000");
    cases
        .parse::<u32>()
        .map_err(|_| format!("fuzz takes a number of cases, not {cases:?}"))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .env("SHEPHERD_SSE_CASES", cases)
        .args([
            "test",
            "--release",
            "-p",
            "shepherd-transport",
            "--test",
            "sse_decoder",
        ])
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    check(
        status,
        "cargo test --release -p shepherd-transport --test sse_decoder",
    )
}

fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(args)
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    check(status, &format!("cargo {}", args.join(" ")))
}

fn check(status: std::process::ExitStatus, what: &str) -> Result<(), String> {
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{what}` failed ({status})"))
    }
}
