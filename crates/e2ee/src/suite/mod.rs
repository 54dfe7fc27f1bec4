//! The cryptographic suite of format version 1, and its two interchangeable back ends.
//!
//! Suite 1 (`AES256GCM-HKDFSHA256`, spec/envelope-v1.md section 4):
//!
//! ```text
//! PRK         = HKDF-Extract(salt = "domvia-e2ee v1 extract", IKM = K)
//! OKM         = HKDF-Expand(PRK, "domvia-e2ee v1 msg" || u8(suite) || nonce, 64)
//! message_key = OKM[0..32], commitment = OKM[32..64]
//! sealed      = AES-256-GCM(message_key, iv = 0^96, AAD, framed_plaintext)
//! ```
//!
//! HKDF runs on the RustCrypto `hkdf` crate everywhere (SHA-NI where the CPU has it), with
//! the extract step done once per key. AES-GCM runs natively on `aws-lc-rs` (hardware AES
//! and GHASH, formally verified) and on WebAssembly on the RustCrypto crates. Both back
//! ends produce the same bytes: the unit tests below cross-check them, and CI runs the
//! vectors on both.

use zeroize::Zeroizing;

#[cfg(test)]
use crate::secret_buf::SecretBuf;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod aws_lc;
#[cfg_attr(
    not(any(target_arch = "wasm32", feature = "rust-crypto")),
    allow(
        dead_code,
        reason = "native builds use it to cross-check aws-lc-rs in tests"
    )
)]
pub(crate) mod rust_crypto;

#[cfg(not(any(target_arch = "wasm32", feature = "rust-crypto")))]
pub(crate) use aws_lc as active;
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
/// HKDF-Expand info prefix; the suite byte and the nonce follow.
pub(crate) const EXPAND_LABEL: &[u8] = b"domvia-e2ee v1 msg";

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

/// What HKDF-Expand yields for one envelope.
pub(crate) struct MessageSecrets {
    /// The single-use AES-256-GCM key.
    pub(crate) key: Zeroizing<[u8; KEY_LEN]>,
    /// The key commitment sent in the envelope.
    pub(crate) commitment: [u8; COMMITMENT_LEN],
}

impl MessageSecrets {
    /// Splits the 64 bytes of OKM, zeroizing the buffer it came in.
    fn from_okm(okm: &Zeroizing<[u8; KEY_LEN + COMMITMENT_LEN]>) -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        let mut commitment = [0u8; COMMITMENT_LEN];
        let (k, c) = okm.split_at(KEY_LEN);
        key.copy_from_slice(k);
        commitment.copy_from_slice(c);
        Self { key, commitment }
    }
}

/// HKDF after the extract step: the keyed HMAC state for HKDF-Expand, computed once per
/// key so that every envelope only runs HKDF-Expand.
#[derive(Clone)]
pub(crate) struct Prk(hkdf::Hkdf<sha2::Sha256>);

impl Prk {
    /// `HKDF-Extract(salt = "domvia-e2ee v1 extract", IKM = key)`.
    pub(crate) fn extract(key: &[u8; KEY_LEN]) -> Self {
        Self(hkdf::Hkdf::new(Some(EXTRACT_SALT), key))
    }

    /// `HKDF-Expand(PRK, "domvia-e2ee v1 msg" || u8(suite) || nonce, 64)`.
    pub(crate) fn expand(&self, suite: u8, nonce: &[u8; NONCE_LEN]) -> MessageSecrets {
        let mut okm = Zeroizing::new([0u8; KEY_LEN + COMMITMENT_LEN]);
        // 64 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
        let _ = self
            .0
            .expand_multi_info(&[EXPAND_LABEL, &[suite], nonce], okm.as_mut_slice());
        MessageSecrets::from_okm(&okm)
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
        for (i, len) in [0usize, 1, 15, 16, 17, 200, 4096, 65_537]
            .into_iter()
            .enumerate()
        {
            let key = [u8::try_from(i).unwrap(); 32];
            let nonce = [0xA5 ^ u8::try_from(i).unwrap(); 32];
            let m = Prk::extract(&key).expand(1, &nonce);
            let plain: Vec<u8> = (0..len).map(|j| (j % 251) as u8).collect();
            let aad = b"aad bytes";
            let mut x = SecretBuf::copy_of(&plain, TAG_LEN);
            let mut y = SecretBuf::copy_of(&plain, TAG_LEN);
            aws_lc::seal_in_place(&m.key, aad, &mut x).unwrap();
            rust_crypto::seal_in_place(&m.key, aad, &mut y).unwrap();
            assert_eq!(&*x, &*y, "ciphertexts differ at length {len}");
            let sealed = x.into_public();

            let mut a = SecretBuf::copy_of(&sealed, 0);
            aws_lc::open_in_place(&m.key, aad, &mut a).unwrap();
            assert_eq!(&*a, &plain[..]);
            let mut b = SecretBuf::copy_of(&sealed, 0);
            rust_crypto::open_in_place(&m.key, aad, &mut b).unwrap();
            assert_eq!(&*b, &plain[..]);

            let mut bad = sealed.clone();
            if let Some(last) = bad.last_mut() {
                *last ^= 1;
            }
            for open in [aws_lc::open_in_place, rust_crypto::open_in_place] {
                assert!(open(&m.key, aad, &mut SecretBuf::copy_of(&bad, 0)).is_err());
                assert!(open(&m.key, b"other", &mut SecretBuf::copy_of(&sealed, 0)).is_err());
                assert!(open(&m.key, aad, &mut SecretBuf::copy_of(&sealed[..15], 0)).is_err());
            }
        }
    }

    #[test]
    fn expand_matches_one_shot_hkdf() {
        let key = [7u8; 32];
        let nonce = [9u8; 32];
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(super::EXTRACT_SALT), &key);
        let mut okm = [0u8; 64];
        let mut info = super::EXPAND_LABEL.to_vec();
        info.push(1);
        info.extend_from_slice(&nonce);
        hk.expand(&info, &mut okm).unwrap();
        let s = Prk::extract(&key).expand(1, &nonce);
        assert_eq!(&okm[..32], &s.key[..]);
        assert_eq!(&okm[32..], &s.commitment[..]);
    }
}
