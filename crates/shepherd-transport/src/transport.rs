//! The `Transport` trait: the one seam between the upper layers and the network.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::body::{Body, ResponseBody};
use crate::error::Error;

/// The future a [`Transport`] returns: the response head, with the body still to be read.
pub type SendFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<ResponseBody>, Error>> + Send + 'static>>;

/// Sends one HTTP request and resolves to the response once its headers arrived.
///
/// See the [crate documentation](crate#the-transport-trait) for why the trait has this shape.
/// Implementations must not follow redirects silently with credentials, must apply their
/// timeouts and limits to the returned [`ResponseBody`], and must report failures with the
/// [`Error`] variants whose predicates upper layers use to decide about retries.
///
/// # Examples
///
/// A transport that answers every request itself, usable wherever a `Transport` is:
///
/// ```
/// use std::sync::Arc;
/// use shepherd_transport::{Body, Error, ResponseBody, SendFuture, Transport};
///
/// struct Teapot;
///
/// impl Transport for Teapot {
///     fn send(&self, _request: http::Request<Body>) -> SendFuture {
///         Box::pin(async {
///             let response = http::Response::builder()
///                 .status(418)
///                 .body(ResponseBody::from("short and stout"))
///                 .map_err(Error::other)?;
///             Ok(response)
///         })
///     }
/// }
///
/// let shared: Arc<dyn Transport> = Arc::new(Teapot);
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let response = shared.send(http::Request::new(Body::empty())).await?;
/// assert_eq!(response.status(), 418);
/// # Ok::<(), Error>(())
/// # }).unwrap();
/// ```
pub trait Transport: Send + Sync + 'static {
    /// Sends `request`; the future owns everything it needs, so it can be spawned.
    fn send(&self, request: http::Request<Body>) -> SendFuture;
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(&self, request: http::Request<Body>) -> SendFuture {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&self, request: http::Request<Body>) -> SendFuture {
        (**self).send(request)
    }
}
