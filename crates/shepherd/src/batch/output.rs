//! Output lines: formatting results in the Batch output format, and the single writer of both files.
//!
//! One thread owns both files and writes each line whole (`write_all` of the line and its
//! `\n`). Lines are gathered into one write per file while more are queued, and written
//! as soon as the queue is empty, so a killed process loses at most the lines still in
//! the channel and leaves at most one half-written last line, which a resume repairs.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::input::InvalidLine;
use crate::Error;
use crate::types::batch::{BatchLineError, BatchOutputLine, BatchResponse};

/// One finished line, serialized, without its newline.
#[derive(Debug)]
pub(crate) enum Record {
    /// Goes to the output file.
    Success(String),
    /// Goes to the error file.
    Failure(String),
}

/// The id of the output line for input line `line`: `batch_req_<line>`.
///
/// The id names the input line so that a resumed run can recognise lines that have no
/// usable custom_id (malformed lines, duplicates) and so a reader can trace every output
/// line back to its input.
pub(crate) fn line_id(line: u64) -> String {
    format!("batch_req_{line}")
}

/// The input line number a `batch_req_<line>` id names.
pub(crate) fn line_of_id(id: &str) -> Option<u64> {
    id.strip_prefix("batch_req_")?.parse().ok()
}

/// `text` without the whitespace outside its strings: one line for any valid JSON.
///
/// Hand-written because it runs on every answer of a batch: parsing into a
/// `serde_json::Value` and printing it again cost 20k instructions a line (callgrind),
/// a third of the runner's work per line. Only ASCII whitespace outside strings is
/// dropped, so UTF-8 and escapes pass through unchanged; on invalid JSON the result is
/// invalid too and the caller's `RawValue` check rejects it.
fn compact_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for ch in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
        } else if ch == '"' {
            in_string = true;
        } else if matches!(ch, ' ' | '\n' | '\r' | '\t') {
            continue;
        }
        out.push(ch);
    }
    out
}

/// A success line; `body` is valid JSON (checked when it arrived).
pub(crate) fn success_line(
    line: u64,
    custom_id: &str,
    status: u16,
    request_id: &str,
    body: &[u8],
) -> String {
    let text = String::from_utf8_lossy(body);
    // A pretty-printed answer (OpenAI's are) would break the one-line-per-result format:
    // compact it.
    let compacted;
    let text: &str = if text.contains(['\n', '\r']) {
        compacted = compact_json(&text);
        &compacted
    } else {
        &text
    };
    let raw = match serde_json::from_str::<&RawValue>(text) {
        Ok(raw) => raw,
        // Unreachable for checked bodies; an error line rather than broken JSON.
        Err(_) => {
            return failure_line(
                line,
                custom_id,
                "invalid_response",
                "the response body is not JSON",
                None,
            );
        }
    };
    let out = BatchOutputLine::success(
        line_id(line),
        custom_id,
        BatchResponse {
            status_code: status,
            request_id: request_id.to_owned(),
            body: raw,
        },
    );
    serde_json::to_string(&out).unwrap_or_else(|e| {
        failure_line(
            line,
            custom_id,
            "invalid_response",
            &format!("cannot write the response: {e}"),
            None,
        )
    })
}

/// The HTTP part of a failure, when the server answered with an error status.
pub(crate) struct ErrorResponse {
    pub(crate) status: u16,
    pub(crate) request_id: String,
    pub(crate) body: serde_json::Value,
}

/// An error line: `response` is the server's error answer when there was one.
pub(crate) fn failure_line(
    line: u64,
    custom_id: &str,
    code: &str,
    message: &str,
    response: Option<ErrorResponse>,
) -> String {
    let out = BatchOutputLine {
        id: line_id(line),
        custom_id: custom_id.to_owned(),
        response: response.map(|r| BatchResponse {
            status_code: r.status,
            request_id: r.request_id,
            body: r.body,
        }),
        error: Some(BatchLineError::new(code, message)),
    };
    // Serializing strings and JSON values cannot fail; the fallback keeps the line count exact anyway.
    serde_json::to_string(&out).unwrap_or_else(|_| {
        format!(
            r#"{{"id":"{}","custom_id":{},"response":null,"error":{{"code":"internal","message":"unwritable error"}}}}"#,
            line_id(line),
            serde_json::Value::String(custom_id.to_owned())
        )
    })
}

