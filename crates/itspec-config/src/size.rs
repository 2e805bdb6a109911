//! Sizes written as `"16 MB"`, `"512 KB"`, `"1 MiB"` or a number of bytes.

use serde::{Deserialize, Deserializer};

/// A size in bytes from the configuration, with the text it was written
/// as (for messages: "larger than 16 MB").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    bytes: u64,
    text: String,
}

impl Size {
    /// A size of `bytes`, shown as `text`.
    pub fn new(bytes: u64, text: &str) -> Self {
        Self {
            bytes,
            text: text.to_string(),
        }
    }

    /// The number of bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// As it was written: `16 MB`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Reads `16 MB` (units of 1000: KB, MB, GB), `16 MiB` (units of 1024:
    /// KiB, MiB, GiB) or a number of bytes; units ignore case.
    pub fn parse(text: &str) -> Option<Self> {
        let trimmed = text.trim();
        let size: bytesize::ByteSize = trimmed.parse().ok()?;
        Some(Self::new(size.as_u64(), trimmed))
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bytes(u64),
            Text(String),
        }
        let invalid = |text: &str| {
            serde::de::Error::custom(format!(
                "`{text}` is not a size: write it like \"16 MB\", \"512 KB\" or \"1 MiB\""
            ))
        };
        match Raw::deserialize(deserializer)? {
            Raw::Bytes(bytes) => Ok(Self::new(bytes, &format!("{bytes} bytes"))),
            Raw::Text(text) => Self::parse(&text).ok_or_else(|| invalid(&text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_of_1000_and_of_1024() {
        assert_eq!(Size::parse("16 MB").map(|s| s.bytes()), Some(16_000_000));
        assert_eq!(Size::parse("16MB").map(|s| s.bytes()), Some(16_000_000));
        assert_eq!(Size::parse("64 kb").map(|s| s.bytes()), Some(64_000));
        assert_eq!(Size::parse("1 MiB").map(|s| s.bytes()), Some(1_048_576));
        assert_eq!(Size::parse("100").map(|s| s.bytes()), Some(100));
        assert_eq!(
            Size::parse(" 2 GB ").map(|s| s.text().to_string()),
            Some("2 GB".to_string())
        );
        assert_eq!(Size::parse("large"), None);
        assert_eq!(Size::parse("-1 MB"), None);
    }
}
