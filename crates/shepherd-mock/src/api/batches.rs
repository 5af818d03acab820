//! `/v1/batches`: create, retrieve, cancel and list; status advances with (tokio) time and a
//! completed batch's output and error files come from running each line through the API.

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{Ctx, query_param, route, unix_now};
use crate::respond::{Answer, ApiError, Dialect};
use crate::server::Shared;
use crate::synth;

const ENDPOINTS: &[&str] = &[
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/responses",
    "/v1/completions",
];

#[derive(Debug, Clone)]
struct Outcome {
    output_file_id: Option<String>,
    error_file_id: Option<String>,
    completed: u64,
    failed: u64,
}

#[derive(Debug, Clone)]
struct Batch {
    id: String,
    input_file_id: String,
    endpoint: String,
    completion_window: String,
    metadata: Value,
    lines: u64,
    created: Instant,
    created_at: u64,
    cancelled: Option<Instant>,
    outcome: Option<Outcome>,
}

/// Every batch, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Store {
    batches: Mutex<Vec<Batch>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Validating,
    InProgress,
    Finalizing,
    Completed,
    Cancelling,
    Cancelled,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Validating => "validating",
            Status::InProgress => "in_progress",
            Status::Finalizing => "finalizing",
            Status::Completed => "completed",
            Status::Cancelling => "cancelling",
            Status::Cancelled => "cancelled",
        }
    }
}

fn step(shared: &Shared) -> Duration {
    Duration::from_millis(shared.config.batch_step_ms)
}

fn status(batch: &Batch, step: Duration, now: Instant) -> Status {
    if let Some(at) = batch.cancelled {
        return if now.saturating_duration_since(at) >= step {
            Status::Cancelled
        } else {
            Status::Cancelling
        };
    }
    let elapsed = now.saturating_duration_since(batch.created);
    if elapsed < step {
        Status::Validating
    } else if elapsed < step * 2 {
        Status::InProgress
    } else if elapsed < step * 3 {
        Status::Finalizing
    } else {
        Status::Completed
    }
}

/// Brings a batch up to date, running its lines the first time it is seen completed.
fn advance(shared: &Shared, batch: &mut Batch, now: Instant) -> Status {
    let s = status(batch, step(shared), now);
    if s == Status::Completed && batch.outcome.is_none() {
        batch.outcome = Some(run(shared, batch));
    }
    s
}

fn object(shared: &Shared, batch: &mut Batch, now: Instant) -> Value {
    let s = advance(shared, batch, now);
    let step = step(shared);
    let secs = |k: u32| batch.created_at + (step * k).as_secs();
    let elapsed = now.saturating_duration_since(batch.created);
    let (completed, failed) = match (&batch.outcome, s) {
        (Some(o), _) => (o.completed, o.failed),
        (None, Status::InProgress) => {
            let done = (elapsed - step).as_secs_f64() / step.as_secs_f64().max(1e-9);
            ((batch.lines as f64 * done.min(1.0)) as u64, 0)
        }
        (None, Status::Finalizing) => (batch.lines, 0),
        _ => (0, 0),
    };
    let reached = |later: Status| {
        let order = [
            Status::Validating,
            Status::InProgress,
            Status::Finalizing,
            Status::Completed,
        ];
        let pos = |x: Status| order.iter().position(|o| *o == x);
        matches!((pos(s), pos(later)), (Some(a), Some(b)) if a >= b)
    };
    let cancelled_at = batch
        .cancelled
        .map(|at| batch.created_at + at.saturating_duration_since(batch.created).as_secs());
    json!({
        "id": batch.id,
        "object": "batch",
        "endpoint": batch.endpoint,
        "errors": null,
        "input_file_id": batch.input_file_id,
        "completion_window": batch.completion_window,
        "status": s.as_str(),
        "output_file_id": batch.outcome.as_ref().and_then(|o| o.output_file_id.clone()),
        "error_file_id": batch.outcome.as_ref().and_then(|o| o.error_file_id.clone()),
        "created_at": batch.created_at,
        "in_progress_at": reached(Status::InProgress).then(|| secs(1)),
        "expires_at": batch.created_at + 86_400,
        "finalizing_at": reached(Status::Finalizing).then(|| secs(2)),
        "completed_at": reached(Status::Completed).then(|| secs(3)),
        "failed_at": null,
        "expired_at": null,
        "cancelling_at": cancelled_at,
        "cancelled_at": (s == Status::Cancelled).then(|| cancelled_at.map(|c| c + step.as_secs())),
        "request_counts": {
            "total": batch.lines,
            "completed": completed,
            "failed": failed,
        },
        "metadata": batch.metadata,
    })
}

