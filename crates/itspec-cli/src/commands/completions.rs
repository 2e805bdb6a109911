//! `itspec completions SHELL` and `itspec man`: the command line described
//! for shells (clap_complete) and for `man` (clap_mangen), from the same
//! clap types that parse it, so they never drift from it.

use anyhow::Result;
use clap::CommandFactory as _;

use crate::cli::Cli;
use crate::exit_codes;
use crate::output::print;

/// Prints the completion script for `shell`.
pub fn print_completions(shell: clap_complete::Shell) -> Result<u8> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "itspec", &mut script);
    print(&String::from_utf8_lossy(&script))?;
    Ok(exit_codes::SUCCESS)
}

/// Prints the manual page of itspec, or of one of its commands
/// (`itspec-run(1)`, as git has a page per command).
pub fn man(command: Option<&str>) -> Result<u8> {
    let itspec = Cli::command();
    let page = match command {
        None => itspec,
        Some(name) => {
            let Some(sub) = itspec.find_subcommand(name) else {
                let names: Vec<&str> = itspec.get_subcommands().map(|s| s.get_name()).collect();
                anyhow::bail!(
                    "itspec has no command `{name}`: its commands are {}",
                    names.join(", ")
                );
            };
            let title = format!("itspec-{name}");
            sub.clone().name(title.clone()).display_name(title)
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page).render(&mut roff)?;
    print(&String::from_utf8_lossy(&roff))?;
    Ok(exit_codes::SUCCESS)
}
