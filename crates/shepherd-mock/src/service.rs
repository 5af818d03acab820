//! The request pipeline: accounting, auth, outage, quota, rate limit, faults, latency, answer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use tokio::time::Instant;

use crate::api::{self, Ctx};
use crate::body::{MockBody, Step, SuccessHook};
use crate::conn::ConnControl;
use crate::fault::{self, FaultKind};
use crate::latency;
use crate::rate_limit::go_duration;
use crate::respond::{Answer, ApiError, Dialect, Event, stream_error_event};
use crate::server::Shared;
use crate::stats::redact_key;
use crate::synth;

/// Returned to hyper to drop the connection before any response byte.
#[derive(Debug, thiserror::Error)]
#[error("mock fault: connection reset before headers")]
pub(crate) struct ResetBeforeHeaders;

type Reply = Result<Response<MockBody>, ResetBeforeHeaders>;

/// Pause between the last bytes sent and a mid-body reset: a RST makes the peer's kernel
/// drop data not yet read, so without it the client might never see the partial body.
const RESET_GRACE: Duration = Duration::from_millis(100);

/// Headers every API response carries.
struct Common {
    request_id: String,
    rate_limit: Vec<(&'static str, String)>,
    dialect: Dialect,
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    conn: Arc<ConnControl>,
    request: Request<Incoming>,
) -> Reply {
    let path = request.uri().path().to_owned();
    if path.starts_with("/_mock/") {
        return Ok(admin(&shared, request.method(), &path));
    }
    let (parts, body) = request.into_parts();
    let key = api_key(&parts.headers);
    let seq = shared.seq.fetch_add(1, Ordering::Relaxed) + 1;
    shared.stats.request(&path, &redact_key(&key));
    let dialect = Dialect::for_path(&path);
    let mut common = Common {
        request_id: format!("req_{}", synth::id_from(shared.config.seed ^ seq)),
        rate_limit: Vec::new(),
        dialect,
    };
    // One generator per request, derived from the seed and the arrival number, so a
    // request's draws do not depend on how other requests interleave with it.
    let mut rng =
        StdRng::seed_from_u64(shared.config.seed ^ seq.wrapping_mul(0x9e37_79b9_7f4a_7c15));

    let body = match Limited::new(body, shared.config.max_body_bytes)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let error = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                "The request body is too large or could not be read.",
            );
            return Ok(error_response(&shared, &common, &error, &[]));
        }
    };
    let now = Instant::now();

    if !shared.config.keys.is_empty() && !shared.config.keys.contains(&key) {
        common.rate_limit = shared.limiter.check(&key, 0, now, false).headers;
        let message = if key.is_empty() {
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).".to_owned()
        } else {
            format!("Incorrect API key provided: {}.", redact_key(&key))
        };
        let error = ApiError::new(StatusCode::UNAUTHORIZED, "invalid_request_error", message)
            .with_code("invalid_api_key");
        return Ok(error_response(&shared, &common, &error, &[]));
    }

    if shared.in_outage(now) {
        shared.stats.fault("outage");
        common.rate_limit = shared.limiter.check(&key, 0, now, false).headers;
        let error = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "The engine is currently overloaded, please try again later.",
        );
        return Ok(error_response(&shared, &common, &error, &[]));
    }

    if shared.insufficient_quota.load(Ordering::Relaxed) {
        common.rate_limit = shared.limiter.check(&key, 0, now, false).headers;
        let error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details.",
        )
        .with_code("insufficient_quota");
        return Ok(error_response(&shared, &common, &error, &[]));
    }

    let json: Option<Value> = if is_multipart(&parts.headers) || body.is_empty() {
        None
    } else {
        serde_json::from_slice(&body).ok()
    };
    let cost = api::token_cost(&path, json.as_ref());
    let verdict = shared.limiter.check(&key, cost, now, true);
    common.rate_limit = verdict.headers;
    if let Some(refusal) = verdict.refusal {
        let model = json
            .as_ref()
            .and_then(|j| j.get("model"))
            .and_then(Value::as_str)
            .unwrap_or("the model");
        let per = if refusal.dimension == "requests" {
            "requests per min (RPM)"
        } else {
            "tokens per min (TPM)"
        };
        let (message, extra) = match refusal.retry_after {
            Some(wait) => (
                format!(
                    "Rate limit reached for {model} in organization org-mock on {per}: Limit {}, Requested {}. Please try again in {}.",
                    refusal.limit,
                    refusal.requested,
                    go_duration(wait)
                ),
                retry_after_headers(wait),
            ),
            None => (
                format!(
                    "Request too large for {model} in organization org-mock on {per}: Limit {}, Requested {}. The input or output tokens must be reduced in order to run successfully.",
                    refusal.limit, refusal.requested
                ),
                Vec::new(),
            ),
        };
        let error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, refusal.dimension, message)
            .with_code("rate_limit_exceeded");
        return Ok(error_response(&shared, &common, &error, &extra));
    }

    let fault = pick_fault(&shared, seq, &mut rng);
    let ttfb = latency::time_to_first_byte(&shared.config, &mut rng);
    match fault {
        Some(FaultKind::ServerError { status, html }) => {
            shared
                .stats
                .fault(&FaultKind::ServerError { status, html }.name());
            tokio::time::sleep(ttfb).await;
            return Ok(server_error(&shared, &common, status, html));
        }
        Some(FaultKind::RateLimitBurst { len }) => {
            shared.stats.fault("429");
            if len > 1 {
                shared.burst_left.store(len - 1, Ordering::Relaxed);
            }
            let wait = Duration::from_secs(1);
            let error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "requests",
                "Rate limit reached for requests. Please try again in 1s.",
            )
            .with_code("rate_limit_exceeded");
            return Ok(error_response(
                &shared,
                &common,
                &error,
                &retry_after_headers(wait),
            ));
        }
        Some(FaultKind::ResetBeforeHeaders) => {
            shared.stats.fault("reset");
            tokio::time::sleep(ttfb).await;
            conn.request_reset();
            return Err(ResetBeforeHeaders);
        }
        _ => {}
    }

    let wants_stream = json
        .as_ref()
        .and_then(|j| j.get("stream"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // A fault that needs a stream does nothing to a plain request.
    let fault = match fault {
        Some(FaultKind::JsonForStream | FaultKind::SseErrorEvent) if !wants_stream => None,
        other => other,
    };
    let force_json = fault == Some(FaultKind::JsonForStream);
    let ctx = Ctx {
        shared: &shared,
        method: &parts.method,
        path: &path,
        query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body: &body,
        json: json.as_ref(),
        force_json,
    };
    let answer = match api::route(&ctx) {
        Ok(answer) => answer,
        Err(error) => {
            tokio::time::sleep(ttfb).await;
            return Ok(error_response(&shared, &common, &error, &[]));
        }
    };
    // Bodiless requests (GET, DELETE) ask no question: they are not tracked per body,
    // or every poll would look like one body answered many times.
    let hook = (!body.is_empty()).then(|| SuccessHook {
        recorder: shared.stats.clone(),
        body_hash: synth::fnv1a(&body),
    });
    let processing = ttfb;
    tokio::time::sleep(ttfb).await;
    Ok(deliver(&shared, &conn, &common, answer, fault, hook, processing).await)
}

fn pick_fault(shared: &Shared, seq: u64, rng: &mut StdRng) -> Option<FaultKind> {
    let in_burst = shared
        .burst_left
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok();
    let u: f64 = rng.random();
    if in_burst {
        return Some(FaultKind::RateLimitBurst { len: 1 });
    }
    fault::choose(&shared.config.faults, seq, u)
}

async fn deliver(
    shared: &Shared,
    conn: &Arc<ConnControl>,
    common: &Common,
    answer: Answer,
    fault: Option<FaultKind>,
    hook: Option<SuccessHook>,
    processing: Duration,
) -> Response<MockBody> {
    let record = |kind: FaultKind| shared.stats.fault(&kind.name());
    match answer {
        Answer::Whole {
            status,
            content_type,
            body,
            tokens,
        } => {
            tokio::time::sleep(latency::generation_time(&shared.config, tokens)).await;
            let full_len = body.len();
            let half = body.slice(..full_len / 2);
            let mut steps = VecDeque::new();
            let (body, success) = match fault {
                Some(k @ (FaultKind::ResetMidBody | FaultKind::ResetMidStream)) => {
                    record(k);
                    steps.push_back(Step::Data(half));
                    steps.push_back(Step::Sleep(RESET_GRACE));
                    steps.push_back(Step::Reset);
                    (None, false)
                }
                Some(k @ FaultKind::TruncatedBody) => {
                    record(k);
                    steps.push_back(Step::Data(half));
                    (None, false)
                }
                Some(k @ FaultKind::Stall { pause }) => {
                    record(k);
                    steps.push_back(Step::Sleep(pause));
                    steps.push_back(Step::Data(body));
                    steps.push_back(Step::Success);
                    (None, true)
                }
                Some(k @ FaultKind::Drip { interval }) => {
                    record(k);
                    drip(&mut steps, &body, interval);
                    steps.push_back(Step::Success);
                    (None, true)
                }
                Some(k @ FaultKind::MalformedJson) => {
                    record(k);
                    let mut broken = half.to_vec();
                    broken.extend_from_slice(b"\x00<!-- malformed");
                    let broken = Bytes::from(broken);
                    let len = broken.len();
                    let mut response = respond(
                        shared,
                        common,
                        status,
                        content_type,
                        MockBody::full(broken),
                        processing,
                    );
                    set_len(&mut response, len);
                    return response;
                }
                Some(k @ FaultKind::JsonForStream) => {
                    record(k);
                    (Some(body), true)
                }
                _ => (Some(body), true),
            };
            let body = match body {
                Some(bytes) => {
                    let full = MockBody::full(bytes);
                    if success && status.is_success() {
                        full.on_success(hook)
                    } else {
                        full
                    }
                }
                None => {
                    let script = MockBody::script(steps, conn.clone());
                    if success && status.is_success() {
                        script.on_success(hook)
                    } else {
                        script
                    }
                }
            };
            let mut response = respond(shared, common, status, content_type, body, processing);
            set_len(&mut response, full_len);
            response
        }
        Answer::Stream { events, tail } => {
            let tps = shared.config.tokens_per_sec;
            let pace = |steps: &mut VecDeque<Step>, event: &Event| {
                if tps > 0 && event.tokens > 0 {
                    steps.push_back(Step::Sleep(latency::generation_time(
                        &shared.config,
                        event.tokens,
                    )));
                }
                steps.push_back(Step::Data(event.bytes.clone()));
            };
            let mid = (events.len().saturating_sub(tail) / 2)
                .max(1)
                .min(events.len());
            let mut steps = VecDeque::new();
            let mut success = false;
            match fault {
                Some(k @ (FaultKind::ResetMidBody | FaultKind::ResetMidStream)) => {
                    record(k);
                    events[..mid].iter().for_each(|e| pace(&mut steps, e));
                    steps.push_back(Step::Sleep(RESET_GRACE));
                    steps.push_back(Step::Reset);
                }
                Some(k @ FaultKind::TruncatedBody) => {
                    record(k);
                    events[..mid].iter().for_each(|e| pace(&mut steps, e));
                }
                Some(k @ FaultKind::SseErrorEvent) => {
                    record(k);
                    events[..mid].iter().for_each(|e| pace(&mut steps, e));
                    steps.push_back(Step::Data(stream_error_event(common.dialect).bytes));
                }
                Some(k @ FaultKind::MalformedJson) => {
                    record(k);
                    for (i, e) in events.iter().enumerate() {
                        if i == mid {
                            steps.push_back(Step::Data(cut_event(&e.bytes)));
                        } else {
                            pace(&mut steps, e);
                        }
                    }
                }
                Some(k @ FaultKind::Drip { interval }) => {
                    record(k);
                    let all: Vec<u8> = events
                        .iter()
                        .flat_map(|e| e.bytes.iter().copied())
                        .collect();
                    drip(&mut steps, &all, interval);
                    success = true;
                }
                Some(k @ FaultKind::Stall { pause }) => {
                    record(k);
                    steps.push_back(Step::Sleep(pause));
                    events.iter().for_each(|e| pace(&mut steps, e));
                    success = true;
                }
                _ => {
                    events.iter().for_each(|e| pace(&mut steps, e));
                    success = true;
                }
            }
            if success {
                steps.push_back(Step::Success);
            }
            let body = MockBody::script(steps, conn.clone());
            let body = if success { body.on_success(hook) } else { body };
            let mut response = respond(
                shared,
                common,
                StatusCode::OK,
                "text/event-stream",
                body,
                processing,
            );
            response
                .headers_mut()
                .insert("cache-control", HeaderValue::from_static("no-cache"));
            response
        }
    }
}

/// One byte per step with `interval` between bytes.
fn drip(steps: &mut VecDeque<Step>, bytes: &[u8], interval: Duration) {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            steps.push_back(Step::Sleep(interval));
        }
        steps.push_back(Step::Data(Bytes::copy_from_slice(&[*b])));
    }
}

