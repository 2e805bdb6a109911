//! The complete example of FORMAT.md §1: no diagnostics, and a model that
//! says exactly what the document says, field by field.

use itspec_spec::model::*;
use itspec_spec::{LintOptions, Spec, check};

const EXAMPLE: &str = include_str!("fixtures/format-example.md");

fn spec() -> Spec {
    let checked = check(EXAMPLE, &LintOptions::default());
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    checked.spec
}

fn text_at(span: itspec_spec::Span) -> &'static str {
    &EXAMPLE[span.range()]
}

fn json(value: &Value) -> serde_json::Value {
    value.to_json().expect("no unquoted variables")
}

fn operand_json(operand: &Operand) -> serde_json::Value {
    match &operand.kind {
        OperandKind::Value(value) => json(value),
        other => panic!("not a JSON operand: {other:?}"),
    }
}

fn check_of(assertion: &Assertion) -> (&SubjectKind, &Predicate) {
    match &assertion.kind {
        AssertionKind::Check { subject, predicate } => (&subject.kind, predicate),
        other => panic!("{}: not a check: {other:?}", assertion.text),
    }
}

#[test]
fn header() {
    let spec = spec();
    assert_eq!(spec.component(), Some("Inventory Reservation"));
    let title = spec.title.as_ref().unwrap();
    assert_eq!(
        (title.component.span.line, title.component.span.col),
        (1, 26)
    );
    let stories: Vec<_> = spec
        .related
        .stories
        .iter()
        .map(|s| s.value.as_str())
        .collect();
    assert_eq!(stories, ["US-204", "US-205"]);
    let contract = spec.related.contract.as_ref().unwrap();
    assert_eq!(
        contract.value,
        Contract::Endpoint {
            method: "POST".into(),
            path: "/reservations".into()
        }
    );
    assert_eq!(text_at(contract.span), "POST /reservations");
    assert!(spec.related.other.is_empty());
    assert_eq!(
        spec.priority.as_ref().map(|p| p.value),
        Some(Priority::Critical)
    );
    assert_eq!(spec.status.as_ref().map(|s| s.value), Some(Status::Ready));
    assert_eq!(
        spec.status.as_ref().map(|s| (s.span.line, s.span.col)),
        Some((5, 13))
    );
}

#[test]
fn sections_overview_and_dependencies() {
    let spec = spec();
    let kinds: Vec<_> = spec.sections.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            SectionKind::Overview,
            SectionKind::Dependencies,
            SectionKind::TestCases,
            SectionKind::DataFixtures,
            SectionKind::Mocks,
            SectionKind::DatabaseStateVerification,
            SectionKind::Related
        ]
    );
    assert!(
        spec.overview
            .as_ref()
            .unwrap()
            .value
            .starts_with("Reserving stock through the REST API")
    );
    assert_eq!(spec.dependencies.len(), 2);
    let DependencyKind::Database { tables } = &spec.dependencies[0].kind else {
        panic!("{:?}", spec.dependencies[0]);
    };
    assert_eq!(
        tables.iter().map(|t| t.value.as_str()).collect::<Vec<_>>(),
        ["inventory", "reservations"]
    );
    let DependencyKind::Mock { name } = &spec.dependencies[1].kind else {
        panic!("{:?}", spec.dependencies[1]);
    };
    assert_eq!(name.value, "payments");
    let related = spec.related_section.as_ref().unwrap();
    let stories: Vec<_> = related
        .stories
        .as_ref()
        .unwrap()
        .value
        .iter()
        .map(|s| s.value.as_str())
        .collect();
    assert_eq!(stories, ["US-204", "US-205"]);
    assert_eq!(
        related.contract.as_ref().unwrap().value,
        "POST /reservations"
    );
    assert_eq!(
        related.unit_tests.as_ref().unwrap().value,
        "reservation-unit-tests.md"
    );
}

