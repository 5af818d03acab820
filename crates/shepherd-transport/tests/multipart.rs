//! multipart/form-data bodies: exact bytes, streaming from disk, Content-Length, failures.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{full, serve};
use http::Response;
use http_body_util::BodyExt;
use shepherd_transport::multipart::{FilePart, Form};
use shepherd_transport::{HyperTransport, MemoryTransport, ResponseBody, Transport};

fn temp_file(bytes: &[u8], suffix: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

#[tokio::test]
async fn form_bytes_are_exact() {
    let file = temp_file(b"RIFF-audio", ".wav");
    let form = Form::with_boundary("XyZ")
        .text("model", "whisper-1")
        .file("file", file.path())
        .await
        .unwrap()
        .text("language", "de");
    assert_eq!(form.content_type(), "multipart/form-data; boundary=XyZ");
    let expected_len = form.content_length();

    let transport = MemoryTransport::from_fn(|_req| Response::new(ResponseBody::empty()));
    let request = http::Request::post("http://mock/v1/audio/transcriptions")
        .header("content-type", form.content_type())
        .body(form.into_body())
        .unwrap();
    transport.send(request).await.unwrap();

    let name = file.path().file_name().unwrap().to_str().unwrap();
    let expected = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: audio/wav\r\n\r\nRIFF-audio\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nde\r\n\
         --XyZ--\r\n"
    );
    let body = &transport.requests()[0].body;
    assert_eq!(std::str::from_utf8(body).unwrap(), expected);
    assert_eq!(body.len() as u64, expected_len);
}

#[tokio::test]
async fn large_file_is_streamed_in_chunks_with_content_length() {
    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let file = temp_file(&content, ".mp3");
    let seen = Arc::new(Mutex::new((None, 0usize, 0usize)));
    let record = seen.clone();
    let server = serve(move |req: http::Request<hyper::body::Incoming>| {
        let record = record.clone();
        async move {
            let length = req
                .headers()
                .get("content-length")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            let mut body = req.into_body();
            let (mut frames, mut bytes) = (0, 0);
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.unwrap().into_data() {
                    frames += 1;
                    bytes += data.len();
                }
            }
            *record.lock().unwrap() = (length, frames, bytes);
            Response::new(full("ok"))
        }
    })
    .await;

    let form = Form::new().text("model", "whisper-1").file_part(
        "file",
        FilePart::open(file.path())
            .await
            .unwrap()
            .file_name("talk.mp3"),
    );
    let total = form.content_length();
    let request = http::Request::post(server.url("/v1/audio/transcriptions"))
        .header("content-type", form.content_type())
        .body(form.into_body())
        .unwrap();
    let transport = HyperTransport::new().unwrap();
    let response = transport.send(request).await.unwrap();
    assert_eq!(response.into_body().collect().await.unwrap(), "ok");

    let (length, frames, bytes) = *seen.lock().unwrap();
    assert_eq!(length, Some(total));
    assert_eq!(bytes as u64, total);
    assert!(frames > 1, "the body arrived in {frames} frame(s)");
}

#[tokio::test]
async fn a_file_shorter_than_announced_fails_the_upload() {
    let file = temp_file(b"short", ".bin");
    let handle = tokio::fs::File::open(file.path()).await.unwrap();
    let form = Form::new().file_part("file", FilePart::from_file(handle, 50, "x.bin"));
    let transport = MemoryTransport::from_fn(|_req| Response::new(ResponseBody::empty()));
    let request = http::Request::post("http://mock/")
        .body(form.into_body())
        .unwrap();
    let err = transport.send(request).await.unwrap_err();
    assert!(
        matches!(err, shepherd_transport::Error::RequestBody { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn missing_file_is_a_request_body_error() {
    let err = Form::new()
        .file("file", "/nonexistent/audio.mp3")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/audio.mp3"), "{err}");
}

#[tokio::test]
async fn names_are_escaped_and_bytes_parts_work() {
    let form =
        Form::with_boundary("b").bytes_part("file", &b"pcm"[..], "a\"b\r\n.wav", "audio/wav");
    let transport = MemoryTransport::from_fn(|_req| Response::new(ResponseBody::empty()));
    let request = http::Request::post("http://mock/")
        .body(form.into_body())
        .unwrap();
    transport.send(request).await.unwrap();
    let body = transport.requests()[0].body.clone();
    let text = std::str::from_utf8(&body).unwrap();
    assert!(text.contains("filename=\"a%22b%0D%0A.wav\""), "{text}");
    assert!(text.contains("\r\n\r\npcm\r\n--b--\r\n"), "{text}");
}

#[tokio::test]
async fn a_failing_upload_over_hyper_is_a_request_body_error() {
    let server = serve(|req: http::Request<hyper::body::Incoming>| async move {
        let _ = req.into_body().collect().await;
        Response::new(full("ok"))
    })
    .await;
    let file = temp_file(b"short", ".bin");
    let handle = tokio::fs::File::open(file.path()).await.unwrap();
    let form = Form::new().file_part("file", FilePart::from_file(handle, 1 << 20, "x.bin"));
    let request = http::Request::post(server.url("/upload"))
        .header("content-type", form.content_type())
        .body(form.into_body())
        .unwrap();
    let err = HyperTransport::new()
        .unwrap()
        .send(request)
        .await
        .unwrap_err();
    assert!(
        matches!(err, shepherd_transport::Error::RequestBody { .. }),
        "{err}"
    );
    assert!(!err.is_retry_safe());
}
