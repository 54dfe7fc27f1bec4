//! AES-256-GCM on the pure-Rust RustCrypto crates (through `domvia-e2ee-suite`): the back
//! end for WebAssembly, and a cross-check for the native one.

use domvia_e2ee_suite::Aes256GcmKey;

use super::{AeadFailure, IV_LEN, KEY_LEN, TAG_LEN};
use crate::secret_buf::SecretBuf;

/// A session key with its key schedule done (wiped on drop: the `zeroize` feature).
pub(crate) struct Cipher(Aes256GcmKey);

impl Cipher {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Result<Self, AeadFailure> {
        Ok(Self(Aes256GcmKey::new(key)))
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
            .seal_detached(iv, aad, buf)
            .map_err(|_| AeadFailure)?;
        buf.extend_from_slice(&tag);
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
        let tag = <&[u8; TAG_LEN]>::try_from(&*tag).map_err(|_| AeadFailure)?;
        self.0
            .open_detached(iv, aad, ct, tag)
            .map_err(|_| AeadFailure)?;
        buf.truncate(ct_len);
        Ok(())
    }
}