/// The first half of an event's JSON, closed as an event so only the JSON is broken.
fn cut_event(event: &Bytes) -> Bytes {
    let text = event.strip_suffix(b"\n\n").unwrap_or(event);
    let mut cut = text[..text.len() / 2].to_vec();
    cut.extend_from_slice(b"\n\n");
    Bytes::from(cut)
}

fn set_len(response: &mut Response<MockBody>, len: usize) {
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len));
}

fn respond(
    shared: &Shared,
    common: &Common,
    status: StatusCode,
    content_type: &'static str,
    body: MockBody,
    processing: Duration,
) -> Response<MockBody> {
    shared.stats.status(status.as_u16());
    tracing::debug!(
        status = status.as_u16(),
        request_id = %common.request_id,
        processing_ms = processing.as_millis() as u64,
        "mock answered"
    );
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&common.request_id) {
        headers.insert("x-request-id", v);
    }
    headers.insert(
        "openai-processing-ms",
        HeaderValue::from(processing.as_millis() as u64),
    );
    for (name, value) in &common.rate_limit {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(*name, v);
        }
    }
    response
}

fn error_response(
    shared: &Shared,
    common: &Common,
    error: &ApiError,
    extra: &[(&'static str, String)],
) -> Response<MockBody> {
    let body = Bytes::from(error.body(common.dialect).to_string());
    let mut response = respond(
        shared,
        common,
        error.status,
        "application/json",
        MockBody::full(body),
        Duration::ZERO,
    );
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, v);
        }
    }
    response
}

