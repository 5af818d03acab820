//! The response body: a script of data, pauses, resets and a success marker.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

use crate::conn::ConnControl;
use crate::stats::Recorder;

/// One step of a body script.
#[derive(Debug)]
pub(crate) enum Step {
    Data(Bytes),
    Sleep(Duration),
    /// Fail the body and reset the connection.
    Reset,
    /// Everything before this reached hyper: count the answer as delivered.
    Success,
}

/// Counts a delivered answer for one request body.
#[derive(Debug)]
pub(crate) struct SuccessHook {
    pub recorder: Arc<Recorder>,
    pub body_hash: u64,
}

/// A body that plays a script; wall-clock pauses use `tokio::time`, so paused-clock tests
/// see them as virtual time.
#[derive(Debug)]
pub(crate) struct MockBody {
    steps: VecDeque<Step>,
    sleep: Option<Pin<Box<Sleep>>>,
    conn: Option<Arc<ConnControl>>,
    on_success: Option<SuccessHook>,
    exact_len: Option<u64>,
}

impl MockBody {
    /// A body of known length delivered at once.
    pub(crate) fn full(bytes: Bytes) -> Self {
        let len = bytes.len() as u64;
        let mut steps = VecDeque::with_capacity(2);
        if !bytes.is_empty() {
            steps.push_back(Step::Data(bytes));
        }
        MockBody {
            steps,
            sleep: None,
            conn: None,
            on_success: None,
            exact_len: Some(len),
        }
    }

    /// A scripted body; its length is not announced through the size hint.
    pub(crate) fn script(steps: VecDeque<Step>, conn: Arc<ConnControl>) -> Self {
        MockBody {
            steps,
            sleep: None,
            conn: Some(conn),
            on_success: None,
            exact_len: None,
        }
    }

    /// Counts the answer as delivered once the body has been handed over entirely
    /// (a full body gets its success marker appended).
    pub(crate) fn on_success(mut self, hook: Option<SuccessHook>) -> Self {
        let Some(hook) = hook else { return self };
        self.on_success = Some(hook);
        if self.exact_len.is_some() {
            if self.steps.is_empty() {
                // Hyper never polls an empty body of exact length zero.
                self.succeed();
            } else {
                self.steps.push_back(Step::Success);
            }
        }
        self
    }

    fn succeed(&mut self) {
        if let Some(hook) = self.on_success.take() {
            hook.recorder.answered(hook.body_hash);
        }
    }

    fn drain_success(&mut self) {
        while matches!(self.steps.front(), Some(Step::Success)) {
            self.steps.pop_front();
            self.succeed();
        }
    }
}

impl http_body::Body for MockBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        loop {
            if let Some(sleep) = this.sleep.as_mut() {
                ready!(sleep.as_mut().poll(cx));
                this.sleep = None;
            }
            match this.steps.pop_front() {
                None => return Poll::Ready(None),
                Some(Step::Sleep(d)) => this.sleep = Some(Box::pin(tokio::time::sleep(d))),
                Some(Step::Success) => this.succeed(),
                Some(Step::Reset) => {
                    if let Some(conn) = &this.conn {
                        conn.request_reset();
                    }
                    this.steps.clear();
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "mock fault: connection reset mid-body",
                    ))));
                }
                Some(Step::Data(bytes)) => {
                    // Hyper stops polling once the body says it has ended, so the marker
                    // behind the last data frame must be consumed now.
                    this.drain_success();
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.steps.is_empty() && self.sleep.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact_len {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}
