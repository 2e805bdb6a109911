//! Durations as written in specs and config: `500ms`, `2s`, `1.5s`, `2m`, `1h`.

/// Milliseconds of a duration literal, or `None` when it is not one.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let factor = match unit {
        "ms" => 1.0,
        "s" => 1_000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    let millis = (value * factor).round();
    if !millis.is_finite() || !(0.0..=1e15).contains(&millis) {
        return None;
    }
    // The range was just checked, so the conversion is exact.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "range checked above"
    )]
    Some(millis as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("500ms"), Some(500));
        assert_eq!(parse_duration("2s"), Some(2_000));
        assert_eq!(parse_duration("1.5s"), Some(1_500));
        assert_eq!(parse_duration("2m"), Some(120_000));
        assert_eq!(parse_duration("1h"), Some(3_600_000));
    }

    #[test]
    fn not_durations() {
        for text in ["", "ms", "2", "2 s", "2x", ".5s", "5.s", "1e3s", "-1s"] {
            assert_eq!(parse_duration(text), None, "{text}");
        }
    }
}
