//! The cryptographic suite of format version 1, and its interchangeable back ends.
//!
//! Suite 1 (`AES256GCM-HKDFSHA256`, spec/envelope-v1.md sections 4 and 5):
//!
//! ```text
//! PRK         = HKDF-Extract(salt = "domvia-e2ee v1 extract", IKM = K)
//! commitment  = HKDF-Expand(PRK, "domvia-e2ee v1 commit" || u8(suite), 32)           ; per key
//! session_key = HKDF-Expand(PRK, "domvia-e2ee v1 session" || u8(suite) || salt, 32)  ; per sender session
//! sealed      = AES-256-GCM(session_key, iv, AAD, framed_plaintext)
//! nonce       = salt || iv                                                          ; 32 + 12 bytes
//! ```
//!
//! HKDF runs on the RustCrypto `hkdf` crate everywhere (SHA-NI where the CPU has it).
//! AES-GCM runs natively on `aws-lc-rs` (hardware AES and GHASH, formally verified) and on
//! WebAssembly on the RustCrypto crates. A [`Cipher`](active::Cipher) is a session key
//! with its key schedule done, kept by [`crate::sessions`] for as long as the session
//! lasts. Both back ends produce the same bytes: the unit tests below cross-check them,
//! and CI runs the vectors with RustCrypto alone as well.

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

/// Length of a key, and of a derived session key, in bytes.
pub(crate) const KEY_LEN: usize = 32;
/// Length of a sender session's salt.
pub(crate) const SALT_LEN: usize = 32;
/// Length of the AES-GCM IV.
pub(crate) const IV_LEN: usize = 12;
/// Length of the envelope's nonce: salt || IV.
pub(crate) const NONCE_LEN: usize = SALT_LEN + IV_LEN;
/// Length of the key commitment.
pub(crate) const COMMITMENT_LEN: usize = 32;
/// Length of the AES-GCM tag.
pub(crate) const TAG_LEN: usize = 16;
/// HKDF-Extract salt.
pub(crate) const EXTRACT_SALT: &[u8] = b"domvia-e2ee v1 extract";
/// HKDF-Expand info prefix of a session key; the suite byte and the salt follow.
pub(crate) const SESSION_LABEL: &[u8] = b"domvia-e2ee v1 session";
/// HKDF-Expand info prefix of the commitment; the suite byte follows.
pub(crate) const COMMIT_LABEL: &[u8] = b"domvia-e2ee v1 commit";

/// A cipher suite. Format version 1 has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// AES-256-GCM under per-sender-session keys from HKDF-SHA256, with a 256-bit key
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
pub(crate) struct Prk(domvia_e2ee_suite::HkdfSha256);

impl Prk {
    /// `HKDF-Extract(salt = "domvia-e2ee v1 extract", IKM = key)`.
    pub(crate) fn extract(key: &[u8; KEY_LEN]) -> Self {
        Self(domvia_e2ee_suite::HkdfSha256::extract(EXTRACT_SALT, key))
    }

    /// `HKDF-Expand(PRK, "domvia-e2ee v1 commit" || u8(suite), 32)`: the key commitment.
    pub(crate) fn commitment(&self, suite: u8) -> [u8; COMMITMENT_LEN] {
        let mut out = [0u8; COMMITMENT_LEN];
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
        let _ = self.0.expand(&[COMMIT_LABEL, &[suite]], &mut out);
        out
    }

    /// `HKDF-Expand(PRK, "domvia-e2ee v1 session" || u8(suite) || salt, 32)`: the AES key
    /// of one sender session.
    pub(crate) fn session_key(&self, suite: u8, salt: &[u8; SALT_LEN]) -> Zeroizing<[u8; KEY_LEN]> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        let _ = self
            .0
            .expand(&[SESSION_LABEL, &[suite], salt], key.as_mut_slice());
        key
    }
}

// Each back end offers `Cipher::new(session_key)`, `Cipher::seal_in_place(iv, aad, &mut
// SecretBuf)`, which encrypts the buffer and appends the tag into capacity the caller
// reserved, and `Cipher::open_in_place(iv, aad, &mut SecretBuf)`, which takes ciphertext ||
// tag and on success leaves only the plaintext (on failure the buffer is unspecified, and
// wiped on drop).

/// The AEAD refused: the tag did not verify (or, when sealing, the input was too long
/// for AES-GCM, which the size limits rule out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AeadFailure;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::{Prk, SecretBuf, TAG_LEN, aws_lc, rust_crypto};

    type OpenFn<'a> = dyn Fn(&[u8; 12], &[u8], &mut SecretBuf) -> bool + 'a;

    #[test]
    fn both_back_ends_seal_and_open_the_same_bytes() {
        for (i, len) in [0usize, 1, 15, 16, 17, 200, 4096, 65_537]
            .into_iter()
            .enumerate()
        {
            let byte = u8::try_from(i).unwrap();
            let k = Prk::extract(&[byte; 32]).session_key(1, &[0xA5 ^ byte; 32]);
            let iv = [byte; 12];
            let (a, r) = (
                aws_lc::Cipher::new(&k).unwrap(),
                rust_crypto::Cipher::new(&k).unwrap(),
            );
            let plain: Vec<u8> = (0..len).map(|j| (j % 251) as u8).collect();
            let aad = b"aad bytes";
            let mut x = SecretBuf::copy_of(&plain, TAG_LEN);
            let mut y = SecretBuf::copy_of(&plain, TAG_LEN);
            a.seal_in_place(&iv, aad, &mut x).unwrap();
            r.seal_in_place(&iv, aad, &mut y).unwrap();
            assert_eq!(&*x, &*y, "ciphertexts differ at length {len}");
            let sealed = x.into_public();

            let mut bad = sealed.clone();
            if let Some(last) = bad.last_mut() {
                *last ^= 1;
            }
            let opens: [&OpenFn<'_>; 2] = [
                &|iv, aad, b| a.open_in_place(iv, aad, b).is_ok(),
                &|iv, aad, b| r.open_in_place(iv, aad, b).is_ok(),
            ];
            for open in opens {
                let mut buf = SecretBuf::copy_of(&sealed, 0);
                assert!(open(&iv, aad, &mut buf));
                assert_eq!(&*buf, &plain[..]);
                assert!(!open(&iv, aad, &mut SecretBuf::copy_of(&bad, 0)));
                assert!(!open(&iv, b"other", &mut SecretBuf::copy_of(&sealed, 0)));
                assert!(!open(&[0xFF; 12], aad, &mut SecretBuf::copy_of(&sealed, 0)));
                assert!(!open(&iv, aad, &mut SecretBuf::copy_of(&sealed[..15], 0)));
            }
        }
    }

    #[test]
    fn derivations_match_one_shot_hkdf() {
        let key = [7u8; 32];
        let salt = [9u8; 32];
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(super::EXTRACT_SALT), &key);
        let mut info = super::SESSION_LABEL.to_vec();
        info.push(1);
        info.extend_from_slice(&salt);
        let mut okm = [0u8; 32];
        hk.expand(&info, &mut okm).unwrap();
        let prk = Prk::extract(&key);
        assert_eq!(okm, *prk.session_key(1, &salt));
        hk.expand(b"domvia-e2ee v1 commit\x01", &mut okm).unwrap();
        assert_eq!(okm, prk.commitment(1));
    }
}
