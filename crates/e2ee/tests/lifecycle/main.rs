//! spec/vectors/key-lifecycle-v1.json: generation and verification, and the check of
//! spec/vectors/keyshare-js-v1.json (key shares sealed by `@hpke/core`, see
//! spec/hpke-check/).
//!
//! Every random draw comes from [`LabelRng`], so the file is reproducible; intermediate
//! values (HPKE `info`, the signed bytes) are rebuilt here from the spec's formulas.
//! Regenerate after an intended change: `DOMVIA_WRITE_VECTORS=1 cargo test -p domvia-e2ee
//! --test lifecycle`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed assumption should stop the test loudly"
)]

use std::convert::Infallible;
use std::path::PathBuf;

use domvia_e2ee::rand_core::{TryCryptoRng, TryRng};
use domvia_e2ee::{DeviceBundle, DeviceDirectory, DeviceSecret};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod backup;
mod keyshare;
mod recovery;
mod revocation;
mod signed;

/// A reproducible stream: SHA-256(label || u64(counter)) blocks.
pub(crate) struct LabelRng {
    label: String,
    counter: u64,
    pending: Vec<u8>,
}

impl LabelRng {
    pub(crate) fn new(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            counter: 0,
            pending: Vec::new(),
        }
    }
}

impl TryRng for LabelRng {
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
        while self.pending.len() < dst.len() {
            let mut h = Sha256::new();
            h.update(self.label.as_bytes());
            h.update(self.counter.to_be_bytes());
            self.counter += 1;
            self.pending.extend_from_slice(&h.finalize());
        }
        let rest = self.pending.split_off(dst.len());
        dst.copy_from_slice(&self.pending);
        self.pending = rest;
        Ok(())
    }
}
impl TryCryptoRng for LabelRng {}

/// The first `n` bytes a [`LabelRng`] for `label` draws.
pub(crate) fn draw(label: &str, n: usize) -> Vec<u8> {
    let mut out = vec![0; n];
    LabelRng::new(label).try_fill_bytes(&mut out).unwrap();
    out
}

/// The vector devices, by name.
pub(crate) const DEVICES: [(&str, &str, &str); 4] = [
    ("alice-phone", "alice", "phone"),
    ("alice-laptop", "alice", "laptop"),
    ("bob-laptop", "bob", "laptop"),
    ("mallory-phone", "mallory", "phone"),
];

pub(crate) fn device(name: &str) -> DeviceSecret {
    let (_, user, dev) = DEVICES.iter().find(|(n, _, _)| *n == name).unwrap();
    DeviceSecret::generate_with_rng(
        user.parse().unwrap(),
        dev.parse().unwrap(),
        &mut LabelRng::new(&format!("device:{name}")),
    )
}

/// A directory holding the named devices, with some of them revoked.
pub(crate) fn directory(v: &Value) -> DeviceDirectory {
    let mut dir = DeviceDirectory::new();
    for name in v["directory"].as_array().unwrap() {
        dir.add(device(name.as_str().unwrap()).bundle().clone())
            .unwrap();
    }
    for name in v["revoked"].as_array().into_iter().flatten() {
        let d = device(name.as_str().unwrap());
        let rev = domvia_e2ee::Revocation::sign(&d, d.bundle(), 1).unwrap();
        dir.apply_revocation(&rev).unwrap();
    }
    dir
}