fn server_error(shared: &Shared, common: &Common, status: u16, html: bool) -> Response<MockBody> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if html {
        let reason = code.canonical_reason().unwrap_or("Server Error");
        let page = format!(
            "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>mock-proxy</center>\r\n</body>\r\n</html>\r\n"
        );
        return respond(
            shared,
            common,
            code,
            "text/html",
            MockBody::full(Bytes::from(page)),
            Duration::ZERO,
        );
    }
    let message = match status {
        502 => "Bad gateway.",
        503 => "The server is overloaded or not ready yet.",
        _ => "The server had an error while processing your request. Sorry about that!",
    };
    let error = ApiError::new(code, "server_error", message);
    error_response(shared, common, &error, &[])
}

fn retry_after_headers(wait: Duration) -> Vec<(&'static str, String)> {
    let ms = wait.as_nanos().div_ceil(1_000_000);
    vec![
        ("retry-after", ms.div_ceil(1000).max(1).to_string()),
        ("retry-after-ms", ms.to_string()),
    ]
}

fn api_key(headers: &HeaderMap) -> String {
    if let Some(v) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        return v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .unwrap_or(v)
            .trim()
            .to_owned();
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/"))
}

fn admin(shared: &Shared, method: &Method, path: &str) -> Response<MockBody> {
    let (status, body) = match (method, path) {
        (&Method::GET, "/_mock/stats") => (
            StatusCode::OK,
            serde_json::to_vec(&shared.stats.snapshot()).unwrap_or_default(),
        ),
        (&Method::POST, "/_mock/reset") => {
            shared.stats.reset();
            (StatusCode::OK, b"{}".to_vec())
        }
        (&Method::GET, "/_mock/config") => (
            StatusCode::OK,
            serde_json::to_vec(&shared.config.redacted()).unwrap_or_default(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            br#"{"error":{"message":"unknown mock control endpoint","type":"invalid_request_error","param":null,"code":null}}"#.to_vec(),
        ),
    };
    let mut response = Response::new(MockBody::full(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        let h = retry_after_headers(Duration::from_millis(1200));
        assert_eq!(h[0].1, "2");
        assert_eq!(h[1].1, "1200");
        let h = retry_after_headers(Duration::from_micros(100));
        assert_eq!(h[0].1, "1");
        assert_eq!(h[1].1, "1");
    }

    #[test]
    fn cut_event_keeps_framing() {
        let cut = cut_event(&Bytes::from_static(b"data: {\"a\":1}\n\n"));
        assert!(cut.ends_with(b"\n\n"));
        assert!(serde_json::from_slice::<Value>(&cut[6..cut.len() - 2]).is_err());
    }
}
