//! The batch runner: a JSONL file of Batch API requests, sent as fast as the limits allow, each answered exactly once.
//!
//! The input is a file in the OpenAI Batch API input format (`{"custom_id", "method",
//! "url", "body"}` per line); the results go to two files in the Batch output format
//! (`{"id", "custom_id", "response", "error"}`): successes to the output file, failures
//! to the error file, exactly one line per input line across the two.
//!
//! # How a run flows
//!
//! ```text
//! reader (one line at a time) ── validate ── skip if done earlier ── wait for a free slot (concurrency)
//!    └─ one task per line: Client pipeline (limits, breaker, retries) → check the answer is whole JSON
//!         └─ fallback models, when the failure is one another model may not share
//!             └─ single writer thread: appends the line whole to the output or error file
//! ```
//!
//! - **Memory** stays flat in the input's size: lines are read as they are needed, at most
//!   `concurrency` requests exist at once, and the writer's queue is bounded. What grows is
//!   the set of custom_ids seen (to detect duplicates), kept compact: about 30 bytes plus
//!   the id itself per line, some 45 MB for a million short ids. Measured
//!   (`benches/RESULTS.md`): 23 MB of peak RSS for 100,000 lines, 76 MB for 1,000,000. The
//!   tokenizer's tables (~90 MB) load only when a tpm limit or budget needs token counts.
//! - **Bad input** (malformed JSON, a missing or duplicate custom_id, an unsupported url or
//!   method, a body that is not an object) becomes an error line whose message names the
//!   input line; the run goes on.
//! - **Retries** use a generous default ([`BatchRunner::max_retries`], 8) under the client's
//!   shared retry budget. Time spent waiting for a rate limiter or an open circuit breaker
//!   does not use attempts: while the breaker is open, requests wait (dispatch pauses since
//!   every slot is taken) and only the breaker's probes reach the server.
//! - **Resume**: the id of each output line is `batch_req_<input line number>`. With
//!   [`BatchRunner::resume`], a half-written last line left by a killed process is cut off,
//!   and input lines whose custom_id is already in either file are skipped (lines without a
//!   usable custom_id, and duplicates, are recognised by their line number). With
//!   [`BatchRunner::retry_failed`] the error file is emptied first so its lines run again.
//! - **Stopping**: [`StopHandle::stop`] stops reading new lines and lets requests in flight
//!   finish; [`StopHandle::cancel`] also abandons those (they get no line, and a resume
//!   sends them again).
//!
//! # Examples
//!
//! ```no_run
//! # async fn run() -> Result<(), shepherd::Error> {
//! let client = shepherd::Client::builder().from_env()?.rpm(500).tpm(200_000).build()?;
//! let summary = client
//!     .batch_runner()
//!     .concurrency(64)
//!     .resume(true)
//!     .run_files("reviews.jsonl", "results.jsonl", "results.errors.jsonl")
//!     .await?;
//! println!("{summary}");
//! std::process::exit(summary.exit_code());
//! # }
//! ```

mod estimate;
mod ids;
mod input;
mod output;
mod resume;
mod send;
mod summary;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use shepherd_resilience::breaker::{CircuitBreaker, SlidingWindow};

use shepherd_transport::{HyperTransport, Transport};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

pub use input::{SUPPORTED_URLS, resolve_path};
pub use summary::{Progress, ProgressSnapshot, Summary};

use ids::IdSet;
use input::{InvalidLine, Job, codes};
use output::{Record, Writer};
use summary::Latencies;

use crate::{Client, Error};

/// Default requests in flight.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Default retries per line: generous, since a batch prefers patience to failed lines
/// (the client's retry budget still bounds retries when many calls fail at once).
pub const DEFAULT_MAX_RETRIES: u32 = 8;

impl<T: Transport> Client<T> {
    /// A batch runner over this client (see [`BatchRunner`] for its defaults).
    pub fn batch_runner(&self) -> BatchRunner<T> {
        BatchRunner::new(self.clone())
    }
}

