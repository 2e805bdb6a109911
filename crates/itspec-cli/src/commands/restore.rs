//! `itspec restore FILE`: puts back the rows a run saved when it could not
//! restore the database, and removes the file.

use anyhow::{Result, bail};
use itspec_runner::{PutBackError, Settings, put_back};

use super::Context;
use crate::cli::RestoreArgs;
use crate::exit_codes;
use crate::load::display;
use crate::output::{eprint, print};

/// Runs the command.
pub fn run(context: &Context, args: &RestoreArgs) -> Result<u8> {
    let Some(loaded) = &context.config else {
        bail!(
            "no itspec.toml above {}: run in the project the rows come from, or pass --config",
            display(&args.file)
        );
    };
    let settings = Settings::from_config(loaded)?;
    match put_back(&settings, &args.file) {
        Ok((rescue, done)) => {
            let what = if done.tables.is_empty() {
                "every table already held the rows recorded".to_string()
            } else {
                format!(
                    "put back {} as {} before {} ({} row{} written)",
                    done.tables
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if done.tables.len() == 1 {
                        "it was"
                    } else {
                        "they were"
                    },
                    rescue.before,
                    done.written,
                    if done.written == 1 { "" } else { "s" }
                )
            };
            print(&format!(
                "{what} in {}; removed {}\n",
                rescue.database,
                display(&args.file)
            ))?;
            Ok(exit_codes::SUCCESS)
        }
        Err(PutBackError::Usage(message)) => bail!(message),
        Err(PutBackError::Database(message)) => {
            eprint(&format!(
                "error: cannot put the rows back: {message}; {} is kept",
                display(&args.file)
            ));
            Ok(exit_codes::ENVIRONMENT)
        }
    }
}
