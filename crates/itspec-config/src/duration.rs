//! Durations written as `"10s"`, `"500ms"`.

use serde::{Deserialize, Deserializer};

/// A duration from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration(u64);

impl Duration {
    /// Milliseconds.
    pub fn millis(self) -> u64 {
        self.0
    }

    /// As a standard duration.
    pub fn std(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.0)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        itspec_spec::parse_duration(&text)
            .map(Duration)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{text}` is not a duration: write it like \"500ms\", \"10s\" or \"2m\""
                ))
            })
    }
}