/// Runs every input line through the API handlers and stores the output and error files.
fn run(shared: &Shared, batch: &Batch) -> Outcome {
    let input = shared
        .files
        .content(&batch.input_file_id)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&input);
    let (mut output, mut errors) = (String::new(), String::new());
    let (mut completed, mut failed) = (0, 0);
    let headers = HeaderMap::new();
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let seed = synth::fnv1a(batch.id.as_bytes()) ^ i as u64;
        let line_id = format!("batch_req_{}", synth::id_from(seed));
        let request_id = format!("req_{}", synth::id_from(seed.rotate_left(17)));
        let parsed: Option<Value> = serde_json::from_str(line).ok();
        let custom_id = parsed
            .as_ref()
            .and_then(|v| v.get("custom_id"))
            .cloned()
            .unwrap_or(Value::Null);
        let url = parsed
            .as_ref()
            .and_then(|v| v.get("url"))
            .and_then(Value::as_str);
        let body = parsed.as_ref().and_then(|v| v.get("body"));
        let (Some(url), Some(body)) = (url, body) else {
            failed += 1;
            let record = json!({
                "id": line_id, "custom_id": custom_id, "response": null,
                "error": { "code": "invalid_request", "message": "The line is not a valid batch request." },
            });
            errors.push_str(&format!("{record}\n"));
            continue;
        };
        let result = if url == batch.endpoint {
            let body_bytes = Bytes::from(body.to_string());
            let ctx = Ctx {
                shared,
                method: &Method::POST,
                path: url,
                query: "",
                headers: &headers,
                body: &body_bytes,
                json: Some(body),
                force_json: true,
            };
            route(&ctx)
        } else {
            Err(ApiError::invalid(format!(
                "The url {url:?} does not match the batch endpoint {:?}.",
                batch.endpoint
            )))
        };
        match result {
            Ok(Answer::Whole { status, body, .. }) => {
                completed += 1;
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let record = json!({
                    "id": line_id, "custom_id": custom_id,
                    "response": { "status_code": status.as_u16(), "request_id": request_id, "body": body },
                    "error": null,
                });
                output.push_str(&format!("{record}\n"));
            }
            Ok(Answer::Stream { .. }) => {
                failed += 1;
                let record = json!({
                    "id": line_id, "custom_id": custom_id, "response": null,
                    "error": { "code": "invalid_request", "message": "Streaming is not supported in batches." },
                });
                errors.push_str(&format!("{record}\n"));
            }
            Err(error) => {
                failed += 1;
                let record = json!({
                    "id": line_id, "custom_id": custom_id,
                    "response": { "status_code": error.status.as_u16(), "request_id": request_id, "body": error.body(Dialect::OpenAi) },
                    "error": null,
                });
                errors.push_str(&format!("{record}\n"));
            }
        }
    }
    let store = |name: &str, content: String| {
        (!content.is_empty()).then(|| {
            let object = shared
                .files
                .insert(name, "batch_output", Bytes::from(content));
            object["id"].as_str().unwrap_or_default().to_owned()
        })
    };
    Outcome {
        output_file_id: store(&format!("{}_output.jsonl", batch.id), output),
        error_file_id: store(&format!("{}_error.jsonl", batch.id), errors),
        completed,
        failed,
    }
}

