//! Every shape accepted, and each refusal code, on hand-built data. The spec's vectors
//! are checked in `tests/ciphertext_vectors.rs`.

use serde_json::{Value, json};

use super::*;

/// Canonical base64url of `n` zero bytes.
#[expect(clippy::arithmetic_side_effects, reason = "small test lengths")]
fn b64(n: usize) -> String {
    let chars = n / 3 * 4 + [0, 2, 3][n % 3];
    "A".repeat(chars)
}

fn envelope() -> Value {
    json!({"v": 1, "suite": "AES256GCM-HKDFSHA256", "kind": "realtime", "kver": 7,
           "nonce": b64(44), "commit": b64(32), "ct": b64(16)})
}

fn signed() -> Value {
    json!({"format": "domvia-signed", "v": 1, "from_user": "alice", "from_device": "phone",
           "envelope": envelope(), "sig": b64(64)})
}

fn device() -> Value {
    json!({"format": "domvia-device", "v": 1, "user": "alice", "device": "phone",
           "hpke_pk": b64(32), "sign_pk": b64(32), "sig": b64(64)})
}

fn samples() -> Vec<(Shape, Value)> {
    vec![
        (Shape::Envelope, envelope()),
        (Shape::SignedEnvelope, signed()),
        (
            Shape::KeyShare,
            json!({"format": "domvia-keyshare", "v": 1, "room": "r", "kid": "k", "kver": 1,
                   "from_user": "a", "from_device": "p", "to_user": "b", "to_device": "l",
                   "commit": b64(32), "enc": b64(32), "ct": b64(48), "sig": b64(64)}),
        ),
        (Shape::DeviceBundle, device()),
        (
            Shape::KeyRequest,
            json!({"format": "domvia-key-request", "v": 1, "request_id": b64(16),
                   "bundle": device(), "sig": b64(64)}),
        ),
        (
            Shape::KeyResponse,
            json!({"format": "domvia-key-response", "v": 1, "request_id": b64(16),
                   "user": "alice", "from_device": "phone", "to_device": "tablet", "keys": 2,
                   "enc": b64(32), "ct": b64(4 + 2 * 298 + 16), "sig": b64(64)}),
        ),
        (
            Shape::Revocation,
            json!({"format": "domvia-revocation", "v": 1, "user": "alice", "device": "phone",
                   "fingerprint": b64(32), "by_device": "laptop", "revoked_at": 1_767_225_600u64,
                   "sig": b64(64)}),
        ),
        (
            Shape::IdentifiedEnvelope,
            json!({"id": "msg-1", "envelope": envelope()}),
        ),
        (
            Shape::IdentifiedEnvelope,
            json!({"envelope": signed(), "id": "msg-2"}),
        ),
    ]
}

fn check_value(value: &Value) -> Result<Shape, CiphertextError> {
    check_ciphertext(&value.to_string())
}

/// `value` with `member` set to `to` (or removed when `to` is `None`).
fn with(mut value: Value, member: &str, to: Option<Value>) -> Value {
    let object = value.as_object_mut().unwrap();
    match to {
        Some(to) => object.insert(member.to_owned(), to),
        None => object.remove(member),
    };
    value
}

#[test]
fn every_shape_is_accepted() {
    for (shape, value) in samples() {
        assert_eq!(check_value(&value), Ok(shape), "{value}");
    }
    // The optional key id.
    let with_kid = with(envelope(), "kid", Some(json!("room-42-v1")));
    assert_eq!(check_value(&with_kid), Ok(Shape::Envelope));
    // Large ciphertexts, and the largest integers.
    let big = with(envelope(), "ct", Some(json!(b64(5000))));
    assert_eq!(check_value(&big), Ok(Shape::Envelope));
    let kver_max = with(envelope(), "kver", Some(json!(4_294_967_295u64)));
    assert_eq!(check_value(&kver_max), Ok(Shape::Envelope));
}

