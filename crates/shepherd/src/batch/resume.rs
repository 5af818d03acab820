//! Resuming: what earlier runs already wrote, repairing a half-written last line, and `--retry-failed`.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use serde::de::IgnoredAny;

use super::ids::IdSet;
use super::output::{io_error, line_of_id};
use crate::Error;
use crate::types::batch::BatchOutputLine;

/// Lines earlier runs finished, read from the output and error files.
///
/// Memory: the custom_ids are kept in an [`IdSet`] (about 30 bytes plus the id's length
/// per id); the line numbers as a bit set, one bit per input line.
#[derive(Debug, Default)]
pub(crate) struct Done {
    pub(crate) ids: IdSet,
    lines: Vec<u64>,
}

impl Done {
    fn insert_line(&mut self, line: u64) {
        let (word, bit) = ((line / 64) as usize, line % 64);
        if self.lines.len() <= word {
            self.lines.resize(word + 1, 0);
        }
        self.lines[word] |= 1 << bit;
    }

    /// True when an earlier run wrote the line for input line `line`.
    pub(crate) fn has_line(&self, line: u64) -> bool {
        self.lines
            .get((line / 64) as usize)
            .is_some_and(|w| w & (1 << (line % 64)) != 0)
    }

    /// Lines found.
    pub(crate) fn len(&self) -> usize {
        self.lines.iter().map(|w| w.count_ones() as usize).sum()
    }
}

/// What [`open`] found and did.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) output: File,
    pub(crate) errors: File,
    pub(crate) done: Done,
    /// Bytes cut from half-written last lines.
    pub(crate) repaired_bytes: u64,
    /// Error lines removed for `retry_failed`.
    pub(crate) retried: u64,
}

/// Opens both files for appending.
///
/// Without `resume`, an existing non-empty file is an error (a finished run's results are
/// not overwritten by accident). With `resume`, each file's half-written last line is cut
/// off and the finished lines are collected; with `retry_failed` the error file is emptied
/// first, so its lines run again.
pub(crate) fn open(
    output: &Path,
    errors: &Path,
    resume: bool,
    retry_failed: bool,
) -> Result<Opened, Error> {
    if output == errors {
        return Err(Error::Config(format!(
            "the output and error files are the same file: {}",
            output.display()
        )));
    }
    let mut done = Done::default();
    let mut repaired_bytes = 0;
    let mut retried = 0;
    for (path, is_errors) in [(output, false), (errors, true)] {
        let existing = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if existing > 0 && !resume {
            return Err(Error::Config(format!(
                "{} already exists and is not empty; resume the run that wrote it (--resume) or move it away",
                path.display()
            )));
        }
        if existing == 0 {
            continue;
        }
        repaired_bytes += repair(path)?;
        if is_errors && retry_failed {
            retried += count_lines(path)?;
            File::create(path).map_err(|e| io_error(path, e))?;
            continue;
        }
        read_done(path, &mut done)?;
    }
    let append = |path: &Path| {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io_error(path, e))
    };
    Ok(Opened {
        output: append(output)?,
        errors: append(errors)?,
        done,
        repaired_bytes,
        retried,
    })
}

/// Cuts a file after its last `\n`; returns the bytes removed.
fn repair(path: &Path) -> Result<u64, Error> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    let len = file.metadata().map_err(|e| io_error(path, e))?.len();
    // Scan backwards in blocks for the last newline.
    let mut end = len;
    let mut block = vec![0u8; 64 * 1024];
    let keep = loop {
        if end == 0 {
            break 0;
        }
        let start = end.saturating_sub(block.len() as u64);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))
            .map_err(|e| io_error(path, e))?;
        file.read_exact(&mut block[..n])
            .map_err(|e| io_error(path, e))?;
        if let Some(i) = block[..n].iter().rposition(|b| *b == b'\n') {
            break start + i as u64 + 1;
        }
        end = start;
    };
    if keep < len {
        tracing::warn!(file = %path.display(), bytes = len - keep, "cut a half-written last line");
        file.set_len(keep).map_err(|e| io_error(path, e))?;
        file.sync_data().map_err(|e| io_error(path, e))?;
    }
    Ok(len - keep)
}

fn count_lines(path: &Path) -> Result<u64, Error> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut n = 0;
    for line in BufReader::new(file).split(b'\n') {
        line.map_err(|e| io_error(path, e))?;
        n += 1;
    }
    Ok(n)
}

fn read_done(path: &Path, done: &mut Done) -> Result<(), Error> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    for (index, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(|e| io_error(path, e))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed: BatchOutputLine<IgnoredAny> = serde_json::from_slice(&line).map_err(|e| {
            Error::Config(format!(
                "{}:{}: not a batch output line ({e}); this file was not written by a batch run",
                path.display(),
                index + 1
            ))
        })?;
        if let Some(n) = line_of_id(&parsed.id) {
            done.insert_line(n);
        }
        if !parsed.custom_id.is_empty() {
            done.ids.insert(&parsed.custom_id, 0);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_written_line_is_cut_and_finished_lines_are_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out.jsonl");
        let err = dir.path().join("err.jsonl");
        std::fs::write(
            &out,
            "{\"id\":\"batch_req_1\",\"custom_id\":\"a\",\"response\":null,\"error\":null}\n{\"id\":\"batch_req_2\",\"cus",
        )
        .expect("write");
        let opened = open(&out, &err, true, false).expect("opens");
        assert_eq!(
            opened.repaired_bytes,
            r#"{"id":"batch_req_2","cus"#.len() as u64
        );
        assert!(opened.done.ids.contains("a"));
        assert!(opened.done.has_line(1) && !opened.done.has_line(2));
        assert_eq!(opened.done.len(), 1);
        let text = std::fs::read_to_string(&out).expect("read");
        assert!(text.ends_with("}\n"));
        assert!(
            open(&out, &err, false, false).is_err(),
            "no silent overwrite"
        );
    }

    #[test]
    fn retry_failed_empties_the_error_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out.jsonl");
        let err = dir.path().join("err.jsonl");
        std::fs::write(
            &err,
            "{\"id\":\"batch_req_1\",\"custom_id\":\"a\",\"response\":null,\"error\":null}\n",
        )
        .expect("write");
        let opened = open(&out, &err, true, true).expect("opens");
        assert_eq!(opened.retried, 1);
        assert_eq!(opened.done.ids.len(), 0);
        assert_eq!(std::fs::metadata(&err).expect("exists").len(), 0);
    }
}
