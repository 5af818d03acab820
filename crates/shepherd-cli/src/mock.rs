//! `shepherd mock`: the OpenAI-compatible mock server on a port, until Ctrl-C.

use clap::Args;
use shepherd_mock::{Fault, MockConfig, MockServer, Outage};

use crate::Fatal;

/// Flags of `shepherd mock`.
#[derive(Debug, Args)]
pub(crate) struct MockArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Mean time to first byte, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// Spread of the time to first byte, in milliseconds (log-normal when set).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_jitter_ms: u64,
    /// Requests per minute per key.
    #[arg(long, value_name = "N")]
    rpm: Option<u32>,
    /// Tokens per minute per key.
    #[arg(long, value_name = "N")]
    tpm: Option<u32>,
    /// A fault, e.g. `503:0.05`, `429=5@100`, `reset-body%20` (repeatable).
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<Fault>,
    /// An outage window from server start, e.g. `30s+10s`.
    #[arg(long, value_name = "AFTER+LENGTH")]
    outage: Option<Outage>,
    /// Seed for latency and fault draws, so runs repeat.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

impl MockArgs {
    fn config(&self) -> Result<MockConfig, Fatal> {
        let mut config = MockConfig::default();
        config.port = self.port;
        config.latency_ms = self.latency_ms;
        config.latency_jitter_ms = self.latency_jitter_ms;
        if self.latency_jitter_ms > 0 {
            config.latency_distribution = shepherd_mock::LatencyDistribution::LogNormal;
        }
        config.rpm = self.rpm;
        config.tpm = self.tpm;
        config.faults = self.faults.clone();
        config.outage = self.outage;
        config.seed = self.seed;
        config.validate()?;
        Ok(config)
    }
}

/// Runs the mock until Ctrl-C.
pub(crate) async fn run(args: MockArgs) -> Result<(), Fatal> {
    let server = MockServer::builder().config(args.config()?).start().await?;
    println!("{}", server.base_url());
    eprintln!(
        "shepherd-mock listening; try:\n  OPENAI_BASE_URL={} OPENAI_API_KEY=sk-mock shepherd chat \"Hallo\"\nstats: {}\nCtrl-C stops it.",
        server.base_url(),
        server.url("/_mock/stats")
    );
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: MockArgs,
    }

    #[test]
    fn flags_become_a_mock_config() {
        let w = Wrapper::try_parse_from([
            "x", "--rpm", "600", "--fault", "503:0.05", "--fault", "reset@3", "--seed", "7",
        ])
        .expect("valid flags");
        let config = w.args.config().expect("valid config");
        assert_eq!(
            (config.rpm, config.seed, config.faults.len()),
            (Some(600), 7, 2)
        );
        assert!(Wrapper::try_parse_from(["x", "--fault", "418:0.1"]).is_err());
    }
}
