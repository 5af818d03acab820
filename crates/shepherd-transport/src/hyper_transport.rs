//! `HyperTransport`: the default transport, hyper-util's pooled client over rustls.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::time::Instant;

use crate::body::{Body, ResponseBody};
use crate::connect::{ConnTag, ConnectTimedOut, ConnectionStats, Connector, StatsCounters};
use crate::error::Error;
use crate::limits::Limits;
use crate::transport::{SendFuture, Transport};

/// Default for [`HyperTransportBuilder::connect_timeout`]: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default for [`HyperTransportBuilder::response_header_timeout`]: 600 s, because a long
/// non-streaming completion sends its headers only when it is done.
pub const DEFAULT_RESPONSE_HEADER_TIMEOUT: Duration = Duration::from_secs(600);
/// Default for [`HyperTransportBuilder::body_idle_timeout`]: 180 s, long enough for slow
/// token streams and reasoning models that think before the next chunk.
pub const DEFAULT_BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(180);
/// Default for [`HyperTransportBuilder::pool_idle_timeout`]: 50 s, below the 60 s idle
/// timeout common in load balancers, so the client closes idle connections before the server
/// does (which is what makes a reused connection fail).
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(50);
/// Default for [`HyperTransportBuilder::pool_max_idle_per_host`]: 256.
pub const DEFAULT_POOL_MAX_IDLE_PER_HOST: usize = 256;
/// Default for [`HyperTransportBuilder::tcp_keepalive`]: 60 s.
pub const DEFAULT_TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// The default [`Transport`]: hyper 1 and hyper-util's pooled client, rustls with the ring
/// provider, HTTP/1.1 and HTTP/2 negotiated by ALPN.
///
/// Cloning is cheap and clones share the connection pool and statistics.
///
/// Timeouts, each a distinct [`Error`]: connect ([`Error::ConnectTimeout`]), response headers
/// ([`Error::HeaderTimeout`]), idle time between body chunks ([`Error::IdleTimeout`]) and an
/// optional total deadline ([`Error::Deadline`]). A server that sends headers and then nothing,
/// or one byte a minute, therefore ends in an error, never a hang.
///
/// A pooled keep-alive connection that the server closed just as it was reused fails with a
/// retry-safe error; when the request body is in memory the transport resends it once by
/// itself. Redirects are not followed.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use shepherd_transport::{Body, HyperTransport, Transport};
///
/// # async fn run() -> Result<(), shepherd_transport::Error> {
/// let transport = HyperTransport::builder()
///     .connect_timeout(Duration::from_secs(5))
///     .total_deadline(Duration::from_secs(120))
///     .build()?;
///
/// let request = http::Request::get("http://127.0.0.1:8080/v1/models")
///     .body(Body::empty())
///     .map_err(shepherd_transport::Error::other)?;
/// let response = transport.send(request).await?;
/// println!("{} {:?}", response.status(), transport.stats());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client<Connector, Body>,
    settings: Settings,
    stats: Arc<StatsCounters>,
}

#[derive(Debug, Clone)]
struct Settings {
    header_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    total_deadline: Option<Duration>,
    limits: Limits,
    retry_stale: bool,
}

impl HyperTransport {
    /// A transport with the documented defaults.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the TLS configuration cannot be built.
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// A builder starting from the documented defaults.
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::default()
    }

    /// The connection counters: opened, reused and currently open.
    pub fn stats(&self) -> ConnectionStats {
        self.inner.stats.snapshot()
    }

    /// The size limits applied to responses.
    pub fn limits(&self) -> Limits {
        self.inner.settings.limits
    }
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("settings", &self.inner.settings)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Transport for HyperTransport {
    fn send(&self, request: Request<Body>) -> SendFuture {
        let inner = self.inner.clone();
        Box::pin(async move { inner.send(request).await })
    }
}

/// What one attempt produced when it failed: the error, and whether it was a stale pooled
/// connection (the request cannot have been processed, so resending is safe).
struct Failed {
    error: Error,
    stale: bool,
}

