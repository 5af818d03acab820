//! Files: upload (streamed from disk), retrieve, list, delete, and download (streamed to disk).

use std::path::Path;
use std::sync::Arc;

use http::Method;
use shepherd_transport::Transport;
use shepherd_types::files::{DeletedFile, FileList, FileObject, FilePurpose};

use crate::audio::{ByteStream, write_stream};
use crate::client::{Call, FileSource, MultipartSpec, Payload, read_json};
use crate::response::Response;
use crate::{Client, Error};

impl<T: Transport> Client<T> {
    /// Uploads a file for `purpose`, streaming it from disk.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, or any call error.
    pub async fn upload_file(
        &self,
        path: impl AsRef<Path>,
        purpose: FilePurpose,
    ) -> Result<Response<FileObject>, Error> {
        let (file, file_name) = FileSource::local(path.as_ref(), "upload").await?;
        let spec = MultipartSpec {
            fields: vec![("purpose".to_owned(), purpose.to_string())],
            file_field: "file".to_owned(),
            file,
            file_name,
        };
        let call = Call {
            method: Method::POST,
            path: "/files",
            payload: Payload::Multipart(Arc::new(spec)),
            tokens: 0,
            accept: None,
        };
        let max = self.inner.max_body;
        self.execute(&call, |resp, _| {
            read_json::<FileObject>(resp, "/files", "file object", max)
        })
        .await
    }

    /// `GET /files/{id}`.
    ///
    /// # Errors
    ///
    /// Any call error.
    pub async fn file(&self, id: &str) -> Result<Response<FileObject>, Error> {
        self.get_json(&format!("/files/{}", path_segment(id)?), "file object")
            .await
    }

    /// `GET /files` (first page).
    ///
    /// # Errors
    ///
    /// Any call error.
    pub async fn files(&self) -> Result<Response<FileList>, Error> {
        self.get_json("/files", "file list").await
    }

    /// `DELETE /files/{id}`.
    ///
    /// # Errors
    ///
    /// Any call error.
    pub async fn delete_file(&self, id: &str) -> Result<Response<DeletedFile>, Error> {
        let path = format!("/files/{}", path_segment(id)?);
        let call = Call {
            method: Method::DELETE,
            path: &path,
            payload: Payload::Empty,
            tokens: 0,
            accept: None,
        };
        let max = self.inner.max_body;
        let p = path.as_str();
        self.execute(&call, |resp, _| {
            read_json::<DeletedFile>(resp, p, "deleted file", max)
        })
        .await
    }

    /// Streams a file's content (`GET /files/{id}/content`) to `dest`; returns the bytes written.
    /// The file appears under `dest` only once complete.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `dest` cannot be written, or any call error.
    pub async fn download_file(
        &self,
        id: &str,
        dest: impl AsRef<Path>,
    ) -> Result<Response<u64>, Error> {
        let path = format!("/files/{}/content", path_segment(id)?);
        let call = Call {
            method: Method::GET,
            path: &path,
            payload: Payload::Empty,
            tokens: 0,
            accept: None,
        };
        let response = self
            .execute(&call, |resp, attempt| async move {
                Ok(ByteStream::new(resp.into_body(), attempt.take_permit()))
            })
            .await?;
        let (stream, meta) = response.into_parts();
        let written = write_stream(stream, dest.as_ref()).await?;
        Ok(Response::new(written, meta))
    }
}

/// Checks an id before it goes into a URL path (no `/`, `?`, `#` or whitespace).
pub(crate) fn path_segment(id: &str) -> Result<&str, Error> {
    if id.is_empty()
        || id
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '%') || c.is_whitespace())
    {
        return Err(Error::Config(format!("{id:?} is not a valid id")));
    }
    Ok(id)
}
