//! Helpers shared by the integration tests: a plain hyper client and SSE splitting.
#![allow(dead_code, clippy::unwrap_used)]

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use shepherd_mock::MockServer;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A client that opens a fresh connection per request, so a reset hits only its request.
pub fn fresh_client() -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http()
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("missing header {name}"))
            .to_str()
            .expect("ascii header")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn request(
    server: &MockServer,
    method: Method,
    path: &str,
    key: Option<&str>,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(server.url(path))
        .header("content-type", content_type);
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    builder.body(Full::new(body.into())).expect("valid request")
}

/// Sends a request; errors (resets, truncation) come back as `Err(description)`.
pub async fn try_send(client: &HttpClient, request: Request<Full<Bytes>>) -> Result<Reply, String> {
    let response = client
        .request(request)
        .await
        .map_err(|e| format!("request: {e:?}"))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("body: {e:?}"))?
        .to_bytes();
    Ok(Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

pub async fn send(client: &HttpClient, request: Request<Full<Bytes>>) -> Reply {
    try_send(client, request).await.expect("request succeeds")
}

pub async fn post_json(
    client: &HttpClient,
    server: &MockServer,
    path: &str,
    body: &Value,
) -> Reply {
    send(
        client,
        request(
            server,
            Method::POST,
            path,
            Some("sk-test-key-0001"),
            "application/json",
            body.to_string(),
        ),
    )
    .await
}

pub async fn get(client: &HttpClient, server: &MockServer, path: &str) -> Reply {
    send(
        client,
        request(
            server,
            Method::GET,
            path,
            Some("sk-test-key-0001"),
            "application/json",
            Bytes::new(),
        ),
    )
    .await
}

/// Splits an SSE body into (event name, data) pairs.
pub fn sse(body: &[u8]) -> Vec<(Option<String>, String)> {
    let text = std::str::from_utf8(body).expect("utf-8 stream");
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut event = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = Some(e.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push(d);
                }
            }
            (event, data.join("\n"))
        })
        .collect()
}

pub fn chat_body(question: &str) -> Value {
    serde_json::json!({
        "model": "gpt-4.1",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": question},
        ],
    })
}

/// A multipart body with the given fields; `(name, filename, bytes)`.
pub fn multipart(boundary: &str, fields: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, filename, data) in fields {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => out.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes()),
            None => out.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// What arrived before a body ended or failed.
pub struct Partial {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub received: Vec<u8>,
    pub frames: usize,
    pub error: Option<String>,
}

/// Reads a response frame by frame, keeping what arrived before an error.
pub async fn partial(
    client: &HttpClient,
    request: Request<Full<Bytes>>,
) -> Result<Partial, String> {
    let response = client
        .request(request)
        .await
        .map_err(|e| format!("request: {e:?}"))?;
    let (parts, mut body) = response.into_parts();
    let mut received = Vec::new();
    let mut frames = 0;
    let mut error = None;
    loop {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    received.extend_from_slice(data);
                    frames += 1;
                }
            }
            Some(Err(e)) => {
                error = Some(format!("{e:?}"));
                break;
            }
        }
    }
    Ok(Partial {
        status: parts.status,
        headers: parts.headers,
        received,
        frames,
        error,
    })
}

pub fn chat_request(server: &MockServer, question: &str, stream: bool) -> Request<Full<Bytes>> {
    let mut body = chat_body(question);
    if stream {
        body["stream"] = serde_json::json!(true);
    }
    request(
        server,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-test-key-0001"),
        "application/json",
        body.to_string(),
    )
}
