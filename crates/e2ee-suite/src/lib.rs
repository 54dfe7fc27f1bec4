//! The per-message primitives of domvia-e2ee's suite 1 on the RustCrypto crates:
//! AES-256-GCM and HKDF-SHA256, nothing else, as concrete (non-generic) functions.
//!
//! Why a crate of its own: RustCrypto's AES-GCM and HKDF are generic, and generic code is
//! compiled in the crate that instantiates it. Instantiated here, it is compiled with this
//! crate's optimization level, so the WebAssembly build (Cargo.toml's `wasm` profile)
//! optimizes this crate for speed and everything else (the key lifecycle, parsing) for
//! size. The public functions are `#[inline(never)]` so that they keep that code even
//! when called from code optimized for size.
//!
//! The keys are wiped on drop (the `zeroize` features of `aes-gcm` and `hmac`).
#![no_std]

#[cfg(test)]
extern crate std;
#[cfg(test)]
use std::{format, string::String, vec::Vec};

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use sha2::Sha256;

/// Length of an AES-256 key, and of an HKDF-SHA256 output block.
pub const KEY_LEN: usize = 32;
/// Length of the AES-GCM IV.
pub const IV_LEN: usize = 12;
/// Length of the AES-GCM tag.
pub const TAG_LEN: usize = 16;

/// The primitive refused: the tag did not verify, the input was too long for AES-GCM, or
/// the output too long for HKDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure;

/// An AES-256-GCM key with its key schedule done.
pub struct Aes256GcmKey(Aes256Gcm);

impl Aes256GcmKey {
    /// The key schedule of `key`.
    #[must_use]
    #[inline(never)]
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }

    /// Encrypts `buf` in place; the tag.
    ///
    /// # Errors
    /// [`Failure`] when `buf` is longer than AES-GCM allows.
    #[inline(never)]
    pub fn seal_detached(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Failure> {
        let tag = self
            .0
            .encrypt_inout_detached(&Nonce::from(*iv), aad, buf.into())
            .map_err(|_| Failure)?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_slice());
        Ok(out)
    }

    /// Verifies `tag` and decrypts `buf` in place.
    ///
    /// # Errors
    /// [`Failure`] when the tag does not verify (`buf` is then unspecified).
    #[inline(never)]
    pub fn open_detached(
        &self,
        iv: &[u8; IV_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Failure> {
        self.0
            .decrypt_inout_detached(&Nonce::from(*iv), aad, buf.into(), &Tag::from(*tag))
            .map_err(|_| Failure)
    }
}

/// HKDF-SHA256 after its extract step.
#[derive(Clone)]
pub struct HkdfSha256(hkdf::Hkdf<Sha256>);

impl HkdfSha256 {
    /// `HKDF-Extract(salt, ikm)`.
    #[must_use]
    #[inline(never)]
    pub fn extract(salt: &[u8], ikm: &[u8]) -> Self {
        Self(hkdf::Hkdf::new(Some(salt), ikm))
    }

    /// `HKDF-Expand(PRK, info[0] || info[1] || …, out.len())` into `out`.
    ///
    /// # Errors
    /// [`Failure`] when `out` is longer than 255 blocks.
    #[inline(never)]
    pub fn expand(&self, info: &[&[u8]], out: &mut [u8]) -> Result<(), Failure> {
        self.0.expand_multi_info(info, out).map_err(|_| Failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 5869 test case 1 (HKDF-SHA256), with the info split in two.
    #[test]
    fn hkdf_matches_rfc_5869() {
        let ikm = [0x0b; 22];
        let salt: [u8; 13] = core::array::from_fn(|i| i as u8);
        let info: [u8; 10] = core::array::from_fn(|i| 0xf0 + i as u8);
        let mut okm = [0u8; 42];
        HkdfSha256::extract(&salt, &ikm)
            .expand(&[&info[..4], &info[4..]], &mut okm)
            .unwrap();
        let expected =
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
        let hex: String = okm.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
        let mut too_long = [0u8; 255 * 32 + 1];
        assert_eq!(
            HkdfSha256::extract(&salt, &ikm).expand(&[&info], &mut too_long),
            Err(Failure)
        );
    }

    fn hex(text: &str) -> Vec<u8> {
        hex::decode(text).unwrap()
    }

    // The GCM specification's test case 16 (McGrew and Viega): AES-256, 96-bit IV, AAD.
    #[test]
    fn aes_gcm_matches_the_gcm_specification() {
        let key: [u8; 32] = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
            .try_into()
            .unwrap();
        let iv: [u8; 12] = hex("cafebabefacedbaddecaf888").try_into().unwrap();
        let plain = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let mut buf = plain.clone();
        let tag = Aes256GcmKey::new(&key)
            .seal_detached(&iv, &aad, &mut buf)
            .unwrap();
        assert_eq!(
            buf,
            hex(
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                 8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            )
        );
        assert_eq!(tag.to_vec(), hex("76fc6ece0f4e1768cddf8853bb2d551b"));
        Aes256GcmKey::new(&key)
            .open_detached(&iv, &aad, &mut buf, &tag)
            .unwrap();
        assert_eq!(buf, plain);
    }

    #[test]
    fn aes_gcm_round_trip_and_tamper() {
        let key = Aes256GcmKey::new(&[7; KEY_LEN]);
        let iv = [9; IV_LEN];
        let mut buf = *b"sixteen byte msg and more";
        let tag = key.seal_detached(&iv, b"aad", &mut buf).unwrap();
        assert_ne!(&buf, b"sixteen byte msg and more");
        let sealed = buf;
        key.open_detached(&iv, b"aad", &mut buf, &tag).unwrap();
        assert_eq!(&buf, b"sixteen byte msg and more");
        let mut other = sealed;
        assert_eq!(
            key.open_detached(&iv, b"aae", &mut other, &tag),
            Err(Failure)
        );
        let mut flipped = sealed;
        flipped[0] ^= 1;
        assert_eq!(
            key.open_detached(&iv, b"aad", &mut flipped, &tag),
            Err(Failure)
        );
        let mut bad_tag = tag;
        bad_tag[15] ^= 1;
        let mut copy = sealed;
        assert_eq!(
            key.open_detached(&iv, b"aad", &mut copy, &bad_tag),
            Err(Failure)
        );
    }
}
