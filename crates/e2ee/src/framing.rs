//! Plaintext framing and size padding (spec/envelope-v1.md section 6).
//!
//! `framed = u32(len(payload)) || payload || zero padding`. The receiver needs no padding
//! setting: it reads the length and checks that every padding byte is zero.
//!
//! ```
//! use domvia_e2ee::Padding;
//!
//! assert_eq!(Padding::None.padded_len(70), Some(70));
//! assert_eq!(Padding::multiple(64)?.padded_len(70), Some(128));
//! assert_eq!(Padding::PowerOfTwo.padded_len(70), Some(128));
//! assert_eq!(Padding::PowerOfTwo.padded_len(5), Some(32));
//! # Ok::<(), domvia_e2ee::PaddingError>(())
//! ```

use core::num::NonZeroU32;
use core::ops::Range;

/// The largest payload (JSON text) an envelope carries: 16 MiB.
pub const MAX_PAYLOAD_LEN: usize = 16 * 1024 * 1024;
/// The largest padding block.
pub const MAX_PADDING_MULTIPLE: u32 = 65_536;
/// Bytes of the length prefix.
pub(crate) const LEN_PREFIX: usize = 4;
/// The largest framed plaintext: prefix, payload and the most padding any policy adds.
pub(crate) const MAX_FRAMED_LEN: usize =
    MAX_PAYLOAD_LEN + LEN_PREFIX + MAX_PADDING_MULTIPLE as usize;

/// How much to pad the framed plaintext, to coarsen the size an observer sees.
///
/// The size of the ciphertext is visible metadata: "ok" and a paragraph differ. Padding
/// hides the exact size within a bucket, at the cost of bandwidth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Padding {
    /// No padding: the exact payload size is visible.
    #[default]
    None,
    /// Round up to a multiple of this many bytes (1 to 65 536).
    Multiple(NonZeroU32),
    /// Round up to the next power of two, at least 32 bytes. Leaks about log2(size) bits.
    PowerOfTwo,
}

/// A padding setting out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaddingError {
    /// The block is 0 or larger than [`MAX_PADDING_MULTIPLE`].
    #[error("padding multiple {multiple} is out of range; it must be from 1 to 65536")]
    MultipleOutOfRange {
        /// The rejected multiple.
        multiple: u64,
    },
    /// The text is not `none`, `power-of-two` or `multiple:N`.
    #[error("unknown padding {text:?}; use none, power-of-two or multiple:N")]
    Unknown {
        /// The rejected text.
        text: String,
    },
}

impl PaddingError {
    /// A stable, machine-readable code for this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MultipleOutOfRange { .. } | Self::Unknown { .. } => "invalid_padding",
        }
    }
}

impl Padding {
    /// Padding to a multiple of `multiple` bytes.
    ///
    /// # Errors
    /// [`PaddingError::MultipleOutOfRange`] unless `1 <= multiple <= 65536`.
    pub fn multiple(multiple: u64) -> Result<Self, PaddingError> {
        u32::try_from(multiple)
            .ok()
            .filter(|m| *m <= MAX_PADDING_MULTIPLE)
            .and_then(NonZeroU32::new)
            .map(Self::Multiple)
            .ok_or(PaddingError::MultipleOutOfRange { multiple })
    }

    /// The padded length of a framed plaintext of `len` bytes, or `None` on overflow.
    #[must_use]
    pub fn padded_len(self, len: usize) -> Option<usize> {
        match self {
            Self::None => Some(len),
            Self::Multiple(m) => {
                let m = usize::try_from(m.get()).ok()?;
                len.checked_next_multiple_of(m)
            }
            Self::PowerOfTwo => len.max(32).checked_next_power_of_two(),
        }
    }
}

impl core::str::FromStr for Padding {
    type Err = PaddingError;

    /// `none`, `power-of-two`, or `multiple:N`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "none" => Ok(Self::None),
            "power-of-two" => Ok(Self::PowerOfTwo),
            _ => match text.strip_prefix("multiple:").map(str::parse::<u64>) {
                Some(Ok(m)) => Self::multiple(m),
                _ => Err(PaddingError::Unknown {
                    text: text.to_owned(),
                }),
            },
        }
    }
}

impl core::fmt::Display for Padding {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::None => f.write_str("none"),
            Self::Multiple(m) => write!(f, "multiple:{m}"),
            Self::PowerOfTwo => f.write_str("power-of-two"),
        }
    }
}

/// The framed plaintext is inconsistent. Only a holder of the key can produce this, since
/// it is checked after authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FramingFault {
    /// Shorter than the length prefix.
    Truncated,
    /// The length prefix points past the end.
    LengthPastEnd,
    /// A padding byte is not zero.
    NonZeroPadding,
}

/// Returns where the payload lies inside a framed plaintext.
pub(crate) fn unframe(framed: &[u8]) -> Result<Range<usize>, FramingFault> {
    let (prefix, rest) = framed
        .split_first_chunk::<LEN_PREFIX>()
        .ok_or(FramingFault::Truncated)?;
    let len =
        usize::try_from(u32::from_be_bytes(*prefix)).map_err(|_| FramingFault::LengthPastEnd)?;
    if len > rest.len() {
        return Err(FramingFault::LengthPastEnd);
    }
    let (_, padding) = rest.split_at(len);
    if padding.iter().any(|b| *b != 0) {
        return Err(FramingFault::NonZeroPadding);
    }
    Ok(LEN_PREFIX..LEN_PREFIX.saturating_add(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unframe_checks_length_and_padding() {
        assert_eq!(unframe(&[0, 0, 0]), Err(FramingFault::Truncated));
        assert_eq!(
            unframe(&[0, 0, 0, 2, b'x']),
            Err(FramingFault::LengthPastEnd)
        );
        assert_eq!(
            unframe(&[0, 0, 0, 1, b'x', 0, 1]),
            Err(FramingFault::NonZeroPadding)
        );
        assert_eq!(unframe(&[0, 0, 0, 1, b'x', 0, 0]), Ok(4..5));
        assert_eq!(unframe(&[0, 0, 0, 0]), Ok(4..4));
    }

    #[test]
    fn padding_policies() {
        assert!(Padding::multiple(0).is_err());
        assert!(Padding::multiple(65_537).is_err());
        assert_eq!(Padding::multiple(1).unwrap().padded_len(7), Some(7));
        assert_eq!(Padding::multiple(256).unwrap().padded_len(256), Some(256));
        assert_eq!(Padding::multiple(256).unwrap().padded_len(257), Some(512));
        assert_eq!(Padding::PowerOfTwo.padded_len(33), Some(64));
        assert_eq!(Padding::PowerOfTwo.padded_len(usize::MAX), None);
        for text in ["none", "power-of-two", "multiple:512"] {
            assert_eq!(text.parse::<Padding>().unwrap().to_string(), text);
        }
        assert!("multiple:x".parse::<Padding>().is_err());
        assert!("bucket".parse::<Padding>().is_err());
    }
}
