//! The server: its builder, the accept loop, and the handle that stops it when dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::api::{batches, files};
use crate::config::{LatencyDistribution, MockConfig, Outage};
use crate::conn::{ConnControl, ResettableStream};
use crate::fault::Fault;
use crate::rate_limit::RateLimiter;
use crate::stats::{Recorder, Stats};
use crate::{Error, service};

/// State shared by every connection of one server.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: MockConfig,
    pub started: Instant,
    pub seq: AtomicU64,
    pub stats: Arc<Recorder>,
    pub limiter: RateLimiter,
    pub burst_left: AtomicU32,
    pub insufficient_quota: AtomicBool,
    pub outage_until: Mutex<Option<Instant>>,
    pub files: files::Store,
    pub batches: batches::Store,
}

impl Shared {
    fn new(config: MockConfig) -> Self {
        Shared {
            started: Instant::now(),
            seq: AtomicU64::new(0),
            stats: Arc::new(Recorder::default()),
            limiter: RateLimiter::new(config.rpm, config.tpm),
            burst_left: AtomicU32::new(0),
            insufficient_quota: AtomicBool::new(config.insufficient_quota),
            outage_until: Mutex::new(None),
            files: files::Store::default(),
            batches: batches::Store::default(),
            config,
        }
    }

    /// True inside the configured outage window or one started at run time.
    pub(crate) fn in_outage(&self, now: Instant) -> bool {
        if let Some(Outage { after, length }) = self.config.outage {
            let since = now.saturating_duration_since(self.started);
            if since >= after && since < after + length {
                return true;
            }
        }
        let until = *self.outage_until.lock().unwrap_or_else(|e| e.into_inner());
        until.is_some_and(|t| now < t)
    }
}

/// A running mock server on loopback; it stops when dropped.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), shepherd_mock::Error> {
/// use shepherd_mock::MockServer;
///
/// let server = MockServer::builder().latency_ms(0).rpm(600).start().await?;
/// assert!(server.base_url().ends_with("/v1"));
/// // ... point a client at server.base_url() ...
/// assert_eq!(server.stats().requests, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl MockServer {
    /// A builder starting from [`MockConfig::default`].
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// Starts a server with the default configuration.
    pub async fn start() -> Result<MockServer, Error> {
        MockServer::builder().start().await
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The OpenAI-style base URL, e.g. `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The URL of `path` on this server (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The configuration the server runs with.
    pub fn config(&self) -> &MockConfig {
        &self.shared.config
    }

    /// A snapshot of the counters, the same document `GET /_mock/stats` serves.
    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }

    /// Zeroes every counter.
    pub fn reset_stats(&self) {
        self.shared.stats.reset();
    }

    /// Turns the `insufficient_quota` answer on or off.
    pub fn set_insufficient_quota(&self, on: bool) {
        self.shared.insufficient_quota.store(on, Ordering::Relaxed);
    }

    /// Fails every API request with 503 from now for `length`.
    pub fn start_outage(&self, length: Duration) {
        let mut until = self
            .shared
            .outage_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *until = Some(Instant::now() + length);
    }

    /// Ends an outage started with [`start_outage`](Self::start_outage).
    pub fn end_outage(&self) {
        let mut until = self
            .shared
            .outage_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *until = None;
    }

    /// Stops accepting, closes every connection and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }

    /// Serves until the process ends; for the `shepherd-mock` binary.
    pub async fn run_forever(self) {
        std::future::pending::<()>().await;
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

/// Configures and starts a [`MockServer`]. Every setter mirrors a [`MockConfig`] field and
/// its default.
#[derive(Debug, Clone, Default)]
pub struct MockServerBuilder {
    config: MockConfig,
}

impl MockServerBuilder {
    /// Replaces the whole configuration (e.g. one read from TOML).
    pub fn config(mut self, config: MockConfig) -> Self {
        self.config = config;
        self
    }

    /// Port to listen on; default `0` (any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }

    /// Seed for latency and fault draws; default `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Mean time to first byte; default `0`.
    pub fn latency_ms(mut self, ms: u64) -> Self {
        self.config.latency_ms = ms;
        self
    }

    /// Spread of the time to first byte; default `0`.
    pub fn latency_jitter_ms(mut self, ms: u64) -> Self {
        self.config.latency_jitter_ms = ms;
        self
    }

    /// Distribution of the time to first byte; default fixed.
    pub fn latency_distribution(mut self, dist: LatencyDistribution) -> Self {
        self.config.latency_distribution = dist;
        self
    }

    /// Output tokens per second; default `0` (instant).
    pub fn tokens_per_sec(mut self, tps: u32) -> Self {
        self.config.tokens_per_sec = tps;
        self
    }

    /// Pads text replies to at least `tokens` tokens; see [`MockConfig::reply_tokens`].
    pub fn reply_tokens(mut self, tokens: u32) -> Self {
        self.config.reply_tokens = Some(tokens);
        self
    }

    /// Requests per minute per key; default unlimited.
    pub fn rpm(mut self, rpm: u32) -> Self {
        self.config.rpm = Some(rpm);
        self
    }

    /// Tokens per minute per key; default unlimited.
    pub fn tpm(mut self, tpm: u32) -> Self {
        self.config.tpm = Some(tpm);
        self
    }

    /// Adds an accepted API key; once any is added, other keys get 401. Default: any key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.config.keys.push(key.into());
        self
    }

    /// Answers every API request with `insufficient_quota`; default `false`.
    pub fn insufficient_quota(mut self, on: bool) -> Self {
        self.config.insufficient_quota = on;
        self
    }

    /// Adds a fault; default none.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.config.faults.push(fault);
        self
    }

    /// Sets the outage window; default none.
    pub fn outage(mut self, outage: Outage) -> Self {
        self.config.outage = Some(outage);
        self
    }

    /// Time per batch status step; default 1 s.
    pub fn batch_step(mut self, step: Duration) -> Self {
        self.config.batch_step_ms = u64::try_from(step.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Binds the listener and spawns the server on the current tokio runtime.
    pub async fn start(self) -> Result<MockServer, Error> {
        self.config.validate()?;
        let addr = SocketAddr::new(self.config.host, self.config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        let shared = Arc::new(Shared::new(self.config));
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        tracing::debug!(%addr, "shepherd-mock listening");
        Ok(MockServer { addr, shared, task })
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Usually out of file descriptors: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let control = Arc::new(ConnControl::default());
        let io = TokioIo::new(ResettableStream::new(stream, control.clone()));
        let shared = shared.clone();
        let builder = builder.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| {
                service::handle(shared.clone(), control.clone(), request)
            });
            if let Err(error) = builder.serve_connection(io, service).await {
                tracing::trace!(%error, "connection ended with an error");
            }
        });
    }
}
