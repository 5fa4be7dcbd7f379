//! Progress of a run, on standard error: a bar per stage on a terminal
//! (indicatif), plain log lines otherwise (CI, cron, a redirected log), and
//! nothing with `--quiet`. Progress never goes to standard output and never
//! into an output file.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Bars on a terminal, log lines when standard error is not one.
    Auto,
    /// Nothing (`--quiet`).
    Quiet,
}

enum Display {
    Bars(Option<ProgressBar>),
    Lines,
    Silent,
}

/// The progress of one run: stages, and files within the reading stage.
pub struct Progress {
    display: Display,
    stage: Option<(String, Instant)>,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new(ProgressMode::Quiet)
    }
}

impl Progress {
    pub fn new(mode: ProgressMode) -> Self {
        let display = match mode {
            ProgressMode::Quiet => Display::Silent,
            ProgressMode::Auto if std::io::stderr().is_terminal() => Display::Bars(None),
            ProgressMode::Auto => Display::Lines,
        };
        Self {
            display,
            stage: None,
        }
    }

    /// A new stage; `work` is its size in bytes when known (a bar), or
    /// `None` (a spinner).
    pub fn stage(&mut self, label: &str, work: Option<u64>) {
        self.finish();
        self.stage = Some((label.to_string(), Instant::now()));
        match &mut self.display {
            Display::Bars(bar) => {
                let new = match work {
                    Some(total) => ProgressBar::new(total).with_style(
                        ProgressStyle::with_template(
                            "{prefix:.bold} [{bar:30}] {binary_bytes}/{binary_total_bytes} {elapsed} {msg}",
                        )
                        .expect("a valid template")
                        .progress_chars("=> "),
                    ),
                    None => {
                        let spinner = ProgressBar::new_spinner().with_style(
                            ProgressStyle::with_template("{prefix:.bold} {spinner} {elapsed}")
                                .expect("a valid template"),
                        );
                        spinner.enable_steady_tick(Duration::from_millis(120));
                        spinner
                    }
                };
                new.set_prefix(label.to_string());
                *bar = Some(new);
            }
            Display::Lines => eprintln!("shnor: {label}"),
            Display::Silent => {}
        }
    }

    /// One unit of the stage's work is done: `what` (a file) of `bytes`.
    pub fn advance(&self, what: &str, bytes: u64, how: &str) {
        match &self.display {
            Display::Bars(Some(bar)) => {
                bar.inc(bytes);
                bar.set_message(what.to_string());
            }
            Display::Lines => {
                let elapsed = self
                    .stage
                    .as_ref()
                    .map(|(_, t)| t.elapsed().as_secs_f64())
                    .unwrap_or_default();
                eprintln!("shnor:   {what} ({how}) на {elapsed:.1} с");
            }
            _ => {}
        }
    }

    /// Ends the current stage (its bar disappears; a log line gives its time).
    pub fn finish(&mut self) {
        let Some((label, started)) = self.stage.take() else {
            return;
        };
        match &mut self.display {
            Display::Bars(bar) => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
            }
            Display::Lines => {
                eprintln!(
                    "shnor: {label}: готово за {:.1} с",
                    started.elapsed().as_secs_f64()
                )
            }
            Display::Silent => {}
        }
    }

    /// Runs `print` with the bar hidden, so that its lines are not torn.
    pub fn suspend<T>(&self, print: impl FnOnce() -> T) -> T {
        match &self.display {
            Display::Bars(Some(bar)) => bar.suspend(print),
            _ => print(),
        }
    }
}
