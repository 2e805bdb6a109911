//! Pass rates with their 95% Wilson score interval, and how many runs it
//! takes to tell a small failure rate from none: what `--runs` and
//! `--until-fail` report of each case.

use crate::case::Runs;

/// The normal quantile of a two-sided 95% interval.
const Z: f64 = 1.959_963_984_540_054;

/// The failure rate the guidance speaks of: how many runs it takes to
/// tell 1% from 0%.
pub const RARE_FAILURE: f64 = 0.01;

impl Runs {
    /// The share of runs that passed, from 0 to 1 (`None` without runs).
    pub fn rate(&self) -> Option<f64> {
        (self.total > 0).then(|| f64::from(self.passed) / f64::from(self.total))
    }

    /// The 95% Wilson score interval of the pass rate, from 0 to 1.
    pub fn interval(&self) -> Option<(f64, f64)> {
        let rate = self.rate()?;
        let n = f64::from(self.total);
        let z2 = Z * Z;
        let centre = (rate + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = Z / (1.0 + z2 / n) * (rate * (1.0 - rate) / n + z2 / (4.0 * n * n)).sqrt();
        Some(((centre - half).max(0.0), (centre + half).min(1.0)))
    }

    /// The runs it takes, none failing, for the Wilson interval to put
    /// the failure rate below `failure_rate` (at 95%): the least n with
    /// z² / (n + z²) < rate.
    pub fn needed_to_tell(failure_rate: f64) -> u32 {
        let z2 = Z * Z;
        let n = z2 * (1.0 - failure_rate) / failure_rate;
        // The bound must fall strictly below the rate.
        (n.floor() + 1.0) as u32
    }

    /// One line: `47/50 passed (94.0%, 95% CI 83.8–97.9%)`, with what it
    /// takes to tell a rare failure from none when none failed.
    pub fn describe(&self) -> String {
        let (Some(rate), Some((low, high))) = (self.rate(), self.interval()) else {
            return "no runs".to_string();
        };
        // The bounds are rounded outwards, so that an interval that does
        // not reach 100% (or 0%) never reads as if it did.
        let mut line = format!(
            "{}/{} passed ({:.1}%, 95% CI {:.1}–{:.1}%)",
            self.passed,
            self.total,
            rate * 100.0,
            (low * 1000.0).floor() / 10.0,
            (high * 1000.0).ceil() / 10.0
        );
        let needed = Self::needed_to_tell(RARE_FAILURE);
        if self.passed == self.total && self.total < needed {
            line.push_str(&format!(
                "; to tell a {}% failure rate from 0% at 95% you need ≥ {needed} runs",
                RARE_FAILURE * 100.0
            ));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(passed: u32, total: u32) -> Runs {
        Runs {
            passed,
            total,
            first_failed: None,
        }
    }

    #[test]
    fn the_wilson_interval_matches_published_values() {
        // Wilson (1927) / Newcombe (1998), 95%: 81 of 263 → 0.2553–0.3662.
        let (low, high) = runs(81, 263).interval().unwrap();
        assert!((low - 0.2553).abs() < 5e-4, "{low}");
        assert!((high - 0.3662).abs() < 5e-4, "{high}");
        // All passed: the upper bound is 1, the lower z²-shaped.
        let (low, high) = runs(50, 50).interval().unwrap();
        assert_eq!(high, 1.0);
        assert!((low - 50.0 / (50.0 + Z * Z)).abs() < 1e-9, "{low}");
        // None passed: the mirror image.
        let (low, high) = runs(0, 50).interval().unwrap();
        assert_eq!(low, 0.0);
        assert!((high - Z * Z / (50.0 + Z * Z)).abs() < 1e-9, "{high}");
        assert_eq!(runs(0, 0).interval(), None);
    }

    #[test]
    fn the_runs_needed_put_the_bound_just_below_the_rate() {
        let n = Runs::needed_to_tell(RARE_FAILURE);
        let failure_bound = |n: u32| 1.0 - runs(n, n).interval().unwrap().0;
        assert!(failure_bound(n) < RARE_FAILURE);
        assert!(failure_bound(n - 1) >= RARE_FAILURE);
        assert_eq!(n, 381);
        assert_eq!(Runs::needed_to_tell(0.05), 73);
    }

    #[test]
    fn a_bound_short_of_certainty_never_reads_as_certain() {
        // 12595 of 12595: the lower bound is 99.97%, not 100%.
        assert!(
            runs(12595, 12595)
                .describe()
                .starts_with("12595/12595 passed (100.0%, 95% CI 99.9–100.0%)"),
            "{}",
            runs(12595, 12595).describe()
        );
        assert!(runs(0, 5).describe().contains("95% CI 0.0–43.5%"));
    }

    #[test]
    fn the_line_says_the_rate_its_interval_and_what_more_runs_would_tell() {
        assert_eq!(
            runs(35, 50).describe(),
            "35/50 passed (70.0%, 95% CI 56.2–80.9%)"
        );
        assert_eq!(
            runs(50, 50).describe(),
            "50/50 passed (100.0%, 95% CI 92.8–100.0%); to tell a 1% failure rate from 0% at 95% you need ≥ 381 runs"
        );
    }
}
