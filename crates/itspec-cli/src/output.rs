//! Writing to standard output: colour choice, and a closed pipe
//! (`itspec list | head`) ends the program quietly instead of panicking.

use std::io::{IsTerminal, Write};

use crate::cli::Color;

/// Whether to colour output written to stdout.
pub fn use_color(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Writes text to stdout. A closed pipe is not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes a line to stderr (messages that are not the command's output).
pub fn eprint(text: &str) {
    let mut stderr = std::io::stderr().lock();
    // Nothing sensible can be done when stderr itself is gone.
    let _ = writeln!(stderr, "{text}");
}
