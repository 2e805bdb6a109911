//! Actions become groups (FORMAT §8): `(concurrent)` joins the group of
//! the request before, any other request starts a group, `(xN)` makes N
//! labelled copies in the same group, `(concurrent, xN)` puts them in the
//! previous request's group. No network here: only the model.

use itspec_spec::LintOptions;

const SPEC: &str = "# Integration Test Spec: Groups\n\n**Priority:** High\n**Status:** Ready\n\n## Test Cases\n\n\
### TC-INT-001: Groups\n\n**Actions:**\n\
1. Request Login: POST /login {\"user\": \"a\"}\n\
2. Request A: POST /reservations {\"quantity\": 1}\n\
3. Request B (concurrent): POST /reservations {\"quantity\": 1}\n\
4. Request C (concurrent, x3): POST /reservations {\"quantity\": 1}\n\
5. Request Check: GET /inventory/SKU-1\n\
6. Request D (x2): DELETE /reservations/1\n\n\
**Expected:**\n- statuses == [201, 409, 409, 409, 409] in any order\n- C2.status == 409\n";

#[test]
fn actions_form_groups_with_labelled_copies() {
    let checked = itspec_spec::check(SPEC, &LintOptions::default());
    assert!(
        !checked.diagnostics.iter().any(|d| d.is_error()),
        "{:#?}",
        checked.diagnostics
    );
    let case = &checked.spec.cases[0];
    let groups: Vec<Vec<String>> = case
        .groups()
        .iter()
        .map(|g| g.actions.iter().flat_map(|a| a.labels()).collect())
        .collect();
    assert_eq!(
        groups,
        [
            vec!["Login"],
            vec!["A", "B", "C1", "C2", "C3"],
            vec!["Check"],
            vec!["D1", "D2"],
        ]
    );
    let sizes: Vec<usize> = case.groups().iter().map(|g| g.size()).collect();
    assert_eq!(sizes, [1, 5, 1, 2]);
}
