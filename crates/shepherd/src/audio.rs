//! Audio: transcription from a path or bytes (streamed upload) and speech to bytes, a file or a stream.

use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use http::Method;
use shepherd_resilience::concurrency::ConcurrencyPermit;
use shepherd_transport::{ResponseBody, Transport};
use shepherd_types::audio::{SpeechRequest, Transcription, TranscriptionRequest};
use tokio::io::AsyncWriteExt;

use crate::client::{Call, FileSource, MultipartSpec, Payload};
use crate::response::Response;
use crate::{Client, Error, cache};

const TRANSCRIPTIONS: &str = "/audio/transcriptions";
const SPEECH: &str = "/audio/speech";

impl<T: Transport> Client<T> {
    /// Transcribes an audio file, streaming it from disk (it is never read whole, whatever its size).
    ///
    /// For the `text`, `srt` and `vtt` formats the body is returned as [`Transcription::text`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be opened, or any call error.
    pub async fn transcribe_file(
        &self,
        path: impl AsRef<Path>,
        request: TranscriptionRequest,
    ) -> Result<Response<Transcription>, Error> {
        let (file, file_name) = FileSource::local(path.as_ref(), "audio").await?;
        self.transcribe(file, file_name, request, None).await
    }

    /// Transcribes audio already in memory; `file_name`'s extension tells the server the format.
    /// With a cache configured, the result is cached by the audio's content hash.
    ///
    /// # Errors
    ///
    /// Any call error.
    pub async fn transcribe_bytes(
        &self,
        audio: impl Into<Bytes>,
        file_name: impl Into<String>,
        request: TranscriptionRequest,
    ) -> Result<Response<Transcription>, Error> {
        let audio = audio.into();
        let key = self
            .inner
            .cache
            .as_ref()
            .map(|_| cache::content_key(TRANSCRIPTIONS, &audio, &request.form_fields()));
        self.transcribe(FileSource::Bytes(audio), file_name.into(), request, key)
            .await
    }

    async fn transcribe(
        &self,
        file: FileSource,
        file_name: String,
        request: TranscriptionRequest,
        cache_key: Option<u64>,
    ) -> Result<Response<Transcription>, Error> {
        let json = request.response_format.as_ref().is_none_or(|f| f.is_json());
        if let (Some(cache), Some(key)) = (&self.inner.cache, cache_key)
            && let Some(body) = cache.get(key)
            && let Ok(t) = serde_json::from_slice::<Transcription>(&body)
        {
            let meta = crate::ResponseMeta::cached(Some(request.model.clone()));
            return Ok(Response::new(t, meta));
        }
        let spec = MultipartSpec {
            fields: request.form_fields(),
            file_field: "file".to_owned(),
            file,
            file_name,
        };
        let call = Call {
            method: Method::POST,
            path: TRANSCRIPTIONS,
            payload: Payload::Multipart(Arc::new(spec)),
            tokens: 0,
            accept: None,
        };
        let max = self.inner.max_body;
        let mut response = self
            .execute(&call, |resp, _| async move {
                let body = resp.into_body().collect_limited(max).await?;
                if json {
                    serde_json::from_slice::<Transcription>(&body)
                        .map_err(|e| Error::decode("transcription", TRANSCRIPTIONS, e, &body))
                } else {
                    Ok(Transcription {
                        text: String::from_utf8_lossy(&body).into_owned(),
                        ..Transcription::default()
                    })
                }
            })
            .await?;
        let seconds = response
            .duration
            .or_else(|| response.usage.as_ref().and_then(|u| u.seconds));
        let cost = seconds.and_then(|s| self.inner.prices.audio_cost(s, &request.model).ok());
        let target = response.meta().target.clone();
        self.inner.costs.record(&request.model, &target, cost);
        let meta = response.meta_mut();
        meta.cost_usd = cost;
        meta.model = Some(request.model.clone());
        if let (Some(cache), Some(key)) = (&self.inner.cache, cache_key)
            && let Ok(bytes) = serde_json::to_vec(&*response)
        {
            cache.put(key, Bytes::from(bytes), cost.unwrap_or(0.0));
        }
        Ok(response)
    }