/// Runs a Batch API input file through a [`Client`]: concurrency, retries, limits,
/// resume and progress.
///
/// Defaults: [`DEFAULT_CONCURRENCY`] (64) requests in flight, [`DEFAULT_MAX_RETRIES`] (8)
/// retries per line with the client's backoff (0.5 s doubling to 8 s, full jitter), no
/// resume, no fallback models. The client's limits, breakers, budget and price table apply.
///
/// # Examples
///
/// ```no_run
/// # async fn run(client: shepherd::Client) -> Result<(), shepherd::Error> {
/// use shepherd::batch::BatchRunner;
///
/// let runner = BatchRunner::new(client).concurrency(32).max_retries(10).fallback_models(["gpt-4.1-mini"]);
/// let stop = runner.stop_handle();
/// tokio::spawn(async move {
///     let _ = tokio::signal::ctrl_c().await;
///     stop.stop();
/// });
/// let summary = runner.run_files("in.jsonl", "out.jsonl", "out.errors.jsonl").await?;
/// assert_eq!(summary.lines, summary.succeeded + summary.failed + summary.invalid + summary.skipped);
/// # Ok(()) }
/// ```
pub struct BatchRunner<T: Transport = HyperTransport> {
    client: Client<T>,
    concurrency: usize,
    max_retries: u32,
    resume: bool,
    retry_failed: bool,
    fallback_models: Vec<String>,
    count_total: bool,
    progress: Progress,
    stop: StopHandle,
}

impl<T: Transport> std::fmt::Debug for BatchRunner<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchRunner")
            .field("concurrency", &self.concurrency)
            .field("max_retries", &self.max_retries)
            .field("resume", &self.resume)
            .field("retry_failed", &self.retry_failed)
            .field("fallback_models", &self.fallback_models)
            .finish_non_exhaustive()
    }
}

/// Stops a running batch from another task (a Ctrl-C handler). Clones share the signal.
#[derive(Debug, Clone)]
pub struct StopHandle {
    tx: Arc<watch::Sender<StopLevel>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum StopLevel {
    Run,
    Stop,
    Cancel,
}

impl StopHandle {
    fn new() -> Self {
        StopHandle {
            tx: Arc::new(watch::channel(StopLevel::Run).0),
        }
    }

    fn raise(&self, level: StopLevel) {
        self.tx.send_if_modified(|current| {
            let raise = level > *current;
            if raise {
                *current = level;
            }
            raise
        });
    }

    /// Stops reading new lines; requests in flight finish and are written.
    pub fn stop(&self) {
        self.raise(StopLevel::Stop);
    }

    /// Stops reading new lines and abandons the requests in flight (no line is written for
    /// them; a resumed run sends them again).
    pub fn cancel(&self) {
        self.raise(StopLevel::Cancel);
    }

    /// True once [`stop`](Self::stop) or [`cancel`](Self::cancel) was called.
    pub fn is_stopped(&self) -> bool {
        *self.tx.borrow() != StopLevel::Run
    }
}

/// The default error file for an output file: `results.jsonl` → `results.errors.jsonl`,
/// beside it.
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// let errors = shepherd::batch::errors_path_for(Path::new("out/results.jsonl"));
/// assert_eq!(errors, Path::new("out/results.errors.jsonl"));
/// ```
pub fn errors_path_for(output: &Path) -> PathBuf {
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let ext = output
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "jsonl".into());
    output.with_file_name(format!("{stem}.errors.{ext}"))
}

