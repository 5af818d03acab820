//! `multipart/form-data` request bodies, with file parts streamed from disk.

use std::collections::VecDeque;
use std::fmt;
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use tokio::fs::File;
use tokio::io::AsyncReadExt;

use crate::body::Body;
use crate::error::Error;

/// How much of a file is read per chunk.
const CHUNK: usize = 64 * 1024;

/// A `multipart/form-data` body: text fields and files, for uploads such as audio
/// transcription.
///
/// Files are streamed from disk in 64 KiB chunks while the request is sent, never read whole,
/// so uploads of any size use constant memory. The total length is known in advance, so the
/// request carries a `Content-Length` (some APIs reject chunked uploads).
///
/// # Examples
///
/// ```no_run
/// use shepherd_transport::multipart::Form;
///
/// # async fn run() -> Result<(), shepherd_transport::Error> {
/// let form = Form::new()
///     .text("model", "whisper-1")
///     .file("file", "interview.mp3")
///     .await?;
/// let content_type = form.content_type();
/// let request = http::Request::post("https://api.openai.com/v1/audio/transcriptions")
///     .header("content-type", content_type)
///     .body(form.into_body())
///     .map_err(shepherd_transport::Error::other)?;
/// # let _ = request;
/// # Ok(())
/// # }
/// ```
pub struct Form {
    boundary: String,
    segments: Vec<Segment>,
}

enum Segment {
    Bytes(Bytes),
    File { file: File, len: u64 },
}

impl Segment {
    fn len(&self) -> u64 {
        match self {
            Segment::Bytes(bytes) => bytes.len() as u64,
            Segment::File { len, .. } => *len,
        }
    }
}

/// A file part: an open file, its length, its file name and its content type.
#[derive(Debug)]
pub struct FilePart {
    file: File,
    len: u64,
    file_name: String,
    content_type: String,
}

impl FilePart {
    /// Opens `path`. The file name is the path's last component and the content type is
    /// guessed from its extension (`application/octet-stream` if unknown).
    ///
    /// # Errors
    ///
    /// [`Error::RequestBody`] if the file cannot be opened or is not a regular file.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let file = File::open(path)
            .await
            .map_err(|e| request_body_error(path, e))?;
        let metadata = file
            .metadata()
            .await
            .map_err(|e| request_body_error(path, e))?;
        if !metadata.is_file() {
            return Err(Error::RequestBody {
                source: format!("{} is not a regular file", path.display()).into(),
            });
        }
        let file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        let content_type = mime_guess::from_path(path)
            .first_or_octet_stream()
            .essence_str()
            .to_owned();
        Ok(FilePart {
            file,
            len: metadata.len(),
            file_name,
            content_type,
        })
    }

    /// A part from an already open file of which `len` bytes from the current position are
    /// sent.
    pub fn from_file(file: File, len: u64, file_name: impl Into<String>) -> Self {
        let file_name = file_name.into();
        let content_type = mime_guess::from_path(&file_name)
            .first_or_octet_stream()
            .essence_str()
            .to_owned();
        FilePart {
            file,
            len,
            file_name,
            content_type,
        }
    }

    /// Overrides the file name sent to the server.
    pub fn file_name(mut self, file_name: impl Into<String>) -> Self {
        self.file_name = file_name.into();
        self
    }

    /// Overrides the content type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// The number of bytes that will be sent.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True if the file part is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("boundary", &self.boundary)
            .field("content_length", &self.content_length())
            .finish_non_exhaustive()
    }
}

impl Form {
    /// An empty form with a random boundary.
    pub fn new() -> Self {
        Self::with_boundary(random_boundary())
    }

    /// An empty form with a fixed boundary (for reproducible tests). The boundary must not
    /// occur in any part.
    pub fn with_boundary(boundary: impl Into<String>) -> Self {
        Form {
            boundary: boundary.into(),
            segments: Vec::new(),
        }
    }