impl Inner {
    async fn send(&self, request: Request<Body>) -> Result<Response<ResponseBody>, Error> {
        check_uri(request.uri())?;
        let deadline = self
            .settings
            .total_deadline
            .map(|total| (Instant::now() + total, total));
        let mut replay = if self.settings.retry_stale {
            try_clone_request(&request)
        } else {
            None
        };
        let mut request = request;
        loop {
            match self.send_once(request, deadline).await {
                Ok(response) => return Ok(self.wrap(response, deadline)),
                Err(failed) => match replay.take() {
                    Some(again) if failed.stale => {
                        tracing::debug!(
                            error = %failed.error,
                            "pooled connection was closed by the server; resending once"
                        );
                        request = again;
                    }
                    _ => return Err(failed.error),
                },
            }
        }
    }

    async fn send_once(
        &self,
        request: Request<Body>,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<Response<hyper::body::Incoming>, Failed> {
        let header_limit = self
            .settings
            .header_timeout
            .map(|after| (Instant::now() + after, Error::HeaderTimeout { after }));
        let total_limit = deadline.map(|(at, after)| (at, Error::Deadline { after }));
        // Whichever limit comes first is the one that fires; the deadline wins a tie.
        let limit = match (header_limit, total_limit) {
            (Some(h), Some(t)) => Some(if t.0 <= h.0 { t } else { h }),
            (h, t) => h.or(t),
        };
        let responding = self.client.request(request);
        let result = match limit {
            Some((at, timeout_error)) => match tokio::time::timeout_at(at, responding).await {
                Ok(result) => result,
                Err(_) => {
                    return Err(Failed {
                        error: timeout_error,
                        stale: false,
                    });
                }
            },
            None => responding.await,
        };
        result.map_err(classify)
    }

    fn wrap(
        &self,
        response: Response<hyper::body::Incoming>,
        deadline: Option<(Instant, Duration)>,
    ) -> Response<ResponseBody> {
        let (mut parts, incoming) = response.into_parts();
        if let Some(tag) = parts.extensions.remove::<ConnTag>() {
            let info = self.stats.record_response(&tag);
            parts.extensions.insert(info);
        }
        let mut body =
            ResponseBody::incoming(incoming).with_limit(self.settings.limits.body_bytes());
        if let Some(idle) = self.settings.idle_timeout {
            body = body.with_idle_timeout(idle);
        }
        if let Some((at, total)) = deadline {
            body = body.with_deadline(at, total);
        }
        Response::from_parts(parts, body)
    }
}

fn check_uri(uri: &http::Uri) -> Result<(), Error> {
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => {
            return Err(Error::invalid_request(format!(
                "unsupported URI scheme {other:?} (use http or https)"
            )));
        }
        None => {
            return Err(Error::invalid_request(format!(
                "the URI {uri} is not absolute (it needs http:// or https:// and a host)"
            )));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(Error::invalid_request(format!("the URI {uri} has no host")));
    }
    Ok(())
}

/// A copy of the request for one resend, if its body is in memory.
fn try_clone_request(request: &Request<Body>) -> Option<Request<Body>> {
    let body = request.body().try_clone()?;
    let mut copy = Request::new(body);
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    Some(copy)
}

/// Maps a hyper-util client error to ours and decides whether it was a stale connection.
fn classify(err: hyper_util::client::legacy::Error) -> Failed {
    if err.is_connect() {
        let error = if let Some(timeout) = find_in_chain::<ConnectTimedOut>(&err) {
            Error::ConnectTimeout { after: timeout.0 }
        } else if is_tls_failure(&err) {
            Error::Tls {
                source: Box::new(err),
            }
        } else {
            Error::Connect {
                source: Box::new(err),
            }
        };
        return Failed {
            error,
            stale: false,
        };
    }
    if find_in_chain::<Error>(&err).is_some() {
        return Failed {
            error: Error::RequestBody {
                source: Box::new(err),
            },
            stale: false,
        };
    }
    let reused = err.connect_info().is_some_and(|connected| {
        let mut extensions = http::Extensions::new();
        connected.get_extras(&mut extensions);
        extensions.get::<ConnTag>().is_some_and(ConnTag::was_used)
    });
    // A server closing an idle keep-alive connection races with our next request on it:
    // the request is written, then the read sees EOF or a reset before any response byte.
    let closed_early = find_in_chain::<hyper::Error>(&err)
        .is_some_and(|e| e.is_incomplete_message() || e.is_canceled() || e.is_closed())
        || find_in_chain::<std::io::Error>(&err).is_some_and(|e| {
            matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::ConnectionAborted
            )
        });
    let stale = reused && closed_early;
    Failed {
        error: Error::Send {
            source: Box::new(err),
            retry_safe: stale,
        },
        stale,
    }
}