/// A circuit breaker suited to batch jobs, for [`ClientBuilder::circuit_breaker`](crate::ClientBuilder::circuit_breaker).
///
/// The default breaker (resilience4j's: 100 calls, 60 s open) is made for services; a
/// batch wants to notice an outage within a few calls and to probe soon and often:
/// the last 20 calls, at least 10, open at 50 % failures; open for 500 ms at first,
/// doubling up to 15 s while probes keep failing; 2 probes when half-open. 429s are
/// not failures (the rate limiter handles them).
///
/// # Examples
///
/// ```
/// let client = shepherd::Client::builder()
///     .base_url("http://127.0.0.1:8080/v1")
///     .circuit_breaker(shepherd::batch::breaker)
///     .build();
/// assert!(client.is_ok());
/// ```
pub fn breaker() -> CircuitBreaker {
    CircuitBreaker::builder()
        .sliding_window(SlidingWindow::Count(20))
        .minimum_calls(10)
        .failure_rate_threshold(50.0)
        .wait_in_open(Duration::from_millis(500))
        .wait_growth(2.0, Duration::from_secs(15))
        .permitted_calls_in_half_open(2)
        .build()
}

impl<T: Transport> BatchRunner<T> {
    /// A runner with the defaults listed on [`BatchRunner`].
    pub fn new(client: Client<T>) -> Self {
        BatchRunner {
            client,
            concurrency: DEFAULT_CONCURRENCY,
            max_retries: DEFAULT_MAX_RETRIES,
            resume: false,
            retry_failed: false,
            fallback_models: Vec::new(),
            count_total: true,
            progress: Progress::default(),
            stop: StopHandle::new(),
        }
    }

    /// Requests in flight at most (default 64; at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Retries per line (default 8).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Continue an earlier run: keep the existing files, skip lines they already hold
    /// (default false: existing non-empty files are an error, never overwritten).
    pub fn resume(mut self, on: bool) -> Self {
        self.resume = on;
        self
    }

    /// With [`resume`](Self::resume): run the error file's lines again (default false).
    pub fn retry_failed(mut self, on: bool) -> Self {
        self.retry_failed = on;
        self
    }

    /// Models to try, in order, when a line fails in a way another model may not
    /// (context length, unknown model, exhausted quota, server errors after retries).
    /// The line's `body.model` is replaced for the retry; the first send is untouched.
    pub fn fallback_models<I, S>(mut self, models: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fallback_models = models.into_iter().map(Into::into).collect();
        self
    }

    /// Whether [`run_files`](Self::run_files) counts the input's lines first, for
    /// [`ProgressSnapshot::total`] (default true; one quick read of the file).
    pub fn count_total(mut self, on: bool) -> Self {
        self.count_total = on;
        self
    }

