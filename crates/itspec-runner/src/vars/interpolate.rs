//! Writing variables into text and JSON (FORMAT §4.1): inside text a
//! variable becomes its text; an unquoted variable in JSON becomes its JSON
//! value.

use itspec_spec::interpolation::find;
use itspec_spec::model::{Value as SpecValue, ValueKind};
use serde_json::{Map, Value};

use super::scope::{Scope, VarError};

/// The text form of a value: strings as they are, anything else as JSON.
pub fn to_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Replaces every `{{…}}` of a text by the variable's text.
pub fn interpolate_text(text: &str, scope: &Scope) -> Result<String, VarError> {
    let found = find(text);
    if found.is_empty() {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for variable in found {
        if !variable.terminated {
            continue;
        }
        out.push_str(text.get(last..variable.start).unwrap_or(""));
        out.push_str(&to_text(&scope.lookup(variable.name(text))?));
        last = variable.end;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    Ok(out)
}

/// A spec value with its variables replaced: unquoted variables by their
/// JSON value, variables inside strings by their text.
pub fn interpolate_json(value: &SpecValue, scope: &Scope) -> Result<Value, VarError> {
    Ok(match &value.kind {
        ValueKind::Null => Value::Null,
        ValueKind::Bool(b) => Value::Bool(*b),
        ValueKind::Number(n) => Value::Number(n.clone()),
        ValueKind::String(s) => Value::String(interpolate_text(s, scope)?),
        ValueKind::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| interpolate_json(item, scope))
                .collect::<Result<_, _>>()?,
        ),
        ValueKind::Object(members) => {
            let mut object = Map::with_capacity(members.len());
            for member in members {
                object.insert(
                    interpolate_text(&member.key.value, scope)?,
                    interpolate_json(&member.value, scope)?,
                );
            }
            Value::Object(object)
        }
        ValueKind::Var(var) => scope.lookup(&var.name)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use itspec_spec::Span;
    use serde_json::json;

    #[test]
    fn text_takes_the_text_form() {
        let mut scope = Scope::new();
        scope.set("qty", json!(2));
        scope.set("sku", json!("SKU-1"));
        scope.set("obj", json!({"a": 1}));
        assert_eq!(
            interpolate_text("/items/{{sku}}?n={{qty}}", &scope).unwrap(),
            "/items/SKU-1?n=2"
        );
        assert_eq!(interpolate_text("{{obj}}", &scope).unwrap(), "{\"a\":1}");
        assert_eq!(
            interpolate_text("{{missing}}", &scope).unwrap_err().message,
            "`missing` is not defined"
        );
    }

    #[test]
    fn unquoted_variables_keep_their_type() {
        let mut scope = Scope::new();
        scope.set("qty", json!(2));
        let span = Span::default();
        let value = SpecValue::new(
            ValueKind::Object(vec![
                itspec_spec::model::Member {
                    key: itspec_spec::Spanned::new("quantity".into(), span),
                    value: SpecValue::new(
                        ValueKind::Var(itspec_spec::model::VarRef {
                            name: "qty".into(),
                            span,
                        }),
                        span,
                    ),
                },
                itspec_spec::model::Member {
                    key: itspec_spec::Spanned::new("label".into(), span),
                    value: SpecValue::new(ValueKind::String("n={{qty}}".into()), span),
                },
            ]),
            span,
        );
        assert_eq!(
            interpolate_json(&value, &scope).unwrap(),
            json!({"quantity": 2, "label": "n=2"})
        );
    }
}