#[test]
fn case_one_reserves_an_item() {
    let spec = spec();
    assert_eq!(spec.cases.len(), 3);
    let case = &spec.cases[0];
    assert_eq!(case.id.value, "TC-INT-001");
    assert_eq!(case.number, Some(1));
    assert_eq!(case.name.value, "Reserve an item in stock");
    assert_eq!(
        text_at(case.heading_span),
        "### TC-INT-001: Reserve an item in stock"
    );
    assert_eq!(case.kind(), CaseKind::Single);
    assert_eq!(
        case.description.as_ref().unwrap().value,
        "A reservation for an item in stock is stored and the deposit is charged."
    );
    assert!(
        case.request.is_none(),
        "the contract in Related is the request"
    );
    assert_eq!(case.fixtures, FixtureSelection::All);

    // Setup: a payload fixture binding `reservation_request`.
    let setup = case.setup.as_ref().unwrap();
    assert!(setup.lines.is_empty());
    assert_eq!(setup.fixtures.len(), 1);
    let fixture = &setup.fixtures[0];
    assert_eq!(fixture.name.as_ref().unwrap().value, "reservation_request");
    assert_eq!(fixture.source, FixtureSource::Python);
    let FixtureKind::Payload(payload) = &fixture.kind else {
        panic!()
    };
    assert_eq!(
        json(payload),
        serde_json::json!({"sku": "SKU-1", "quantity": 2})
    );

    // Input: JSON with a quoted and an unquoted variable.
    let input = case.input.as_ref().unwrap();
    assert_eq!(input.kind, BodyKind::Json);
    let body = input.json.as_ref().unwrap();
    assert_eq!(
        body.get("sku").and_then(Value::as_str),
        Some("{{reservation_request.sku}}")
    );
    let ValueKind::Var(quantity) = &body.get("quantity").unwrap().kind else {
        panic!()
    };
    assert_eq!(quantity.name, "reservation_request.quantity");
    assert_eq!(quantity.root(), "reservation_request");
    assert_eq!(quantity.path(), "quantity");
    assert_eq!(text_at(quantity.span), "{{reservation_request.quantity}}");

    // Expected Output with a marker.
    let Some(ExpectedOutput::Json(expected)) = &case.expected_output else {
        panic!()
    };
    assert_eq!(
        json(expected),
        serde_json::json!({"id": "#uuid", "sku": "SKU-1", "quantity": 2, "status": "confirmed"})
    );

    // Assertions, one by one.
    assert_eq!(case.assertions.len(), 5);
    let (subject, predicate) = check_of(&case.assertions[0]);
    assert_eq!(
        *subject,
        SubjectKind::Response {
            label: None,
            part: ResponsePart::Status
        }
    );
    let Predicate::Compare {
        op: CmpOp::Eq,
        value,
    } = predicate
    else {
        panic!()
    };
    assert_eq!(operand_json(value), serde_json::json!(201));

    let (subject, predicate) = check_of(&case.assertions[1]);
    let SubjectKind::Row { table, conditions } = subject else {
        panic!()
    };
    assert_eq!(table.value, "reservations");
    assert_eq!(conditions.len(), 1);
    assert_eq!(conditions[0].column.value, "id");
    assert_eq!(conditions[0].op, CmpOp::Eq);
    let OperandKind::Value(Value {
        kind: ValueKind::Var(id),
        ..
    }) = &conditions[0].value.kind
    else {
        panic!()
    };
    assert_eq!(id.name, "body.id");
    let Predicate::Has { columns } = predicate else {
        panic!()
    };
    let has: Vec<_> = columns
        .iter()
        .map(|c| (c.column.value.as_str(), operand_json(&c.value)))
        .collect();
    assert_eq!(
        has,
        [
            ("status", serde_json::json!("confirmed")),
            ("quantity", serde_json::json!(2))
        ]
    );

    let (subject, predicate) = check_of(&case.assertions[2]);
    let SubjectKind::Row { table, conditions } = subject else {
        panic!()
    };
    assert_eq!(table.value, "inventory");
    assert_eq!(
        operand_json(&conditions[0].value),
        serde_json::json!("SKU-1")
    );
    let Predicate::Has { columns } = predicate else {
        panic!()
    };
    assert_eq!(columns[0].column.value, "stock");
    assert_eq!(operand_json(&columns[0].value), serde_json::json!(3));

    let (subject, predicate) = check_of(&case.assertions[3]);
    let SubjectKind::Mock {
        mock,
        route: Some(route),
    } = subject
    else {
        panic!()
    };
    assert_eq!(
        (
            mock.value.as_str(),
            route.method.value.as_str(),
            route.path.value.as_str()
        ),
        ("payments", "POST", "/charges")
    );
    let Predicate::Received { body } = predicate else {
        panic!()
    };
    assert_eq!(json(body), serde_json::json!({"amount": 200}));

    let AssertionKind::Call { name, args } = &case.assertions[4].kind else {
        panic!()
    };
    assert_eq!(name.value, "assert_reservation_created");
    assert_eq!(args.len(), 1);
    assert_eq!(
        args[0].kind,
        OperandKind::Name("reservation_request".into())
    );
    assert_eq!(
        text_at(case.assertions[4].span),
        "assert_reservation_created(reservation_request)"
    );

    // Every variable of the case, with when it is interpolated.
    let vars: Vec<_> = case
        .vars
        .iter()
        .map(|v| (v.var.name.as_str(), v.context))
        .collect();
    assert_eq!(
        vars,
        [
            ("reservation_request.sku", VarContext::BeforeRequest),
            ("reservation_request.quantity", VarContext::BeforeRequest),
            ("body.id", VarContext::AfterRequest),
        ]
    );
}

