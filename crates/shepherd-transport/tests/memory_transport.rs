//! The in-memory transport upper layers test against, and the auth helpers.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use http::Response;
use shepherd_transport::sse::EventStream;
use shepherd_transport::{
    ApiKey, Body, DefaultHeaders, Error, Limits, MemoryTransport, ResponseBody, Transport,
};

#[tokio::test]
async fn records_requests_and_answers_through_a_dyn_transport() {
    let memory = MemoryTransport::from_fn(|req| {
        Response::new(ResponseBody::from(format!(
            "{} {}",
            req.method(),
            req.uri().path()
        )))
    });
    let transport: Arc<dyn Transport> = Arc::new(memory.clone());

    let key = ApiKey::new("Bearer sk-live-0123456789abcdefghij").unwrap();
    let defaults = DefaultHeaders::new()
        .api_key(key)
        .organization("org-1")
        .unwrap()
        .project("proj-1")
        .unwrap();
    let mut request = http::Request::post("http://mock/v1/embeddings")
        .header("openai-project", "explicit")
        .body(Body::from("{\"input\":\"hi\"}"))
        .unwrap();
    defaults.apply(request.headers_mut());

    let response = transport.send(request).await.unwrap();
    assert_eq!(
        response.into_body().collect().await.unwrap(),
        "POST /v1/embeddings"
    );

    let recorded = memory.requests();
    assert_eq!(recorded.len(), 1);
    let headers = &recorded[0].headers;
    assert_eq!(
        headers["authorization"],
        "Bearer sk-live-0123456789abcdefghij"
    );
    assert_eq!(headers["openai-organization"], "org-1");
    assert_eq!(
        headers["openai-project"], "explicit",
        "the request's own header wins"
    );
    assert_eq!(recorded[0].body, "{\"input\":\"hi\"}");
    // Neither the recording nor the defaults print the key.
    assert!(!format!("{recorded:?}").contains("0123456789"));
    assert!(!format!("{defaults:?}").contains("0123456789"));
}

#[tokio::test]
async fn handlers_can_fail_and_stream() {
    let memory = MemoryTransport::new(|req| async move {
        if req.uri().path() == "/fail" {
            return Err(Error::other("simulated outage"));
        }
        let chunks = futures_util::stream::iter([
            Ok(Bytes::from_static(b"data: a\n\n")),
            Ok(Bytes::from_static(b"data: [DONE]\n\n")),
        ]);
        Ok(Response::builder()
            .header("content-type", "text/event-stream")
            .body(ResponseBody::from_stream(chunks))
            .unwrap())
    });
    let err = memory
        .send(
            http::Request::get("http://mock/fail")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("simulated outage"));

    let response = memory
        .send(
            http::Request::get("http://mock/stream")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let events: Vec<_> = EventStream::from_response(response, &Limits::default())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(events.len(), 2);
    assert!(events[1].as_ref().unwrap().is_done());
    assert_eq!(memory.requests().len(), 2);
    memory.clear();
    assert!(memory.requests().is_empty());
}

#[tokio::test]
async fn oversized_request_bodies_are_refused() {
    let memory =
        MemoryTransport::from_fn(|_req| Response::new(ResponseBody::empty())).max_request_bytes(4);
    let err = memory
        .send(
            http::Request::post("http://mock/")
                .body(Body::from("12345"))
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(err.is_body_limit());
}

#[test]
fn api_key_from_env_names_the_variable_not_the_value() {
    let err = ApiKey::from_env("SHEPHERD_TRANSPORT_TEST_UNSET_VARIABLE").unwrap_err();
    assert!(
        err.to_string()
            .contains("SHEPHERD_TRANSPORT_TEST_UNSET_VARIABLE")
    );
}
