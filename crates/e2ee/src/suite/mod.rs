//! The cryptographic suite of format version 1, and its interchangeable back ends.
//!
//! Suite 1 (`AES256GCM-HKDFSHA256`, spec/envelope-v1.md sections 4 and 5):
//!
//! ```text
//! PRK         = HKDF-Extract(salt = "domvia-e2ee v1 extract", IKM = K)
//! commitment  = HKDF-Expand(PRK, "domvia-e2ee v1 commit" || u8(suite), 32)      ; per key
//! message_key = HKDF-Expand(PRK, "domvia-e2ee v1 msg" || u8(suite) || nonce, 32)
//! sealed      = AES-256-GCM(message_key, iv = 0^96, AAD, framed_plaintext)
//! ```
//!
//! HKDF runs on the RustCrypto `hkdf` crate everywhere (SHA-NI where the CPU has it); the
//! extract step and the commitment are computed once per key, so an envelope costs one
//! HMAC-SHA256 block of derivation. AES-GCM runs on the RustCrypto crates on WebAssembly.
//! Natively it runs on `aws-lc-rs` (hardware AES and GHASH, formally verified) from
//! [`native::SMALL`] bytes up, and on RustCrypto below, where its cheaper key setup wins
//! (the per-envelope key makes key setup part of every message). The lengths are public,
//! so the choice reveals nothing. All back ends produce the same bytes: the unit tests
//! below cross-check them, and CI runs the vectors with RustCrypto alone as well.

use zeroize::Zeroizing;

#[cfg(test)]
use crate::secret_buf::SecretBuf;

#[cfg(not(target_arch = "wasm32"))]
#[cfg_attr(
    feature = "rust-crypto",
    allow(
        dead_code,
        reason = "with rust-crypto it only cross-checks RustCrypto in tests"
    )
)]
pub(crate) mod aws_lc;
#[cfg(not(any(target_arch = "wasm32", feature = "rust-crypto")))]
pub(crate) mod native;
pub(crate) mod rust_crypto;

#[cfg(not(any(target_arch = "wasm32", feature = "rust-crypto")))]
pub(crate) use native as active;
#[cfg(any(target_arch = "wasm32", feature = "rust-crypto"))]
pub(crate) use rust_crypto as active;

/// Length of a key, and of a derived message key, in bytes.
pub(crate) const KEY_LEN: usize = 32;
/// Length of the per-envelope random nonce.
pub(crate) const NONCE_LEN: usize = 32;
/// Length of the key commitment.
pub(crate) const COMMITMENT_LEN: usize = 32;
/// Length of the AES-GCM tag.
pub(crate) const TAG_LEN: usize = 16;
/// The all-zero 96-bit IV: every message key encrypts exactly one plaintext.
pub(crate) const IV: [u8; 12] = [0; 12];
/// HKDF-Extract salt.
pub(crate) const EXTRACT_SALT: &[u8] = b"domvia-e2ee v1 extract";
/// HKDF-Expand info prefix of the message key; the suite byte and the nonce follow.
pub(crate) const MESSAGE_LABEL: &[u8] = b"domvia-e2ee v1 msg";
/// HKDF-Expand info prefix of the commitment; the suite byte follows.
pub(crate) const COMMIT_LABEL: &[u8] = b"domvia-e2ee v1 commit";

/// A cipher suite. Format version 1 has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// AES-256-GCM under a per-envelope key from HKDF-SHA256, with a 256-bit key
    /// commitment.
    Aes256GcmHkdfSha256,
}

impl Suite {
    /// The suite's name in the envelope's `suite` member.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes256GcmHkdfSha256 => "AES256GCM-HKDFSHA256",
        }
    }

    /// The suite's byte in the associated data and the HKDF info.
    #[must_use]
    pub fn byte(self) -> u8 {
        match self {
            Self::Aes256GcmHkdfSha256 => 1,
        }
    }

    /// The suite with this name, if this implementation supports it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "AES256GCM-HKDFSHA256" => Some(Self::Aes256GcmHkdfSha256),
            _ => None,
        }
    }
}

/// HKDF after the extract step: the keyed HMAC state for HKDF-Expand, computed once per
/// key.
#[derive(Clone)]
pub(crate) struct Prk(hkdf::Hkdf<sha2::Sha256>);