    /// The live counters of this runner's run.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// A handle to stop the run from elsewhere.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Runs the input file; see [`run`](Self::run).
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run), and [`Error::Io`] when the input cannot be opened.
    pub async fn run_files(
        self,
        input: impl AsRef<Path>,
        output: impl AsRef<Path>,
        errors: impl AsRef<Path>,
    ) -> Result<Summary, Error> {
        let input = input.as_ref().to_owned();
        let file = tokio::fs::File::open(&input)
            .await
            .map_err(|e| output::io_error(&input, e))?;
        if self.count_total {
            let path = input.clone();
            let total = tokio::task::spawn_blocking(move || count_lines(&path))
                .await
                .map_err(|e| Error::Config(format!("counting input lines failed: {e}")))?
                .map_err(|e| output::io_error(&input, e))?;
            self.progress.set_total(total);
        }
        self.run(
            BufReader::with_capacity(256 * 1024, file),
            output.as_ref(),
            errors.as_ref(),
        )
        .await
    }

    /// Runs every line of `input` and writes one line per input line to `output`
    /// (successes) or `errors` (failures and invalid lines).
    ///
    /// Returns when the input is exhausted and every request has finished, or after a
    /// [`StopHandle`] stopped the run ([`Summary::interrupted`]).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when an output file exists without [`resume`](Self::resume), or
    /// holds lines that are not batch output; [`Error::Io`] when reading the input or
    /// writing the results fails. Failed requests are not errors of the run: they are
    /// error lines, counted in [`Summary::failed`].
    pub async fn run<R>(self, mut input: R, output: &Path, errors: &Path) -> Result<Summary, Error>
    where
        R: AsyncBufRead + Unpin,
    {
        let start = Instant::now();
        // Loading the tokenizer takes a moment (seconds in a debug build); do it off the
        // runtime's threads, before requests are timed against the limiter. Only the one of
        // current models: `cl100k_base` (embeddings, older models) loads when first needed.
        // Without a token limit or budget lines are never counted and the tables never load.
        if self.client.inner.estimate_tokens {
            tokio::task::spawn_blocking(|| crate::tokens::count("gpt-4.1", "warm up"))
                .await
                .map_err(|e| Error::Config(format!("loading the tokenizer failed: {e}")))?;
        }
        let opened = {
            let (o, e, resume, retry_failed) = (
                output.to_owned(),
                errors.to_owned(),
                self.resume,
                self.retry_failed,
            );
            tokio::task::spawn_blocking(move || resume::open(&o, &e, resume, retry_failed))
                .await
                .map_err(|e| Error::Config(format!("opening the output files failed: {e}")))??
        };
        if opened.done.len() > 0 {
            tracing::info!(
                lines = opened.done.len(),
                custom_ids = opened.done.ids.len(),
                "resuming: lines already written are skipped"
            );
        }
        let mut done = opened.done;
        let writer = Writer::start(
            opened.output,
            output.to_owned(),
            opened.errors,
            errors.to_owned(),
            self.concurrency * 2,
        );
        let client = self
            .client
            .with_retry(crate::client::default_retry(self.max_retries, None));
        self.progress.set_retry(client.retry.clone());
        let base_url = client
            .inner
            .targets
            .first()
            .map(|t| t.config.base_url.clone())
            .unwrap_or_default();
        let shared = Arc::new(Shared {
            client,
            base_url,
            fallback_models: self.fallback_models,
            writer: writer.sender(),
            progress: self.progress.clone(),
        });
        let mut tally = Tally::new();
        tally.summary.repaired_bytes = opened.repaired_bytes;
        tally.summary.retried_from_errors = opened.retried;
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks: JoinSet<Outcome> = JoinSet::new();
        let mut stop = self.stop.tx.subscribe();
        // Each custom_id seen and the line it was first seen on, to name it in duplicate errors.
        let mut seen = IdSet::default();
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        let mut interrupted = false;
        loop {
            let permit = tokio::select! {
                biased;
                _ = stop.wait_for(|level| *level >= StopLevel::Stop) => {
                    // Stopped: interrupted unless the input had nothing left anyway.
                    interrupted = !input.fill_buf().await.map(<[u8]>::is_empty).unwrap_or(false);
                    break;
                }
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            while let Some(result) = tasks.try_join_next() {
                tally.add(result, &shared.progress);
            }
            buf.clear();
            let n = input
                .read_until(b'\n', &mut buf)
                .await
                .map_err(|e| Error::Io {
                    path: "input".into(),
                    source: e,
                })?;
            if n == 0 {
                break;
            }
            line_no += 1;
            shared.progress.read_line();
            match triage(line_no, &buf, &mut seen, &mut done) {
                Line::Skip => {
                    shared.progress.skipped();
                    tally.summary.skipped += 1;
                }
                Line::Invalid(invalid) => {
                    shared.progress.invalid();
                    *tally
                        .summary
                        .errors_by_code
                        .entry(invalid.code.to_owned())
                        .or_default() += 1;
                    tally.summary.invalid += 1;
                    // The writer only stops early on a write error, reported by `finish` below.
                    let _ = shared
                        .writer
                        .send(Record::Failure(output::invalid_line(&invalid)))
                        .await;
                }
                Line::Send(job) => {
                    shared.progress.started();
                    tasks.spawn(work(shared.clone(), job, permit));
                }
            }
        }
        drop(done);
        drop(seen);
        let mut cancelled = false;
        loop {
            tokio::select! {
                biased;
                _ = stop.wait_for(|level| *level >= StopLevel::Cancel), if !cancelled => {
                    tasks.abort_all();
                    cancelled = true;
                }
                result = tasks.join_next() => match result {
                    Some(result) => tally.add(result, &shared.progress),
                    None => break,
                },
            }
        }
        let retry_metrics = shared.client.retry_metrics();
        drop(shared);
        writer.finish().await?;
        let mut summary = tally.finish();
        summary.lines = line_no;
        summary.interrupted |= interrupted || cancelled;
        summary.elapsed = start.elapsed();
        summary.throttled = retry_metrics.throttled;
        // Each call's first attempt was counted per line; its retries are the retry loop's.
        summary.retries = retry_metrics.retried;
        summary.attempts += retry_metrics.retried;
        Ok(summary)
    }
}