#[test]
fn case_two_is_an_error_case() {
    let spec = spec();
    let case = &spec.cases[1];
    assert_eq!(case.id.value, "TC-INT-002");
    assert_eq!(case.name.value, "Reject a non-positive quantity");
    let input = case.input.as_ref().unwrap();
    assert_eq!(
        json(input.json.as_ref().unwrap()),
        serde_json::json!({"sku": "SKU-1", "quantity": 0})
    );
    assert_eq!(case.expected.len(), 3);
    let (subject, predicate) = check_of(&case.expected[0]);
    assert!(matches!(
        subject,
        SubjectKind::Response {
            part: ResponsePart::Status,
            ..
        }
    ));
    let Predicate::Compare { value, .. } = predicate else {
        panic!()
    };
    assert_eq!(operand_json(value), serde_json::json!(422));
    let AssertionKind::ErrorCode { code } = &case.expected[1].kind else {
        panic!()
    };
    assert_eq!(operand_json(code), serde_json::json!("INVALID_QUANTITY"));
    let AssertionKind::MessageContains { text } = &case.expected[2].kind else {
        panic!()
    };
    assert_eq!(
        operand_json(text),
        serde_json::json!("quantity must be positive")
    );
    let phrases: Vec<_> = case
        .assertions
        .iter()
        .map(|a| match &a.kind {
            AssertionKind::Phrase { phrase } => phrase.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(phrases, [Phrase::NoSideEffects, Phrase::DatabaseUnchanged]);
}

#[test]
fn case_three_races() {
    let spec = spec();
    let case = &spec.cases[2];
    assert_eq!(case.kind(), CaseKind::Concurrent);
    let setup = case.setup.as_ref().unwrap();
    let [line] = setup.lines.as_slice() else {
        panic!()
    };
    let SetupLineKind::Row { table, columns } = &line.kind else {
        panic!()
    };
    assert_eq!(table.value, "inventory");
    let cols: Vec<_> = columns
        .iter()
        .map(|c| (c.name.value.as_str(), json(&c.value)))
        .collect();
    assert_eq!(
        cols,
        [
            ("sku", serde_json::json!("SKU-LAST")),
            ("stock", serde_json::json!(1))
        ]
    );

    assert_eq!(case.actions.len(), 2);
    let (a, b) = (&case.actions[0], &case.actions[1]);
    assert_eq!((a.label.value.as_str(), a.concurrent), ("A", false));
    assert_eq!((b.label.value.as_str(), b.concurrent), ("B", true));
    for action in [a, b] {
        let (method, target) = action.request().unwrap();
        assert_eq!(method.value, "POST");
        assert_eq!(target.value, "/reservations");
        let Some(ActionBody::Json(body)) = &action.body else {
            panic!()
        };
        assert_eq!(
            json(body),
            serde_json::json!({"sku": "SKU-LAST", "quantity": 1})
        );
    }
    let groups = case.groups();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].size(), 2);

    assert_eq!(case.expected.len(), 4);
    let (subject, predicate) = check_of(&case.expected[0]);
    assert_eq!(*subject, SubjectKind::Statuses);
    let Predicate::InAnyOrder { values } = predicate else {
        panic!()
    };
    assert_eq!(
        values.iter().map(operand_json).collect::<Vec<_>>(),
        [serde_json::json!(201), serde_json::json!(409)]
    );
    let (subject, _) = check_of(&case.expected[1]);
    assert!(matches!(subject, SubjectKind::Row { .. }));
    let (subject, predicate) = check_of(&case.expected[2]);
    let SubjectKind::Rows { table, conditions } = subject else {
        panic!()
    };
    assert_eq!(
        (table.value.as_str(), conditions.len()),
        ("reservations", 1)
    );
    let Predicate::Count {
        op: CmpOp::Eq,
        value,
    } = predicate
    else {
        panic!()
    };
    assert_eq!(operand_json(value), serde_json::json!(1));
    assert_eq!(
        case.expected[3].kind,
        AssertionKind::Phrase {
            phrase: Phrase::NoRaceConditions
        }
    );
}

