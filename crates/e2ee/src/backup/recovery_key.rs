//! The recovery key (spec/key-lifecycle.md section 8.1): 256 random bits a person can
//! write down, as 56 Crockford base32 characters with a version and a 16-bit check.
//!
//! ```text
//! text = base32(u8(1) || key || SHA-256("domvia-recovery-key v1" || u8(1) || key)[0..2])   ; 35 bytes, 56 characters
//! ```

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::BackupError;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const VERSION: u8 = 1;
const RAW_LEN: usize = 35;
const TEXT_LEN: usize = 56;

/// A backup's recovery key. Wiped on drop, never printed by `Debug`.
#[derive(Clone)]
pub struct RecoveryKey(Zeroizing<[u8; 32]>);

impl RecoveryKey {
    /// A fresh recovery key from the OS-seeded CSPRNG.
    #[cfg(os_rng)]
    #[must_use]
    pub fn generate() -> Self {
        crate::rng::with_system_rng(Self::generate_with_rng)
    }

    /// A fresh recovery key from `rng`.
    #[must_use]
    pub fn generate_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut_slice());
        Self(key)
    }

    /// The form to show the user: 14 groups of 4 characters. Wiped on drop.
    #[must_use]
    #[expect(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "fixed-size arrays: 56 characters of 5 bits are exactly the 35 bytes, so every index is in range"
    )]
    pub fn to_display(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new([0u8; RAW_LEN]);
        raw[0] = VERSION;
        raw[1..33].copy_from_slice(self.0.as_slice());
        raw[33..].copy_from_slice(&check(&self.0));
        let mut out = Zeroizing::new(String::with_capacity(TEXT_LEN + 13));
        // 35 bytes are 280 bits: exactly 56 groups of 5 bits.
        for i in 0..TEXT_LEN {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            let bit = i * 5;
            let word =
                (u16::from(raw[bit / 8]) << 8) | u16::from(*raw.get(bit / 8 + 1).unwrap_or(&0));
            let index = (word >> (11 - bit % 8)) & 0x1F;
            out.push(char::from(ALPHABET[usize::from(index)]));
        }
        out
    }

    /// Parses what the user typed: case-insensitive, spaces and `-` ignored, `O` read as
    /// `0`, `I` and `L` as `1`.
    ///
    /// # Errors
    /// [`BackupError::InvalidRecoveryKey`] for a wrong length, character or version,
    /// [`BackupError::RecoveryKeyChecksum`] for a typo the check catches.
    #[expect(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "fixed-size arrays: 56 characters of 5 bits are exactly the 35 bytes, so every index is in range"
    )]
    pub fn parse(text: &str) -> Result<Self, BackupError> {
        let mut raw = Zeroizing::new([0u8; RAW_LEN]);
        let mut n = 0usize;
        for c in text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\t' | '\n' | '\r'))
        {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            let value = ALPHABET
                .iter()
                .position(|a| char::from(*a) == c)
                .ok_or(BackupError::InvalidRecoveryKey)?;
            if n >= TEXT_LEN {
                return Err(BackupError::InvalidRecoveryKey);
            }
            let bit = n * 5;
            // Spread the 5 bits over one or two bytes.
            let shifted = (value as u16) << (11 - bit % 8);
            raw[bit / 8] |= (shifted >> 8) as u8;
            if let Some(next) = raw.get_mut(bit / 8 + 1) {
                *next |= (shifted & 0xFF) as u8;
            }
            n += 1;
        }
        if n != TEXT_LEN || raw[0] != VERSION {
            return Err(BackupError::InvalidRecoveryKey);
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&raw[1..33]);
        if !bool::from(check(&key).ct_eq(&raw[33..])) {
            return Err(BackupError::RecoveryKeyChecksum);
        }
        Ok(Self(key))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

#[expect(clippy::indexing_slicing, reason = "a SHA-256 digest has 32 bytes")]
fn check(key: &[u8; 32]) -> [u8; 2] {
    let d = Sha256::new()
        .chain_update(b"domvia-recovery-key v1")
        .chain_update([VERSION])
        .chain_update(key)
        .finalize();
    [d[0], d[1]]
}

impl core::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RecoveryKey(<redacted>)")
    }
}

/// Constant-time comparison.
impl PartialEq for RecoveryKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&*other.0).into()
    }
}

impl Eq for RecoveryKey {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_catches_typos() {
        let key = RecoveryKey::generate();
        let shown = key.to_display();
        assert_eq!(shown.len(), TEXT_LEN + 13);
        assert_eq!(RecoveryKey::parse(&shown).unwrap(), key);
        let sloppy = shown
            .to_lowercase()
            .replace(' ', "-")
            .replace('0', "o")
            .replace('1', "l");
        assert_eq!(RecoveryKey::parse(&sloppy).unwrap(), key);
        // One character changed in the key part.
        let mut typo: Vec<char> = shown.chars().collect();
        typo[10] = if typo[10] == 'A' { 'B' } else { 'A' };
        let typo: String = typo.into_iter().collect();
        assert_eq!(
            RecoveryKey::parse(&typo).unwrap_err(),
            BackupError::RecoveryKeyChecksum
        );
        assert_eq!(
            RecoveryKey::parse(&shown[..20]).unwrap_err(),
            BackupError::InvalidRecoveryKey
        );
        assert_eq!(
            RecoveryKey::parse(&format!("{}U", &*shown)).unwrap_err(),
            BackupError::InvalidRecoveryKey
        );
        assert_eq!(format!("{key:?}"), "RecoveryKey(<redacted>)");
        // The first character carries the version byte's high bits: always "0" for v1.
        assert!(shown.starts_with('0'));
    }
}
