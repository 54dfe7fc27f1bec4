//! An independent construction of the spec's formulas (spec/envelope-v1.md), and the
//! fixed generator that hands a vector its nonce.

use std::convert::Infallible;

use aes_gcm::aead::{AeadInOut, KeyInit};
use domvia_e2ee::rand_core::{TryCryptoRng, TryRng};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Hands out fixed bytes: the nonce of a vector (a fresh key's first seal draws the
/// session salt, then the IV).
pub(crate) struct FixedRng(pub(crate) Vec<u8>);

impl TryRng for FixedRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert!(self.0.len() >= dst.len(), "FixedRng ran out of bytes");
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}
impl TryCryptoRng for FixedRng {}

/// Reproducible "random-looking" bytes for a label.
pub(crate) fn bytes32(label: &str) -> [u8; 32] {
    Sha256::digest(label.as_bytes()).into()
}

fn str16(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&u16::try_from(s.len()).unwrap().to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn spec_aad(ctx: &Value, key_id: Option<&str>, key_version: u32) -> Vec<u8> {
    let mut a = b"domvia-e2ee".to_vec();
    let kind = ctx["kind"].as_str().unwrap();
    let fields: &[&str] = match kind {
        "chat" => &["room_id", "message_id"],
        "call" => &["call_id", "event_name"],
        _ => &["scope", "scope_id", "event_name"],
    };
    let kind_byte = match kind {
        "chat" => 1,
        "call" => 2,
        _ => 3,
    };
    a.extend_from_slice(&[1, 1, kind_byte]);
    str16(&mut a, key_id.unwrap_or(""));
    a.extend_from_slice(&key_version.to_be_bytes());
    for f in fields {
        str16(&mut a, ctx[*f].as_str().unwrap());
    }
    a
}

/// `session_key || commitment` of spec section 4, for a nonce `salt || iv`.
pub(crate) fn spec_okm(key: &[u8; 32], nonce: &[u8; 44]) -> [u8; 64] {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"domvia-e2ee v1 extract"), key);
    let mut info = b"domvia-e2ee v1 session".to_vec();
    info.push(1);
    info.extend_from_slice(&nonce[..32]);
    let mut okm = [0u8; 64];
    hk.expand(&info, &mut okm[..32]).unwrap();
    hk.expand(b"domvia-e2ee v1 commit\x01", &mut okm[32..])
        .unwrap();
    okm
}

pub(crate) fn spec_seal(
    session_key: &[u8],
    nonce: &[u8; 44],
    aad: &[u8],
    framed: &[u8],
) -> Vec<u8> {
    let cipher = aes_gcm::Aes256Gcm::new_from_slice(session_key).unwrap();
    let mut buf = framed.to_vec();
    let iv: [u8; 12] = nonce[32..].try_into().unwrap();
    let tag = cipher
        .encrypt_inout_detached(&aes_gcm::Nonce::from(iv), aad, buf.as_mut_slice().into())
        .unwrap();
    buf.extend_from_slice(&tag);
    buf
}

/// A reproducible 44-byte nonce (salt || iv) for a label.
pub(crate) fn nonce44(label: &str) -> [u8; 44] {
    let mut n = [0u8; 44];
    n[..32].copy_from_slice(&bytes32(&format!("salt:{label}")));
    n[32..].copy_from_slice(&bytes32(&format!("iv:{label}"))[..12]);
    n
}

pub(crate) fn b64u(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}
