//! Literals: a Python value expression → a model [`Value`].
//!
//! Strings, numbers (`0x10`, `1_000`, `-2.5`, `Decimal("9.99")`), `True` /
//! `False` / `None`, lists, tuples and dicts, `{{placeholders}}`, locals
//! assigned earlier in the fixture, and a fixture parameter or its
//! attribute / key (`customer.id`) as a variable. Calls, arithmetic and
//! other names are refused, with a hint for the usual mistakes.

use std::collections::HashMap;

use super::{Errors, Reader, Unsupported, describe_expr, unsupported};
use crate::model::{Member, Value, ValueKind, VarRef};
use crate::parse::python::ast::{Expr, ExprKind};
use crate::source::Spanned;

impl Reader<'_, '_, '_> {
    /// A Python literal as a [`Value`].
    pub(super) fn literal(
        &self,
        expr: &Expr,
        deps: &[&str],
        locals: &HashMap<String, Value>,
    ) -> Result<Value, Unsupported> {
        let mut found = expr.unsupported_all().into_iter();
        if let Some((what, start, end)) = found.next() {
            let mut error = Unsupported::new(what, start, end);
            error.more = found.map(|(w, s, e)| (w.to_string(), s, e)).collect();
            return Err(error);
        }
        let span = self.span(expr.start, expr.end);
        let kind = match &expr.kind {
            ExprKind::Str { value, .. } => ValueKind::String(value.clone()),
            ExprKind::Int(text) => ValueKind::Number(int_value(text).ok_or_else(|| {
                Unsupported::new(format!("the number `{text}`"), expr.start, expr.end)
            })?),
            ExprKind::Float(text) => ValueKind::Number(float_value(text).ok_or_else(|| {
                Unsupported::new(format!("the number `{text}`"), expr.start, expr.end)
            })?),
            ExprKind::Bool(b) => ValueKind::Bool(*b),
            ExprKind::None => ValueKind::Null,
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                let mut errors = Errors::default();
                let values = items
                    .iter()
                    .filter_map(|item| errors.keep(self.literal(item, deps, locals)))
                    .collect();
                errors.into_result()?;
                ValueKind::Array(values)
            }
            ExprKind::Dict(entries) => {
                let mut errors = Errors::default();
                let mut members = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    let name = match &key.kind {
                        ExprKind::Str { value, .. } => value.clone(),
                        ExprKind::Int(text) => text.clone(),
                        _ => {
                            errors.keep::<()>(unsupported("a dict key that is not a string", key));
                            continue;
                        }
                    };
                    if let Some(value) = errors.keep(self.literal(value, deps, locals)) {
                        members.push(Member {
                            key: Spanned::new(name, self.span(key.start, key.end)),
                            value,
                        });
                    }
                }
                errors.into_result()?;
                ValueKind::Object(members)
            }
            ExprKind::Unary { op: "-", operand } => match &operand.kind {
                ExprKind::Int(text) => {
                    ValueKind::Number(int_value(&format!("-{text}")).ok_or_else(|| {
                        Unsupported::new(format!("the number `-{text}`"), expr.start, expr.end)
                    })?)
                }
                ExprKind::Float(text) => {
                    ValueKind::Number(float_value(&format!("-{text}")).ok_or_else(|| {
                        Unsupported::new(format!("the number `-{text}`"), expr.start, expr.end)
                    })?)
                }
                _ => return unsupported("arithmetic (`-`)", expr),
            },
            ExprKind::Name(name) if is_placeholder(name) => ValueKind::Var(VarRef {
                name: name
                    .trim_start_matches('{')
                    .trim_end_matches('}')
                    .trim()
                    .to_string(),
                span,
            }),
            ExprKind::Name(name) => match locals.get(name) {
                Some(value) => return Ok(value.clone()),
                None if deps.contains(&name.as_str()) => ValueKind::Var(VarRef {
                    name: name.clone(),
                    span,
                }),
                None => {
                    let hint = match name.as_str() {
                        "true" => ": JSON writes `true`; Python writes `True`",
                        "false" => ": JSON writes `false`; Python writes `False`",
                        "null" => ": JSON writes `null`; Python writes `None`",
                        _ => "",
                    };
                    return unsupported(
                        format!("a reference to `{name}`, which is not a fixture parameter{hint}"),
                        expr,
                    );
                }
            },
            ExprKind::Attr { .. } | ExprKind::Subscript { .. } => match dependency_path(expr) {
                Some((root, path)) if deps.contains(&root.as_str()) => ValueKind::Var(VarRef {
                    name: format!("{root}.{path}"),
                    span,
                }),
                _ => return unsupported(format!("{} in a value", describe_expr(expr)), expr),
            },
            ExprKind::Call { func, args, kwargs }
                if func.dotted().as_deref() == Some("Decimal") && kwargs.is_empty() =>
            {
                match args.as_slice() {
                    [
                        Expr {
                            kind: ExprKind::Str { value, .. },
                            ..
                        },
                    ] => match value.parse::<serde_json::Number>() {
                        Ok(number) => ValueKind::Number(number),
                        Err(_) => {
                            return unsupported(
                                format!("`Decimal(\"{value}\")`, which is not a number"),
                                expr,
                            );
                        }
                    },
                    _ => return unsupported("`Decimal` without a string argument", expr),
                }
            }
            ExprKind::Call { func, .. } => {
                let name = func.dotted().unwrap_or_else(|| "…".to_string());
                let hint = match name.as_str() {
                    "uuid4" | "uuid.uuid4" => ": write \"{{uuid}}\" for a fresh UUID",
                    "datetime.now" | "datetime.utcnow" | "datetime.datetime.now" => {
                        ": write \"{{now}}\" for the current time"
                    }
                    _ => "",
                };
                return unsupported(format!("the call `{name}(…)`{hint}"), expr);
            }
            ExprKind::Binary { op, .. } => {
                return unsupported(format!("an expression with `{op}`"), expr);
            }
            _ => return unsupported(format!("{} in a value", describe_expr(expr)), expr),
        };
        Ok(Value::new(kind, span))
    }
}