/// What the reader does with one input line.
enum Line {
    Skip,
    Invalid(InvalidLine),
    Send(Job),
}

fn triage(line: u64, raw: &[u8], seen: &mut IdSet, done: &mut resume::Done) -> Line {
    let trimmed = raw.strip_suffix(b"\n").unwrap_or(raw);
    let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
    let parsed = match std::str::from_utf8(trimmed) {
        Ok(text) if text.trim().is_empty() => Err(InvalidLine {
            line,
            custom_id: None,
            code: codes::INVALID_JSON,
            reason: "empty line".into(),
        }),
        Ok(text) => input::parse_line(line, text),
        Err(e) => Err(InvalidLine {
            line,
            custom_id: None,
            code: codes::INVALID_JSON,
            reason: format!("not UTF-8: {e}"),
        }),
    };
    match parsed {
        Ok(job) => {
            if let Some(first) = seen.get(&job.custom_id) {
                if done.has_line(line) {
                    return Line::Skip;
                }
                let reason = format!(
                    "duplicate custom_id {:?}: already used on line {first}",
                    job.custom_id
                );
                return Line::Invalid(InvalidLine {
                    line,
                    custom_id: Some(job.custom_id),
                    code: codes::DUPLICATE_CUSTOM_ID,
                    reason,
                });
            }
            seen.insert(&job.custom_id, line);
            if done.ids.contains(&job.custom_id) {
                return Line::Skip;
            }
            Line::Send(job)
        }
        Err(_) if done.has_line(line) => Line::Skip,
        Err(invalid) => Line::Invalid(invalid),
    }
}

/// What every line's task shares.
struct Shared<T: Transport> {
    client: Client<T>,
    base_url: String,
    fallback_models: Vec<String>,
    writer: mpsc::Sender<Record>,
    progress: Progress,
}

/// What a line's task reports to the summary.
enum Outcome {
    Succeeded {
        latency: Duration,
        calls: u64,
        model: Option<String>,
        cost_usd: Option<f64>,
        tokens: u64,
        fell_back: bool,
    },
    Failed {
        code: String,
        calls: u64,
    },
}

