//! "Did you mean": the one rule every suggestion of itspec follows — a
//! misspelt field, section, status, marker, mock key, keyword, variable,
//! operation id or case id.
//!
//! Words are compared without regard to ASCII case, by Damerau–Levenshtein
//! distance (a swap of two neighbours is one edit, so `Hgih` is one edit
//! from `High`). A candidate is suggested when it is the nearest and at
//! most [`limit`] edits away: one in a word of two to five characters, two
//! in a longer one (more would turn `Expected Result` into `Expected
//! Output`), none in a single character. Between candidates equally near,
//! the first given wins, so a caller orders them by preference.

/// The candidate nearest to `word`, when it is close enough to suggest.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let allowed = limit(word);
    let length = word.chars().count();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        // Never nearer than their lengths differ: a candidate that could
        // not be suggested is not measured (a case's heading against every
        // field name was 16% of `itspec check`).
        if length.abs_diff(candidate.chars().count()) > allowed {
            continue;
        }
        let edits = distance(word, candidate);
        if best.is_none_or(|(least, _)| edits < least) {
            best = Some((edits, candidate));
        }
    }
    best.filter(|(edits, _)| *edits <= limit(word))
        .map(|(_, candidate)| candidate)
}

/// The candidate most like `word`, however far: for naming the closest
/// of a few (the route a request missed), not for a suggestion. Distance
/// counts here against the longer of the two, so `GET /charges/{id}` is
/// more like `GET /nowhere` than `POST /charges` is.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // (edits, the longer length): compared as fractions.
    let mut best: Option<(usize, usize, &'a str)> = None;
    for candidate in candidates {
        let edits = distance(word, candidate);
        let longer = word.chars().count().max(candidate.chars().count()).max(1);
        if best.is_none_or(|(least, of, _)| edits.saturating_mul(of) < least.saturating_mul(longer))
        {
            best = Some((edits, longer, candidate));
        }
    }
    best.map(|(_, _, candidate)| candidate)
}

/// The edits between two words, not counting ASCII case; a swap of two
/// neighbours is one.
pub fn distance(a: &str, b: &str) -> usize {
    strsim::damerau_levenshtein(&a.to_ascii_lowercase(), &b.to_ascii_lowercase())
}

/// How many edits `word` may be from a candidate that is suggested.
pub fn limit(word: &str) -> usize {
    match word.chars().count() {
        0 | 1 => 0,
        2..=5 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_grows_with_the_word() {
        let limits: Vec<usize> = ["", "a", "ab", "abc", "abcde", "abcdef", "abcdefghijklmno"]
            .iter()
            .map(|word| limit(word))
            .collect();
        assert_eq!(limits, [0, 0, 1, 1, 1, 2, 2]);
    }

    #[test]
    fn a_close_candidate_is_suggested() {
        assert_eq!(nearest("Readdy", ["Draft", "Ready"]), Some("Ready"));
        assert_eq!(nearest("staus", ["status", "statuses"]), Some("status"));
        assert_eq!(
            nearest("createReservaton", ["createOrder", "createReservation"]),
            Some("createReservation")
        );
    }

    #[test]
    fn case_does_not_count() {
        assert_eq!(nearest("HIGH", ["Low", "High"]), Some("High"));
        assert_eq!(nearest("#UUID", ["#uuid"]), Some("#uuid"));
    }

    #[test]
    fn a_swap_is_one_edit() {
        assert_eq!(nearest("Hgih", ["High"]), Some("High"));
        assert_eq!(
            nearest("TC-INT-020", ["TC-INT-001", "TC-INT-002", "TC-INT-003"]),
            Some("TC-INT-002")
        );
    }

    #[test]
    fn a_far_candidate_is_not() {
        assert_eq!(nearest("moon", ["no", "mock"]), None);
        assert_eq!(nearest("x", ["y"]), None);
        assert_eq!(nearest("Expected Result", ["Expected Output"]), None);
        assert_eq!(nearest("word", Vec::<&str>::new()), None);
    }

    #[test]
    fn the_first_of_equally_near_candidates_wins() {
        assert_eq!(
            nearest("TC-INT-003", ["TC-INT-001", "TC-INT-002"]),
            Some("TC-INT-001")
        );
    }

    #[test]
    fn closest_has_no_limit() {
        assert_eq!(closest("DELETE /x", ["GET /a"]), Some("GET /a"));
        assert_eq!(
            closest("GET /nowhere", ["POST /charges", "GET /charges/{id}"]),
            Some("GET /charges/{id}")
        );
    }
}
