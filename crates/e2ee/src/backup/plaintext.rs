//! The keys plaintext of backups and key responses (spec/key-lifecycle.md section 8.2):
//! fixed-size entries, so its length tells only how many keys it holds.
//!
//! ```text
//! keys_plaintext = u32(N) || N × entry
//! entry          = u8(flags) || u32(kver) || u32(highest) || K(32) || pad257(str16(kid))   ; 298 bytes
//! ```

use zeroize::Zeroizing;

use crate::ident::{KeyId, KeyVersion, MAX_IDENTIFIER_LEN};
use crate::key::AesGcmKey;
use crate::keyring::{KeyEntry, Keyring};

/// Bytes of one entry.
pub(crate) const ENTRY_LEN: usize = 1 + 4 + 4 + 32 + 2 + MAX_IDENTIFIER_LEN;

/// The length of the plaintext for `n` keys.
pub(crate) fn plaintext_len(n: u32) -> Option<usize> {
    usize::try_from(n)
        .ok()?
        .checked_mul(ENTRY_LEN)?
        .checked_add(4)
}

/// Encodes every key version of `keyring`; returns the plaintext and the count.
pub(crate) fn encode(keyring: &Keyring) -> (Zeroizing<Vec<u8>>, u32) {
    let entries = keyring.entries();
    let n = u32::try_from(entries.len()).unwrap_or(u32::MAX);
    let mut out = Zeroizing::new(Vec::with_capacity(plaintext_len(n).unwrap_or(0)));
    out.extend_from_slice(&n.to_be_bytes());
    for e in entries.iter().take(n as usize) {
        let start = out.len();
        out.push(u8::from(e.current));
        out.extend_from_slice(&e.key_version.get().to_be_bytes());
        out.extend_from_slice(&e.highest.get().to_be_bytes());
        out.extend_from_slice(e.key.danger_as_bytes());
        let kid = e.key_id.as_str().as_bytes();
        out.extend_from_slice(&u16::try_from(kid.len()).unwrap_or(0).to_be_bytes());
        out.extend_from_slice(kid);
        out.resize(start.saturating_add(ENTRY_LEN), 0);
    }
    (out, n)
}

/// Decodes and checks a plaintext of `n` keys.
pub(crate) fn decode(bytes: &[u8], n: u32) -> Option<Keyring> {
    let (count, mut rest) = bytes.split_first_chunk::<4>()?;
    if u32::from_be_bytes(*count) != n || Some(bytes.len()) != plaintext_len(n) {
        return None;
    }
    let mut entries = Vec::new();
    while let Some((entry, tail)) = rest.split_first_chunk::<ENTRY_LEN>() {
        entries.push(decode_entry(entry)?);
        rest = tail;
    }
    Keyring::from_entries(entries)
}

fn decode_entry(entry: &[u8; ENTRY_LEN]) -> Option<KeyEntry> {
    let (flags, rest) = entry.split_first()?;
    let (kver, rest) = rest.split_first_chunk::<4>()?;
    let (highest, rest) = rest.split_first_chunk::<4>()?;
    let (key, rest) = rest.split_first_chunk::<32>()?;
    let (len, rest) = rest.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes(*len));
    let (kid, padding) = rest.split_at_checked(len)?;
    if *flags > 1 || padding.iter().any(|b| *b != 0) {
        return None;
    }
    let key_id: KeyId = core::str::from_utf8(kid).ok()?.parse().ok()?;
    Some(KeyEntry {
        key_id,
        key_version: KeyVersion::new(u64::from(u32::from_be_bytes(*kver))).ok()?,
        current: *flags == 1,
        highest: KeyVersion::new(u64::from(u32::from_be_bytes(*highest))).ok()?,
        key: AesGcmKey::from_bytes(*key),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_checks() {
        let mut ring = Keyring::new();
        ring.generate("a".parse().unwrap()).unwrap();
        ring.rotate(&"a".parse().unwrap()).unwrap();
        ring.generate("é".repeat(127).parse().unwrap()).unwrap();
        let (pt, n) = encode(&ring);
        assert_eq!((n, pt.len()), (3, 4 + 3 * ENTRY_LEN));
        let back = decode(&pt, n).unwrap();
        assert_eq!(*back.export().to_json(), *ring.export().to_json());
        assert!(decode(&pt, 2).is_none());
        assert!(decode(&pt[..pt.len() - 1], 3).is_none());
        let mut two_current = pt.clone();
        two_current[4] = 1;
        assert!(decode(&two_current, 3).is_none());
        let mut bad_flag = pt.clone();
        bad_flag[4] = 2;
        assert!(decode(&bad_flag, 3).is_none());
    }
}