async fn work<T: Transport>(
    shared: Arc<Shared<T>>,
    job: Job,
    permit: OwnedSemaphorePermit,
) -> Outcome {
    let path = resolve_path(&shared.base_url, &job.url);
    let result = shared
        .client
        .send_line(&job, path, &shared.fallback_models)
        .await;
    // The slot is free once the request is done; writing the line does not need it.
    drop(permit);
    let (record, outcome) = match result {
        Ok((answer, calls)) => {
            let meta = &answer.meta;
            let line = output::success_line(
                job.line,
                &job.custom_id,
                meta.status.as_u16(),
                meta.request_id.as_deref().unwrap_or(""),
                &answer.body,
            );
            let outcome = Outcome::Succeeded {
                latency: meta.latency,
                calls,
                model: meta.model.clone(),
                cost_usd: meta.cost_usd,
                tokens: answer.tokens,
                fell_back: answer.fell_back_to.is_some(),
            };
            (Record::Success(line), outcome)
        }
        Err(failure) => {
            let code = send::error_code(&failure.error);
            let line = output::failure_line(
                job.line,
                &job.custom_id,
                &code,
                &failure.error.to_string(),
                send::error_response(&failure.error),
            );
            (
                Record::Failure(line),
                Outcome::Failed {
                    code,
                    calls: failure.calls,
                },
            )
        }
    };
    // Sending is the last await: a task cancelled here has written nothing and counted nothing.
    let _ = shared.writer.send(record).await;
    match &outcome {
        Outcome::Succeeded {
            tokens, cost_usd, ..
        } => shared
            .progress
            .finished(true, *tokens, cost_usd.unwrap_or(0.0)),
        Outcome::Failed { .. } => shared.progress.finished(false, 0, 0.0),
    }
    outcome
}

/// Totals gathered from finished tasks.
struct Tally {
    summary: Summary,
    latencies: Latencies,
}

impl Tally {
    fn new() -> Self {
        Tally {
            summary: Summary::default(),
            latencies: Latencies::new(),
        }
    }

    fn add(&mut self, result: Result<Outcome, tokio::task::JoinError>, progress: &Progress) {
        let s = &mut self.summary;
        match result {
            Ok(Outcome::Succeeded {
                latency,
                calls,
                model,
                cost_usd,
                tokens,
                fell_back,
            }) => {
                s.succeeded += 1;
                s.attempts += calls;
                s.tokens += tokens;
                s.fell_back += u64::from(fell_back);
                self.latencies.record(latency);
                if let (Some(model), Some(usd)) = (model, cost_usd) {
                    *s.cost_by_model.entry(model).or_default() += usd;
                }
            }
            Ok(Outcome::Failed { code, calls }) => {
                s.failed += 1;
                s.attempts += calls;
                *s.errors_by_code.entry(code).or_default() += 1;
            }
            Err(e) => {
                // Cancelled (second interrupt) or panicked: no line was written, a resume sends it again.
                if e.is_panic() {
                    tracing::error!(error = %e, "a batch task panicked; its line is left for a resume");
                }
                progress.abandoned();
                s.interrupted = true;
            }
        }
    }

    fn finish(self) -> Summary {
        let mut summary = self.summary;
        summary.p50 = self.latencies.quantile(0.50);
        summary.p95 = self.latencies.quantile(0.95);
        summary.p99 = self.latencies.quantile(0.99);
        summary
    }
}

/// Lines in a file: newlines, plus a last line without one.
fn count_lines(path: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        last = buf[n - 1];
    }
    Ok(lines + u64::from(last != b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_resumed_lines_are_told_apart() {
        let mut seen = IdSet::default();
        let mut done = resume::Done::default();
        let line = |id: &str| {
            format!(r#"{{"custom_id":"{id}","method":"POST","url":"/v1/embeddings","body":{{}}}}"#)
        };
        assert!(matches!(
            triage(1, line("a").as_bytes(), &mut seen, &mut done),
            Line::Send(_)
        ));
        match triage(2, line("a").as_bytes(), &mut seen, &mut done) {
            Line::Invalid(i) => {
                assert_eq!(i.code, codes::DUPLICATE_CUSTOM_ID);
                assert!(i.reason.contains("line 1"), "{}", i.reason);
            }
            _ => panic!("a duplicate must be an error line"),
        }
        assert!(matches!(
            triage(3, b"\n", &mut seen, &mut done),
            Line::Invalid(_)
        ));
        done.ids.insert("b", 0);
        assert!(matches!(
            triage(4, line("b").as_bytes(), &mut seen, &mut done),
            Line::Skip
        ));
    }
}
