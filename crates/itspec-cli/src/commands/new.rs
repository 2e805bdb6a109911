//! `itspec new`: the template with its header filled in, Status Draft —
//! or, with `--from-openapi`, with its cases written from an operation.

use anyhow::{Context as _, Result, bail};
use itspec_contract::{Contract, scaffold};
use itspec_spec::template::{NewSpec, render_new};

use super::Context;
use crate::cli::NewArgs;
use crate::exit_codes;
use crate::output::{eprint, print};

/// Runs the command.
pub fn run(context: &Context, args: &NewArgs) -> Result<u8> {
    let component = args.component.join(" ");
    if component.trim().is_empty() && args.from_openapi.is_none() {
        bail!("the component name is empty: write it like `itspec new \"Inventory Reservation\"`");
    }
    if let Some(contract) = &args.contract
        && itspec_spec::model::Contract::parse(contract).is_none()
    {
        bail!(
            "`{contract}` is not an API contract: write `POST /path` or `openapi.yaml#operationId`"
        );
    }
    let new = NewSpec {
        component: component.trim().to_string(),
        stories: args
            .stories
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        contract: args.contract.clone(),
        priority: args.priority.into(),
    };
    let text = match (&args.from_openapi, &args.operation) {
        (Some(file), Some(reference)) => from_openapi(context, file, reference, &new)?,
        _ => render_new(&new),
    };
    match &args.output {
        None => print(&text)?,
        Some(path) => {
            if path.exists() && !args.force {
                bail!(
                    "{} already exists: choose another file, or pass --force to overwrite it",
                    path.display()
                );
            }
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprint(&format!(
                "wrote {} (Status: Draft); fill in its placeholders, then `itspec check {}`",
                path.display(),
                path.display()
            ));
        }
    }
    Ok(exit_codes::SUCCESS)
}

/// The spec for one operation of the document at `file`. Its Related names
/// the document as specs resolve it: by its path from itspec.toml's folder
/// when it lies inside it, else by its file name (which finds the
/// configured document); without itspec.toml, as given.
fn from_openapi(
    context: &Context,
    file: &std::path::Path,
    reference: &str,
    new: &NewSpec,
) -> Result<String> {
    let shown = crate::load::display(file);
    let mut contract = Contract::load(file, &shown).map_err(anyhow::Error::msg)?;
    let reference = reference.strip_prefix('#').unwrap_or(reference);
    let Some(operation) = contract.find(reference).cloned() else {
        let hint = match contract.nearest(reference) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "it has {}",
                contract
                    .operations()
                    .iter()
                    .map(|o| o.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        bail!("{shown} has no operation `{reference}`: {hint}");
    };
    if let Some(loaded) = &context.config {
        let inside = std::path::absolute(file)
            .ok()
            .zip(std::path::absolute(loaded.dir()).ok())
            .and_then(|(file, dir)| {
                file.strip_prefix(&dir)
                    .ok()
                    .map(|p| p.display().to_string())
            });
        contract.file = inside.unwrap_or_else(|| {
            file.file_name()
                .map_or(shown.clone(), |n| n.to_string_lossy().into_owned())
        });
    }
    Ok(scaffold(&contract, &operation, new))
}