#[test]
fn data_fixtures_mocks_and_checks() {
    let spec = spec();
    let [fixture] = spec.fixtures.as_slice() else {
        panic!()
    };
    assert_eq!(fixture.name.as_ref().unwrap().value, "sku_in_stock");
    assert_eq!(fixture.doc.as_deref(), Some("Five units of SKU-1 on hand."));
    let FixtureKind::Rows(rows) = &fixture.kind else {
        panic!()
    };
    let [row] = rows.as_slice() else { panic!() };
    assert_eq!(row.entity.as_ref().unwrap().value, "Inventory");
    assert!(row.table.is_none());
    let cols: Vec<_> = row
        .columns
        .iter()
        .map(|c| (c.name.value.as_str(), json(&c.value)))
        .collect();
    assert_eq!(
        cols,
        [
            ("sku", serde_json::json!("SKU-1")),
            ("stock", serde_json::json!(5))
        ]
    );
    assert!(text_at(row.span).starts_with("Inventory("));

    let [mock] = spec.mocks.as_slice() else {
        panic!()
    };
    assert_eq!(mock.name.value, "payments");
    assert_eq!(
        mock.doc.as_deref(),
        Some("The payment gateway is external; it approves every charge.")
    );
    let MockKind::Patch {
        target,
        return_value,
    } = &mock.kind
    else {
        panic!()
    };
    assert_eq!(target.value, "shop.payments.client.charge");
    assert_eq!(
        json(return_value),
        serde_json::json!({"id": "ch_1", "status": "succeeded"})
    );

    let [check] = spec.checks.as_slice() else {
        panic!()
    };
    assert_eq!(check.name.value, "assert_reservation_created");
    assert_eq!(check.param.value, "expected");
    let [query, found, column] = check.steps.as_slice() else {
        panic!("{:?}", check.steps)
    };
    let DbCheckStep::Query {
        var,
        entity,
        filters,
        ..
    } = query
    else {
        panic!()
    };
    assert_eq!(
        (var.as_str(), entity.value.as_str()),
        ("result", "Reservation")
    );
    assert_eq!(filters.len(), 1);
    assert_eq!(filters[0].column.value, "sku");
    let DbCheckValue::Argument(keys) = &filters[0].value else {
        panic!()
    };
    assert_eq!(keys.value, ["sku"]);
    assert!(matches!(
        found,
        DbCheckStep::AssertFound { found: true, .. }
    ));
    let DbCheckStep::AssertColumn {
        column, op, value, ..
    } = column
    else {
        panic!()
    };
    assert_eq!((column.value.as_str(), *op), ("sku", CmpOp::Eq));
    assert!(matches!(value, DbCheckValue::Argument(keys) if keys.value == ["sku"]));
}

#[test]
fn every_interpolation_is_located() {
    let spec = spec();
    let found: Vec<_> = spec
        .interpolations
        .iter()
        .map(|v| (v.name.as_str(), v.span.line))
        .collect();
    assert_eq!(
        found,
        [
            ("reservation_request.sku", 35),
            ("reservation_request.quantity", 35),
            ("body.id", 45)
        ]
    );
}