fn find_in_chain<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// True if a rustls error is anywhere in the chain, including inside (possibly nested)
/// `io::Error`s, whose `source()` skips the error they wrap.
fn is_tls_failure(err: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<rustls::Error>() {
            return true;
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && is_tls_failure(inner)
        {
            return true;
        }
        current = e.source();
    }
    false
}

/// Which HTTP versions the transport speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HttpVersions {
    /// HTTP/1.1 and HTTP/2, negotiated by TLS ALPN; plain `http://` uses HTTP/1.1 (default).
    #[default]
    Negotiate,
    /// HTTP/1.1 only.
    Http1Only,
    /// HTTP/2 only, without negotiation ("prior knowledge"): `h2c` on plain `http://`,
    /// ALPN `h2` only over TLS.
    Http2PriorKnowledge,
}

/// Configures a [`HyperTransport`]. Every setting has a documented default.
#[derive(Clone)]
pub struct HyperTransportBuilder {
    pool_max_idle_per_host: usize,
    pool_idle_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    header_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    total_deadline: Option<Duration>,
    limits: Limits,
    versions: HttpVersions,
    tcp_nodelay: bool,
    tcp_keepalive: Option<Duration>,
    webpki_roots: bool,
    native_roots: bool,
    extra_roots_pem: Vec<Vec<u8>>,
    tls_config: Option<rustls::ClientConfig>,
    retry_stale: bool,
}

impl Default for HyperTransportBuilder {
    fn default() -> Self {
        HyperTransportBuilder {
            pool_max_idle_per_host: DEFAULT_POOL_MAX_IDLE_PER_HOST,
            pool_idle_timeout: Some(DEFAULT_POOL_IDLE_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            header_timeout: Some(DEFAULT_RESPONSE_HEADER_TIMEOUT),
            idle_timeout: Some(DEFAULT_BODY_IDLE_TIMEOUT),
            total_deadline: None,
            limits: Limits::default(),
            versions: HttpVersions::default(),
            tcp_nodelay: true,
            tcp_keepalive: Some(DEFAULT_TCP_KEEPALIVE),
            webpki_roots: true,
            native_roots: false,
            extra_roots_pem: Vec::new(),
            tls_config: None,
            retry_stale: true,
        }
    }
}

impl fmt::Debug for HyperTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransportBuilder")
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("header_timeout", &self.header_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("total_deadline", &self.total_deadline)
            .field("limits", &self.limits)
            .field("versions", &self.versions)
            .field("tcp_nodelay", &self.tcp_nodelay)
            .field("tcp_keepalive", &self.tcp_keepalive)
            .field("webpki_roots", &self.webpki_roots)
            .field("native_roots", &self.native_roots)
            .field("extra_roots", &self.extra_roots_pem.len())
            .field("custom_tls_config", &self.tls_config.is_some())
            .field("retry_stale", &self.retry_stale)
            .finish()
    }
}