impl Prk {
    /// `HKDF-Extract(salt = "domvia-e2ee v1 extract", IKM = key)`.
    pub(crate) fn extract(key: &[u8; KEY_LEN]) -> Self {
        Self(hkdf::Hkdf::new(Some(EXTRACT_SALT), key))
    }

    /// `HKDF-Expand(PRK, "domvia-e2ee v1 commit" || u8(suite), 32)`: the key commitment.
    pub(crate) fn commitment(&self, suite: u8) -> [u8; COMMITMENT_LEN] {
        let mut out = [0u8; COMMITMENT_LEN];
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
        let _ = self
            .0
            .expand_multi_info(&[COMMIT_LABEL, &[suite]], &mut out);
        out
    }

    /// `HKDF-Expand(PRK, "domvia-e2ee v1 msg" || u8(suite) || nonce, 32)`: the single-use
    /// AES-256-GCM key of one envelope.
    pub(crate) fn message_key(
        &self,
        suite: u8,
        nonce: &[u8; NONCE_LEN],
    ) -> Zeroizing<[u8; KEY_LEN]> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        let _ = self
            .0
            .expand_multi_info(&[MESSAGE_LABEL, &[suite], nonce], key.as_mut_slice());
        key
    }
}

// Each back end offers `seal_in_place(key, aad, &mut SecretBuf)`, which encrypts the
// buffer and appends the tag into capacity the caller reserved, and `open_in_place`, which
// takes ciphertext || tag and on success leaves only the plaintext (on failure the buffer
// is unspecified, and wiped on drop).

/// The AEAD refused: the tag did not verify (or, when sealing, the input was too long
/// for AES-GCM, which the size limits rule out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AeadFailure;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::{Prk, SecretBuf, TAG_LEN, aws_lc, rust_crypto};

    #[test]
    fn both_back_ends_seal_and_open_the_same_bytes() {
        for (i, len) in [0usize, 1, 15, 16, 17, 200, 767, 768, 4096, 65_537]
            .into_iter()
            .enumerate()
        {
            let key = [u8::try_from(i).unwrap(); 32];
            let nonce = [0xA5 ^ u8::try_from(i).unwrap(); 32];
            let m = Prk::extract(&key).message_key(1, &nonce);
            let plain: Vec<u8> = (0..len).map(|j| (j % 251) as u8).collect();
            let aad = b"aad bytes";
            let mut x = SecretBuf::copy_of(&plain, TAG_LEN);
            let mut y = SecretBuf::copy_of(&plain, TAG_LEN);
            aws_lc::seal_in_place(&m, aad, &mut x).unwrap();
            rust_crypto::seal_in_place(&m, aad, &mut y).unwrap();
            assert_eq!(&*x, &*y, "ciphertexts differ at length {len}");
            let sealed = x.into_public();

            for open in [aws_lc::open_in_place, rust_crypto::open_in_place] {
                let mut a = SecretBuf::copy_of(&sealed, 0);
                open(&m, aad, &mut a).unwrap();
                assert_eq!(&*a, &plain[..]);
                let mut bad = sealed.clone();
                if let Some(last) = bad.last_mut() {
                    *last ^= 1;
                }
                assert!(open(&m, aad, &mut SecretBuf::copy_of(&bad, 0)).is_err());
                assert!(open(&m, b"other", &mut SecretBuf::copy_of(&sealed, 0)).is_err());
                assert!(open(&m, aad, &mut SecretBuf::copy_of(&sealed[..15], 0)).is_err());
            }
        }
    }

    #[test]
    fn derivations_match_one_shot_hkdf() {
        let key = [7u8; 32];
        let nonce = [9u8; 32];
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(super::EXTRACT_SALT), &key);
        let mut info = super::MESSAGE_LABEL.to_vec();
        info.push(1);
        info.extend_from_slice(&nonce);
        let mut okm = [0u8; 32];
        hk.expand(&info, &mut okm).unwrap();
        let prk = Prk::extract(&key);
        assert_eq!(okm, *prk.message_key(1, &nonce));
        hk.expand(b"domvia-e2ee v1 commit\x01", &mut okm).unwrap();
        assert_eq!(okm, prk.commitment(1));
    }
}
