//! Key share vectors (spec/key-lifecycle.md section 4): positive shares with every
//! intermediate value, and negative ones, each altered and, where the case needs it,
//! re-signed with the sender's key so that the check after the signature is exercised.

use domvia_e2ee::{AesGcmKey, KeyShare, KeyVersion, Keyring, ShareInbox};
use serde_json::{Value, json};

use crate::{LabelRng, b64d, device, directory, draw, fields};

struct Case {
    name: &'static str,
    from: &'static str,
    to: &'static str,
    room: &'static str,
    kid: &'static str,
    kver: u32,
}

const CASES: [Case; 3] = [
    Case {
        name: "alice-to-bob-room-42",
        from: "alice-phone",
        to: "bob-laptop",
        room: "room-42",
        kid: "room-42",
        kver: 1,
    },
    Case {
        name: "alice-to-own-laptop-call",
        from: "alice-phone",
        to: "alice-laptop",
        room: "call-9001",
        kid: "call-9001",
        kver: 7,
    },
    Case {
        name: "bob-to-alice-unicode",
        from: "bob-laptop",
        to: "alice-phone",
        room: "café ✓ 🚚",
        kid: "courier/Zoë",
        kver: 4_294_967_295,
    },
];

fn key_for(name: &str) -> AesGcmKey {
    AesGcmKey::from_bytes(draw(&format!("key:{name}"), 32).try_into().unwrap())
}

fn info(s: &Value) -> Vec<u8> {
    let st = |k: &str| s[k].as_str().unwrap().to_owned();
    let mut out = fields(&["domvia-keyshare v1", &st("room"), &st("kid")]);
    out.extend_from_slice(
        &u32::try_from(s["kver"].as_u64().unwrap())
            .unwrap()
            .to_be_bytes(),
    );
    out.extend(fields(&[
        &st("from_user"),
        &st("from_device"),
        &st("to_user"),
        &st("to_device"),
    ]));
    out
}

fn tbs(s: &Value) -> Vec<u8> {
    let mut out = fields(&["domvia-keyshare-sig v1"]);
    out.extend(info(s));
    for m in ["commit", "enc", "ct"] {
        out.extend(b64d(s[m].as_str().unwrap()));
    }
    out
}

/// Signs the share's `share_tbs` with `signer`'s Ed25519 seed, independently of the crate.
fn resign(s: &mut Value, signer: &str) {
    s["sig"] = json!(crate::sign_as(signer, &tbs(s)));
}

fn seal(c: &Case) -> KeyShare {
    let kver = KeyVersion::new(u64::from(c.kver)).unwrap();
    KeyShare::seal_with_rng(
        &device(c.from),
        device(c.to).bundle(),
        &c.room.parse().unwrap(),
        &c.kid.parse().unwrap(),
        kver,
        &key_for(c.name),
        &mut LabelRng::new(&format!("share:{}", c.name)),
    )
    .unwrap()
}

pub(crate) fn generate() -> Value {
    let positive: Vec<Value> = CASES
        .iter()
        .map(|c| {
            let share = seal(c);
            let wire: Value = serde_json::from_str(&share.to_json()).unwrap();
            let key = key_for(c.name);
            json!({
                "name": c.name, "from": c.from, "to": c.to,
                "room": c.room, "kid": c.kid, "kver": c.kver,
                "key": hex::encode(key.danger_as_bytes()),
                "commit": hex::encode(key.commitment()),
                "ephemeral_ikm": hex::encode(draw(&format!("share:{}", c.name), 32)),
                "info": hex::encode(info(&wire)),
                "aad": hex::encode(key.commitment()),
                "enc": hex::encode(b64d(wire["enc"].as_str().unwrap())),
                "ct": hex::encode(b64d(wire["ct"].as_str().unwrap())),
                "share_tbs": hex::encode(tbs(&wire)),
                "share_json": share.to_json(),
            })
        })
        .collect();
    json!({"positive": positive, "negative": negative()})
}