fn str16(s: &str) -> Vec<u8> {
    let mut out = u16::try_from(s.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

/// The spec's concatenation of `str16` fields (spec/key-lifecycle.md notation).
pub(crate) fn fields(parts: &[&str]) -> Vec<u8> {
    parts.iter().flat_map(|p| str16(p)).collect()
}

fn generate_devices() -> Value {
    let list: Vec<Value> = DEVICES
        .iter()
        .map(|(name, user, dev)| {
            let secret = device(name);
            let b = secret.bundle();
            let draws = draw(&format!("device:{name}"), 64);
            let s: Value = serde_json::from_str(&secret.to_json()).unwrap();
            let hpke_sk = hex::encode(b64d(s["hpke_sk"].as_str().unwrap()));
            // Spec section 2.2/2.3, rebuilt independently.
            let mut tbs_fields = fields(&[user, dev]);
            tbs_fields.extend_from_slice(b.hpke_public_key());
            tbs_fields.extend_from_slice(b.signing_public_key());
            let fp: [u8; 32] =
                Sha256::digest([str16("domvia-fingerprint v1"), tbs_fields.clone()].concat())
                    .into();
            assert_eq!(&fp, b.fingerprint().as_bytes());
            json!({
                "name": name, "user": user, "device": dev,
                "hpke_ikm": hex::encode(&draws[..32]),
                "sign_seed": hex::encode(&draws[32..]),
                "hpke_sk": hpke_sk,
                "hpke_pk": hex::encode(b.hpke_public_key()),
                "sign_pk": hex::encode(b.signing_public_key()),
                "bundle_tbs": hex::encode([str16("domvia-device v1"), tbs_fields].concat()),
                "bundle_json": b.to_json(),
                "fingerprint": hex::encode(fp),
                "fingerprint_digits": b.fingerprint().digits(),
            })
        })
        .collect();
    Value::Array(list)
}

pub(crate) fn b64d(s: &str) -> Vec<u8> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::decode_vec(s).unwrap()
}

fn generate() -> Value {
    let a = device("alice-phone");
    let b = device("bob-laptop");
    json!({
        "description": "Test vectors for spec/key-lifecycle.md. Hex for bytes; *_json members are exact wire text. Devices come from hpke_ikm (RFC 9180 DeriveKeyPair input) and sign_seed (Ed25519 seed). Revocations: apply each positive one to a directory of `directory` (it revokes `revoked`); each negative must fail with `error` against `directory` with `revoked` revoked. Recovery: `request_json` from alice-laptop verifies for alice-phone; `response_json` opens (HPKE with info, aad) to `keys_plaintext` and restores `keyring_export`; negatives fail with `error`. Signed envelopes: verify each against `directory` and `context` (signed_tbs over the envelope's AAD), open with `key` to `payload`; negatives fail with `error`. Backups: restore each positive blob with its recovery_key or passphrase to keyring_export; each negative must fail with error. Key shares: reproduce enc and ct from ephemeral_ikm (the DeriveKeyPair input of the ephemeral key), info and aad; negative shares must fail for the receiver `to`, whose directory holds `directory` with `revoked` revoked, with `error`.",
        "format_version": 1,
        "devices": generate_devices(),
        "safety_numbers": [{
            "a": "alice-phone", "b": "bob-laptop",
            "digits": domvia_e2ee::safety_number(a.bundle(), b.bundle()).digits(),
        }],
        "keyshares": keyshare::generate(),
        "backups": backup::generate(),
        "revocations": revocation::generate(),
        "recovery": recovery::generate(),
        "signed_envelopes": signed::generate(),
    })
}

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/vectors")
        .join(name)
}

pub(crate) fn committed() -> Value {
    let text = std::fs::read_to_string(path("key-lifecycle-v1.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn committed_vectors_match_a_fresh_generation() {
    let fresh = generate();
    if std::env::var_os("DOMVIA_WRITE_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&fresh).unwrap() + "\n";
        std::fs::write(path("key-lifecycle-v1.json"), text).unwrap();
    }
    assert_eq!(
        committed(),
        fresh,
        "regenerate with DOMVIA_WRITE_VECTORS=1 if the change is intended"
    );
}

#[test]
fn bundles_parse_and_safety_numbers_match() {
    let v = committed();
    for d in v["devices"].as_array().unwrap() {
        let b = DeviceBundle::from_json(d["bundle_json"].as_str().unwrap()).unwrap();
        assert_eq!(hex::encode(b.fingerprint().as_bytes()), d["fingerprint"]);
    }
    let s = &v["safety_numbers"][0];
    let digits = domvia_e2ee::safety_number(
        device("bob-laptop").bundle(),
        device("alice-phone").bundle(),
    );
    assert_eq!(digits.digits(), s["digits"].as_str().unwrap());
}

/// spec/vectors/keyshare-js-v1.json: shares sealed by `@hpke/core` and signed by
/// node:crypto open here to the expected key.
#[test]
fn shares_sealed_by_hpke_js_open_in_rust() {
    let text = std::fs::read_to_string(path("keyshare-js-v1.json"))
        .expect("spec/vectors/keyshare-js-v1.json (node spec/hpke-check/make-js-vectors.mjs)");
    let v: Value = serde_json::from_str(&text).unwrap();
    let shares = v["shares"].as_array().unwrap();
    assert!(!shares.is_empty());
    for s in shares {
        keyshare::open_js(s);
    }
}

/// Signs `message` with the named vector device's Ed25519 seed, independently of the
/// crate: base64url of the signature.
pub(crate) fn sign_as(signer: &str, message: &[u8]) -> String {
    use ed25519_dalek::Signer;
    b64u(&signing_key(signer).sign(message).to_bytes())
}

/// Whether `sig` (base64url) is the named device's signature of `message`.
pub(crate) fn verify_as(signer: &str, message: &[u8], sig: &str) -> bool {
    let sig = ed25519_dalek::Signature::from_bytes(&b64d(sig).try_into().unwrap());
    signing_key(signer)
        .verifying_key()
        .verify_strict(message, &sig)
        .is_ok()
}

fn signing_key(name: &str) -> ed25519_dalek::SigningKey {
    let secret: Value = serde_json::from_str(&device(name).to_json()).unwrap();
    let seed: [u8; 32] = b64d(secret["sign_sk"].as_str().unwrap())
        .try_into()
        .unwrap();
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

pub(crate) fn b64u(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}
