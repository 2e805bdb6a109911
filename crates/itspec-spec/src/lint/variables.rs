//! IT401 and IT406: every `{{variable}}` must come from somewhere
//! (FORMAT §4.1), and a payload fixture's keys must exist.

use std::collections::HashMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::interpolation::is_well_formed;
use crate::lint::LintOptions;
use crate::model::{
    ActionBody, AssertionKind, FixtureKind, FixtureSelection, OperandKind, Spec, TestCase, Value,
    ValueKind, VarContext, VarRef,
};
use crate::suggest::nearest;
use crate::template::is_slot;

/// Variables every case has.
const BUILTINS: &[&str] = &[
    "run_id", "case_id", "worker", "uuid", "now", "env", "mocks", "brokers", "mail",
];
/// Variables of a response, known after the request.
const RESPONSE: &[&str] = &["status", "headers", "body"];

pub(crate) fn check(spec: &Spec, options: &LintOptions, out: &mut Vec<Diagnostic>) {
    let payloads: HashMap<&str, &Value> = spec
        .fixtures
        .iter()
        .chain(
            spec.cases
                .iter()
                .filter_map(|c| c.setup.as_ref())
                .flat_map(|s| &s.fixtures),
        )
        .filter_map(|f| match (&f.name, &f.kind) {
            (Some(name), FixtureKind::Payload(value)) => Some((name.value.as_str(), value)),
            _ => None,
        })
        .collect();
    let spec_fixtures: Vec<&str> = spec
        .fixtures
        .iter()
        .filter_map(|f| f.name.as_ref())
        .map(|n| n.value.as_str())
        .collect();
    let global: Vec<&str> = BUILTINS
        .iter()
        .copied()
        .chain(options.vars.iter().map(String::as_str))
        .collect();
    let checker = Checker {
        payloads: &payloads,
    };

    // Fixtures and mocks are interpolated outside any case.
    let spec_scope: Vec<&str> = global
        .iter()
        .copied()
        .chain(spec_fixtures.iter().copied())
        .collect();
    for var in &spec.vars {
        checker.var(var, &Scope::plain(&spec_scope), out);
    }

    let mut captured: Vec<&str> = Vec::new();
    for (index, case) in spec.cases.iter().enumerate() {
        let selected: Vec<&str> = match &case.fixtures {
            FixtureSelection::All => spec_fixtures.clone(),
            FixtureSelection::None => Vec::new(),
            FixtureSelection::Named(names) => names.iter().map(|n| n.value.as_str()).collect(),
        };
        let setup: Vec<&str> = case
            .setup
            .iter()
            .flat_map(|s| &s.fixtures)
            .filter_map(|f| f.name.as_ref())
            .map(|n| n.value.as_str())
            .collect();
        let later_captures: Vec<(&str, &str)> = spec
            .cases
            .iter()
            .skip(index)
            .flat_map(|c| {
                c.captures
                    .iter()
                    .map(move |cap| (cap.name.value.as_str(), c.id.value.as_str()))
            })
            .collect();
        let base: Vec<&str> = global
            .iter()
            .chain(&selected)
            .chain(&setup)
            .chain(&captured)
            .copied()
            .collect();
        let scope = Scope {
            base: &base,
            case,
            unselected: spec_fixtures
                .iter()
                .copied()
                .filter(|f| !selected.contains(f))
                .collect(),
            later_captures,
        };
        for usage in &case.vars {
            checker.var(&usage.var, &scope.at(usage.context), out);
        }
        for (i, action) in case.actions.iter().enumerate() {
            if let Some(ActionBody::With(var)) = &action.body {
                checker.var(var, &scope.at(VarContext::Action(i)), out);
            }
        }
        for assertion in case.all_assertions() {
            if let AssertionKind::Call { args, .. } = &assertion.kind {
                for arg in args {
                    if let OperandKind::Name(name) = &arg.kind {
                        let var = VarRef {
                            name: name.clone(),
                            span: arg.span,
                        };
                        checker.bare_var(&var, &scope.at(VarContext::AfterRequest), out);
                    }
                }
            }
        }
        captured.extend(case.captures.iter().map(|c| c.name.value.as_str()));
    }
}

struct Scope<'a> {
    base: &'a [&'a str],
    case: &'a TestCase,
    unselected: Vec<&'a str>,
    later_captures: Vec<(&'a str, &'a str)>,
}

/// The names known at one point of a case.
struct At<'a> {
    known: Vec<&'a str>,
    scope: Option<&'a Scope<'a>>,
    context: VarContext,
}