    /// Synthesizes speech and returns the audio bytes.
    ///
    /// # Errors
    ///
    /// Any call error.
    pub async fn speech(&self, request: SpeechRequest) -> Result<Response<Bytes>, Error> {
        let stream = self.speech_stream(request).await?;
        let (mut stream, meta) = stream.into_parts();
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(Response::new(Bytes::from(out), meta))
    }

    /// Synthesizes speech straight into a file, chunk by chunk; returns the bytes written.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be written, or any call error. A failed download
    /// leaves no partial file behind.
    pub async fn speech_to_file(
        &self,
        request: SpeechRequest,
        path: impl AsRef<Path>,
    ) -> Result<Response<u64>, Error> {
        let path = path.as_ref();
        let (stream, meta) = self.speech_stream(request).await?.into_parts();
        let written = write_stream(stream, path).await?;
        Ok(Response::new(written, meta))
    }

    /// Synthesizes speech as a stream of audio chunks, as the server sends them.
    ///
    /// # Errors
    ///
    /// Any call error up to the response headers; later errors are stream items.
    pub async fn speech_stream(
        &self,
        request: SpeechRequest,
    ) -> Result<Response<ByteStream>, Error> {
        let chars = request.input.chars().count() as u64;
        let model = request.model.clone();
        let body = serde_json::to_vec(&request)
            .map_err(|e| Error::Config(format!("cannot serialize the speech request: {e}")))?;
        let call = Call {
            method: Method::POST,
            path: SPEECH,
            payload: Payload::Json(Bytes::from(body)),
            tokens: 0,
            accept: None,
        };
        let mut response = self
            .execute(&call, |resp, attempt| async move {
                Ok(ByteStream::new(resp.into_body(), attempt.take_permit()))
            })
            .await?;
        let cost = self.inner.prices.speech_cost(chars, &model).ok();
        let target = response.meta().target.clone();
        self.inner.costs.record(&model, &target, cost);
        response.meta_mut().cost_usd = cost;
        response.meta_mut().model = Some(model);
        Ok(response)
    }
}

/// A response body as a stream of byte chunks, holding its concurrency permit until dropped.
pub struct ByteStream {
    body: ResponseBody,
    _permit: Option<ConcurrencyPermit>,
}

impl ByteStream {
    pub(crate) fn new(body: ResponseBody, permit: Option<ConcurrencyPermit>) -> Self {
        ByteStream {
            body,
            _permit: permit,
        }
    }
}

impl std::fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteStream").finish_non_exhaustive()
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.body
            .poll_next_unpin(cx)
            .map(|item| item.map(|r| r.map_err(Error::from)))
    }
}

/// Writes a byte stream to `path` through a temporary file renamed at the end,
/// so a failed download never leaves a truncated file under the final name.
pub(crate) async fn write_stream<S>(mut stream: S, path: &Path) -> Result<u64, Error>
where
    S: Stream<Item = Result<Bytes, Error>> + Unpin,
{
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension(match path.extension() {
        Some(ext) => format!("{}.part", ext.to_string_lossy()),
        None => "part".to_owned(),
    });
    let mut file = tokio::fs::File::create(&tmp).await.map_err(io)?;
    let mut written = 0u64;
    let result: Result<(), Error> = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            file.write_all(&chunk).await.map_err(io)?;
            written += chunk.len() as u64;
        }
        file.flush().await.map_err(io)?;
        file.sync_all().await.map_err(io)?;
        Ok(())
    }
    .await;
    drop(file);
    match result {
        Ok(()) => {
            tokio::fs::rename(&tmp, path).await.map_err(io)?;
            Ok(written)
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            Err(e)
        }
    }
}
