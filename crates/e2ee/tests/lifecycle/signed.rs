//! Signed envelope vectors (spec/key-lifecycle.md section 7): envelopes sealed under a
//! fixed key, signed by a device, with the AAD and the signed bytes rebuilt from the
//! specs; and altered ones with the error the receiver must give.

use domvia_e2ee::{
    AesGcmKey, CallContext, ChatContext, Context, KeyLabel, KeyVersion, SealOptions,
    SignedEnvelope, open_json, seal_json_with_rng,
};
use serde_json::{Value, json};

use crate::{LabelRng, b64d, device, directory, draw, fields, sign_as, verify_as};

struct Case {
    name: &'static str,
    signer: &'static str,
    /// The context as the vector file writes it.
    context: fn() -> Value,
    kid: Option<&'static str>,
    kver: u32,
    payload: fn() -> Value,
}

const CASES: [Case; 2] = [
    Case {
        name: "chat-signed-by-alice-phone",
        signer: "alice-phone",
        context: || json!({"kind": "chat", "room_id": "room-42", "message_id": "msg-1"}),
        kid: Some("room-42-v1"),
        kver: 1,
        payload: || json!({"body": "Private message", "sender_id": "user-1"}),
    },
    Case {
        name: "call-offer-signed-by-bob-laptop",
        signer: "bob-laptop",
        context: || json!({"kind": "call", "call_id": "call-9001", "event_name": "call.offer"}),
        kid: None,
        kver: 3,
        payload: || json!({"sdp_type": "offer", "sdp": "v=0"}),
    },
];

const DIRECTORY: [&str; 3] = ["alice-phone", "bob-laptop", "mallory-phone"];

fn key(name: &str) -> AesGcmKey {
    AesGcmKey::from_bytes(draw(&format!("signed:key:{name}"), 32).try_into().unwrap())
}

fn context(v: &Value) -> Context {
    let st = |k: &str| v[k].as_str().unwrap();
    match st("kind") {
        "chat" => ChatContext::parse(st("room_id"), st("message_id"))
            .unwrap()
            .into(),
        _ => CallContext::parse(st("call_id"), st("event_name"))
            .unwrap()
            .into(),
    }
}

fn label(c: &Case) -> KeyLabel {
    let kver = KeyVersion::new(u64::from(c.kver)).unwrap();
    match c.kid {
        Some(kid) => KeyLabel::new(kid.parse().unwrap(), kver),
        None => KeyLabel::version_only(kver),
    }
}

fn sign(c: &Case) -> SignedEnvelope {
    let ctx = context(&(c.context)());
    let envelope = seal_json_with_rng(
        &(c.payload)(),
        &key(c.name),
        &ctx,
        &label(c),
        &SealOptions::default(),
        &mut LabelRng::new(&format!("signed:{}", c.name)),
    )
    .unwrap();
    SignedEnvelope::sign(&device(c.signer), envelope, &ctx)
}

/// The envelope's AAD (spec/envelope-v1.md section 5.1) for the context `ctx` expects.
fn aad(envelope: &Value, ctx: &Value) -> Vec<u8> {
    let mut out = b"domvia-e2ee".to_vec();
    let kind = ctx["kind"].as_str().unwrap();
    out.extend([1, 1, if kind == "chat" { 1 } else { 2 }]);
    match envelope["kid"].as_str() {
        Some(kid) => out.extend(fields(&[kid])),
        None => out.extend([0, 0]),
    }
    let kver = u32::try_from(envelope["kver"].as_u64().unwrap()).unwrap();
    out.extend_from_slice(&kver.to_be_bytes());
    let st = |k: &str| ctx[k].as_str().unwrap();
    if kind == "chat" {
        out.extend(fields(&[st("room_id"), st("message_id")]));
    } else {
        out.extend(fields(&[st("call_id"), st("event_name")]));
    }
    out
}

/// `signed_tbs` of section 7.
fn signed_tbs(s: &Value, ctx: &Value) -> Vec<u8> {
    let e = &s["envelope"];
    let aad = aad(e, ctx);
    let mut out = fields(&[
        "domvia-signed-envelope v1",
        s["from_user"].as_str().unwrap(),
        s["from_device"].as_str().unwrap(),
    ]);
    out.extend_from_slice(&u32::try_from(aad.len()).unwrap().to_be_bytes());
    out.extend(aad);
    for m in ["nonce", "commit", "ct"] {
        out.extend(b64d(e[m].as_str().unwrap()));
    }
    out
}

