//! The largest body itspec reads (`[limits] max_body`, 16 MB by default):
//! of a response, and of a request a mock receives. A body is read until
//! it is whole or goes past the cap — a declared `Content-Length` over it
//! is refused before anything is read — so a 1 GB answer costs at most
//! the cap in memory.

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

/// The default cap: 16 MB.
pub const DEFAULT_MAX_BODY: u64 = 16_000_000;

/// A cap on bodies, with the text it was configured as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyLimit {
    bytes: u64,
    text: String,
}

impl Default for BodyLimit {
    fn default() -> Self {
        Self {
            bytes: DEFAULT_MAX_BODY,
            text: "16 MB".to_string(),
        }
    }
}

impl From<&itspec_config::Size> for BodyLimit {
    fn from(size: &itspec_config::Size) -> Self {
        Self {
            bytes: size.bytes(),
            text: size.text().to_string(),
        }
    }
}

/// Why a body was not read whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// It goes past the cap: reading stopped there.
    TooLarge,
    /// The connection failed while it was read.
    Failed(String),
}

impl BodyLimit {
    /// The cap in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// As configured: `16 MB`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// `the response body is larger than 16 MB (max_body)`.
    pub fn exceeded(&self, what: &str) -> String {
        format!("{what} is larger than {} (max_body)", self.text)
    }

    fn usize(&self) -> usize {
        usize::try_from(self.bytes).unwrap_or(usize::MAX)
    }

    /// Reads a body whole, or up to the cap.
    pub async fn read<B>(&self, body: B) -> Result<Bytes, BodyError>
    where
        B: hyper::body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        match Limited::new(body, self.usize()).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
                Err(BodyError::TooLarge)
            }
            Err(error) => Err(BodyError::Failed(error.to_string())),
        }
    }

    /// Reads a reqwest response's body whole, or up to the cap.
    pub async fn read_response(&self, mut response: reqwest::Response) -> Result<Bytes, BodyError> {
        if response.content_length().is_some_and(|n| n > self.bytes) {
            return Err(BodyError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| BodyError::Failed(e.to_string()))?
        {
            if body.len().saturating_add(chunk.len()) > self.usize() {
                return Err(BodyError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{Full, StreamBody};

    fn limit(bytes: u64) -> BodyLimit {
        BodyLimit {
            bytes,
            text: format!("{bytes} bytes"),
        }
    }

    #[tokio::test]
    async fn a_body_within_the_cap_is_read_whole() {
        let body = Full::new(Bytes::from_static(b"12345"));
        assert_eq!(limit(5).read(body).await, Ok(Bytes::from_static(b"12345")));
    }

    #[tokio::test]
    async fn reading_stops_at_the_cap() {
        // An endless body of unknown length: reading stops past the cap.
        let chunks = futures_util::stream::iter(std::iter::repeat_with(|| {
            Ok::<_, std::io::Error>(hyper::body::Frame::data(Bytes::from_static(&[b'x'; 1024])))
        }));
        assert_eq!(
            limit(10_000).read(StreamBody::new(chunks)).await,
            Err(BodyError::TooLarge)
        );
        assert_eq!(
            limit(4).read(Full::new(Bytes::from_static(b"12345"))).await,
            Err(BodyError::TooLarge)
        );
        assert_eq!(
            BodyLimit::default().exceeded("the response body"),
            "the response body is larger than 16 MB (max_body)"
        );
    }
}
