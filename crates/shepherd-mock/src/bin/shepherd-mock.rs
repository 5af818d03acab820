//! The mock as a process: `shepherd-mock [--config FILE] [--port N] [--rpm N] [--fault 503:0.05] ...`.

use std::process::ExitCode;

use shepherd_mock::{MockConfig, MockServer};

const USAGE: &str =
    "usage: shepherd-mock [--config FILE.toml|FILE.json] [--host IP] [--port N] [--seed N]
       [--latency-ms N] [--latency-jitter-ms N] [--latency-distribution fixed|normal|lognormal]
       [--tokens-per-sec N] [--reply-tokens N] [--rpm N] [--tpm N] [--key KEY]... [--insufficient-quota]
       [--fault KIND:P | KIND@N[-M] | KIND%N]... [--outage AFTER+LENGTH] [--batch-step-ms N]
Flags override the config file. Faults: 500..599, 5xx-html, 429[=BURST], reset, reset-body,
reset-stream, stall[=DUR], drip[=DUR], malformed, truncated, sse-error, json-for-stream.";

fn parse(args: Vec<String>) -> Result<MockConfig, String> {
    let mut config = MockConfig::default();
    let mut flags = Vec::new();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Err(String::new());
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        if !name.starts_with("--") {
            return Err(format!("unexpected argument {arg:?}"));
        }
        let value = match inline {
            Some(v) => v,
            None if name == "--insufficient-quota" => "true".to_owned(),
            None => it.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        if name == "--config" {
            let text = std::fs::read_to_string(&value).map_err(|e| format!("{value}: {e}"))?;
            config = if value.ends_with(".json") {
                MockConfig::from_json_str(&text)
            } else {
                MockConfig::from_toml_str(&text)
            }
            .map_err(|e| e.to_string())?;
        } else {
            flags.push((name, value));
        }
    }
    for (name, value) in flags {
        config.set(&name, &value).map_err(|e| e.to_string())?;
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1).collect()) {
        Ok(config) => config,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match MockServer::builder().config(config).start().await {
        Ok(server) => {
            println!(
                "shepherd-mock listening: OPENAI_BASE_URL={}",
                server.base_url()
            );
            server.run_forever().await;
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_map_to_the_config() {
        let config = parse(args(&[
            "--rpm",
            "500",
            "--fault=503:0.05",
            "--fault",
            "reset@3",
            "--insufficient-quota",
        ]))
        .expect("valid flags");
        assert_eq!(config.rpm, Some(500));
        assert_eq!(config.faults.len(), 2);
        assert!(config.insufficient_quota);
        assert!(parse(args(&["--rpm"])).is_err());
        assert!(parse(args(&["--colour", "red"])).is_err());
        assert_eq!(parse(args(&["--help"])).err().as_deref(), Some(""));
    }
}
