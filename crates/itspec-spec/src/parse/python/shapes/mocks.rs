//! Mocks: `def payments(mocker): return mocker.patch("module.path",
//! return_value=…)` in the Mocks section, read as a [`MockKind::Patch`].

use std::collections::HashMap;

use super::{Def, Reader, Unsupported, describe_expr, describe_statement, unsupported};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Mock, MockKind, Value, ValueKind};
use crate::parse::python::ast::{Expr, ExprKind, Stmt, StmtKind};
use crate::source::Spanned;

impl Reader<'_, '_, '_> {
    /// A `def` in Mocks.
    pub(super) fn mock_def(&mut self, def: Def<'_>) {
        let param_names = def.param_names();
        let first = param_names.first().copied();
        if first != Some("mocker") || param_names.len() != 1 {
            self.cx.push(
                Diagnostic::error(
                    Code::InvalidMock,
                    def.name.span,
                    format!("mock `{}` must take `(mocker)`", def.name.value),
                )
                .with_help(self.section.native_form()),
            );
        } else if let Some(kind) = self.mock(def.body) {
            self.items.mocks.push(Mock {
                name: def.name,
                doc: def.doc,
                kind,
                span: def.span,
            });
        }
    }

    fn mock(&mut self, body: &[Stmt]) -> Option<MockKind> {
        let mut patch: Option<&Expr> = None;
        let mut local: Option<&str> = None;
        for statement in body {
            match &statement.kind {
                StmtKind::Return(Some(expr))
                | StmtKind::Yield(Some(expr))
                | StmtKind::Expr(expr) => {
                    if matches!(&expr.kind, ExprKind::Name(n) if Some(n.as_str()) == local) {
                        continue;
                    }
                    if patch.is_some() {
                        self.unsupported(
                            "a second statement after `mocker.patch(…)`",
                            statement.start,
                            statement.end,
                        );
                        return None;
                    }
                    patch = Some(expr);
                }
                StmtKind::Assign {
                    target:
                        Expr {
                            kind: ExprKind::Name(name),
                            ..
                        },
                    value,
                } if patch.is_none() => {
                    patch = Some(value);
                    local = Some(name);
                }
                StmtKind::Pass => {}
                _ => {
                    self.unsupported(
                        &format!("{} in a mock fixture", describe_statement(statement)),
                        statement.start,
                        statement.end,
                    );
                    return None;
                }
            }
        }
        let Some(expr) = patch else {
            let end = body.last().map_or(0, |s| s.end);
            self.unsupported("a mock fixture without `mocker.patch(…)`", end, end);
            return None;
        };
        let result = (|| {
            let ExprKind::Call { func, args, kwargs } = &expr.kind else {
                return unsupported(
                    format!("{} where `mocker.patch(…)` belongs", describe_expr(expr)),
                    expr,
                );
            };
            let called = func.dotted().unwrap_or_default();
            if called != "mocker.patch" {
                return unsupported(
                    format!(
                        "the call `{called}(…)`: only `mocker.patch(\"module.path\", return_value=…)` is read"
                    ),
                    expr,
                );
            }
            let Some(Expr {
                kind: ExprKind::Str { value: target, .. },
                start,
                end,
            }) = args.first()
            else {
                return unsupported("`mocker.patch` without a module path string", expr);
            };
            if let Some(extra) = args.get(1) {
                return unsupported("a second positional argument to `mocker.patch`", extra);
            }
            let mut return_value = Value::new(ValueKind::Null, self.span(expr.start, expr.end));
            for keyword in kwargs {
                if keyword.name == "return_value" {
                    return_value = self.literal(&keyword.value, &[], &HashMap::new())?;
                } else {
                    return Err(Unsupported::new(
                        format!(
                            "`{}=` in `mocker.patch`: use the YAML form for status codes, delays and faults",
                            keyword.name
                        ),
                        keyword.start,
                        keyword.value.end,
                    ));
                }
            }
            Ok(MockKind::Patch {
                target: Spanned::new(target.clone(), self.span(*start, *end)),
                return_value,
            })
        })();
        match result {
            Ok(kind) => Some(kind),
            Err(error) => {
                self.report(error);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Section;
    use super::super::testing::read;
    use crate::diagnostic::Code;

    #[test]
    fn reads_patches() {
        let table = [
            (
                "@pytest.fixture\ndef payments(mocker):\n    \"\"\"External.\"\"\"\n    return mocker.patch(\n        \"shop.payments.charge\",\n        return_value={\"id\": \"ch_1\", \"ok\": True}\n    )",
                "payments \"External.\": patch shop.payments.charge -> {\"id\": \"ch_1\", \"ok\": true}",
            ),
            (
                "def m(mocker):\n    mock = mocker.patch(\"a.b\", return_value=[1])\n    return mock",
                "m: patch a.b -> [1]",
            ),
            (
                "def m(mocker):\n    mock = mocker.patch(\"a.b\", return_value=2)\n    pass\n    yield mock",
                "m: patch a.b -> 2",
            ),
            (
                "def m(mocker):\n    mocker.patch(\"a.b\")",
                "m: patch a.b -> null",
            ),
            (
                "def {{mock_name}}(mocker):\n    yield mocker.patch(\"{{module}}\", return_value={{mock_return_value}})",
                "{{mock_name}}: patch {{module}} -> {{mock_return_value}}",
            ),
        ];
        for (python, expected) in table {
            read(Section::Mocks, python).assert_reads(&[expected]);
        }
    }

    #[test]
    fn refuses_mocks_outside_the_shape() {
        let table: &[(&str, &[(&str, &str)])] = &[
            (
                "def m(mocker):\n    pass",
                &[("a mock fixture without `mocker.patch(…)`", "")],
            ),
            (
                "def m(mocker):\n    mocker.patch(\"a\")\n    mocker.patch(\"b\")",
                &[(
                    "a second statement after `mocker.patch(…)`",
                    "mocker.patch(\"b\")",
                )],
            ),
            (
                "def m(mocker):\n    assert mocker\n    return mocker.patch(\"a\")",
                &[("an `assert` in a mock fixture", "assert mocker")],
            ),
            (
                "def m(mocker):\n    return {\"a\": 1}",
                &[("a literal where `mocker.patch(…)` belongs", "{\"a\": 1}")],
            ),
            (
                "def m(mocker):\n    return mocker.patch.object(Client, \"get\")",
                &[(
                    "the call `mocker.patch.object(…)`: only `mocker.patch(\"module.path\", return_value=…)` is read",
                    "mocker.patch.object(Client, \"get\")",
                )],
            ),
            (
                "def m(mocker):\n    return mocker.patch(TARGET)",
                &[(
                    "`mocker.patch` without a module path string",
                    "mocker.patch(TARGET)",
                )],
            ),
            (
                "def m(mocker):\n    return mocker.patch(\"a\", \"b\")",
                &[("a second positional argument to `mocker.patch`", "\"b\"")],
            ),
            (
                "def m(mocker):\n    return mocker.patch(\"a\", side_effect=TimeoutError)",
                &[(
                    "`side_effect=` in `mocker.patch`: use the YAML form for status codes, delays and faults",
                    "side_effect=TimeoutError",
                )],
            ),
            (
                "def m(mocker):\n    return mocker.patch(\"a\", return_value=uuid4())",
                &[(
                    "the call `uuid4(…)`: write \"{{uuid}}\" for a fresh UUID",
                    "uuid4()",
                )],
            ),
        ];
        for (python, expected) in table {
            read(Section::Mocks, python).assert_unsupported(expected, &[]);
        }
    }

    #[test]
    fn a_mock_takes_mocker_only() {
        for python in [
            "def payments():\n    return mocker.patch(\"a\")",
            "def payments(mocker, db_session):\n    return mocker.patch(\"a\")",
            "def payments(db_session):\n    return mocker.patch(\"a\")",
        ] {
            let read = read(Section::Mocks, python);
            read.assert_refuses(
                &[(
                    Code::InvalidMock,
                    "mock `payments` must take `(mocker)`",
                    "payments",
                )],
                &[],
            );
            let help = read.diagnostics[0].help.as_deref().unwrap_or_default();
            assert!(help.starts_with("write the mock as a YAML block"), "{help}");
        }
    }
}