fn negative() -> Vec<Value> {
    let base: Value = serde_json::from_str(&seal(&CASES[0]).to_json()).unwrap();
    let other_key = key_for("another key");
    let flip = |s: &str| {
        let mut b = b64d(s);
        b[0] ^= 1;
        crate::b64u(&b)
    };
    let mut out = Vec::new();
    let mut case =
        |name: &str, error: &str, edit: &dyn Fn(&mut Value), dir: &[&str], revoked: &[&str]| {
            let mut s = base.clone();
            edit(&mut s);
            out.push(json!({
                "name": name, "to": "bob-laptop", "directory": dir, "revoked": revoked,
                "share_json": s.to_string(), "error": error,
            }));
        };
    let dir = ["alice-phone", "alice-laptop", "mallory-phone"];
    case(
        "ciphertext-flipped",
        "bad_signature",
        &|s| s["ct"] = json!(flip(s["ct"].as_str().unwrap())),
        &dir,
        &[],
    );
    case(
        "enc-flipped-resigned",
        "auth_failed",
        &|s| {
            s["enc"] = json!(flip(s["enc"].as_str().unwrap()));
            resign(s, "alice-phone");
        },
        &dir,
        &[],
    );
    case(
        "ciphertext-flipped-resigned",
        "auth_failed",
        &|s| {
            s["ct"] = json!(flip(s["ct"].as_str().unwrap()));
            resign(s, "alice-phone");
        },
        &dir,
        &[],
    );
    case(
        "room-changed-resigned",
        "auth_failed",
        &|s| {
            s["room"] = json!("room-43");
            resign(s, "alice-phone");
        },
        &dir,
        &[],
    );
    case(
        "key-id-changed-resigned",
        "auth_failed",
        &|s| {
            s["kid"] = json!("room-43");
            resign(s, "alice-phone");
        },
        &dir,
        &[],
    );
    case(
        "key-version-changed-resigned",
        "auth_failed",
        &|s| {
            s["kver"] = json!(2);
            resign(s, "alice-phone");
        },
        &dir,
        &[],
    );
    case(
        "sender-device-changed-resigned-by-it",
        "auth_failed",
        &|s| {
            s["from_device"] = json!("laptop");
            resign(s, "alice-laptop");
        },
        &dir,
        &[],
    );
    case(
        "commitment-of-another-key-resigned",
        "auth_failed",
        &|s| {
            s["commit"] = json!(crate::b64u(other_key.commitment()));
            resign(s, "alice-phone");
        },
        &dir,
        &[],
    );
    case(
        "signed-by-another-device",
        "bad_signature",
        &|s| resign(s, "mallory-phone"),
        &dir,
        &[],
    );
    case(
        "for-another-device",
        "wrong_recipient",
        &|s| {
            s["to_user"] = json!("alice");
            s["to_device"] = json!("laptop");
            resign(s, "alice-phone");
        },
        &dir,
        &[],
    );
    case(
        "sender-unknown",
        "unknown_device",
        &|_| {},
        &["mallory-phone"],
        &[],
    );
    case(
        "sender-revoked",
        "revoked_device",
        &|_| {},
        &dir,
        &["alice-phone"],
    );
    case(
        "version-2",
        "unsupported_version",
        &|s| s["v"] = json!(2),
        &dir,
        &[],
    );
    case(
        "other-format",
        "unsupported_version",
        &|s| s["format"] = json!("domvia-device"),
        &dir,
        &[],
    );
    case(
        "unknown-member",
        "malformed",
        &|s| s["x"] = json!(1),
        &dir,
        &[],
    );
    case(
        "ct-truncated",
        "malformed",
        &|s| {
            let mut b = b64d(s["ct"].as_str().unwrap());
            b.pop();
            s["ct"] = json!(crate::b64u(&b));
        },
        &dir,
        &[],
    );
    out
}

#[test]
fn positive_shares_reproduce_and_open() {
    let v = crate::committed();
    let positive = v["keyshares"]["positive"].as_array().unwrap();
    for (p, c) in positive.iter().zip(CASES.iter()) {
        let share = seal(c);
        assert_eq!(
            share.to_json(),
            p["share_json"].as_str().unwrap(),
            "{}",
            c.name
        );
        let me = device(c.to);
        let dir = directory(&json!({"directory": [c.from]}));
        let mut ring = Keyring::new();
        let parsed = KeyShare::from_json(p["share_json"].as_str().unwrap()).unwrap();
        ShareInbox::new()
            .accept(&parsed, &me, &dir, &mut ring)
            .unwrap();
        let (kver, key) = ring.current(&c.kid.parse().unwrap()).unwrap();
        assert_eq!(kver.get(), c.kver);
        assert_eq!(
            hex::encode(key.danger_as_bytes()),
            p["key"].as_str().unwrap()
        );
    }
}

#[test]
fn negative_shares_fail_with_the_named_error() {
    let v = crate::committed();
    let negative = v["keyshares"]["negative"].as_array().unwrap();
    assert!(negative.len() >= 15);
    for n in negative {
        let me = device(n["to"].as_str().unwrap());
        let dir = directory(n);
        let result = KeyShare::from_json(n["share_json"].as_str().unwrap())
            .and_then(|s| ShareInbox::new().accept(&s, &me, &dir, &mut Keyring::new()));
        let err = result.expect_err(n["name"].as_str().unwrap());
        assert_eq!(
            err.code(),
            n["error"].as_str().unwrap(),
            "{}: {err}",
            n["name"]
        );
    }
}

/// One share of spec/vectors/keyshare-js-v1.json, sealed by `@hpke/core`.
pub(crate) fn open_js(s: &Value) {
    let name = s["name"].as_str().unwrap();
    let me = device(s["to"].as_str().unwrap());
    let dir = directory(&json!({"directory": [s["from"]]}));
    let share = KeyShare::from_json(s["share_json"].as_str().unwrap()).unwrap();
    let mut ring = Keyring::new();
    let accepted = ShareInbox::new()
        .accept(&share, &me, &dir, &mut ring)
        .unwrap();
    let key = ring.key(&accepted.key_id, accepted.key_version).unwrap();
    assert_eq!(
        hex::encode(key.danger_as_bytes()),
        s["key"].as_str().unwrap(),
        "{name}"
    );
}
