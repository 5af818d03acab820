//! Progress while a batch runs: an indicatif bar on a terminal, a plain line every few seconds otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use shepherd::batch::{Progress, ProgressSnapshot};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How often the plain (non-terminal) progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(3);

/// A running progress display; [`finish`](Display::finish) removes it.
pub(crate) struct Display {
    done: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Display {
    pub(crate) fn start(progress: Progress, label: &str) -> Self {
        let (done, mut stopped) = oneshot::channel();
        let label = label.to_owned();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let bar = std::io::stderr().is_terminal().then(|| new_bar(&label));
            let every = if bar.is_some() {
                Duration::from_millis(100)
            } else {
                PLAIN_EVERY
            };
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {}
                }
                let s = progress.snapshot();
                match &bar {
                    Some(bar) => {
                        if s.total > 0 && bar.length() != Some(s.total) {
                            bar.set_length(s.total);
                        }
                        bar.set_position(s.done());
                        bar.set_message(counters(&s));
                    }
                    None => eprintln!("{}", plain_line(&label, &s, started.elapsed())),
                }
            }
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
        });
        Display { done, task }
    }

    pub(crate) async fn finish(self) {
        let _ = self.done.send(());
        let _ = self.task.await;
    }
}

fn new_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let template = format!(
        "{label} {{bar:30.cyan/blue}} {{human_pos}}/{{human_len}} {{per_sec:.bold}} ETA {{eta}}  {{wide_msg}}"
    );
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("█▉▊▋▌▍▎▏ "));
    }
    bar
}

fn counters(s: &ProgressSnapshot) -> String {
    format!(
        "ok {} · failed {} · invalid {} · in flight {} · retries {} · 429s {} · {} tokens · ${:.4}",
        s.succeeded, s.failed, s.invalid, s.in_flight, s.retries, s.throttled, s.tokens, s.cost_usd
    )
}

fn plain_line(label: &str, s: &ProgressSnapshot, elapsed: Duration) -> String {
    let rate = (s.succeeded + s.failed) as f64 / elapsed.as_secs_f64().max(1e-3);
    let total = if s.total > 0 {
        s.total.to_string()
    } else {
        "?".into()
    };
    let eta = if s.total > s.done() && rate > 0.0 {
        format!(", ETA {:.0} s", (s.total - s.done()) as f64 / rate)
    } else {
        String::new()
    };
    format!(
        "{label}: {}/{total} done, {rate:.0}/s{eta}; {}",
        s.done(),
        counters(s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_line_shows_done_total_and_rate() {
        let s = ProgressSnapshot {
            total: 100,
            succeeded: 40,
            failed: 10,
            ..ProgressSnapshot::default()
        };
        let line = plain_line("batch", &s, Duration::from_secs(5));
        assert!(
            line.starts_with("batch: 50/100 done, 10/s, ETA 5 s; ok 40 · failed 10"),
            "{line}"
        );
    }
}