    /// The boundary between parts.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The value of the request's `Content-Type` header.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// Adds a text field.
    pub fn text(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        let header = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n",
            self.boundary,
            escape(name)
        );
        let mut part = BytesMut::with_capacity(header.len() + value.len() + 2);
        part.extend_from_slice(header.as_bytes());
        part.extend_from_slice(value.as_bytes());
        part.extend_from_slice(b"\r\n");
        self.segments.push(Segment::Bytes(part.freeze()));
        self
    }

    /// Opens the file at `path` and adds it as a file part (see [`FilePart::open`]).
    ///
    /// # Errors
    ///
    /// [`Error::RequestBody`] if the file cannot be opened.
    pub async fn file(self, name: &str, path: impl AsRef<Path>) -> Result<Self, Error> {
        let part = FilePart::open(path).await?;
        Ok(self.file_part(name, part))
    }

    /// Adds a file part streamed from disk.
    pub fn file_part(mut self, name: &str, part: FilePart) -> Self {
        self.segments.push(Segment::Bytes(self.file_header(
            name,
            &part.file_name,
            &part.content_type,
        )));
        self.segments.push(Segment::File {
            file: part.file,
            len: part.len,
        });
        self.segments
            .push(Segment::Bytes(Bytes::from_static(b"\r\n")));
        self
    }

    /// Adds a file part from memory (for audio that is already in a buffer).
    pub fn bytes_part(
        mut self,
        name: &str,
        bytes: impl Into<Bytes>,
        file_name: &str,
        content_type: &str,
    ) -> Self {
        self.segments.push(Segment::Bytes(self.file_header(
            name,
            file_name,
            content_type,
        )));
        self.segments.push(Segment::Bytes(bytes.into()));
        self.segments
            .push(Segment::Bytes(Bytes::from_static(b"\r\n")));
        self
    }

    /// The exact number of bytes the body will have.
    pub fn content_length(&self) -> u64 {
        let parts: u64 = self.segments.iter().map(Segment::len).sum();
        parts + self.closing().len() as u64
    }

    /// The request body. Files are read while it is sent.
    pub fn into_body(self) -> Body {
        let len = self.content_length();
        let mut segments: VecDeque<Segment> = self.segments.into();
        segments.push_back(Segment::Bytes(Bytes::from(format!(
            "--{}--\r\n",
            self.boundary
        ))));
        let stream = futures_util::stream::unfold(segments, |mut segments| async move {
            match next_chunk(&mut segments).await {
                Ok(Some(chunk)) => Some((Ok(chunk), segments)),
                Ok(None) => None,
                Err(err) => {
                    // Nothing more can be sent after a failed read.
                    segments.clear();
                    Some((Err(err), segments))
                }
            }
        });
        Body::from_stream(stream, Some(len))
    }

    fn closing(&self) -> String {
        format!("--{}--\r\n", self.boundary)
    }

    fn file_header(&self, name: &str, file_name: &str, content_type: &str) -> Bytes {
        Bytes::from(format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            self.boundary,
            escape(name),
            escape(file_name),
            content_type.replace(['\r', '\n'], "")
        ))
    }
}

async fn next_chunk(segments: &mut VecDeque<Segment>) -> Result<Option<Bytes>, Error> {
    loop {
        let Some(front) = segments.front_mut() else {
            return Ok(None);
        };
        match front {
            Segment::Bytes(_) => {
                if let Some(Segment::Bytes(bytes)) = segments.pop_front() {
                    return Ok(Some(bytes));
                }
            }
            Segment::File { len: 0, .. } => {
                segments.pop_front();
            }
            Segment::File { file, len } => {
                let want = usize::try_from(*len).unwrap_or(usize::MAX).min(CHUNK);
                let mut buf = BytesMut::zeroed(want);
                let read = file.read(&mut buf).await.map_err(|e| Error::RequestBody {
                    source: Box::new(e),
                })?;
                if read == 0 {
                    return Err(Error::RequestBody {
                        source: "the file became shorter while it was being uploaded".into(),
                    });
                }
                buf.truncate(read);
                *len -= read as u64;
                return Ok(Some(buf.freeze()));
            }
        }
    }
}

/// Escapes a name for a quoted header parameter the way browsers do.
fn escape(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn request_body_error(path: &Path, err: std::io::Error) -> Error {
    Error::RequestBody {
        source: format!("cannot read {}: {err}", path.display()).into(),
    }
}

/// A boundary that will not occur in the content by accident: 128 bits from the standard
/// library's randomly seeded hasher, without a dependency on a random number crate.
fn random_boundary() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let state = std::collections::hash_map::RandomState::new();
    let a = state.hash_one(n);
    let b = state.hash_one(a);
    format!("shepherd-{a:016x}{b:016x}")
}