fn is_placeholder(name: &str) -> bool {
    name.starts_with("{{") && name.ends_with("}}") && name.matches("{{").count() == 1
}

/// `customer.id` or `customer["id"]` → (`customer`, `id`).
fn dependency_path(expr: &Expr) -> Option<(String, String)> {
    let mut parts = Vec::new();
    let mut current = expr;
    loop {
        match &current.kind {
            ExprKind::Attr { value, attr, .. } => {
                parts.push(attr.clone());
                current = value;
            }
            ExprKind::Subscript { value, index } => {
                match &index.kind {
                    ExprKind::Str { value: key, .. } => parts.push(key.clone()),
                    ExprKind::Int(i) => parts.push(i.clone()),
                    _ => return None,
                }
                current = value;
            }
            ExprKind::Name(root) => {
                parts.reverse();
                return Some((root.clone(), parts.join(".")));
            }
            _ => return None,
        }
    }
}

fn int_value(text: &str) -> Option<serde_json::Number> {
    let clean = text.replace('_', "");
    let (negative, digits) = match clean.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, clean),
    };
    let lower = digits.to_ascii_lowercase();
    let magnitude = if let Some(hex) = lower.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = lower.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if let Some(bin) = lower.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()?
    } else if lower.ends_with('j') {
        return None;
    } else {
        return format!("{}{lower}", if negative { "-" } else { "" })
            .parse()
            .ok();
    };
    Some(serde_json::Number::from(if negative {
        -magnitude
    } else {
        magnitude
    }))
}

