//! Key commitment, tested against a real attack.
//!
//! AES-GCM alone is not key-committing: knowing two keys, one can solve a linear equation
//! over GF(2^128) for a ciphertext block so that the same ciphertext and tag verify under
//! both ("invisible salamanders", Dodis et al. 2018; Albertini et al. 2022). This test
//! builds such a ciphertext for two keys' message keys, shows that plain AES-GCM accepts
//! it under both, and shows that an envelope carrying it opens under at most one of the
//! two keys, whichever commitment it carries.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed assumption should stop the test loudly"
)]

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::aes::Aes256;
use aes_gcm::aes::cipher::{Array, BlockCipherEncrypt};
use base64ct::{Base64UrlUnpadded, Encoding};
use domvia_e2ee::{AesGcmKey, ChatContext, Context, Envelope, KeyLabel, open_json};
use serde_json::{Value, json};
use sha2::Sha256;

/// Multiplication in GCM's GF(2^128) (NIST SP 800-38D, Algorithm 1), blocks as
/// big-endian u128 in GCM's bit order.
fn gf_mul(x: u128, y: u128) -> u128 {
    const R: u128 = 0xE1 << 120;
    let (mut z, mut v) = (0u128, y);
    for i in 0..128 {
        if (x >> (127 - i)) & 1 == 1 {
            z ^= v;
        }
        v = if v & 1 == 1 { (v >> 1) ^ R } else { v >> 1 };
    }
    z
}

fn gf_pow(mut x: u128, mut e: u128) -> u128 {
    let mut acc = 1u128 << 127; // the field's one
    while e > 0 {
        if e & 1 == 1 {
            acc = gf_mul(acc, x);
        }
        x = gf_mul(x, x);
        e >>= 1;
    }
    acc
}

fn gf_inv(x: u128) -> u128 {
    gf_pow(x, u128::MAX - 1) // x^(2^128 - 2)
}

fn aes_block(key: &[u8], block: u128) -> u128 {
    let cipher = Aes256::new_from_slice(key).unwrap();
    let mut b = Array::from(block.to_be_bytes());
    cipher.encrypt_block(&mut b);
    u128::from_be_bytes(b.into())
}

fn blocks(data: &[u8]) -> Vec<u128> {
    data.chunks(16)
        .map(|c| {
            let mut b = [0u8; 16];
            b[..c.len()].copy_from_slice(c);
            u128::from_be_bytes(b)
        })
        .collect()
}

/// GHASH over AAD and ciphertext, with the length block.
fn ghash(h: u128, aad: &[u8], ct: &[u8]) -> u128 {
    let mut s = blocks(aad);
    s.extend(blocks(ct));
    s.push(((aad.len() as u128 * 8) << 64) | (ct.len() as u128 * 8));
    s.into_iter().fold(0, |x, b| gf_mul(x ^ b, h))
}

/// The GCM tag for the all-zero 96-bit IV (J0 = IV || 1).
fn tag(key: &[u8], aad: &[u8], ct: &[u8]) -> u128 {
    ghash(aes_block(key, 0), aad, ct) ^ aes_block(key, 1)
}

/// Session key and commitment of spec/envelope-v1.md section 4.
fn derive(key: &[u8; 32], salt: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"domvia-e2ee v1 extract"), key);
    let mut info = b"domvia-e2ee v1 session".to_vec();
    info.push(1);
    info.extend_from_slice(salt);
    let (mut message_key, mut commitment) = ([0u8; 32], [0u8; 32]);
    hk.expand(&info, &mut message_key).unwrap();
    hk.expand(b"domvia-e2ee v1 commit\x01", &mut commitment)
        .unwrap();
    (message_key, commitment)
}

#[test]
fn a_ciphertext_valid_under_two_gcm_keys_opens_under_one_envelope_key_at_most() {
    let (k1, k2) = ([0x11u8; 32], [0x22u8; 32]);
    let salt = [0x33u8; 32];
    let (m1, c1) = derive(&k1, &salt);
    let (m2, c2) = derive(&k2, &salt);
    // The envelope's nonce: the salt, then an all-zero IV.
    let mut nonce = salt.to_vec();
    nonce.extend_from_slice(&[0; 12]);
    let context = Context::from(ChatContext::parse("room-42", "msg-1").unwrap());
    let label = KeyLabel::parse(Some("room-42-v1"), 1).unwrap();
    let aad = context.associated_data(&label);

    // Three ciphertext blocks; solve for the last so the tags agree under m1 and m2.
    let mut ct = vec![0x5Au8; 48];
    let (h1, h2) = (aes_block(&m1, 0), aes_block(&m2, 0));
    let base = tag(&m1, &aad, &ct) ^ tag(&m2, &aad, &ct);
    // The last ciphertext block is followed by the length block: coefficient H^2.
    let coefficient = gf_pow(h1, 2) ^ gf_pow(h2, 2);
    let x = gf_mul(base, gf_inv(coefficient));
    let last = u128::from_be_bytes(ct[32..48].try_into().unwrap()) ^ x;
    ct[32..48].copy_from_slice(&last.to_be_bytes());
    let t = tag(&m1, &aad, &ct);
    assert_eq!(t, tag(&m2, &aad, &ct), "the equation was solved");

    let mut sealed = ct.clone();
    sealed.extend_from_slice(&t.to_be_bytes());

    // Plain AES-GCM (RustCrypto) accepts the same bytes under both keys.
    for m in [&m1, &m2] {
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(m).unwrap();
        let mut buf = ct.clone();
        let tag = aes_gcm::Tag::try_from(&sealed[48..]).unwrap();
        cipher
            .decrypt_inout_detached(
                &aes_gcm::Nonce::from([0u8; 12]),
                &aad,
                buf.as_mut_slice().into(),
                &tag,
            )
            .expect("GCM alone is not committing: both keys accept");
    }

    // An envelope commits to one key: whichever commitment it carries, the other key
    // gets the opaque authentication error, and the committed key gets past
    // authentication (its plaintext is junk, so framing fails).
    for (commitment, committed, other) in [(c1, k1, k2), (c2, k2, k1)] {
        let wire = json!({
            "v": 1, "suite": "AES256GCM-HKDFSHA256", "kind": "chat", "kid": "room-42-v1",
            "kver": 1, "nonce": Base64UrlUnpadded::encode_string(&nonce),
            "commit": Base64UrlUnpadded::encode_string(&commitment),
            "ct": Base64UrlUnpadded::encode_string(&sealed),
        });
        let envelope = Envelope::from_value(&wire).unwrap();
        let other = open_json::<Value>(&envelope, &AesGcmKey::from_bytes(other), &context);
        assert_eq!(other.unwrap_err().code(), "auth_failed");
        let committed = open_json::<Value>(&envelope, &AesGcmKey::from_bytes(committed), &context);
        assert_eq!(committed.unwrap_err().code(), "invalid_plaintext");
    }
}

#[test]
fn gf_arithmetic_is_a_field() {
    let a = 0x0123_4567_89ab_cdef_0011_2233_4455_6677u128;
    let b = 0xdead_beef_0000_0000_1234_5678_9abc_def0u128;
    let one = 1u128 << 127;
    assert_eq!(gf_mul(a, one), a);
    assert_eq!(gf_mul(a, b), gf_mul(b, a));
    assert_eq!(gf_mul(a, gf_inv(a)), one);
}
