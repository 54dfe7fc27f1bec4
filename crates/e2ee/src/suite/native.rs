//! The native AES-GCM dispatch: RustCrypto below [`SMALL`] bytes, aws-lc-rs from there.
//!
//! Every envelope has its own AES key, so key setup is paid per message. RustCrypto's key
//! setup is cheaper, aws-lc-rs's bulk encryption faster; measured on this project's 2-core
//! x86-64 machines (AES-NI, VAES, PCLMULQDQ), the two cross near 768 bytes. Both are
//! constant time and give identical bytes; the length that picks one is public.

use super::{AeadFailure, KEY_LEN, aws_lc, rust_crypto};
use crate::secret_buf::SecretBuf;

/// Buffers shorter than this (plaintext, or ciphertext and tag) use RustCrypto.
pub(crate) const SMALL: usize = 768;

/// Encrypts `buf` in place and appends the tag.
pub(crate) fn seal_in_place(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    buf: &mut SecretBuf,
) -> Result<(), AeadFailure> {
    if buf.len() < SMALL {
        rust_crypto::seal_in_place(key, aad, buf)
    } else {
        aws_lc::seal_in_place(key, aad, buf)
    }
}

/// Verifies ciphertext || tag and leaves the plaintext in `buf`.
pub(crate) fn open_in_place(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    buf: &mut SecretBuf,
) -> Result<(), AeadFailure> {
    if buf.len() < SMALL {
        rust_crypto::open_in_place(key, aad, buf)
    } else {
        aws_lc::open_in_place(key, aad, buf)
    }
}
