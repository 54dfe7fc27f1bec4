//! Fingerprints and safety numbers (spec/key-lifecycle.md section 2.3).
//!
//! ```text
//! fingerprint = SHA-256(str16("domvia-fingerprint v1") || str16(user) || str16(device) || hpke_pk || sign_pk)
//! digits(fp)  = for i in 0..6: u40(fp[5i .. 5i+5]) mod 100000, as 5 digits
//! safety_number(A, B) = sorted(digits(A), digits(B)), concatenated: 60 digits
//! ```

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::DeviceRef;
use crate::wire::Tbs;

/// SHA-256 of a device's names and public keys: what users compare, as digits.
#[derive(Clone, Copy, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub(crate) fn of(id: &DeviceRef, hpke_pk: &[u8; 32], sign_pk: &[u8; 32]) -> Self {
        let bytes = Tbs::new("domvia-fingerprint v1")
            .str(id.user.as_str())
            .str(id.device.as_str())
            .bytes(hpke_pk)
            .bytes(sign_pk)
            .finish();
        Self(Sha256::digest(&bytes).into())
    }

    /// The fingerprint's 32 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The fingerprint from its 32 bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// 30 decimal digits (about 100 bits), without separators.
    #[must_use]
    pub fn digits(&self) -> String {
        self.0
            .chunks_exact(5)
            .take(6)
            .map(|c| {
                let n = c.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
                format!("{:05}", n % 100_000)
            })
            .collect()
    }
}

/// Constant time: fingerprints are public, but comparing them is a security decision.
impl PartialEq for Fingerprint {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// Six groups of five digits.
impl core::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&group(&self.digits()))
    }
}

impl core::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// The 60 digits two devices show identically; compare them out of band.
#[derive(Clone, PartialEq, Eq)]
pub struct SafetyNumber(String);

impl SafetyNumber {
    /// The 60 digits without separators.
    #[must_use]
    pub fn digits(&self) -> &str {
        &self.0
    }
}

/// Twelve groups of five digits.
impl core::fmt::Display for SafetyNumber {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&group(&self.0))
    }
}

impl core::fmt::Debug for SafetyNumber {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SafetyNumber({self})")
    }
}

/// The safety number of two devices: the same whichever side computes it.
#[must_use]
pub fn safety_number(a: &super::DeviceBundle, b: &super::DeviceBundle) -> SafetyNumber {
    let (x, y) = (a.fingerprint().digits(), b.fingerprint().digits());
    SafetyNumber(if x <= y { x + &y } else { y + &x })
}

fn group(digits: &str) -> String {
    digits
        .as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_follow_the_spec() {
        let mut bytes = [0u8; 32];
        bytes[4] = 7; // first chunk 0x0000000007
        bytes[5..10].copy_from_slice(&[0xFF; 5]); // 2^40 - 1 = 1099511627775
        let fp = Fingerprint::from_bytes(bytes);
        assert_eq!(&fp.digits()[..10], "0000727775");
        assert_eq!(fp.to_string().len(), 35);
    }
}
