//! Suite 1 on `aws-lc-rs`: the native back end (AES-NI/VAES and SHA-NI where present).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::hkdf;
use zeroize::Zeroizing;

use super::{
    AeadFailure, COMMITMENT_LEN, EXPAND_LABEL, EXTRACT_SALT, IV, KEY_LEN, MessageSecrets,
    NONCE_LEN, TAG_LEN,
};

/// HKDF after the extract step. aws-lc-rs keeps the PRK in memory it zeroizes on drop.
#[derive(Clone)]
pub(crate) struct Prk(hkdf::Prk);

/// The output length type HKDF-Expand needs: 64 bytes.
struct Okm64;

impl hkdf::KeyType for Okm64 {
    fn len(&self) -> usize {
        KEY_LEN + COMMITMENT_LEN
    }
}

impl Prk {
    /// `HKDF-Extract(salt = "domvia-e2ee v1 extract", IKM = key)`.
    pub(crate) fn extract(key: &[u8; KEY_LEN]) -> Self {
        Self(hkdf::Salt::new(hkdf::HKDF_SHA256, EXTRACT_SALT).extract(key))
    }

    /// `HKDF-Expand(PRK, "domvia-e2ee v1 msg" || u8(suite) || nonce, 64)`.
    pub(crate) fn expand(&self, suite: u8, nonce: &[u8; NONCE_LEN]) -> MessageSecrets {
        let mut okm = Zeroizing::new([0u8; KEY_LEN + COMMITMENT_LEN]);
        let suite = [suite];
        let info: [&[u8]; 3] = [EXPAND_LABEL, &suite, nonce];
        // The only failure is a length mismatch, which Okm64 rules out.
        if let Ok(o) = self.0.expand(&info, Okm64) {
            let _ = o.fill(okm.as_mut_slice());
        }
        MessageSecrets::from_okm(&okm)
    }
}

fn key(key: &[u8; KEY_LEN]) -> Result<LessSafeKey, AeadFailure> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| AeadFailure)
}

/// Encrypts `buf` in place under `key` with the zero IV and appends the tag.
pub(crate) fn seal_in_place(
    k: &[u8; KEY_LEN],
    aad: &[u8],
    buf: &mut Vec<u8>,
) -> Result<(), AeadFailure> {
    key(k)?
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(IV), Aad::from(aad), buf)
        .map_err(|_| AeadFailure)
}

/// Verifies and decrypts `sealed` (ciphertext || tag); nothing is returned unless the tag
/// verifies.
pub(crate) fn open(
    k: &[u8; KEY_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, AeadFailure> {
    let ct_len = sealed.len().checked_sub(TAG_LEN).ok_or(AeadFailure)?;
    let (ct, tag) = sealed.split_at(ct_len);
    let mut out = Zeroizing::new(vec![0u8; ct_len]);
    let opened = key(k)?.open_separate_gather(
        Nonce::assume_unique_for_key(IV),
        Aad::from(aad),
        ct,
        tag,
        out.as_mut_slice(),
    );
    match opened {
        Ok(()) => Ok(out),
        // `out` may hold unauthenticated plaintext; Zeroizing wipes it on drop.
        Err(_) => Err(AeadFailure),
    }
}
