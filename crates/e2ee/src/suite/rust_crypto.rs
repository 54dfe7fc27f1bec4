//! Suite 1 on the pure-Rust RustCrypto crates: the back end for WebAssembly, and a
//! cross-check for the native one.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use zeroize::Zeroizing;

use super::{
    AeadFailure, COMMITMENT_LEN, EXPAND_LABEL, EXTRACT_SALT, IV, KEY_LEN, MessageSecrets,
    NONCE_LEN, TAG_LEN,
};

/// HKDF after the extract step: the keyed HMAC state for HKDF-Expand.
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

/// Encrypts `buf` in place under `key` with the zero IV and appends the tag.
pub(crate) fn seal_in_place(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    buf: &mut Vec<u8>,
) -> Result<(), AeadFailure> {
    let cipher = Aes256Gcm::new(key.into());
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(IV), aad, buf.as_mut_slice().into())
        .map_err(|_| AeadFailure)?;
    buf.extend_from_slice(tag.as_slice());
    Ok(())
}

/// Verifies and decrypts `sealed` (ciphertext || tag); nothing is returned unless the tag
/// verifies.
pub(crate) fn open(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, AeadFailure> {
    let ct_len = sealed.len().checked_sub(TAG_LEN).ok_or(AeadFailure)?;
    let (ct, tag) = sealed.split_at(ct_len);
    let tag = Tag::try_from(tag).map_err(|_| AeadFailure)?;
    let mut out = Zeroizing::new(ct.to_vec());
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt_inout_detached(&Nonce::from(IV), aad, out.as_mut_slice().into(), &tag)
        .map_err(|_| AeadFailure)?;
    Ok(out)
}
