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

use std::convert::Infallible;
use std::path::PathBuf;

use aes_gcm::aead::{AeadInOut, KeyInit};
use domvia_e2ee::rand_core::{TryCryptoRng, TryRng};
use domvia_e2ee::{
    AesGcmKey, CallContext, ChatContext, Context, Envelope, KeyLabel, KeyVersion, Keyring, Padding,
    RealtimeContext, SealOptions, open_json, seal_json_with_rng,
};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Hands out fixed bytes: the nonce of a vector (a fresh key's first seal draws the
/// session salt, then the IV).
struct FixedRng(Vec<u8>);

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
fn bytes32(label: &str) -> [u8; 32] {
    Sha256::digest(label.as_bytes()).into()
}

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

// ---- An independent construction of the spec's formulas (spec/envelope-v1.md) ----

fn str16(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&u16::try_from(s.len()).unwrap().to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn spec_aad(ctx: &Value, key_id: Option<&str>, key_version: u32) -> Vec<u8> {
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
fn spec_okm(key: &[u8; 32], nonce: &[u8; 44]) -> [u8; 64] {
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

fn spec_seal(session_key: &[u8], nonce: &[u8; 44], aad: &[u8], framed: &[u8]) -> Vec<u8> {
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
fn nonce44(label: &str) -> [u8; 44] {
    let mut n = [0u8; 44];
    n[..32].copy_from_slice(&bytes32(&format!("salt:{label}")));
    n[32..].copy_from_slice(&bytes32(&format!("iv:{label}"))[..12]);
    n
}

fn b64u(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}

// ---- Generation ----

struct Case {
    name: &'static str,
    context: Value,
    key_id: Option<&'static str>,
    key_version: u32,
    padding: &'static str,
    payload_json: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "chat-seed-example",
            context: json!({"kind": "chat", "room_id": "room-42", "message_id": "msg-1"}),
            key_id: Some("room-42-v1"),
            key_version: 1,
            padding: "none",
            payload_json: r#"{"body":"Private message","sender_id":"user-1"}"#,
        },
        Case {
            name: "call-offer-seed-example",
            context: json!({"kind": "call", "call_id": "call-9001", "event_name": "call.offer"}),
            key_id: None,
            key_version: 1,
            padding: "none",
            payload_json: r#"{"sdp_type":"offer","sdp":"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"}"#,
        },
        Case {
            name: "call-ice-with-key-id",
            context: json!({"kind": "call", "call_id": "call-9001", "event_name": "call.ice"}),
            key_id: Some("call-9001"),
            key_version: 3,
            padding: "none",
            payload_json: r#"{"candidate":"candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host","sdpMid":"0","sdpMLineIndex":0}"#,
        },
        Case {
            name: "realtime-seed-example",
            context: json!({"kind": "realtime", "scope": "delivery", "scope_id": "order-1001", "event_name": "delivery.private_note"}),
            key_id: None,
            key_version: 1,
            padding: "none",
            payload_json: r#"{"note":"Sensitive delivery instruction"}"#,
        },
        Case {
            name: "chat-padded-power-of-two",
            context: json!({"kind": "chat", "room_id": "room-42", "message_id": "msg-2"}),
            key_id: Some("room-42-v1"),
            key_version: 1,
            padding: "power-of-two",
            payload_json: r#"{"body":"ok"}"#,
        },
        Case {
            name: "realtime-unicode-padded-multiple",
            context: json!({"kind": "realtime", "scope": "location", "scope_id": "café-✓ 🚚", "event_name": "location.update"}),
            key_id: Some("courier/Zoë"),
            key_version: 4_294_967_295,
            padding: "multiple:256",
            payload_json: r#"{"lat":52.520008,"lng":13.404954,"big":18446744073709551615,"text":"\u00e9\ud83d\ude9a\n\"quoted\""}"#,
        },
        Case {
            name: "chat-null-payload",
            context: json!({"kind": "chat", "room_id": "r", "message_id": "m"}),
            key_id: Some("k"),
            key_version: 2,
            padding: "none",
            payload_json: "null",
        },
    ]
}

fn generate_positive() -> Vec<Value> {
    cases()
        .into_iter()
        .map(|c| {
            let key_bytes = bytes32(&format!("key:{}", c.name));
            let nonce = nonce44(c.name);
            let key = AesGcmKey::from_bytes(key_bytes);
            let context = context_from_json(&c.context);
            let label = KeyLabel::parse(c.key_id, u64::from(c.key_version)).unwrap();
            let padding: Padding = c.padding.parse().unwrap();
            let payload: Box<RawValue> = RawValue::from_string(c.payload_json.to_owned()).unwrap();
            let envelope = seal_json_with_rng(
                &payload,
                &key,
                &context,
                &label,
                &SealOptions::with_padding(padding),
                &mut FixedRng(nonce.to_vec()),
            )
            .unwrap();

            // Intermediates, from the spec's formulas rather than from the crate.
            let aad = spec_aad(&c.context, c.key_id, c.key_version);
            assert_eq!(aad, context.associated_data(&label), "{}: AAD", c.name);
            let okm = spec_okm(&key_bytes, &nonce);
            let mut framed = u32::try_from(c.payload_json.len())
                .unwrap()
                .to_be_bytes()
                .to_vec();
            framed.extend_from_slice(c.payload_json.as_bytes());
            framed.resize(padding.padded_len(framed.len()).unwrap(), 0);
            let sealed = spec_seal(&okm[..32], &nonce, &aad, &framed);
            assert_eq!(sealed, envelope.ciphertext(), "{}: ciphertext", c.name);
            assert_eq!(&okm[32..], envelope.commitment(), "{}: commitment", c.name);

            let mut expected_wire = json!({
                "v": 1,
                "suite": "AES256GCM-HKDFSHA256",
                "kind": c.context["kind"],
                "kver": c.key_version,
                "nonce": b64u(&nonce),
                "commit": b64u(&okm[32..]),
                "ct": b64u(&sealed),
            });
            if let Some(kid) = c.key_id {
                expected_wire["kid"] = json!(kid);
            }
            let envelope_json = envelope.to_json();
            assert_eq!(
                serde_json::from_str::<Value>(&envelope_json).unwrap(),
                expected_wire
            );

            json!({
                "name": c.name,
                "key": hex::encode(key_bytes),
                "key_jwk": serde_json::from_str::<Value>(&key.export_jwk()).unwrap(),
                "nonce": hex::encode(nonce),
                "context": c.context,
                "key_id": c.key_id,
                "key_version": c.key_version,
                "padding": c.padding,
                "payload_json": c.payload_json,
                "aad": hex::encode(&aad),
                "framed_plaintext": hex::encode(&framed),
                "session_key": hex::encode(&okm[..32]),
                "commitment": hex::encode(&okm[32..]),
                "envelope_json": envelope_json,
            })
        })
        .collect()
}

/// Replaces one member of an envelope's wire JSON.
fn with_member(envelope_json: &str, member: &str, value: Value) -> String {
    let mut v: Value = serde_json::from_str(envelope_json).unwrap();
    v[member] = value;
    v.to_string()
}

/// Flips one bit of a base64url member at byte `at` (negative: from the end).
fn flip(envelope_json: &str, member: &str, at: isize) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let v: Value = serde_json::from_str(envelope_json).unwrap();
    let mut bytes = Base64UrlUnpadded::decode_vec(v[member].as_str().unwrap()).unwrap();
    let i = if at < 0 {
        bytes.len() - at.unsigned_abs()
    } else {
        at.unsigned_abs()
    };
    bytes[i] ^= 0x01;
    with_member(envelope_json, member, json!(b64u(&bytes)))
}

fn generate_negative(positive: &[Value]) -> Vec<Value> {
    let chat = &positive[0];
    let call = &positive[1];
    let realtime = &positive[3];
    let env = |p: &Value| p["envelope_json"].as_str().unwrap().to_owned();
    let key = |p: &Value| p["key"].clone();
    let ctx = |p: &Value| p["context"].clone();
    let with_ctx = |p: &Value, field: &str, value: &str| {
        let mut c = ctx(p);
        c[field] = json!(value);
        c
    };
    let other_key = json!(hex::encode(bytes32("key:someone-else")));
    let neg = |name: &str, p: &Value, envelope_json: String, context: Value, error: &str| json!({"name": name, "key": key(p), "context": context, "envelope_json": envelope_json, "error": error});

    let mut v = vec![
        neg(
            "ciphertext-bit-flipped",
            chat,
            flip(&env(chat), "ct", 0),
            ctx(chat),
            "auth_failed",
        ),
        neg(
            "tag-bit-flipped",
            chat,
            flip(&env(chat), "ct", -1),
            ctx(chat),
            "auth_failed",
        ),
        neg(
            "nonce-bit-flipped",
            chat,
            flip(&env(chat), "nonce", 5),
            ctx(chat),
            "auth_failed",
        ),
        neg(
            "commitment-bit-flipped",
            chat,
            flip(&env(chat), "commit", 31),
            ctx(chat),
            "auth_failed",
        ),
        json!({"name": "wrong-key", "key": other_key, "context": ctx(chat), "envelope_json": env(chat), "error": "auth_failed"}),
        neg(
            "other-room",
            chat,
            env(chat),
            with_ctx(chat, "room_id", "room-43"),
            "auth_failed",
        ),
        neg(
            "other-message",
            chat,
            env(chat),
            with_ctx(chat, "message_id", "msg-2"),
            "auth_failed",
        ),
        neg(
            "key-id-relabelled",
            chat,
            with_member(&env(chat), "kid", json!("room-42-v2")),
            ctx(chat),
            "auth_failed",
        ),
        neg(
            "key-id-removed",
            chat,
            {
                let mut v: Value = serde_json::from_str(&env(chat)).unwrap();
                v.as_object_mut().unwrap().remove("kid");
                v.to_string()
            },
            ctx(chat),
            "auth_failed",
        ),
        neg(
            "key-version-relabelled",
            chat,
            with_member(&env(chat), "kver", json!(2)),
            ctx(chat),
            "auth_failed",
        ),
        neg(
            "other-call",
            call,
            env(call),
            with_ctx(call, "call_id", "call-9002"),
            "auth_failed",
        ),
        neg(
            "other-call-event",
            call,
            env(call),
            with_ctx(call, "event_name", "call.answer"),
            "auth_failed",
        ),
        neg(
            "other-scope",
            realtime,
            env(realtime),
            with_ctx(realtime, "scope", "account"),
            "auth_failed",
        ),
        neg(
            "other-scope-id",
            realtime,
            env(realtime),
            with_ctx(realtime, "scope_id", "order-1002"),
            "auth_failed",
        ),
        neg(
            "other-realtime-event",
            realtime,
            env(realtime),
            with_ctx(realtime, "event_name", "delivery.note"),
            "auth_failed",
        ),
        neg(
            "kind-relabelled-and-expected",
            chat,
            with_member(&env(chat), "kind", json!("call")),
            json!({"kind": "call", "call_id": "room-42", "event_name": "msg-1"}),
            "auth_failed",
        ),
        neg("kind-mismatch", chat, env(chat), ctx(call), "kind_mismatch"),
        neg(
            "ciphertext-truncated-one-byte",
            chat,
            {
                use base64ct::{Base64UrlUnpadded, Encoding};
                let v: Value = serde_json::from_str(&env(chat)).unwrap();
                let mut b = Base64UrlUnpadded::decode_vec(v["ct"].as_str().unwrap()).unwrap();
                b.pop();
                with_member(&env(chat), "ct", json!(b64u(&b)))
            },
            ctx(chat),
            "auth_failed",
        ),
        neg(
            "ciphertext-shorter-than-tag",
            chat,
            with_member(&env(chat), "ct", json!(b64u(&[0; 15]))),
            ctx(chat),
            "malformed",
        ),
        neg(
            "json-truncated",
            chat,
            env(chat)[..env(chat).len() / 2].to_owned(),
            ctx(chat),
            "malformed",
        ),
        neg(
            "not-json",
            chat,
            "not json".to_owned(),
            ctx(chat),
            "malformed",
        ),
        neg(
            "json-array",
            chat,
            "[1,2,3]".to_owned(),
            ctx(chat),
            "malformed",
        ),
        neg(
            "unsupported-version",
            chat,
            with_member(&env(chat), "v", json!(2)),
            ctx(chat),
            "unsupported_version",
        ),
        neg(
            "unsupported-suite",
            chat,
            with_member(&env(chat), "suite", json!("AES128GCM")),
            ctx(chat),
            "unsupported_suite",
        ),
        neg(
            "nonce-bad-base64-padding",
            chat,
            {
                let v: Value = serde_json::from_str(&env(chat)).unwrap();
                with_member(
                    &env(chat),
                    "nonce",
                    json!(format!("{}=", v["nonce"].as_str().unwrap())),
                )
            },
            ctx(chat),
            "malformed",
        ),
        neg(
            "ct-bad-base64-alphabet",
            chat,
            {
                let v: Value = serde_json::from_str(&env(chat)).unwrap();
                with_member(
                    &env(chat),
                    "ct",
                    json!(v["ct"].as_str().unwrap().replace(['-', '_'], "+")),
                )
            },
            ctx(chat),
            "malformed",
        ),
        neg(
            "unknown-member",
            chat,
            with_member(&env(chat), "extra", json!(1)),
            ctx(chat),
            "malformed",
        ),
        neg(
            "missing-member",
            chat,
            {
                let mut v: Value = serde_json::from_str(&env(chat)).unwrap();
                v.as_object_mut().unwrap().remove("commit");
                v.to_string()
            },
            ctx(chat),
            "malformed",
        ),
        neg(
            "key-version-zero",
            chat,
            with_member(&env(chat), "kver", json!(0)),
            ctx(chat),
            "malformed",
        ),
        neg(
            "key-id-with-control-character",
            chat,
            with_member(&env(chat), "kid", json!("room\u{0}42")),
            ctx(chat),
            "malformed",
        ),
    ];
    // Keyring lookups: the envelope names room-42-v1 version 1.
    v.push(json!({
        "name": "keyring-unknown-version", "context": ctx(chat), "envelope_json": env(chat),
        "keyring": [{"key_id": "room-42-v1", "key_version": 2, "key": key(chat)}],
        "error": "unknown_key",
    }));
    v.push(json!({
        "name": "keyring-unknown-key-id", "context": ctx(call), "envelope_json": env(call),
        "keyring": [{"key_id": "call-9001", "key_version": 1, "key": key(call)}],
        "error": "unknown_key",
    }));
    v.extend(invalid_plaintext_vectors());
    v
}

/// Envelopes that authenticate but whose framing is wrong: only a key holder can make
/// them, so they are built here from the spec's formulas directly.
fn invalid_plaintext_vectors() -> Vec<Value> {
    let ctx = json!({"kind": "chat", "room_id": "room-42", "message_id": "msg-9"});
    [
        ("length-past-end", b"\0\0\0\x09{}".to_vec()),
        ("non-zero-padding", b"\0\0\0\x02{}\0\x01".to_vec()),
    ]
    .into_iter()
    .map(|(name, framed)| {
        let key = bytes32(&format!("key:{name}"));
        let nonce = nonce44(name);
        let aad = spec_aad(&ctx, Some("room-42-v1"), 1);
        let okm = spec_okm(&key, &nonce);
        let envelope = json!({
            "v": 1, "suite": "AES256GCM-HKDFSHA256", "kind": "chat", "kid": "room-42-v1",
            "kver": 1, "nonce": b64u(&nonce), "commit": b64u(&okm[32..]),
            "ct": b64u(&spec_seal(&okm[..32], &nonce, &aad, &framed)),
        });
        json!({"name": format!("plaintext-{name}"), "key": hex::encode(key), "context": ctx,
                   "envelope_json": envelope.to_string(), "error": "invalid_plaintext"})
    })
    .collect()
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
