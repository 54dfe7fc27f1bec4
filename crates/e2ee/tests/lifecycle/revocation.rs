//! Revocation vectors (spec/key-lifecycle.md section 6.3): signed revocations with their
//! signed bytes, and altered ones with the error a receiver's directory must give.

use domvia_e2ee::{DeviceStatus, Revocation};
use serde_json::{Value, json};

use crate::{b64d, device, directory, fields, sign_as, verify_as};

/// 2026-01-01T00:00:00Z.
const REVOKED_AT: u64 = 1_767_225_600;

/// (name, signer, revoked device).
const CASES: [(&str, &str, &str); 2] = [
    ("laptop-revokes-lost-phone", "alice-laptop", "alice-phone"),
    ("phone-retires-itself", "alice-phone", "alice-phone"),
];

/// The directory every case is checked against (before its own revocations).
const DIRECTORY: [&str; 3] = ["alice-phone", "alice-laptop", "bob-laptop"];

fn sign(signer: &str, revoked: &str) -> Revocation {
    Revocation::sign(&device(signer), device(revoked).bundle(), REVOKED_AT).unwrap()
}

/// `revocation_tbs`, rebuilt from the wire members with the spec's formula.
fn tbs(r: &Value) -> Vec<u8> {
    let st = |k: &str| r[k].as_str().unwrap().to_owned();
    let mut out = fields(&["domvia-revocation v1", &st("user"), &st("device")]);
    out.extend(b64d(&st("fingerprint")));
    out.extend(fields(&[&st("by_device")]));
    out.extend_from_slice(&r["revoked_at"].as_u64().unwrap().to_be_bytes());
    out
}

pub(crate) fn generate() -> Value {
    let positive: Vec<Value> = CASES
        .iter()
        .map(|(name, signer, revoked)| {
            let r = sign(signer, revoked);
            let wire: Value = serde_json::from_str(&r.to_json()).unwrap();
            let signed = tbs(&wire);
            assert!(
                verify_as(signer, &signed, wire["sig"].as_str().unwrap()),
                "{name}: the signature covers the spec's revocation_tbs"
            );
            json!({
                "name": name, "signer": signer, "revoked": revoked, "revoked_at": REVOKED_AT,
                "directory": DIRECTORY,
                "revocation_tbs": hex::encode(signed),
                "revocation_json": r.to_json(),
            })
        })
        .collect();
    json!({"positive": positive, "negative": negative()})
}

fn negative() -> Vec<Value> {
    let base: Value = serde_json::from_str(&sign("alice-laptop", "alice-phone").to_json()).unwrap();
    let mut out = Vec::new();
    let mut case =
        |name: &str, error: &str, edit: &dyn Fn(&mut Value), dir: &[&str], revoked: &[&str]| {
            let mut r = base.clone();
            edit(&mut r);
            out.push(json!({
                "name": name, "directory": dir, "revoked": revoked,
                "revocation_json": r.to_string(), "error": error,
            }));
        };
    let resign = |r: &mut Value, signer: &str| r["sig"] = json!(sign_as(signer, &tbs(r)));
    case(
        "revoked-at-changed",
        "bad_signature",
        &|r| r["revoked_at"] = json!(REVOKED_AT + 1),
        &DIRECTORY,
        &[],
    );
    case(
        "signed-by-the-revoked-device-not-named",
        "bad_signature",
        &|r| resign(r, "alice-phone"),
        &DIRECTORY,
        &[],
    );
    case(
        "signer-unknown",
        "unknown_device",
        &|_| {},
        &["alice-phone", "bob-laptop"],
        &[],
    );
    case(
        "signer-revoked",
        "revoked_device",
        &|_| {},
        &DIRECTORY,
        &["alice-laptop"],
    );
    case(
        "revoked-device-unknown",
        "unknown_device",
        &|_| {},
        &["alice-laptop", "bob-laptop"],
        &[],
    );
    case(
        "fingerprint-of-another-bundle-resigned",
        "unknown_device",
        &|r| {
            r["fingerprint"] = json!(crate::b64u(
                device("alice-laptop").bundle().fingerprint().as_bytes()
            ));
            resign(r, "alice-laptop");
        },
        &DIRECTORY,
        &[],
    );
    case(
        "another-users-device-signed-by-alice",
        "unknown_device",
        &|r| {
            r["user"] = json!("bob");
            r["device"] = json!("laptop");
            r["by_device"] = json!("phone");
            r["fingerprint"] = json!(crate::b64u(
                device("bob-laptop").bundle().fingerprint().as_bytes()
            ));
            resign(r, "alice-laptop");
        },
        &DIRECTORY,
        &[],
    );
    case(
        "version-2",
        "unsupported_version",
        &|r| r["v"] = json!(2),
        &DIRECTORY,
        &[],
    );
    case(
        "unknown-member",
        "malformed",
        &|r| r["reason"] = json!("lost"),
        &DIRECTORY,
        &[],
    );
    case(
        "signature-truncated",
        "malformed",
        &|r| {
            let mut sig = b64d(r["sig"].as_str().unwrap());
            sig.pop();
            r["sig"] = json!(crate::b64u(&sig));
        },
        &DIRECTORY,
        &[],
    );
    out
}

#[test]
fn positive_revocations_reproduce_and_revoke() {
    let v = crate::committed();
    for (p, (name, signer, revoked)) in v["revocations"]["positive"]
        .as_array()
        .unwrap()
        .iter()
        .zip(CASES.iter())
    {
        let json = p["revocation_json"].as_str().unwrap();
        assert_eq!(sign(signer, revoked).to_json(), json, "{name}");
        let mut dir = directory(p);
        let r = Revocation::from_json(json).unwrap();
        let target = device(revoked).id().clone();
        assert_eq!(dir.apply_revocation(&r).unwrap(), target, "{name}");
        assert_eq!(
            dir.status(&target),
            Some(DeviceStatus::Revoked { at: REVOKED_AT }),
            "{name}"
        );
        // Applying it again changes nothing; the device stays revoked.
        dir.apply_revocation(&r).unwrap();
        assert_eq!(
            dir.status(&target),
            Some(DeviceStatus::Revoked { at: REVOKED_AT })
        );
        assert_eq!(dir.active(&target).unwrap_err().code(), "revoked_device");
    }
}

#[test]
fn negative_revocations_fail_with_the_named_error() {
    let v = crate::committed();
    let negative = v["revocations"]["negative"].as_array().unwrap();
    assert!(negative.len() >= 10);
    for n in negative {
        let mut dir = directory(n);
        let err = Revocation::from_json(n["revocation_json"].as_str().unwrap())
            .and_then(|r| dir.apply_revocation(&r))
            .expect_err(n["name"].as_str().unwrap());
        assert_eq!(err.code(), n["error"], "{}: {err}", n["name"]);
    }
}
