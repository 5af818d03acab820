//! Bytes over HTTP for AI APIs: a [`Transport`] trait, a pooled hyper transport with rustls,
//! timeouts, body limits, multipart uploads and a server-sent events decoder.
//!
//! This is the lowest layer of shepherd. It moves bytes; it knows nothing of JSON models.
//!
//! # The `Transport` trait
//!
//! ```text
//! trait Transport: Send + Sync + 'static {
//!     fn send(&self, request: http::Request<Body>) -> SendFuture;
//! }
//! // SendFuture = Pin<Box<dyn Future<Output = Result<http::Response<ResponseBody>, Error>> + Send + 'static>>
//! ```
//!
//! Why this shape:
//! - **Boxed future, not `async fn`/`impl Future`.** The trait stays dyn-compatible, so an
//!   upper layer can be generic over `T: Transport` *and* a user can hand it an
//!   `Arc<dyn Transport>` chosen at run time (`Arc<T>` and `Box<T>` implement the trait too).
//!   The price is one allocation per request, which is noise next to a network round trip (the
//!   `transport` bench in `benches/` measures it against a bare hyper-util client).
//! - **`'static` future.** The future owns what it needs, so callers can spawn it, race it
//!   against timers or drop it to cancel, without borrowing the transport.
//! - **Concrete body types.** [`Body`] (bytes or a stream) and [`ResponseBody`] (a stream of
//!   [`bytes::Bytes`] that also implements [`http_body::Body`]) are fixed so that transports
//!   are interchangeable; a generic body parameter would leak into every upper-layer type.
//! - **Resolves at the response head.** Status and headers come back first; the body is
//!   streamed, which serves buffered JSON ([`ResponseBody::collect`]) and server-sent events
//!   ([`sse::EventStream`]) alike.
//!
//! # Implementations
//!
//! - [`HyperTransport`]: the default. hyper 1 with the hyper-util pooled client, rustls
//!   (webpki roots by default), HTTP/1.1 and HTTP/2, and a distinct error for each timeout.
//! - [`MemoryTransport`]: answers requests with a closure and records them, for tests of the
//!   layers above.
//!
//! # Redirects
//!
//! Redirects are **not followed**: a `3xx` response is returned as is. OpenAI-compatible APIs
//! do not redirect API calls, and following one would risk sending the `Authorization` header
//! to another host.
//!
//! # Examples
//!
//! ```no_run
//! use shepherd_transport::{ApiKey, Body, DefaultHeaders, HyperTransport, Transport};
//!
//! # async fn run() -> Result<(), shepherd_transport::Error> {
//! let transport = HyperTransport::new()?;
//! let defaults = DefaultHeaders::new().api_key(ApiKey::from_env("OPENAI_API_KEY")?);
//!
//! let mut request = http::Request::post("https://api.openai.com/v1/embeddings")
//!     .header("content-type", "application/json")
//!     .body(Body::from(r#"{"model":"text-embedding-3-small","input":"hi"}"#))
//!     .map_err(shepherd_transport::Error::other)?;
//! defaults.apply(request.headers_mut());
//!
//! let response = transport.send(request).await?;
//! let bytes = response.into_body().collect().await?;
//! # let _ = bytes;
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod body;
mod connect;
pub mod error;
pub mod hyper_transport;
pub mod limits;
pub mod memory;
pub mod multipart;
pub mod sse;
pub mod transport;

pub use auth::{ApiKey, DefaultHeaders};
pub use body::{Body, ResponseBody};
pub use connect::{ConnectionInfo, ConnectionStats};
pub use error::{BoxError, Error};
pub use hyper_transport::{HttpVersions, HyperTransport, HyperTransportBuilder};
pub use limits::Limits;
pub use memory::{MemoryTransport, RecordedRequest};
pub use transport::{SendFuture, Transport};