#[test]
fn plaintext_and_other_json_are_refused() {
    let cases = [
        ("", "not_json"),
        ("hello", "not_json"),
        ("{\"v\":1", "not_json"),
        ("{} {}", "not_json"),
        ("\"a string\"", "not_an_object"),
        ("[1,2]", "not_an_object"),
        ("null", "not_an_object"),
        ("42", "not_an_object"),
        ("{}", "unknown_shape"),
        (
            r#"{"body":"Private message","sender_id":"user-1"}"#,
            "unknown_shape",
        ),
        (r#"{"format":"domvia-backup","v":1}"#, "unknown_shape"),
        (
            r#"{"format":"domvia-device-secret","v":1}"#,
            "unknown_shape",
        ),
        (r#"{"format":7}"#, "unknown_shape"),
        (r#"{"nonce":"x","ciphertext":"y"}"#, "unknown_shape"),
        (r#"{"v":2,"anything":true}"#, "unsupported_version"),
        (r#"{"v":"1"}"#, "bad_member"),
        (r#"{"v":1.0}"#, "bad_member"),
        (r#"{"v":-1}"#, "bad_member"),
        (r#"{"format":"domvia-keyshare"}"#, "missing_member"),
        (
            r#"{"format":"domvia-keyshare","v":3}"#,
            "unsupported_version",
        ),
    ];
    for (data, code) in cases {
        assert_eq!(
            check_ciphertext(data).map_err(|e| e.code()),
            Err(code),
            "{data}"
        );
    }
}

#[test]
fn members_are_checked_by_name_type_and_length() {
    use CiphertextError as E;
    let env = Shape::Envelope;
    let bad = |member| Err(E::BadMember { shape: env, member });
    let cases = [
        (
            with(envelope(), "suite", Some(json!("AES128GCM"))),
            bad("suite"),
        ),
        (with(envelope(), "kind", Some(json!("video"))), bad("kind")),
        (with(envelope(), "kid", Some(json!(""))), bad("kid")),
        (
            with(envelope(), "kid", Some(json!("a".repeat(256)))),
            bad("kid"),
        ),
        (
            with(envelope(), "kid", Some(json!("room\u{7}"))),
            bad("kid"),
        ),
        (with(envelope(), "kid", Some(json!(1))), bad("kid")),
        (with(envelope(), "kver", Some(json!(0))), bad("kver")),
        (
            with(envelope(), "kver", Some(json!(4_294_967_296u64))),
            bad("kver"),
        ),
        (with(envelope(), "kver", Some(json!("1"))), bad("kver")),
        (
            with(envelope(), "nonce", Some(json!(b64(43)))),
            bad("nonce"),
        ),
        (
            with(envelope(), "nonce", Some(json!(format!("{}=", b64(44))))),
            bad("nonce"),
        ),
        (
            with(envelope(), "commit", Some(json!(b64(33)))),
            bad("commit"),
        ),
        (with(envelope(), "ct", Some(json!(b64(15)))), bad("ct")),
        (with(envelope(), "ct", Some(json!(null))), bad("ct")),
        (
            with(envelope(), "ct", None),
            Err(E::MissingMember {
                shape: env,
                member: "ct",
            }),
        ),
        (
            with(envelope(), "body", Some(json!("secret words"))),
            Err(E::UnknownMember { shape: env }),
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(check_value(&value), expected, "{value}");
    }
}

#[test]
fn nested_objects_are_checked_as_their_own_shape() {
    use CiphertextError as E;
    let inner_bad = with(envelope(), "nonce", Some(json!("AAAA")));
    let signed_bad = with(signed(), "envelope", Some(inner_bad.clone()));
    assert_eq!(
        check_value(&signed_bad),
        Err(E::BadMember {
            shape: Shape::Envelope,
            member: "nonce"
        })
    );
    let identified = json!({"id": "m", "envelope": signed_bad});
    assert_eq!(
        check_value(&identified),
        Err(E::BadMember {
            shape: Shape::Envelope,
            member: "nonce"
        })
    );
    // An envelope must be an object, and a signed one the signed format.
    for envelope in [
        json!("text"),
        json!([1]),
        json!({"format": "domvia-device", "v": 1}),
    ] {
        let value = json!({"id": "m", "envelope": envelope});
        assert_eq!(
            check_value(&value),
            Err(E::BadMember {
                shape: Shape::IdentifiedEnvelope,
                member: "envelope"
            }),
            "{value}"
        );
    }
    // A signed envelope inside a signed envelope is not a shape.
    let double = with(signed(), "envelope", Some(signed()));
    assert_eq!(
        check_value(&double),
        Err(E::UnknownMember {
            shape: Shape::Envelope
        })
    );
    let request = json!({"format": "domvia-key-request", "v": 1, "request_id": b64(16),
                         "bundle": with(device(), "sig", Some(json!(b64(63)))), "sig": b64(64)});
    assert_eq!(
        check_value(&request),
        Err(E::BadMember {
            shape: Shape::DeviceBundle,
            member: "sig"
        })
    );
    let plain_id = json!({"id": "m", "envelope": envelope(), "text": "hi"});
    assert_eq!(
        check_value(&plain_id),
        Err(E::UnknownMember {
            shape: Shape::IdentifiedEnvelope
        })
    );
    let long_id = json!({"id": "x".repeat(256), "envelope": envelope()});
    assert_eq!(
        check_value(&long_id),
        Err(E::BadMember {
            shape: Shape::IdentifiedEnvelope,
            member: "id"
        })
    );
}

#[test]
fn duplicates_are_refused_even_when_both_are_valid() {
    let text = envelope().to_string();
    let twice_ct = text.replacen('{', &format!("{{\"ct\":\"{}\",", b64(16)), 1);
    assert_eq!(
        check_ciphertext(&twice_ct),
        Err(CiphertextError::DuplicateMember {
            shape: Shape::Envelope,
            member: "ct"
        })
    );
    let twice_v = text.replacen('{', "{\"v\":1,", 1);
    assert_eq!(
        check_ciphertext(&twice_v),
        Err(CiphertextError::DuplicateMember {
            shape: Shape::Envelope,
            member: "v"
        })
    );
}

#[test]
fn key_response_ciphertext_length_follows_the_key_count() {
    let (_, response) = samples().swap_remove(5);
    assert_eq!(check_value(&response), Ok(Shape::KeyResponse));
    let wrong = with(response.clone(), "keys", Some(json!(3)));
    assert_eq!(
        check_value(&wrong),
        Err(CiphertextError::BadMember {
            shape: Shape::KeyResponse,
            member: "ct"
        })
    );
    let too_many = with(response, "keys", Some(json!(4_294_967_296u64)));
    assert_eq!(
        check_value(&too_many),
        Err(CiphertextError::BadMember {
            shape: Shape::KeyResponse,
            member: "keys"
        })
    );
}

#[test]
fn messages_never_quote_the_data() {
    let data = json!({"v": 1, "suite": "AES256GCM-HKDFSHA256", "kind": "chat", "kver": 1,
                      "nonce": b64(44), "commit": b64(32), "ct": b64(16),
                      "secret_member_name": "secret value"});
    let error = check_value(&data).unwrap_err();
    assert_eq!(error.code(), "unknown_member");
    let message = error.to_string();
    assert!(!message.contains("secret"), "{message}");
    let kind = with(envelope(), "kind", Some(json!("secret-kind")));
    assert!(
        !check_value(&kind)
            .unwrap_err()
            .to_string()
            .contains("secret")
    );
    assert_eq!(
        check_value(&kind).unwrap_err().to_string(),
        "envelope: member \"kind\" is invalid"
    );
}
