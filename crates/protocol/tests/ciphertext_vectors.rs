//! The shape check of ciphertext-only channels against the spec's vectors
//! (`spec/ciphertext-only-channels.md` section 5).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests"
)]

use std::path::PathBuf;

use domvia_protocol::ciphertext::{Shape, check_ciphertext};
use serde_json::{Value, json};

fn vectors(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn list<'a>(value: &'a Value, pointer: &str) -> &'a [Value] {
    value.pointer(pointer).and_then(Value::as_array).unwrap()
}

fn text<'a>(vector: &'a Value, member: &str) -> &'a str {
    vector[member].as_str().unwrap()
}

/// Errors that a receiver finds only with the key (or its directory): the shape is fine.
const SHAPE_OK: [&str; 10] = [
    "auth_failed",
    "kind_mismatch",
    "unknown_key",
    "invalid_plaintext",
    "bad_signature",
    "wrong_recipient",
    "unknown_device",
    "revoked_device",
    "replayed",
    "stale_key_version",
];

#[test]
fn envelope_vectors() {
    let v = vectors("envelope-v1.json");
    let positive = list(&v, "/positive");
    assert!(positive.len() >= 5);
    for vector in positive {
        let envelope = text(vector, "envelope_json");
        assert_eq!(
            check_ciphertext(envelope),
            Ok(Shape::Envelope),
            "{}",
            vector["name"]
        );
        // The same envelope next to its message id, as chat sends it.
        let envelope_value: Value = serde_json::from_str(envelope).unwrap();
        let identified = json!({"id": "msg-1", "envelope": envelope_value}).to_string();
        assert_eq!(check_ciphertext(&identified), Ok(Shape::IdentifiedEnvelope));
    }
    let (mut accepted, mut refused) = (0, 0);
    for vector in list(&v, "/negative") {
        let error = text(vector, "error");
        let result = check_ciphertext(text(vector, "envelope_json"));
        if SHAPE_OK.contains(&error) {
            assert_eq!(result, Ok(Shape::Envelope), "{}", vector["name"]);
            accepted += 1;
        } else {
            assert!(
                matches!(
                    error,
                    "malformed" | "unsupported_version" | "unsupported_suite"
                ),
                "{error}"
            );
            assert!(result.is_err(), "{} ({error}) was accepted", vector["name"]);
            refused += 1;
        }
    }
    // The file has both kinds; a change that empties one would make this test vacuous.
    assert!(accepted >= 15 && refused >= 10, "{accepted} {refused}");
}

#[test]
fn key_lifecycle_vectors() {
    let v = vectors("key-lifecycle-v1.json");
    for device in list(&v, "/devices") {
        let bundle = text(device, "bundle_json");
        assert_eq!(
            check_ciphertext(bundle),
            Ok(Shape::DeviceBundle),
            "{}",
            device["name"]
        );
    }
    for share in list(&v, "/keyshares/positive") {
        let data = text(share, "share_json");
        assert_eq!(
            check_ciphertext(data),
            Ok(Shape::KeyShare),
            "{}",
            share["name"]
        );
    }
    let (mut accepted, mut refused) = (0, 0);
    for share in list(&v, "/keyshares/negative") {
        let error = text(share, "error");
        let result = check_ciphertext(text(share, "share_json"));
        if SHAPE_OK.contains(&error) || error == "version_conflict" {
            assert_eq!(result, Ok(Shape::KeyShare), "{}", share["name"]);
            accepted += 1;
        } else {
            assert!(
                matches!(error, "malformed" | "unsupported_version"),
                "{error}"
            );
            assert!(result.is_err(), "{} ({error}) was accepted", share["name"]);
            refused += 1;
        }
    }
    assert!(accepted >= 5 && refused >= 3, "{accepted} {refused}");
    // Backups never travel on room channels.
    for backup in list(&v, "/backups/positive") {
        let refused = check_ciphertext(text(backup, "blob_json")).unwrap_err();
        assert_eq!(refused.code(), "unknown_shape");
    }
}

#[test]
fn shares_made_by_javascript() {
    let v = vectors("keyshare-js-v1.json");
    let shares = list(&v, "/shares");
    assert!(!shares.is_empty());
    for share in shares {
        let data = text(share, "share_json");
        assert_eq!(
            check_ciphertext(data),
            Ok(Shape::KeyShare),
            "{}",
            share["name"]
        );
    }
}

/// Checks every `*_json` text of one vector list: accepted as `shape` unless its error is
/// one only the format's reader finds (`malformed`, `unsupported_version`), or `refused`
/// names it.
fn split(v: &Value, pointer: &str, member: &str, shape: Shape, refused: &[&str]) -> (usize, usize) {
    let (mut ok, mut bad) = (0, 0);
    for vector in list(v, pointer) {
        let (name, data) = (text(vector, "name"), text(vector, member));
        let error = vector["error"].as_str().unwrap_or("");
        let result = check_ciphertext(data);
        if matches!(error, "malformed" | "unsupported_version") || refused.contains(&name) {
            assert!(result.is_err(), "{pointer} {name} ({error}) was accepted");
            bad += 1;
        } else {
            assert_eq!(result, Ok(shape), "{pointer} {name} ({error})");
            ok += 1;
        }
    }
    (ok, bad)
}

#[test]
fn revocations_key_requests_responses_and_signed_envelopes() {
    let v = vectors("key-lifecycle-v1.json");
    let revocations = split(
        &v,
        "/revocations/positive",
        "revocation_json",
        Shape::Revocation,
        &[],
    );
    let bad_revocations = split(
        &v,
        "/revocations/negative",
        "revocation_json",
        Shape::Revocation,
        &[],
    );
    assert_eq!((revocations, bad_revocations.1), ((2, 0), 3));
    let request = &v["recovery"]["request"];
    assert_eq!(
        check_ciphertext(text(request, "request_json")),
        Ok(Shape::KeyRequest)
    );
    let requests = split(
        &v,
        "/recovery/negative_requests",
        "request_json",
        Shape::KeyRequest,
        &[],
    );
    assert_eq!(requests, (3, 2));
    let response = &v["recovery"]["response"];
    assert_eq!(
        check_ciphertext(text(response, "response_json")),
        Ok(Shape::KeyResponse)
    );
    // A key count that disagrees with the ciphertext's length is refused by its shape
    // already (spec/ciphertext-only-channels.md section 3); a receiver would find
    // auth_failed.
    let responses = split(
        &v,
        "/recovery/negative_responses",
        "response_json",
        Shape::KeyResponse,
        &["key-count-changed-resigned"],
    );
    assert_eq!(responses, (6, 3));
    let signed = split(
        &v,
        "/signed_envelopes/positive",
        "signed_json",
        Shape::SignedEnvelope,
        &[],
    );
    let bad_signed = split(
        &v,
        "/signed_envelopes/negative",
        "signed_json",
        Shape::SignedEnvelope,
        &[],
    );
    assert_eq!((signed, bad_signed), ((2, 0), (6, 2)));
    for s in list(&v, "/signed_envelopes/positive") {
        let data = json!({"id": "msg-1", "envelope": serde_json::from_str::<Value>(text(s, "signed_json")).unwrap()});
        assert_eq!(
            check_ciphertext(&data.to_string()),
            Ok(Shape::IdentifiedEnvelope)
        );
    }
}
