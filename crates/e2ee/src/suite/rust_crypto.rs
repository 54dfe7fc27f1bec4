//! AES-256-GCM on the pure-Rust RustCrypto crates: the back end for WebAssembly, and a
//! cross-check for the native one.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};

use super::{AeadFailure, IV, KEY_LEN, TAG_LEN};
use crate::secret_buf::SecretBuf;

/// Encrypts `buf` in place under `key` with the zero IV and appends the tag.
pub(crate) fn seal_in_place(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    buf: &mut SecretBuf,
) -> Result<(), AeadFailure> {
    let cipher = Aes256Gcm::new(key.into());
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(IV), aad, (&mut **buf).into())
        .map_err(|_| AeadFailure)?;
    buf.extend_from_slice(tag.as_slice());
    Ok(())
}

/// Verifies ciphertext || tag and leaves the plaintext in `buf`.
pub(crate) fn open_in_place(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    buf: &mut SecretBuf,
) -> Result<(), AeadFailure> {
    let ct_len = buf.len().checked_sub(TAG_LEN).ok_or(AeadFailure)?;
    let (ct, tag) = buf.split_at_mut(ct_len);
    let tag = Tag::try_from(&*tag).map_err(|_| AeadFailure)?;
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt_inout_detached(&Nonce::from(IV), aad, ct.into(), &tag)
        .map_err(|_| AeadFailure)?;
    buf.truncate(ct_len);
    Ok(())
}
