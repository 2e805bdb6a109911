//! The one reporter a run talks to: it fans every event out to the console
//! in the form asked for — text with a progress bar on a terminal, text
//! fenced for GitHub Actions, or JSON lines for tools — and writes every
//! file report each time a run finishes.

use std::io::Write as _;

use itspec_results::{Event, Reporter, RunResult, Stamped};

use crate::console::Console;
use crate::files::ReportFile;
use crate::jsonl::JsonLines;
use crate::progress::Progress;
use crate::results::github::{self, StopCommands};

/// What standard output carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleFormat {
    /// Text for people.
    Human,
    /// Text for people in GitHub Actions: fenced so no line the service
    /// sent is obeyed as a workflow command, annotations after it.
    Github,
    /// One JSON object per event (docs/machine-interface.md).
    Jsonl,
}

/// How the console reports.
#[derive(Clone, Copy, Debug)]
pub struct ConsoleOptions {
    /// Its format.
    pub format: ConsoleFormat,
    /// Colours.
    pub color: bool,
    /// Passed steps listed too.
    pub verbose: bool,
    /// A progress bar on standard error (it is a terminal).
    pub progress: bool,
}

/// The console and the file reports, behind one [`Reporter`].
pub struct Reporters {
    console: Box<dyn Reporter>,
    fence: Option<StopCommands>,
    files: Vec<ReportFile>,
    /// A file report could not be written (and that was said).
    unwritten: bool,
}

impl Reporters {
    /// The console as `options` say, and `files` written at the end of
    /// each run. Under GitHub Actions, the fence starts here.
    pub fn new(options: ConsoleOptions, files: Vec<ReportFile>) -> Self {
        let console: Box<dyn Reporter> = match options.format {
            ConsoleFormat::Jsonl => Box::new(JsonLines::new(std::io::stdout(), options.verbose)),
            ConsoleFormat::Human | ConsoleFormat::Github => {
                let console = Console::new(std::io::stdout(), options.color)
                    .github(options.format == ConsoleFormat::Github)
                    .verbose(options.verbose);
                Box::new(Progress::new(console, options.progress))
            }
        };
        let fence = (options.format == ConsoleFormat::Github).then(StopCommands::new);
        if let Some(fence) = &fence {
            print(&fence.stop());
        }
        Self {
            console,
            fence,
            files,
            unwritten: false,
        }
    }

    /// Whether a report shows what passed cases sent and received, so the
    /// run must keep it.
    pub fn need_passed_exchanges(files: &[ReportFile]) -> bool {
        files
            .iter()
            .any(|file| file.format.needs_passed_exchanges())
    }

    /// Ends the console's output with the last run's result: under GitHub
    /// Actions, the fence ends and the annotations follow. Returns whether
    /// every file report was written.
    pub fn finish(self, result: &RunResult) -> bool {
        if let Some(fence) = &self.fence {
            print(&fence.resume());
            print(&github::write(result));
        }
        !self.unwritten
    }
}

impl Reporter for Reporters {
    fn report(&mut self, stamped: Stamped<'_>) {
        self.console.report(stamped);
        if let Event::RunFinished { result } = stamped.event {
            for file in &self.files {
                if let Err(error) = file.write(result) {
                    self.unwritten = true;
                    // Said at once: a long `--watch` goes on.
                    let _ = writeln!(std::io::stderr(), "error: {error}");
                }
            }
        }
    }
}

/// Writes to standard output; a reader that went away is not an error.
fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}
