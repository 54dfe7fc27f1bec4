//! AES-256-GCM on the pure-Rust RustCrypto crates: the back end for WebAssembly, and a
//! cross-check for the native one.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};

use super::{AeadFailure, IV_LEN, KEY_LEN, TAG_LEN};
use crate::secret_buf::SecretBuf;

/// A session key with its key schedule done (wiped on drop: the `zeroize` feature).
pub(crate) struct Cipher(Aes256Gcm);

impl Cipher {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Result<Self, AeadFailure> {
        Ok(Self(Aes256Gcm::new(key.into())))
    }

    /// Encrypts `buf` in place and appends the tag (into capacity the caller reserved).
    pub(crate) fn seal_in_place(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        buf: &mut SecretBuf,
    ) -> Result<(), AeadFailure> {
        let tag = self
            .0
            .encrypt_inout_detached(&Nonce::from(*iv), aad, (&mut **buf).into())
            .map_err(|_| AeadFailure)?;
        buf.extend_from_slice(tag.as_slice());
        Ok(())
    }

    /// Verifies ciphertext || tag and leaves the plaintext in `buf`.
    pub(crate) fn open_in_place(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        buf: &mut SecretBuf,
    ) -> Result<(), AeadFailure> {
        let ct_len = buf.len().checked_sub(TAG_LEN).ok_or(AeadFailure)?;
        let (ct, tag) = buf.split_at_mut(ct_len);
        let tag = Tag::try_from(&*tag).map_err(|_| AeadFailure)?;
        self.0
            .decrypt_inout_detached(&Nonce::from(*iv), aad, ct.into(), &tag)
            .map_err(|_| AeadFailure)?;
        buf.truncate(ct_len);
        Ok(())
    }
}
