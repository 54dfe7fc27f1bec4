//! AES-256-GCM on `aws-lc-rs`: the native back end (AES-NI/VAES and carry-less
//! multiplication where present).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use super::{AeadFailure, IV_LEN, KEY_LEN};
use crate::secret_buf::SecretBuf;

/// A session key with its key schedule done (aws-lc wipes it when dropped).
pub(crate) struct Cipher(LessSafeKey);

impl Cipher {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Result<Self, AeadFailure> {
        UnboundKey::new(&AES_256_GCM, key)
            .map(|k| Self(LessSafeKey::new(k)))
            .map_err(|_| AeadFailure)
    }

    /// Encrypts `buf` in place and appends the tag (into capacity the caller reserved).
    pub(crate) fn seal_in_place(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        buf: &mut SecretBuf,
    ) -> Result<(), AeadFailure> {
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(*iv),
                Aad::from(aad),
                buf.vec_within_capacity(),
            )
            .map_err(|_| AeadFailure)
    }

    /// Verifies ciphertext || tag and leaves the plaintext in `buf`.
    pub(crate) fn open_in_place(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        buf: &mut SecretBuf,
    ) -> Result<(), AeadFailure> {
        let len = self
            .0
            .open_in_place(Nonce::assume_unique_for_key(*iv), Aad::from(aad), buf)
            .map_err(|_| AeadFailure)?
            .len();
        buf.truncate(len);
        Ok(())
    }
}
