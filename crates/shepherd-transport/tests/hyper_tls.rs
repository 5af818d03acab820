//! TLS with a self-signed CA generated in the test: trust, ALPN and failures.
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Response, Version};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use shepherd_transport::{Body, HttpVersions, HyperTransport, Transport};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

struct Pki {
    ca_pem: String,
    server_config: Arc<rustls::ServerConfig>,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Pki {
        ca_pem: ca.pem(),
        server_config: Arc::new(config),
    }
}

async fn tls_server(config: Arc<rustls::ServerConfig>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(|req: http::Request<hyper::body::Incoming>| async move {
                    let reply = format!("{:?}", req.version());
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(reply))))
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

fn get(addr: SocketAddr) -> http::Request<Body> {
    http::Request::get(format!("https://localhost:{}/", addr.port()))
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn https_with_a_private_ca_negotiates_http2() {
    let pki = pki();
    let addr = tls_server(pki.server_config.clone()).await;
    let transport = HyperTransport::builder()
        .add_root_certificate_pem(pki.ca_pem.as_bytes())
        .build()
        .unwrap();

    for _ in 0..3 {
        let response = transport.send(get(addr)).await.unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.into_body().collect().await.unwrap(), "HTTP/2.0");
    }
    assert_eq!(transport.stats().opened, 1);
    assert_eq!(transport.stats().reused, 2);
}

#[tokio::test]
async fn https_http1_only_stays_on_http1() {
    let pki = pki();
    let addr = tls_server(pki.server_config.clone()).await;
    let transport = HyperTransport::builder()
        .webpki_roots(false)
        .add_root_certificate_pem(pki.ca_pem.as_bytes())
        .http_versions(HttpVersions::Http1Only)
        .build()
        .unwrap();
    let response = transport.send(get(addr)).await.unwrap();
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(response.into_body().collect().await.unwrap(), "HTTP/1.1");
}

#[tokio::test]
async fn unknown_ca_is_a_tls_error() {
    let pki = pki();
    let addr = tls_server(pki.server_config.clone()).await;
    let transport = HyperTransport::new().unwrap();
    let err = transport.send(get(addr)).await.unwrap_err();
    assert!(
        err.is_tls() && err.is_connect() && !err.is_transient(),
        "{err}"
    );
    assert!(err.to_string().contains("TLS"), "{err}");
}

#[test]
fn invalid_extra_root_is_a_config_error() {
    let err = HyperTransport::builder()
        .add_root_certificate_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, shepherd_transport::Error::Config { .. }),
        "{err}"
    );

    let err = HyperTransport::builder()
        .webpki_roots(false)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("no root certificates"), "{err}");
}
