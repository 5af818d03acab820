//! The throughput harness: one client, `concurrency` workers, a fixed number of requests.
//!
//! Every client sends the same request (`REQUEST_BODY`) and is timed the same way: a
//! warm-up that opens the connections, then `requests` calls shared by `concurrency`
//! workers that each take the next request number until none are left.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::measure;

/// The model every client asks for.
pub const MODEL: &str = "gpt-4.1-mini";
/// The user message every client sends.
pub const PROMPT: &str = "Say hello to the benchmark in one short sentence.";
/// The output cap every client sets.
pub const MAX_TOKENS: u32 = 16;

/// The request body as shepherd and async-openai serialize it; the bare client sends
/// these bytes as they are, and the Python scripts build the same object.
pub fn request_body() -> Bytes {
    let body = serde_json::json!({
        "model": MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_completion_tokens": MAX_TOKENS,
    });
    Bytes::from(body.to_string())
}

/// One client's figures.
#[derive(Debug, Serialize, serde::Deserialize, Clone)]
pub struct Throughput {
    pub client: String,
    pub requests: u64,
    pub concurrency: usize,
    pub errors: u64,
    pub seconds: f64,
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub cpu_seconds: f64,
    /// Set when the client could not be run at all.
    #[serde(default)]
    pub skipped: Option<String>,
}

/// Runs `call` `requests` times on `concurrency` workers; returns the merged histogram
/// and the number of calls that returned false.
pub async fn drive<F, Fut>(requests: u64, concurrency: usize, call: F) -> (Histogram<u64>, u64)
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let next = next.clone();
        let call = call.clone();
        workers.spawn(async move {
            let mut hist = measure::histogram();
            let mut errors = 0;
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let start = Instant::now();
                if !call().await {
                    errors += 1;
                }
                measure::record(&mut hist, start.elapsed());
            }
            (hist, errors)
        });
    }
    let mut hist = measure::histogram();
    let mut errors = 0;
    while let Some(done) = workers.join_next().await {
        if let Ok((h, e)) = done {
            hist.add(&h).ok();
            errors += e;
        }
    }
    (hist, errors)
}

/// Warm-up, then the timed run, with CPU seconds taken around the timed run only.
pub async fn measure<F, Fut>(client: &str, requests: u64, concurrency: usize, call: F) -> Throughput
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let (_, warm_errors) = drive((concurrency * 4) as u64, concurrency, call.clone()).await;
    if warm_errors > 0 {
        eprintln!("{client}: {warm_errors} errors during warm-up");
    }
    let cpu = measure::cpu_seconds();
    let start = Instant::now();
    let (hist, errors) = drive(requests, concurrency, call).await;
    let seconds = start.elapsed().as_secs_f64();
    let cpu_seconds = measure::cpu_seconds() - cpu;
    Throughput {
        client: client.to_owned(),
        requests,
        concurrency,
        errors,
        seconds,
        rps: requests as f64 / seconds,
        p50_us: hist.value_at_quantile(0.5),
        p99_us: hist.value_at_quantile(0.99),
        cpu_seconds,
        skipped: None,
    }
}

/// (1) The limit: hyper-util's pooled client sending pre-serialized bytes and reading
/// the body to its end without parsing it.
pub async fn bare(base_url: &str, requests: u64, concurrency: usize) -> Throughput {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::TokioExecutor;

    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(connector);
    let uri: hyper::Uri = format!("{base_url}/chat/completions")
        .parse()
        .expect("the base URL is a valid URI");
    let body = request_body();
    measure("bare hyper-util", requests, concurrency, move || {
        let request = hyper::Request::post(uri.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::AUTHORIZATION, "Bearer sk-bench")
            .body(Full::new(body.clone()))
            .expect("static request parts are valid");
        let client = client.clone();
        async move {
            match client.request(request).await {
                Ok(response) => {
                    let ok = response.status().is_success();
                    ok && response.into_body().collect().await.is_ok()
                }
                Err(_) => false,
            }
        }
    })
    .await
}

/// (2) shepherd's `Client` with its default policies, answers parsed into types.
pub async fn shepherd(base_url: &str, requests: u64, concurrency: usize) -> Throughput {
    use shepherd::types::chat::ChatRequest;
    let key = shepherd::transport::ApiKey::new("sk-bench").expect("a valid key");
    let client = shepherd::Client::builder()
        .base_url(base_url)
        .api_key(key)
        .build()
        .expect("the default client builds");
    measure("shepherd Client", requests, concurrency, move || {
        let client = client.clone();
        async move {
            let request = ChatRequest::new(MODEL)
                .user(PROMPT)
                .max_completion_tokens(MAX_TOKENS);
            match client.chat(request).await {
                Ok(response) => !response.text().is_empty(),
                Err(_) => false,
            }
        }
    })
    .await
}

/// (3) async-openai from crates.io, with its defaults (reqwest).
pub async fn async_openai(base_url: &str, requests: u64, concurrency: usize) -> Throughput {
    use async_openai::config::OpenAIConfig;
    use async_openai::types::chat::{
        ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs,
    };
    let client = async_openai::Client::with_config(
        OpenAIConfig::new()
            .with_api_base(base_url)
            .with_api_key("sk-bench"),
    );
    measure("async-openai", requests, concurrency, move || {
        let client = client.clone();
        async move {
            let Ok(message) = ChatCompletionRequestUserMessageArgs::default()
                .content(PROMPT)
                .build()
            else {
                return false;
            };
            let Ok(request) = CreateChatCompletionRequestArgs::default()
                .model(MODEL)
                .messages([message.into()])
                .max_completion_tokens(MAX_TOKENS)
                .build()
            else {
                return false;
            };
            match client.chat().create(request).await {
                Ok(response) => !response.choices.is_empty(),
                Err(_) => false,
            }
        }
    })
    .await
}
