//! `MemoryTransport`: answers requests with a closure and records them, for upper-layer tests.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, Uri};

use crate::body::{Body, ResponseBody};
use crate::error::Error;
use crate::limits::DEFAULT_MAX_BODY_BYTES;
use crate::transport::{SendFuture, Transport};

type Handler = dyn Fn(Request<Bytes>) -> SendFuture + Send + Sync;

/// A request as the [`MemoryTransport`] received it, with its body read into memory.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The full URI.
    pub uri: Uri,
    /// The headers (sensitive values stay hidden in `Debug` output).
    pub headers: HeaderMap,
    /// The body, streamed bodies included.
    pub body: Bytes,
}

/// A [`Transport`] that never touches the network: a handler answers each request, and every
/// request is recorded for assertions.
///
/// Request bodies, streamed ones included, are read into memory before the handler sees them.
/// Handlers can return any [`ResponseBody`], including a stream, to simulate server-sent events
/// or a server that stalls (combine with [`ResponseBody::with_idle_timeout`]).
///
/// # Examples
///
/// ```
/// use shepherd_transport::{Body, MemoryTransport, ResponseBody, Transport};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let transport = MemoryTransport::from_fn(|request| {
///     let reply = format!("you sent {} bytes", request.body().len());
///     http::Response::new(ResponseBody::from(reply))
/// });
///
/// let request = http::Request::post("http://mock/v1/chat/completions")
///     .body(Body::from("{}"))
///     .expect("valid request");
/// let response = transport.send(request).await?;
/// assert_eq!(response.into_body().collect().await?, "you sent 2 bytes");
/// assert_eq!(transport.requests()[0].uri.path(), "/v1/chat/completions");
/// # Ok::<(), shepherd_transport::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct MemoryTransport {
    handler: Arc<Handler>,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
    max_request_bytes: u64,
}

impl MemoryTransport {
    /// A transport whose `handler` answers asynchronously, and may fail with an [`Error`]
    /// (to simulate timeouts or connection failures).
    pub fn new<F, Fut>(handler: F) -> Self
    where
        F: Fn(Request<Bytes>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response<ResponseBody>, Error>> + Send + 'static,
    {
        MemoryTransport {
            handler: Arc::new(move |request| Box::pin(handler(request)) as SendFuture),
            recorded: Arc::new(Mutex::new(Vec::new())),
            max_request_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// A transport whose `handler` answers synchronously and never fails.
    pub fn from_fn<F>(handler: F) -> Self
    where
        F: Fn(Request<Bytes>) -> Response<ResponseBody> + Send + Sync + 'static,
    {
        Self::new(move |request| std::future::ready(Ok(handler(request))))
    }

    /// Largest request body read into memory; larger ones fail with [`Error::BodyLimit`]
    /// (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_request_bytes(mut self, max: u64) -> Self {
        self.max_request_bytes = max;
        self
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().clone()
    }

    /// Forgets the recorded requests.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        // A panicking handler in another test thread must not hide the recording.
        self.recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTransport")
            .field("recorded", &self.lock().len())
            .finish_non_exhaustive()
    }
}

impl Transport for MemoryTransport {
    fn send(&self, request: Request<Body>) -> SendFuture {
        let this = self.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = body.collect_limited(this.max_request_bytes).await?;
            this.lock().push(RecordedRequest {
                method: parts.method.clone(),
                uri: parts.uri.clone(),
                headers: parts.headers.clone(),
                body: body.clone(),
            });
            (this.handler)(Request::from_parts(parts, body)).await
        })
    }
}
