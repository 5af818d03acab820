//! Project automation, run as `cargo xtask <task>` (alias in `.cargo/config.toml`).
//!
//! Tasks:
//! - `ci`: exactly what `.ci/run` runs — the README's test command, then
//!   `cargo fmt --check` and `cargo clippy -D warnings`.
//! - `bench [--quick] [--no-criterion] [-- LOADGEN FLAGS]`: runs the criterion benches
//!   of the `benches` crate (`--quick`: criterion's quick mode), then builds the
//!   comparison harness in `benches/peers` (outside the workspace: it pulls in
//!   async-openai and reqwest) and runs `loadgen report`, which starts nginx or
//!   shepherd-mock, runs every client and harness, and writes `benches/RESULTS.md` and
//!   `benches/RESULTS.json`. Flags after `--` go to `loadgen report` (`--requests N`,
//!   `--rounds N`, `--batch-lines N`, `--skip-python`).
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
            eprintln!(
                "usage: cargo xtask <ci | bench [--quick] [--no-criterion] [-- loadgen flags] | fuzz [cases]>"
            );
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

fn bench(args: &[String]) -> Result<(), String> {
    let (ours, loadgen) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    for arg in ours {
        if arg != "--quick" && arg != "--no-criterion" {
            return Err(format!(
                "bench takes --quick, --no-criterion and `-- LOADGEN FLAGS`, not {arg:?}"
            ));
        }
    }
    if !ours.iter().any(|a| a == "--no-criterion") {
        let mut criterion = vec!["bench", "--package", "benches", "--benches"];
        if ours.iter().any(|a| a == "--quick") {
            criterion.extend(["--", "--quick"]);
        }
        cargo(&criterion)?;
    }
    // The servers and the CLI the harness starts, then the harness itself, all into the
    // workspace's target directory so `loadgen` finds them beside it.
    let root = workspace_root()?;
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    cargo(&[
        "build",
        "--release",
        "-p",
        "shepherd-mock",
        "--bin",
        "shepherd-mock",
        "-p",
        "shepherd-cli",
    ])?;
    let manifest = root.join("benches/peers/Cargo.toml");
    let manifest = manifest.to_string_lossy();
    let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo_bin)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--release", "--manifest-path", &manifest])
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    check(
        status,
        "cargo build --release --manifest-path benches/peers/Cargo.toml",
    )?;
    let status = Command::new(target.join("release/loadgen"))
        .arg("report")
        .args(["--criterion-dir"])
        .arg(target.join("criterion"))
        .args(loadgen)
        .status()
        .map_err(|e| format!("could not start loadgen: {e}"))?;
    check(status, "loadgen report")
}

/// The workspace root: this crate's parent directory.
fn workspace_root() -> Result<std::path::PathBuf, String> {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .ok_or_else(|| "xtask has no parent directory".to_owned())
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