fn float_value(text: &str) -> Option<serde_json::Number> {
    if text.to_ascii_lowercase().ends_with('j') {
        return None;
    }
    serde_json::Number::from_f64(text.replace('_', "").parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::super::Section;
    use super::super::testing::read;

    /// A payload fixture returning `expr`, whose value is the literal.
    fn returning(expr: &str) -> String {
        format!("def p():\n    return {expr}")
    }

    #[test]
    fn reads_literals() {
        let table = [
            (r#""SKU-1""#, r#""SKU-1""#),
            ("'single'", r#""single""#),
            (r#""{{now}}""#, r#""{{now}}""#),
            ("42", "42"),
            ("-7", "-7"),
            ("-(1)", "-1"),
            ("1_000", "1000"),
            ("0x1F", "31"),
            ("-0x10", "-16"),
            ("0o17", "15"),
            ("0b101", "5"),
            ("2.5", "2.5"),
            ("-0.5", "-0.5"),
            ("1e3", "1000.0"),
            ("True", "true"),
            ("False", "false"),
            ("None", "null"),
            (r#"Decimal("9.99")"#, "9.99"),
            ("[1, 'a', None]", r#"[1, "a", null]"#),
            ("(1, 2)", "[1, 2]"),
            ("[]", "[]"),
            (r#"{"a": 1, 2: "b"}"#, r#"{"a": 1, "2": "b"}"#),
            (
                r#"{"items": [{"sku": "A", "qty": -1}], "ok": True}"#,
                r#"{"items": [{"sku": "A", "qty": -1}], "ok": true}"#,
            ),
            ("{{sku}}", "{{sku}}"),
            ("{{ sku }}", "{{sku}}"),
        ];
        for (expr, expected) in table {
            read(Section::Setup, &returning(expr))
                .assert_reads(&[&format!("p: payload {expected}")]);
        }
    }

    #[test]
    fn reads_fixture_parameters_as_variables() {
        let table = [
            ("customer", "{{customer}}"),
            ("customer.id", "{{customer.id}}"),
            (r#"customer["id"]"#, "{{customer.id}}"),
            (
                r#"customer.address["lines"][0]"#,
                "{{customer.address.lines.0}}",
            ),
            ("order.customer.id", "{{order.customer.id}}"),
        ];
        for (expr, expected) in table {
            let python = format!("def p(customer, order):\n    return {{\"v\": {expr}}}");
            read(Section::Setup, &python)
                .assert_reads(&[&format!("p: payload {{\"v\": {expected}}}")]);
        }
    }

    #[test]
    fn refuses_what_is_not_a_literal() {
        let table: &[(&str, &[(&str, &str)])] = &[
            (
                "true",
                &[(
                    "a reference to `true`, which is not a fixture parameter: JSON writes `true`; Python writes `True`",
                    "true",
                )],
            ),
            (
                "null",
                &[(
                    "a reference to `null`, which is not a fixture parameter: JSON writes `null`; Python writes `None`",
                    "null",
                )],
            ),
            (
                "sku",
                &[(
                    "a reference to `sku`, which is not a fixture parameter",
                    "sku",
                )],
            ),
            (
                "uuid4()",
                &[(
                    "the call `uuid4(…)`: write \"{{uuid}}\" for a fresh UUID",
                    "uuid4()",
                )],
            ),
            (
                "datetime.now()",
                &[(
                    "the call `datetime.now(…)`: write \"{{now}}\" for the current time",
                    "datetime.now()",
                )],
            ),
            ("str(1)", &[("the call `str(…)`", "str(1)")]),
            ("1 + 2", &[("an expression with `+`", "1 + 2")]),
            ("-x", &[("arithmetic (`-`)", "-x")]),
            ("0b12", &[("the number `0b12`", "0b12")]),
            ("1j", &[("the number `1j`", "1j")]),
            (
                r#"Decimal("abc")"#,
                &[(
                    r#"`Decimal("abc")`, which is not a number"#,
                    r#"Decimal("abc")"#,
                )],
            ),
            (
                "Decimal(1)",
                &[("`Decimal` without a string argument", "Decimal(1)")],
            ),
            (
                "other.id",
                &[("the attribute `other.id` in a value", "other.id")],
            ),
            ("{x: 1}", &[("a dict key that is not a string", "x")]),
            ("lambda: 1", &[("a lambda", "lambda: 1")]),
            // Every problem of a list or dict is reported, in order.
            (
                "[f\"a{b}\", b\"x\", 3]",
                &[("an f-string", "f\"a{b}\""), ("a bytes literal", "b\"x\"")],
            ),
            (
                r#"{"a": undefined, "b": 2 * 3}"#,
                &[
                    (
                        "a reference to `undefined`, which is not a fixture parameter",
                        "undefined",
                    ),
                    ("an expression with `*`", "2 * 3"),
                ],
            ),
        ];
        for (expr, expected) in table {
            read(Section::Setup, &returning(expr)).assert_unsupported(expected, &[]);
        }
    }
}
