//! The API endpoints: routing and the request context every handler receives.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use crate::respond::{Answer, ApiError};
use crate::server::Shared;

pub(crate) mod audio;
pub(crate) mod batches;
pub(crate) mod chat;
pub(crate) mod embeddings;
pub(crate) mod files;
pub(crate) mod messages;
pub(crate) mod models;
pub(crate) mod multipart;
pub(crate) mod text;

/// What a handler sees of a request.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Shared,
    pub method: &'a Method,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<&'a Value>,
    /// Answer a streaming request with a whole JSON body (a fault, or a batch line).
    pub force_json: bool,
}

impl Ctx<'_> {
    /// The parsed JSON body or the error OpenAI gives for an unparsable one.
    pub(crate) fn json(&self) -> Result<&Value, ApiError> {
        self.json.ok_or_else(|| {
            ApiError::invalid(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
            )
        })
    }
}

/// Dispatches an API request to its handler.
pub(crate) fn route(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let path = ctx.path.trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let m = ctx.method;
    match segments.as_slice() {
        ["v1", "chat", "completions"] if m == Method::POST => chat::handle(ctx),
        ["v1", "embeddings"] if m == Method::POST => embeddings::handle(ctx),
        ["v1", "audio", "transcriptions"] if m == Method::POST => audio::transcribe(ctx),
        ["v1", "audio", "speech"] if m == Method::POST => audio::speech(ctx),
        ["v1", "messages"] if m == Method::POST => messages::handle(ctx),
        ["v1", "models"] if m == Method::GET => models::list(ctx),
        ["v1", "models", id] if m == Method::GET => models::retrieve(ctx, id),
        ["v1", "files"] if m == Method::POST => files::upload(ctx),
        ["v1", "files"] if m == Method::GET => files::list(ctx),
        ["v1", "files", id] if m == Method::GET => files::retrieve(ctx, id),
        ["v1", "files", id] if m == Method::DELETE => files::delete(ctx, id),
        ["v1", "files", id, "content"] if m == Method::GET => files::content(ctx, id),
        ["v1", "batches"] if m == Method::POST => batches::create(ctx),
        ["v1", "batches"] if m == Method::GET => batches::list(ctx),
        ["v1", "batches", id] if m == Method::GET => batches::retrieve(ctx, id),
        ["v1", "batches", id, "cancel"] if m == Method::POST => batches::cancel(ctx, id),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!("Invalid URL ({} {})", ctx.method, ctx.path),
        )),
    }
}

/// The tokens a request is charged against the token limit before it runs.
pub(crate) fn token_cost(path: &str, json: Option<&Value>) -> u64 {
    let Some(json) = json else { return 0 };
    match path.trim_end_matches('/') {
        "/v1/chat/completions" => chat::token_cost(json),
        "/v1/messages" => messages::token_cost(json),
        "/v1/embeddings" => embeddings::token_cost(json),
        "/v1/audio/speech" => json
            .get("input")
            .and_then(Value::as_str)
            .map(crate::synth::estimate_tokens)
            .unwrap_or(0),
        _ => 0,
    }
}

/// A query parameter's value (no percent-decoding: the mock's ids and numbers need none).
pub(crate) fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Seconds since the Unix epoch, for `created_at` fields of stored objects.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
