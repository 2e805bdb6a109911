//! The parser and linter never panic, whatever the input, and every span
//! they report lies inside the text on character boundaries: what the
//! `spec` fuzz target checks, on generated and edited specs.

use proptest::prelude::*;

const SEEDS: &[&str] = &[
    include_str!("../../itspec-spec/tests/fixtures/format-example.md"),
    include_str!("../../itspec-cli/tests/fixtures/malformed/54-broken-format-example.md"),
    itspec_spec::template::TEMPLATE,
];

/// Pieces of the spec syntax, to splice into valid documents.
const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{x}}",
    "```",
    "```json\n",
    "```python\n",
    "```yaml\n",
    "~~~",
    "\n",
    "\r\n",
    "- ",
    "1. ",
    "**",
    ":**",
    "**Assertions:**\n",
    "**Actions:**\n",
    "### TC-INT-",
    "## Test Cases\n",
    "## Mocks\n",
    "# ",
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "#",
    "#[",
    "#regex ",
    "row ",
    " where ",
    " has ",
    "rows ",
    " count ",
    "status == ",
    "$.",
    "body.",
    "def f(db_session):\n",
    "    ",
    "\t",
    "return ",
    "yield ",
    "mocker.patch(",
    "Request A (concurrent, x",
    "é",
    "\u{feff}",
    "\\",
    "`",
    "->",
    "=",
    ",",
    " and ",
    "sql \"",
    "mock p POST /x -> ",
    "\u{0}",
];

fn assert_spans_are_sound(text: &str) {
    itspec_fuzz::spec(text.as_bytes());
}

fn splice(seed: &str, edits: &[(usize, usize, usize)]) -> String {
    let mut text = seed.to_string();
    for &(at, remove, piece) in edits {
        let mut start = at % (text.len() + 1);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + remove % 12).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        text.replace_range(start..end, PIECES[piece % PIECES.len()]);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(text in "\\PC{0,400}") {
        assert_spans_are_sound(&text);
    }

    #[test]
    fn arbitrary_markdownish_text(pieces in proptest::collection::vec(0..PIECES.len(), 0..120)) {
        let text: String = pieces.iter().map(|&i| PIECES[i]).collect();
        assert_spans_are_sound(&text);
    }

    #[test]
    fn edited_specs(seed in 0..SEEDS.len(), edits in proptest::collection::vec((any::<usize>(), any::<usize>(), any::<usize>()), 1..8)) {
        assert_spans_are_sound(&splice(SEEDS[seed], &edits));
    }
}