impl HyperTransportBuilder {
    /// Most idle connections kept per host (default [`DEFAULT_POOL_MAX_IDLE_PER_HOST`]).
    /// Set it near your concurrency so bursts reuse connections instead of opening new ones.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// How long an idle connection stays in the pool (default
    /// [`DEFAULT_POOL_IDLE_TIMEOUT`]); `None` keeps idle connections until the server closes
    /// them.
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.pool_idle_timeout = timeout.into();
        self
    }

    /// Limit for DNS, TCP connect and TLS handshake together (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]); `None` for no limit.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Limit from sending a request until its response headers arrive, connecting included
    /// (default [`DEFAULT_RESPONSE_HEADER_TIMEOUT`]); `None` for no limit.
    pub fn response_header_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.header_timeout = timeout.into();
        self
    }

    /// Limit on the silence between two chunks of a response body (default
    /// [`DEFAULT_BODY_IDLE_TIMEOUT`]); `None` for no limit.
    pub fn body_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.idle_timeout = timeout.into();
        self
    }

    /// Limit on the whole exchange, from sending to the last body byte (default: none).
    pub fn total_deadline(mut self, deadline: impl Into<Option<Duration>>) -> Self {
        self.total_deadline = deadline.into();
        self
    }

    /// Size limits for responses (default [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Which HTTP versions to speak (default [`HttpVersions::Negotiate`]).
    pub fn http_versions(mut self, versions: HttpVersions) -> Self {
        self.versions = versions;
        self
    }

    /// Sets `TCP_NODELAY` (default `true`: requests are small and latency matters).
    pub fn tcp_nodelay(mut self, nodelay: bool) -> Self {
        self.tcp_nodelay = nodelay;
        self
    }

    /// TCP keepalive interval (default [`DEFAULT_TCP_KEEPALIVE`]); `None` disables it.
    pub fn tcp_keepalive(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.tcp_keepalive = interval.into();
        self
    }

    /// Trusts the Mozilla roots bundled via `webpki-roots` (default `true`).
    pub fn webpki_roots(mut self, enabled: bool) -> Self {
        self.webpki_roots = enabled;
        self
    }

    /// Also trusts the operating system's root certificates (default `false`).
    pub fn native_roots(mut self, enabled: bool) -> Self {
        self.native_roots = enabled;
        self
    }

    /// Also trusts the certificates in `pem` (one or more PEM blocks), for private CAs and
    /// tests with a self-signed CA.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots_pem.push(pem.into());
        self
    }

    /// Uses this rustls configuration instead of building one from the root settings above.
    /// ALPN protocols are set from [`http_versions`](Self::http_versions) if it has none.
    pub fn tls_config(mut self, config: rustls::ClientConfig) -> Self {
        self.tls_config = Some(config);
        self
    }

    /// Resends a request once, transparently, when a pooled connection turns out to have
    /// been closed by the server and the body is in memory (default `true`).
    pub fn retry_stale_connections(mut self, enabled: bool) -> Self {
        self.retry_stale = enabled;
        self
    }

    /// Builds the transport.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the TLS configuration cannot be built: an extra root certificate
    /// that does not parse, or no root certificates at all.
    pub fn build(self) -> Result<HyperTransport, Error> {
        let tls = match self.tls_config.clone() {
            Some(config) => config,
            None => self.build_tls_config()?,
        };

        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(self.tcp_nodelay);
        http.set_keepalive(self.tcp_keepalive);
        // The connector wrapper applies the timeout to DNS, TCP and TLS together.
        http.set_connect_timeout(None);

        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let https = match self.versions {
            HttpVersions::Negotiate => https.enable_http1().enable_http2().wrap_connector(http),
            HttpVersions::Http1Only => https.enable_http1().wrap_connector(http),
            HttpVersions::Http2PriorKnowledge => https.enable_http2().wrap_connector(http),
        };

        let stats = Arc::new(StatsCounters::default());
        let connector = Connector::new(https, self.connect_timeout, stats.clone());

        let mut client = Client::builder(TokioExecutor::new());
        client
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .pool_idle_timeout(self.pool_idle_timeout);
        if self.versions == HttpVersions::Http2PriorKnowledge {
            client.http2_only(true);
        }
        let client = client.build(connector);

        Ok(HyperTransport {
            inner: Arc::new(Inner {
                client,
                settings: Settings {
                    header_timeout: self.header_timeout,
                    idle_timeout: self.idle_timeout,
                    total_deadline: self.total_deadline,
                    limits: self.limits,
                    retry_stale: self.retry_stale,
                },
                stats,
            }),
        })
    }

    fn build_tls_config(&self) -> Result<rustls::ClientConfig, Error> {
        let mut roots = RootCertStore::empty();
        if self.webpki_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        if self.native_roots {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(Error::config(format!(
                    "native_roots is enabled but no usable system root certificate was found ({} errors)",
                    found.errors.len()
                )));
            }
        }
        for (index, pem) in self.extra_roots_pem.iter().enumerate() {
            let mut count = 0;
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| {
                    Error::config(format!(
                        "extra root certificate #{index} is not valid PEM: {e}"
                    ))
                })?;
                roots.add(cert).map_err(|e| {
                    Error::config(format!("extra root certificate #{index} was rejected: {e}"))
                })?;
                count += 1;
            }
            if count == 0 {
                return Err(Error::config(format!(
                    "extra root certificate #{index} contains no PEM certificate"
                )));
            }
        }
        if roots.is_empty() {
            return Err(Error::config(
                "no root certificates: enable webpki_roots or native_roots, or add one",
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config(format!("TLS protocol versions: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(config)
    }
}
