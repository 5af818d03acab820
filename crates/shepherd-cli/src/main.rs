//! `shepherd`: run batches of requests against OpenAI-compatible APIs, talk to one from a shell, or start the mock.

mod api;
mod batch;
mod config;
mod demo;
mod mock;
mod progress;
mod reviews;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Send many requests to an OpenAI-compatible API, fast and without losing any.
#[derive(Debug, Parser)]
#[command(name = "shepherd", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a JSONL file of Batch API requests (one line out per line in; resumable).
    Batch(batch::BatchArgs),
    /// Send one chat message and stream the answer (prompt argument or stdin).
    Chat(api::ChatArgs),
    /// Print the embedding of each text (argument or stdin lines) as JSON.
    Embed(api::EmbedArgs),
    /// Transcribe an audio file.
    Transcribe(api::TranscribeArgs),
    /// Synthesize speech into an audio file.
    Speak(api::SpeakArgs),
    /// List the models the server offers.
    Models(Connection),
    /// Start the OpenAI-compatible mock server and print its base URL (until Ctrl-C).
    Mock(mock::MockArgs),
    /// Run 10,000 synthetic product reviews through the batch runner against a local simulator.
    Demo(demo::DemoArgs),
}

/// Where to send requests and which key to use. The key itself is never a flag: flags are
/// visible to every user of the machine in `ps`.
#[derive(Debug, Clone, Args)]
pub(crate) struct Connection {
    /// Base URL of the API [env: OPENAI_BASE_URL; default https://api.openai.com/v1].
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Name of the environment variable holding the API key.
    #[arg(long, value_name = "NAME", default_value = "OPENAI_API_KEY")]
    pub(crate) api_key_env: String,
}

/// An error that ends the command with exit status 1 and one line on stderr.
#[derive(Debug)]
pub(crate) struct Fatal(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string())
    }
}

/// Where an output file goes when none is given.
pub(crate) fn default_dir() -> PathBuf {
    std::env::temp_dir()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHEPHERD_LOG")
                .unwrap_or_else(|_| "off".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("shepherd: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Batch(args) => batch::run(args).await,
            Command::Chat(args) => api::chat(args).await.map(|()| 0),
            Command::Embed(args) => api::embed(args).await.map(|()| 0),
            Command::Transcribe(args) => api::transcribe(args).await.map(|()| 0),
            Command::Speak(args) => api::speak(args).await.map(|()| 0),
            Command::Models(conn) => api::models(conn).await.map(|()| 0),
            Command::Mock(args) => mock::run(args).await.map(|()| 0),
            Command::Demo(args) => demo::run(args).await,
        }
    });
    // In-flight work that ignored a cancel must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Fatal(message)) => {
            eprintln!("shepherd: {message}");
            ExitCode::from(1)
        }
    }
}
