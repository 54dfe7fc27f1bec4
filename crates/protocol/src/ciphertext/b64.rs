//! Canonical unpadded base64url (RFC 4648 section 5), checked without decoding.
//!
//! The rule is `spec/envelope-v1.md` section 2: no `=` padding, only the URL-safe
//! alphabet, no whitespace, and zero unused bits in the last character, so that every
//! byte string has exactly one accepted encoding.

/// Whether `c` is in the URL-safe alphabet, and its 6-bit value.
fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c.wrapping_sub(b'A')),
        b'a'..=b'z' => Some(c.wrapping_sub(b'a').wrapping_add(26)),
        b'0'..=b'9' => Some(c.wrapping_sub(b'0').wrapping_add(52)),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// The number of bytes `text` decodes to, if it is canonical unpadded base64url.
pub(super) fn decoded_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut last = 0;
    for &c in bytes {
        last = sextet(c)?;
    }
    let full = (bytes.len() / 4).checked_mul(3)?;
    // The last character's unused low bits must be zero (canonical encoding).
    let (extra, unused_mask) = match bytes.len() % 4 {
        0 => (0, 0),
        2 => (1, 0b1111),
        3 => (2, 0b11),
        _ => return None,
    };
    if last & unused_mask != 0 {
        return None;
    }
    full.checked_add(extra)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn lengths_and_refusals() {
        assert_eq!(decoded_len(""), Some(0));
        assert_eq!(decoded_len("AA"), Some(1));
        assert_eq!(decoded_len("AAA"), Some(2));
        assert_eq!(decoded_len("AAAA"), Some(3));
        assert_eq!(decoded_len("-_-_"), Some(3));
        for bad in [
            "A", "AAAAA", "AA==", "AB", "AAB", "+/AA", "AA A", "AAA\n", "é",
        ] {
            assert_eq!(decoded_len(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_a_decoder_on_encodings(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let text = URL_SAFE_NO_PAD.encode(&bytes);
            prop_assert_eq!(decoded_len(&text), Some(bytes.len()));
        }

        #[test]
        fn agrees_with_a_decoder_on_any_text(text in "[A-Za-z0-9_=+/ -]{0,12}") {
            let decoded = URL_SAFE_NO_PAD.decode(text.as_bytes()).ok().map(|b| b.len());
            prop_assert_eq!(decoded_len(&text), decoded);
        }
    }
}
