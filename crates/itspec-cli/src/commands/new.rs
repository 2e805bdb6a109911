//! `itspec new`: the template with its header filled in, Status Draft.

use anyhow::{Context as _, Result, bail};
use itspec_spec::template::{NewSpec, render_new};

use super::Context;
use crate::cli::NewArgs;
use crate::exit_codes;
use crate::output::{eprint, print};

/// Runs the command.
pub fn run(_context: &Context, args: &NewArgs) -> Result<u8> {
    let component = args.component.join(" ");
    if component.trim().is_empty() {
        bail!("the component name is empty: write it like `itspec new \"Inventory Reservation\"`");
    }
    if let Some(contract) = &args.contract
        && itspec_spec::model::Contract::parse(contract).is_none()
    {
        bail!(
            "`{contract}` is not an API contract: write `POST /path` or `openapi.yaml#operationId`"
        );
    }
    let text = render_new(&NewSpec {
        component: component.trim().to_string(),
        stories: args
            .stories
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        contract: args.contract.clone(),
        priority: args.priority.into(),
    });
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
