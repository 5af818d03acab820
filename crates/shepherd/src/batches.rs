//! The Batch API: create from a JSONL file, poll with backoff until done, download the results.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use shepherd_transport::Transport;
use shepherd_types::batch::{Batch, BatchList, CreateBatchRequest};
use shepherd_types::files::FilePurpose;

use crate::client::{Call, Payload, read_json};
use crate::files::path_segment;
use crate::response::Response;
use crate::{Client, Error};

/// How [`Client::wait_batch`] polls: from `initial` doubling to `max` between polls.
#[derive(Debug, Clone, Copy)]
pub struct PollSchedule {
    /// First wait (default 1 s).
    pub initial: Duration,
    /// Longest wait (default 60 s).
    pub max: Duration,
    /// Give up after this long (default none: a batch may take its whole 24 h window).
    pub timeout: Option<Duration>,
}

impl Default for PollSchedule {
    fn default() -> Self {
        PollSchedule {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            timeout: None,
        }
    }
}

/// Where a finished batch's results were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFiles {
    /// Bytes written to the output file (0 when the batch had none).
    pub output_bytes: u64,
    /// Bytes written to the error file (0 when the batch had none).
    pub error_bytes: u64,
}

impl<T: Transport> Client<T> {
    /// Uploads `jsonl` (purpose `batch`) and creates a batch over it for `endpoint`.
    ///
    /// # Errors
    ///
    /// Any upload or create error.
    pub async fn create_batch_from_file(
        &self,
        jsonl: impl AsRef<Path>,
        endpoint: &str,
    ) -> Result<Response<Batch>, Error> {
        let file = self.upload_file(jsonl, FilePurpose::Batch).await?;
        self.create_batch(CreateBatchRequest::new(file.id.clone(), endpoint))
            .await
    }

    /// `POST /batches`.
    ///
    /// # Errors
    ///
    /// Any call error.
    pub async fn create_batch(
        &self,
        request: CreateBatchRequest,
    ) -> Result<Response<Batch>, Error> {
        self.json("/batches", "batch", &request, 0).await
    }

    /// `GET /batches/{id}`.
    ///
    /// # Errors
    ///
    /// Any call error.
    pub async fn batch(&self, id: &str) -> Result<Response<Batch>, Error> {
        self.get_json(&format!("/batches/{}", path_segment(id)?), "batch")
            .await
    }

    /// `GET /batches` (first page).
    ///
    /// # Errors
    ///
    /// Any call error.
    pub async fn batches(&self) -> Result<Response<BatchList>, Error> {
        self.get_json("/batches", "batch list").await
    }

    /// `POST /batches/{id}/cancel`.
    ///
    /// # Errors
    ///
    /// Any call error.
    pub async fn cancel_batch(&self, id: &str) -> Result<Response<Batch>, Error> {
        let path = format!("/batches/{}/cancel", path_segment(id)?);
        let call = Call {
            method: Method::POST,
            path: &path,
            payload: Payload::Json(Bytes::from_static(b"{}")),
            tokens: 0,
            accept: None,
        };
        let max = self.inner.max_body;
        let p = path.as_str();
        self.execute(&call, |resp, _| read_json::<Batch>(resp, p, "batch", max))
            .await
    }

    /// Polls a batch with growing waits until it reaches a terminal status, calling
    /// `progress` after every poll.
    ///
    /// # Errors
    ///
    /// Any call error, or [`Error::Policy`] with [`PolicyKind::Deadline`](crate::PolicyKind::Deadline)
    /// when the schedule's timeout passes.
    pub async fn wait_batch(
        &self,
        id: &str,
        schedule: PollSchedule,
        mut progress: impl FnMut(&Batch),
    ) -> Result<Response<Batch>, Error> {
        let start = tokio::time::Instant::now();
        let mut wait = schedule.initial;
        loop {
            let batch = self.batch(id).await?;
            progress(&batch);
            if batch.status.is_terminal() {
                return Ok(batch);
            }
            if let Some(timeout) = schedule.timeout
                && start.elapsed() + wait > timeout
            {
                return Err(Error::Policy {
                    reason: format!("batch {id} still {} after {timeout:?}", batch.status),
                    kind: crate::PolicyKind::Deadline,
                    attempts: 0,
                    retry_after: None,
                    last: None,
                });
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(schedule.max);
        }
    }

    /// Downloads a finished batch's output and error files (streamed to disk).
    ///
    /// # Errors
    ///
    /// Any download error.
    pub async fn download_batch_results(
        &self,
        batch: &Batch,
        output: impl AsRef<Path>,
        errors: impl AsRef<Path>,
    ) -> Result<BatchFiles, Error> {
        let mut files = BatchFiles {
            output_bytes: 0,
            error_bytes: 0,
        };
        if let Some(id) = &batch.output_file_id {
            files.output_bytes = self.download_file(id, output).await?.into_inner();
        }
        if let Some(id) = &batch.error_file_id {
            files.error_bytes = self.download_file(id, errors).await?.into_inner();
        }
        Ok(files)
    }
}
