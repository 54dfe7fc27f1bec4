//! AES-256-GCM on `aws-lc-rs`: the native back end (AES-NI/VAES and carry-less
//! multiplication where present).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use super::{AeadFailure, IV, KEY_LEN};
use crate::secret_buf::SecretBuf;

fn key(key: &[u8; KEY_LEN]) -> Result<LessSafeKey, AeadFailure> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| AeadFailure)
}

/// Encrypts `buf` in place under `k` with the zero IV and appends the tag (into capacity
/// the caller reserved).
pub(crate) fn seal_in_place(
    k: &[u8; KEY_LEN],
    aad: &[u8],
    buf: &mut SecretBuf,
) -> Result<(), AeadFailure> {
    key(k)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(IV),
            Aad::from(aad),
            buf.vec_within_capacity(),
        )
        .map_err(|_| AeadFailure)
}

/// Verifies ciphertext || tag and leaves the plaintext in `buf`.
pub(crate) fn open_in_place(
    k: &[u8; KEY_LEN],
    aad: &[u8],
    buf: &mut SecretBuf,
) -> Result<(), AeadFailure> {
    let len = key(k)?
        .open_in_place(Nonce::assume_unique_for_key(IV), Aad::from(aad), buf)
        .map_err(|_| AeadFailure)?
        .len();
    buf.truncate(len);
    Ok(())
}
