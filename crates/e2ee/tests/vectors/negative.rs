//! The negative vectors: the positive envelopes tampered with, opened in the wrong
//! context or with the wrong key, malformed, or with a framing only a key holder can make.

use serde_json::{Value, json};

use crate::spec::{b64u, bytes32, nonce44, spec_aad, spec_okm, spec_seal};

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

pub(crate) fn generate_negative(positive: &[Value]) -> Vec<Value> {
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
