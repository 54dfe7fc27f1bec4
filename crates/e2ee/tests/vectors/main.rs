//! spec/vectors/envelope-v1.json: generation and verification.
//!
//! The vectors are made with the public API and a fixed generator (the `_with_rng` twin),
//! and every intermediate value (AAD, framed plaintext, message key, commitment) is
//! recomputed here independently from the spec's formulas with the RustCrypto `hkdf` and
//! `aes-gcm` crates. The test then checks the committed file against a fresh generation,
//! reproduces every positive envelope byte for byte, opens it, and checks that every
//! negative vector fails with the error it names.
//!
//! Regenerate after an intended change: `DOMVIA_WRITE_VECTORS=1 cargo test -p domvia-e2ee
//! --test vectors`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed assumption should stop the test loudly"
)]

use std::path::PathBuf;

use domvia_e2ee::{
    AesGcmKey, CallContext, ChatContext, Context, Envelope, KeyLabel, KeyVersion, Keyring, Padding,
    RealtimeContext, SealOptions, open_json, seal_json_with_rng,
};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use negative::generate_negative;
use positive::generate_positive;
use spec::FixedRng;

mod negative;
mod positive;
mod spec;

fn context_from_json(v: &Value) -> Context {
    let s = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("context member {k}"))
    };
    match s("kind") {
        "chat" => ChatContext::parse(s("room_id"), s("message_id"))
            .unwrap()
            .into(),
        "call" => CallContext::parse(s("call_id"), s("event_name"))
            .unwrap()
            .into(),
        "realtime" => RealtimeContext::parse(s("scope"), s("scope_id"), s("event_name"))
            .unwrap()
            .into(),
        other => panic!("kind {other}"),
    }
}

fn generate() -> Value {
    let positive = generate_positive();
    let negative = generate_negative(&positive);
    json!({
        "description": "Test vectors for spec/envelope-v1.md. Hex for bytes; envelope_json is the exact wire text. Positive: reproduce envelope_json from key, nonce (salt || iv: a fresh key's first seal), context, key_id, key_version, padding and payload_json (the exact payload bytes), and open it. Negative: opening envelope_json with key (or keyring) expecting context must fail with error.",
        "format_version": 1,
        "suite": "AES256GCM-HKDFSHA256",
        "positive": positive,
        "negative": negative,
    })
}

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors/envelope-v1.json")
}

fn committed() -> Value {
    let text = std::fs::read_to_string(vectors_path()).expect("spec/vectors/envelope-v1.json");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn committed_vectors_match_a_fresh_generation() {
    let fresh = generate();
    if std::env::var_os("DOMVIA_WRITE_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&fresh).unwrap() + "\n";
        std::fs::write(vectors_path(), text).unwrap();
    }
    assert_eq!(
        committed(),
        fresh,
        "regenerate with DOMVIA_WRITE_VECTORS=1 if the change is intended"
    );
}

fn key_of(v: &Value) -> AesGcmKey {
    let bytes: [u8; 32] = hex::decode(v["key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    AesGcmKey::from_bytes(bytes)
}

#[test]
fn positive_vectors_reproduce_and_open() {
    let vectors = committed();
    let positive = vectors["positive"].as_array().unwrap();
    assert!(positive.len() >= 7);
    for p in positive {
        let name = p["name"].as_str().unwrap();
        let key = key_of(p);
        assert_eq!(
            AesGcmKey::import_jwk(&p["key_jwk"].to_string()).unwrap(),
            key,
            "{name}: JWK"
        );
        let context = context_from_json(&p["context"]);
        let label =
            KeyLabel::parse(p["key_id"].as_str(), p["key_version"].as_u64().unwrap()).unwrap();
        assert_eq!(
            hex::encode(context.associated_data(&label)),
            p["aad"].as_str().unwrap(),
            "{name}"
        );
        let payload =
            RawValue::from_string(p["payload_json"].as_str().unwrap().to_owned()).unwrap();
        let nonce = hex::decode(p["nonce"].as_str().unwrap()).unwrap();
        let padding: Padding = p["padding"].as_str().unwrap().parse().unwrap();
        let sealed = seal_json_with_rng(
            &payload,
            &key,
            &context,
            &label,
            &SealOptions::with_padding(padding),
            &mut FixedRng(nonce),
        )
        .unwrap();
        assert_eq!(
            sealed.to_json(),
            p["envelope_json"].as_str().unwrap(),
            "{name}: bytes"
        );

        let envelope = Envelope::from_json(p["envelope_json"].as_str().unwrap()).unwrap();
        let opened: Value = open_json(&envelope, &key, &context).unwrap();
        let expected: Value = serde_json::from_str(p["payload_json"].as_str().unwrap()).unwrap();
        assert_eq!(opened, expected, "{name}: payload");
        let raw: Box<RawValue> = open_json(&envelope, &key, &context).unwrap();
        assert_eq!(
            raw.get(),
            p["payload_json"].as_str().unwrap(),
            "{name}: exact payload bytes"
        );
    }
}

#[test]
fn negative_vectors_fail_with_the_named_error() {
    let vectors = committed();
    let negative = vectors["negative"].as_array().unwrap();
    assert!(negative.len() >= 30);
    for n in negative {
        let name = n["name"].as_str().unwrap();
        let expected = n["error"].as_str().unwrap();
        let context = context_from_json(&n["context"]);
        let result = Envelope::from_json(n["envelope_json"].as_str().unwrap())
            .map_err(domvia_e2ee::OpenError::from)
            .and_then(|envelope| match n.get("keyring") {
                Some(entries) => {
                    let mut ring = Keyring::new();
                    for e in entries.as_array().unwrap() {
                        ring.insert(
                            e["key_id"].as_str().unwrap().parse().unwrap(),
                            KeyVersion::new(e["key_version"].as_u64().unwrap()).unwrap(),
                            key_of(e),
                        )
                        .unwrap();
                    }
                    ring.open_json::<Value>(&envelope, &context)
                }
                None => open_json::<Value>(&envelope, &key_of(n), &context),
            });
        match result {
            Ok(v) => panic!("{name}: opened to {v}"),
            Err(e) => assert_eq!(e.code(), expected, "{name}: {e}"),
        }
    }
}
