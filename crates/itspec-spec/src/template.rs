//! The seed template: its text, its slot names, and `itspec new`.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The integration-test-spec template, verbatim.
pub const TEMPLATE: &str = include_str!("template.md");

/// The names of the template's `{{slots}}`: `component_name`, `field`, …
pub fn slots() -> &'static HashSet<String> {
    static SLOTS: OnceLock<HashSet<String>> = OnceLock::new();
    SLOTS.get_or_init(|| {
        crate::interpolation::find(TEMPLATE)
            .iter()
            .map(|found| found.name(TEMPLATE).to_string())
            .collect()
    })
}

/// Whether a `{{name}}` is one of the template's slots.
pub fn is_slot(name: &str) -> bool {
    slots().contains(name)
}

/// What `itspec new` fills in.
#[derive(Clone, Debug, Default)]
pub struct NewSpec {
    /// The component under test.
    pub component: String,
    /// Story ids.
    pub stories: Vec<String>,
    /// The API contract.
    pub contract: Option<String>,
    /// The priority (Medium unless given).
    pub priority: crate::model::Priority,
}

/// The template with its header (and the Related section) filled in and
/// Status Draft. Slots that were not given stay slots.
pub fn render_new(new: &NewSpec) -> String {
    let stories = (!new.stories.is_empty()).then(|| new.stories.join(", "));
    let mut text = TEMPLATE.replacen("{{component_name}}", new.component.trim(), 1);
    if let Some(stories) = &stories {
        text = text.replace("{{story_ids}}", stories);
    }
    if let Some(contract) = &new.contract {
        text = text.replace("{{api_contract}}", contract.trim());
    }
    text = text.replacen(
        "**Priority:** Critical | High | Medium | Low",
        &format!("**Priority:** {}", new.priority.as_str()),
        1,
    );
    text.replacen(
        "**Status:** Draft | Ready | Implemented",
        "**Status:** Draft",
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_come_from_the_template() {
        for slot in [
            "component_name",
            "field",
            "value",
            "Entity",
            "entity",
            "status_code",
            "request_a",
        ] {
            assert!(is_slot(slot), "{slot}");
        }
        assert!(!is_slot("sku"));
    }

    #[test]
    fn new_fills_the_header() {
        let text = render_new(&NewSpec {
            component: "Orders".to_string(),
            stories: vec!["US-1".to_string(), "US-2".to_string()],
            contract: Some("POST /orders".to_string()),
            priority: crate::model::Priority::High,
        });
        assert!(text.starts_with(
            "# Integration Test Spec: Orders\n\n**Related:** US-1, US-2, POST /orders\n**Priority:** High\n**Status:** Draft\n"
        ));
        assert!(text.contains("- **Stories:** US-1, US-2\n- **API Contract:** POST /orders\n"));
    }
}
