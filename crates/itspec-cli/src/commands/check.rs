//! `itspec check`: parse and lint, report every problem in one pass.

use anyhow::Result;
use itspec_contract::Contracts;
use itspec_report::diagnostics::{Counts, FileReport, render_github, render_human, render_json};
use itspec_spec::{Diagnostic, LintOptions, Severity};

use super::Context;
use crate::cli::{CheckArgs, Format};
use crate::exit_codes;
use crate::load::SpecText;
use crate::output::print;

/// What is kept of a checked file: its text only when there is something
/// to show in it.
struct Checked {
    path: String,
    text: String,
    diagnostics: Vec<Diagnostic>,
    /// The mocks the spec defines.
    mocks: Vec<String>,
}

fn check_one(
    spec: SpecText,
    options: &LintOptions,
    contracts: &Contracts,
    undocumented: Severity,
) -> Checked {
    let mut mocks = Vec::new();
    let diagnostics = match spec.utf8_diagnostic() {
        Some(diagnostic) => vec![diagnostic],
        None => {
            let checked = itspec_contract::check(&spec.text, options, contracts, undocumented);
            mocks = checked
                .spec
                .mocks
                .iter()
                .map(|m| m.name.value.clone())
                .collect();
            checked.diagnostics
        }
    };
    Checked {
        path: spec.display_path(),
        text: if diagnostics.is_empty() {
            String::new()
        } else {
            spec.text
        },
        diagnostics,
        mocks,
    }
}

/// A `{{mocks.NAME.…}}` of itspec.toml that names a mock neither the file
/// nor a spec defines.
fn unknown_mocks(context: &Context, checked: &[Checked]) -> Result<()> {
    let Some(loaded) = &context.config else {
        return Ok(());
    };
    let defined: std::collections::BTreeSet<&str> = loaded
        .config
        .mocks
        .keys()
        .map(String::as_str)
        .chain(
            checked
                .iter()
                .flat_map(|c| c.mocks.iter().map(String::as_str)),
        )
        .collect();
    for (setting, mock) in itspec_config::interpolate::mocks_named(&loaded.config) {
        if !defined.contains(mock.as_str()) {
            let known = if defined.is_empty() {
                "none is defined".to_string()
            } else {
                format!(
                    "the mocks are {}",
                    defined.iter().copied().collect::<Vec<_>>().join(", ")
                )
            };
            anyhow::bail!(
                "invalid configuration {}: {setting} uses {{{{mocks.{mock}.…}}}}, but no mock `{mock}` is defined ({known}): define it in a spec's Mocks or add [mocks.{mock}]",
                loaded.path.as_deref().map_or_else(
                    || itspec_config::FILE_NAME.to_string(),
                    crate::load::display
                )
            );
        }
    }
    Ok(())
}

/// Runs the command.
pub fn run(context: &Context, args: &CheckArgs) -> Result<u8> {
    let known = super::KnownVars::new(
        context,
        args.vars.iter().map(|(name, _)| name.clone()).collect(),
    );
    let contracts = context.contracts()?;
    let undocumented = context.undocumented_status();
    let checked = super::map_spec_files(context, &args.paths, |spec| {
        let options = known.options(&spec.path, args.strict);
        check_one(spec, &options, &contracts, undocumented)
    })?;
    unknown_mocks(context, &checked)?;
    let reports: Vec<FileReport<'_>> = checked
        .iter()
        .map(|file| FileReport {
            path: &file.path,
            text: &file.text,
            diagnostics: &file.diagnostics,
        })
        .collect();
    let counts = Counts::of(&reports);
    let output = match args.format {
        Format::Human => {
            let mut out: String = reports
                .iter()
                .map(|r| render_human(r, context.color))
                .collect();
            out.push_str(&summary(&reports, counts));
            out
        }
        Format::Json => render_json(&reports) + "\n",
        Format::Github => {
            let mut out: String = reports.iter().map(render_github).collect();
            out.push_str(&summary(&reports, counts));
            out
        }
    };
    print(&output)?;
    Ok(if counts.errors > 0 {
        exit_codes::FAILURE
    } else {
        exit_codes::SUCCESS
    })
}

fn summary(reports: &[FileReport<'_>], counts: Counts) -> String {
    let specs = plural(counts.files, "spec");
    if counts.errors == 0 && counts.warnings == 0 {
        return format!("itspec: {specs} checked, no problems\n");
    }
    let with_problems = reports.iter().filter(|r| !r.diagnostics.is_empty()).count();
    format!(
        "itspec: {} and {} in {with_problems} of {specs}\n",
        plural(counts.errors, "error"),
        plural(counts.warnings, "warning"),
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