impl<'a> Scope<'a> {
    fn plain(names: &'a [&'a str]) -> At<'a> {
        At {
            known: names.to_vec(),
            scope: None,
            context: VarContext::BeforeRequest,
        }
    }

    fn at(&'a self, context: VarContext) -> At<'a> {
        let mut known: Vec<&str> = self.base.to_vec();
        match context {
            VarContext::BeforeRequest => {}
            VarContext::AfterRequest => {
                // A case that only publishes has no response to read.
                if !self.case.publishes_only() {
                    known.extend(RESPONSE);
                }
                known.extend(
                    self.case
                        .actions
                        .iter()
                        .filter(|a| !a.is_publish())
                        .map(|a| a.label.value.as_str()),
                );
            }
            VarContext::Action(index) => {
                let group = group_of(self.case, index);
                known.extend(
                    self.case
                        .actions
                        .iter()
                        .enumerate()
                        .filter(|(i, a)| group_of(self.case, *i) < group && !a.is_publish())
                        .map(|(_, a)| a.label.value.as_str()),
                );
            }
        }
        At {
            known,
            scope: Some(self),
            context,
        }
    }
}

/// The index of the group an action belongs to.
fn group_of(case: &TestCase, index: usize) -> usize {
    case.actions
        .iter()
        .take(index + 1)
        .skip(1)
        .filter(|a| !a.concurrent)
        .count()
}

struct Checker<'a> {
    payloads: &'a HashMap<&'a str, &'a Value>,
}

impl Checker<'_> {
    /// A variable written as a bare name, like a check's argument.
    fn bare_var(&self, var: &VarRef, at: &At<'_>, out: &mut Vec<Diagnostic>) {
        let mut found = Vec::new();
        self.var(var, at, &mut found);
        for mut diagnostic in found {
            diagnostic.message = diagnostic.message.replace(
                &format!("`{{{{{}}}}}`", var.name),
                &format!("`{}`", var.name),
            );
            out.push(diagnostic);
        }
    }

    fn var(&self, var: &VarRef, at: &At<'_>, out: &mut Vec<Diagnostic>) {
        if is_slot(&var.name) {
            return;
        }
        if !is_well_formed(&var.name) {
            out.push(
                Diagnostic::error(
                    Code::UnknownVariable,
                    var.span,
                    format!("`{}` is not a variable name", var.name),
                )
                .with_help(
                    "write `{{name}}` or `{{name.path}}`: letters, digits, `_`, dots and `[0]`",
                ),
            );
            return;
        }
        let root = var.root();
        // A copy of an `(xN)` request is addressed as its label plus a number.
        let known = at.known.iter().any(|k| *k == root || label_copy(at, root));
        if known {
            if let Some(value) = self.payloads.get(root) {
                self.path(var, value, out);
            }
            return;
        }
        out.push(unknown(var, at));
    }

    /// Checks the path of `{{fixture.a.b}}` against a payload fixture.
    fn path(&self, var: &VarRef, value: &Value, out: &mut Vec<Diagnostic>) {
        let mut current = value;
        for key in var.path().split(['.', '[']).filter(|k| !k.is_empty()) {
            let key = key.trim_end_matches(']');
            let next = match &current.kind {
                ValueKind::Object(members) => members
                    .iter()
                    .find(|m| m.key.value == key)
                    .map(|m| &m.value),
                ValueKind::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                ValueKind::Var(_) => return,
                _ => None,
            };
            match next {
                Some(next) => current = next,
                None => {
                    let keys: Vec<&str> = match &current.kind {
                        ValueKind::Object(members) => {
                            members.iter().map(|m| m.key.value.as_str()).collect()
                        }
                        _ => Vec::new(),
                    };
                    let help = match nearest(key, keys.iter().copied()) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None if keys.is_empty() => format!(
                            "`{}` is {} here, with no keys",
                            var.root(),
                            current.type_name()
                        ),
                        None => format!(
                            "its keys are {}",
                            keys.iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    out.push(
                        Diagnostic::error(
                            Code::UnknownFixtureKey,
                            var.span,
                            format!("fixture `{}` has no key `{key}`", var.root()),
                        )
                        .with_note(value.span, "the fixture's value")
                        .with_help(help),
                    );
                    return;
                }
            }
        }
    }
}

fn label_copy(at: &At<'_>, root: &str) -> bool {
    let Some(scope) = at.scope else { return false };
    scope.case.actions.iter().any(|action| {
        at.known.contains(&action.label.value.as_str())
            && action.copies.is_some()
            && root
                .strip_prefix(action.label.value.as_str())
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= 1 && action.copies.as_ref().is_some_and(|c| n <= c.value))
    })
}