pub(crate) fn create(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let request = ctx.json()?;
    let input_file_id = request
        .get("input_file_id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("input_file_id"))?;
    let endpoint = request
        .get("endpoint")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("endpoint"))?;
    let completion_window = request
        .get("completion_window")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("completion_window"))?;
    if !ENDPOINTS.contains(&endpoint) {
        return Err(ApiError::invalid(format!(
            "Invalid 'endpoint': {endpoint:?}."
        )));
    }
    if completion_window != "24h" {
        return Err(ApiError::invalid(
            "Invalid 'completion_window': only '24h' is supported.",
        ));
    }
    let input = ctx
        .shared
        .files
        .content(input_file_id)
        .ok_or_else(|| ApiError::not_found(format!("No such File object: {input_file_id}")))?;
    let lines = String::from_utf8_lossy(&input)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count() as u64;
    let now = Instant::now();
    let mut store = ctx
        .shared
        .batches
        .batches
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let id = format!(
        "batch_{}",
        synth::id_from(synth::fnv1a(input_file_id.as_bytes()) ^ store.len() as u64)
    );
    let mut batch = Batch {
        id,
        input_file_id: input_file_id.to_owned(),
        endpoint: endpoint.to_owned(),
        completion_window: completion_window.to_owned(),
        metadata: request.get("metadata").cloned().unwrap_or(Value::Null),
        lines,
        created: now,
        created_at: unix_now(),
        cancelled: None,
        outcome: None,
    };
    let body = object(ctx.shared, &mut batch, now);
    store.push(batch);
    Ok(Answer::json(&body, 0))
}

fn with_batch(
    ctx: &Ctx<'_>,
    id: &str,
    f: impl FnOnce(&mut Batch, Instant),
) -> Result<Answer, ApiError> {
    let now = Instant::now();
    let mut store = ctx
        .shared
        .batches
        .batches
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let batch = store
        .iter_mut()
        .find(|b| b.id == id)
        .ok_or_else(|| ApiError::not_found(format!("No such Batch object: {id}")))?;
    f(batch, now);
    Ok(Answer::json(&object(ctx.shared, batch, now), 0))
}

pub(crate) fn retrieve(ctx: &Ctx<'_>, id: &str) -> Result<Answer, ApiError> {
    with_batch(ctx, id, |_, _| {})
}

pub(crate) fn cancel(ctx: &Ctx<'_>, id: &str) -> Result<Answer, ApiError> {
    let step = step(ctx.shared);
    with_batch(ctx, id, |batch, now| {
        let s = status(batch, step, now);
        // Only batches still running can be cancelled; a finished one is returned as is.
        if matches!(
            s,
            Status::Validating | Status::InProgress | Status::Finalizing
        ) {
            batch.cancelled = Some(now);
        }
    })
}

pub(crate) fn list(ctx: &Ctx<'_>) -> Result<Answer, ApiError> {
    let limit = query_param(ctx.query, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 100);
    let after = query_param(ctx.query, "after");
    let now = Instant::now();
    let mut store = ctx
        .shared
        .batches
        .batches
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    // Newest first, as the API lists them.
    let mut newest_first: Vec<&mut Batch> = store.iter_mut().rev().collect();
    let start = match after {
        Some(after) => newest_first
            .iter()
            .position(|b| b.id == after)
            .map(|p| p + 1)
            .unwrap_or(newest_first.len()),
        None => 0,
    };
    let remaining = newest_first.len().saturating_sub(start);
    let data: Vec<Value> = newest_first
        .iter_mut()
        .skip(start)
        .take(limit)
        .map(|b| object(ctx.shared, b, now))
        .collect();
    let first_id = data.first().map(|b| b["id"].clone());
    let last_id = data.last().map(|b| b["id"].clone());
    Ok(Answer::json(
        &json!({
            "object": "list",
            "data": data,
            "first_id": first_id,
            "last_id": last_id,
            "has_more": remaining > limit,
        }),
        0,
    ))
}