pub(crate) fn generate() -> Value {
    let positive: Vec<Value> = CASES
        .iter()
        .map(|c| {
            let signed = sign(c);
            let wire: Value = serde_json::from_str(&signed.to_json()).unwrap();
            let ctx = (c.context)();
            let tbs = signed_tbs(&wire, &ctx);
            assert!(
                verify_as(c.signer, &tbs, wire["sig"].as_str().unwrap()),
                "{}",
                c.name
            );
            json!({
                "name": c.name, "signer": c.signer, "directory": DIRECTORY,
                "key": hex::encode(key(c.name).danger_as_bytes()),
                "context": ctx,
                "payload": (c.payload)(),
                "aad": hex::encode(aad(&wire["envelope"], &ctx)),
                "signed_tbs": hex::encode(tbs),
                "signed_json": signed.to_json(),
            })
        })
        .collect();
    json!({"positive": positive, "negative": negative()})
}

fn negative() -> Vec<Value> {
    let c = &CASES[0];
    let base: Value = serde_json::from_str(&sign(c).to_json()).unwrap();
    let expected = (c.context)();
    let mut out = Vec::new();
    let mut case = |name: &str,
                    error: &str,
                    edit: &dyn Fn(&mut Value),
                    ctx: &Value,
                    dir: &[&str],
                    revoked: &[&str]| {
        let mut s = base.clone();
        edit(&mut s);
        out.push(json!({
            "name": name, "context": ctx, "directory": dir, "revoked": revoked,
            "signed_json": s.to_string(), "error": error,
        }));
    };
    let resign = |s: &mut Value, signer: &str| {
        s["sig"] = json!(sign_as(signer, &signed_tbs(s, &(CASES[0].context)())));
    };
    let mut other_message = expected.clone();
    other_message["message_id"] = json!("msg-2");
    case(
        "expected-another-message",
        "bad_signature",
        &|_| {},
        &other_message,
        &DIRECTORY,
        &[],
    );
    case(
        "ciphertext-flipped",
        "bad_signature",
        &|s| {
            let mut ct = b64d(s["envelope"]["ct"].as_str().unwrap());
            ct[0] ^= 1;
            s["envelope"]["ct"] = json!(crate::b64u(&ct));
        },
        &expected,
        &DIRECTORY,
        &[],
    );
    case(
        "claims-another-device-of-the-sender",
        "bad_signature",
        &|s| s["from_device"] = json!("laptop"),
        &expected,
        &["alice-phone", "alice-laptop", "bob-laptop"],
        &[],
    );
    case(
        "mallory-signs-as-alice",
        "bad_signature",
        &|s| resign(s, "mallory-phone"),
        &expected,
        &DIRECTORY,
        &[],
    );
    case(
        "sender-unknown",
        "unknown_device",
        &|_| {},
        &expected,
        &["bob-laptop"],
        &[],
    );
    case(
        "sender-revoked",
        "revoked_device",
        &|_| {},
        &expected,
        &DIRECTORY,
        &["alice-phone"],
    );
    case(
        "version-2",
        "unsupported_version",
        &|s| s["v"] = json!(2),
        &expected,
        &DIRECTORY,
        &[],
    );
    case(
        "inner-envelope-unknown-member",
        "malformed",
        &|s| s["envelope"]["x"] = json!(1),
        &expected,
        &DIRECTORY,
        &[],
    );
    out
}

#[test]
fn positive_signed_envelopes_reproduce_verify_and_open() {
    let v = crate::committed();
    for (p, c) in v["signed_envelopes"]["positive"]
        .as_array()
        .unwrap()
        .iter()
        .zip(CASES.iter())
    {
        let text = p["signed_json"].as_str().unwrap();
        assert_eq!(sign(c).to_json(), text, "{}", c.name);
        let signed = SignedEnvelope::from_json(text).unwrap();
        let ctx = context(&p["context"]);
        let verified = signed.verify(&directory(p), &ctx).unwrap();
        assert_eq!(&verified.sender, device(c.signer).id());
        let payload: Value = open_json(verified.envelope, &key(c.name), &ctx).unwrap();
        assert_eq!(payload, p["payload"]);
    }
}

#[test]
fn negative_signed_envelopes_fail_with_the_named_error() {
    let v = crate::committed();
    let negative = v["signed_envelopes"]["negative"].as_array().unwrap();
    assert!(negative.len() >= 8);
    for n in negative {
        let dir = directory(n);
        let ctx = context(&n["context"]);
        let err = SignedEnvelope::from_json(n["signed_json"].as_str().unwrap())
            .and_then(|s| s.verify(&dir, &ctx).map(|_| ()))
            .expect_err(n["name"].as_str().unwrap());
        assert_eq!(err.code(), n["error"], "{}: {err}", n["name"]);
    }
}