fn unknown(var: &VarRef, at: &At<'_>) -> Diagnostic {
    let root = var.root();
    let message = format!("unknown variable `{{{{{}}}}}`", var.name);
    let diagnostic = Diagnostic::error(Code::UnknownVariable, var.span, message);
    if RESPONSE.contains(&root) && at.scope.is_some_and(|scope| scope.case.publishes_only()) {
        return diagnostic.with_help(format!(
            "`{root}` would be the response, and a case that publishes a message has none"
        ));
    }
    if RESPONSE.contains(&root) {
        return diagnostic.with_help(format!(
            "`{root}` is the response, known only after the request: use it in Expected Output, Expected, Assertions or Capture"
        ));
    }
    if let Some(scope) = at.scope {
        if let Some(action) = scope.case.actions.iter().find(|a| a.label.value == root) {
            if action.is_publish() {
                return diagnostic
                    .with_note(action.label.span, "a message published")
                    .with_help(format!(
                        "{root} publishes a message, which has no response to read"
                    ));
            }
            if let VarContext::Action(_) = at.context {
                return diagnostic
                    .with_note(action.label.span, "this request")
                    .with_help(format!("request {root} has not answered yet here: a request can use the responses of earlier groups only"));
            }
            return diagnostic.with_help(format!("request {root}'s response is known only after the requests: use it in Expected or Assertions"));
        }
        if let Some((_, case)) = scope.later_captures.iter().find(|(name, _)| *name == root) {
            return diagnostic.with_help(format!("`{root}` is captured by {case}, which runs after this point: a capture serves the cases after its own"));
        }
        if scope.unselected.contains(&root) {
            return diagnostic.with_help(format!(
                "fixture `{root}` is not used by this case: add it to **Fixtures:**"
            ));
        }
    }
    match nearest(root, at.known.iter().copied().filter(|k| !BUILTINS.contains(k))) {
        Some(near) => diagnostic.with_help(format!("did you mean `{near}`?")),
        None => diagnostic.with_help(format!(
            "define it: `{root} = \"…\"` under [vars] in itspec.toml, `--var {root}=…`, a Setup fixture, or a Capture in an earlier case"
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::{Code, LintOptions, check};

    const HEAD: &str =
        "# Integration Test Spec: X\n\n**Priority:** Low\n**Status:** Ready\n\n## Test Cases\n\n";

    /// The unknown variables of a spec, as (name as written, help).
    fn unknown(cases: &str) -> Vec<(String, String)> {
        let text = format!("{HEAD}{cases}");
        check(
            &text,
            &LintOptions {
                vars: vec!["configured".into()],
                ..LintOptions::default()
            },
        )
        .diagnostics
        .into_iter()
        .filter(|d| d.code == Code::UnknownVariable || d.code == Code::UnknownFixtureKey)
        .map(|d| (text[d.span.range()].to_string(), d.help.unwrap_or_default()))
        .collect()
    }

    #[test]
    fn captures_serve_later_cases_only() {
        let found = unknown(
            "### TC-INT-001: A\n\n**Request:** GET /a/{{id}}\n\n**Capture:**\n- id = body.id\n\n### TC-INT-002: B\n\n**Request:** GET /b/{{id}}\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "{{id}}");
        assert!(
            found[0].1.contains("captured by TC-INT-001"),
            "{}",
            found[0].1
        );
    }

    #[test]
    fn the_response_is_known_after_the_request() {
        let found = unknown(
            "### TC-INT-001: A\n\n**Request:** GET /a/{{body.id}}\n\n**Assertions:**\n- body.id == {{body.id}}\n- header X == {{headers.X}}\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.starts_with("`body` is the response"),
            "{}",
            found[0].1
        );
    }

    #[test]
    fn requests_use_earlier_groups_only() {
        let found = unknown(
            "### TC-INT-001: A\n\n**Actions:**\n1. Request A: POST /login\n2. Request B (concurrent): GET /x/{{A.body.id}}\n3. Request C: GET /y/{{A.body.id}}/{{B.body.id}}\n\n**Assertions:**\n- C.body.id == {{B.body.id}}\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "{{A.body.id}}");
        assert!(
            found[0].1.contains("has not answered yet"),
            "{}",
            found[0].1
        );
    }

    #[test]
    fn copies_are_addressed_by_number() {
        let found = unknown(
            "### TC-INT-001: A\n\n**Actions:**\n1. Request A (x3): POST /a\n2. Request B: GET /b/{{A2.body.id}}/{{A4.body.id}}\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "{{A4.body.id}}");
    }

    #[test]
    fn builtins_config_env_and_fixtures_are_known() {
        let found = unknown(
            "### TC-INT-001: A\n\n**Fixtures:** none\n\n**Setup:**\n```python\ndef payload():\n    return {\"a\": {\"b\": [1, 2]}}\n```\n\n**Request:** GET /a/{{run_id}}/{{uuid}}/{{configured}}/{{env.HOME}}/{{payload.a.b[1]}}/{{payload.a.c}}/{{stock.id}}\n\n## Data Fixtures\n\n```yaml stock\ninventory:\n  - { sku: A }\n```\n",
        );
        let written: Vec<_> = found.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(written, ["{{payload.a.c}}", "{{stock.id}}"], "{found:?}");
        assert!(
            found[1].1.contains("not used by this case"),
            "{}",
            found[1].1
        );
    }
}
