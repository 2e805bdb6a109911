//! What moves on standard error while a run goes on, on a terminal: a
//! spinner with the elapsed time while the service builds and starts, a
//! progress bar while cases run (for runs of more than a few cases), and
//! the iterations of a long concurrency case. The report itself goes on
//! through the wrapped reporter, printed above them.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use itspec_results::{Event, Reporter, Stamped};

/// Runs with this many cases or fewer get no bar.
pub const FEW_CASES: usize = 5;

/// Wraps a reporter with a progress bar.
pub struct Progress<R> {
    inner: R,
    /// The spinner while the service starts, then the cases' bar.
    bar: Option<ProgressBar>,
    /// The iterations of the concurrency case running, in a run without a
    /// cases' bar.
    iterations: Option<ProgressBar>,
    enabled: bool,
}

impl<R: Reporter> Progress<R> {
    /// `enabled`: standard error is a terminal.
    pub fn new(inner: R, enabled: bool) -> Self {
        Self {
            inner,
            bar: None,
            iterations: None,
            enabled,
        }
    }

    /// The wrapped reporter.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn bar(len: Option<u64>, template: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar
    }
}

impl<R: Reporter> Reporter for Progress<R> {
    fn report(&mut self, stamped: Stamped<'_>) {
        match &stamped.event {
            Event::ServiceStarting { .. } if self.enabled => {
                self.inner.report(stamped);
                let spinner = Self::bar(None, "{spinner} starting the service  {elapsed}");
                spinner.enable_steady_tick(Duration::from_millis(120));
                self.bar = Some(spinner);
                return;
            }
            Event::RunStarted { cases, .. } => {
                if let Some(spinner) = self.bar.take() {
                    spinner.finish_and_clear();
                }
                if self.enabled && *cases > FEW_CASES {
                    let len = u64::try_from(*cases).unwrap_or(u64::MAX);
                    self.inner.report(stamped);
                    self.bar = Some(Self::bar(
                        Some(len),
                        "{bar:30} {pos}/{len} cases  {elapsed}  {msg}",
                    ));
                    return;
                }
            }
            Event::IterationFinished {
                case,
                iteration,
                of,
                ..
            } if self.enabled => {
                match &self.bar {
                    Some(bar) => bar.set_message(format!("{case}: iteration {iteration} of {of}")),
                    None => {
                        let bar = self.iterations.get_or_insert_with(|| {
                            Self::bar(
                                Some(u64::from(*of)),
                                "{bar:30} {pos}/{len} iterations of {msg}  {elapsed}",
                            )
                        });
                        bar.set_message(case.to_string());
                        bar.set_position(u64::from(*iteration));
                    }
                }
                return;
            }
            Event::CaseFinished { result, .. } => {
                if let Some(bar) = self.iterations.take() {
                    bar.finish_and_clear();
                }
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                    bar.set_message(result.id.clone());
                }
            }
            Event::RunFinished { .. } => {
                for bar in [self.bar.take(), self.iterations.take()]
                    .into_iter()
                    .flatten()
                {
                    bar.finish_and_clear();
                }
            }
            _ => {}
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| self.inner.report(stamped)),
            None => self.inner.report(stamped),
        }
    }
}