/// The error line of an invalid input line.
pub(crate) fn invalid_line(invalid: &InvalidLine) -> String {
    failure_line(
        invalid.line,
        invalid.custom_id.as_deref().unwrap_or(""),
        invalid.code,
        &invalid.message(),
        None,
    )
}

/// The writer's handle: a bounded queue to the writing thread.
pub(crate) struct Writer {
    tx: mpsc::Sender<Record>,
    thread: tokio::task::JoinHandle<Result<(), Error>>,
}

/// Bytes gathered before one write; bounds the writer's memory.
const CHUNK: usize = 256 * 1024;

impl Writer {
    /// Starts the writing thread over two files opened for appending.
    pub(crate) fn start(
        output: File,
        output_path: PathBuf,
        errors: File,
        errors_path: PathBuf,
        queue: usize,
    ) -> Self {
        let (tx, mut rx) = mpsc::channel::<Record>(queue.max(1));
        let thread = tokio::task::spawn_blocking(move || {
            let mut files = [
                (output, output_path, Vec::new()),
                (errors, errors_path, Vec::new()),
            ];
            while let Some(first) = rx.blocking_recv() {
                let mut next = Some(first);
                while let Some(record) = next {
                    let (index, line) = match record {
                        Record::Success(line) => (0, line),
                        Record::Failure(line) => (1, line),
                    };
                    let buffer = &mut files[index].2;
                    buffer.extend_from_slice(line.as_bytes());
                    buffer.push(b'\n');
                    if files.iter().map(|f| f.2.len()).sum::<usize>() >= CHUNK {
                        break;
                    }
                    next = rx.try_recv().ok();
                }
                for (file, path, buffer) in &mut files {
                    if !buffer.is_empty() {
                        file.write_all(buffer).map_err(|e| io_error(path, e))?;
                        buffer.clear();
                    }
                }
            }
            for (file, path, _) in &mut files {
                file.flush()
                    .and_then(|()| file.sync_data())
                    .map_err(|e| io_error(path, e))?;
            }
            Ok(())
        });
        Writer { tx, thread }
    }

    /// A sender for workers.
    pub(crate) fn sender(&self) -> mpsc::Sender<Record> {
        self.tx.clone()
    }

    /// Waits until every queued line is written and the files are synced.
    pub(crate) async fn finish(self) -> Result<(), Error> {
        drop(self.tx);
        match self.thread.await {
            Ok(result) => result,
            Err(e) => Err(Error::Config(format!("the output writer stopped: {e}"))),
        }
    }
}

pub(crate) fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacting_keeps_strings_and_values_exactly() {
        let pretty = "{\n  \"a b\": \"x  y\\\" \\\\\",\n\t\"n\": [1, 2.5e3, null, true],\r\n  \"é\": \"\u{1F40F} \\n\"\n}\n";
        let compact = compact_json(pretty);
        assert!(!compact.contains(['\n', '\r', '\t']));
        let a: serde_json::Value = serde_json::from_str(pretty).expect("pretty parses");
        let b: serde_json::Value = serde_json::from_str(&compact).expect("compact parses");
        assert_eq!(a, b);
        assert!(compact.contains("\"x  y\\\" \\\\\""), "{compact}");
    }

    #[test]
    fn lines_have_the_batch_output_shape() {
        let ok = success_line(4, "a", 200, "req_1", b"{\n  \"x\": 1\n}");
        assert!(!ok.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&ok).expect("json");
        assert_eq!(v["id"], "batch_req_4");
        assert_eq!(v["response"]["body"]["x"], 1);
        assert!(v["error"].is_null());
        assert_eq!(line_of_id("batch_req_4"), Some(4));

        let failed = failure_line(
            5,
            "b\"q",
            "server_error",
            "500 from /chat/completions",
            None,
        );
        let v: serde_json::Value = serde_json::from_str(&failed).expect("json");
        assert_eq!(v["custom_id"], "b\"q");
        assert!(v["response"].is_null());
        assert_eq!(v["error"]["code"], "server_error");
    }
}
