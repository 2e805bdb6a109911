//! A progress bar on standard error while cases run, for runs on a
//! terminal with more than a few cases; the report itself goes on through
//! the wrapped reporter, printed above the bar.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use itspec_runner::{Event, Reporter};

/// Runs with this many cases or fewer get no bar.
pub const FEW_CASES: usize = 5;

/// Wraps a reporter with a progress bar.
pub struct Progress<R> {
    inner: R,
    bar: Option<ProgressBar>,
    enabled: bool,
}

impl<R: Reporter> Progress<R> {
    /// `enabled`: standard error is a terminal.
    pub fn new(inner: R, enabled: bool) -> Self {
        Self {
            inner,
            bar: None,
            enabled,
        }
    }

    /// The wrapped reporter.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Reporter> Reporter for Progress<R> {
    fn event(&mut self, event: Event<'_>) {
        match &event {
            Event::RunStarted { cases, .. } if self.enabled && *cases > FEW_CASES => {
                let bar = ProgressBar::with_draw_target(
                    Some(u64::try_from(*cases).unwrap_or(u64::MAX)),
                    ProgressDrawTarget::stderr(),
                );
                if let Ok(style) =
                    ProgressStyle::with_template("{bar:30} {pos}/{len} cases  {elapsed}  {msg}")
                {
                    bar.set_style(style);
                }
                self.inner.event(event);
                self.bar = Some(bar);
                return;
            }
            Event::CaseFinished { result, .. } => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                    bar.set_message(result.id.clone());
                }
            }
            Event::RunFinished { .. } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
            }
            _ => {}
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| self.inner.event(event)),
            None => self.inner.event(event),
        }
    }
}
