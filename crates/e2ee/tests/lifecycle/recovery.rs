//! Key request and key response vectors (spec/key-lifecycle.md sections 6.1 and 8.2): a
//! new device (alice-laptop) asks, another device of the same user (alice-phone) answers
//! with every key of its keyring HPKE-sealed to the new device. Every intermediate value
//! is rebuilt here from the spec, and the response is opened with the `hpke` crate
//! directly, so the keys plaintext layout is checked independently of the core.

use domvia_e2ee::{KeyRequest, KeyResponse, Keyring, PendingRequest};
use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, OpModeR};
use serde_json::{Value, json};

use crate::{LabelRng, b64d, device, draw, fields, sign_as, verify_as};

const NEW_DEVICE: &str = "alice-laptop";
const RESPONDER: &str = "alice-phone";

fn request() -> (KeyRequest, PendingRequest) {
    KeyRequest::new_with_rng(
        &device(NEW_DEVICE),
        &mut LabelRng::new("request:alice-laptop"),
    )
}

fn response(ring: &Keyring) -> KeyResponse {
    let approved = request()
        .0
        .verify_for(&device(RESPONDER))
        .unwrap()
        .approve();
    KeyResponse::seal_with_rng(
        &device(RESPONDER),
        &approved,
        ring,
        &mut LabelRng::new("response:alice-laptop"),
    )
    .unwrap()
}

/// `bundle_tbs` of section 2.2.
fn bundle_tbs(bundle: &Value) -> Vec<u8> {
    let st = |k: &str| bundle[k].as_str().unwrap().to_owned();
    let mut out = fields(&["domvia-device v1", &st("user"), &st("device")]);
    out.extend(b64d(&st("hpke_pk")));
    out.extend(b64d(&st("sign_pk")));
    out
}

fn request_tbs(r: &Value) -> Vec<u8> {
    let mut out = fields(&["domvia-key-request v1"]);
    out.extend(b64d(r["request_id"].as_str().unwrap()));
    out.extend(bundle_tbs(&r["bundle"]));
    out
}

fn response_info(r: &Value) -> Vec<u8> {
    let st = |k: &str| r[k].as_str().unwrap().to_owned();
    let mut out = fields(&["domvia-key-response v1"]);
    out.extend(b64d(&st("request_id")));
    out.extend(fields(&[&st("user"), &st("from_device"), &st("to_device")]));
    out
}

fn keys(r: &Value) -> [u8; 4] {
    u32::try_from(r["keys"].as_u64().unwrap())
        .unwrap()
        .to_be_bytes()
}

fn response_tbs(r: &Value) -> Vec<u8> {
    let mut out = fields(&["domvia-key-response-sig v1"]);
    out.extend(response_info(r));
    out.extend(keys(r));
    out.extend(b64d(r["enc"].as_str().unwrap()));
    out.extend(b64d(r["ct"].as_str().unwrap()));
    out
}

/// `keys_plaintext` of section 8.2, built from a keyring export (key ids and versions
/// in the export's order).
fn keys_plaintext(export: &Value) -> Vec<u8> {
    let mut entries = Vec::new();
    for k in export["keys"].as_array().unwrap() {
        let kid = k["kid"].as_str().unwrap();
        for v in k["versions"].as_array().unwrap() {
            let kver = u32::try_from(v["kver"].as_u64().unwrap()).unwrap();
            let mut e = vec![u8::from(k["current"].as_u64() == Some(u64::from(kver)))];
            e.extend_from_slice(&kver.to_be_bytes());
            let highest = u32::try_from(k["highest"].as_u64().unwrap()).unwrap();
            e.extend_from_slice(&highest.to_be_bytes());
            e.extend(b64d(v["key"].as_str().unwrap()));
            let mut padded = fields(&[kid]);
            padded.resize(257, 0);
            e.extend(padded);
            assert_eq!(e.len(), 298);
            entries.push(e);
        }
    }
    let mut out = u32::try_from(entries.len()).unwrap().to_be_bytes().to_vec();
    out.extend(entries.concat());
    out
}

/// Opens the response with the `hpke` crate alone.
fn hpke_open(r: &Value) -> Vec<u8> {
    let secret: Value = serde_json::from_str(&device(NEW_DEVICE).to_json()).unwrap();
    let sk = <X25519HkdfSha256 as hpke::Kem>::PrivateKey::from_bytes(&b64d(
        secret["hpke_sk"].as_str().unwrap(),
    ))
    .unwrap();
    let enc =
        <X25519HkdfSha256 as hpke::Kem>::EncappedKey::from_bytes(&b64d(r["enc"].as_str().unwrap()))
            .unwrap();
    hpke::single_shot_open::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &sk,
        &enc,
        &response_info(r),
        &b64d(r["ct"].as_str().unwrap()),
        &keys(r),
    )
    .unwrap()
}

pub(crate) fn generate() -> Value {
    let ring = crate::backup::keyring();
    let export: Value = serde_json::from_str(&ring.export().to_json()).unwrap();
    let (req, _) = request();
    let rq: Value = serde_json::from_str(&req.to_json()).unwrap();
    assert!(verify_as(
        NEW_DEVICE,
        &request_tbs(&rq),
        rq["sig"].as_str().unwrap()
    ));
    let resp = response(&ring);
    let rs: Value = serde_json::from_str(&resp.to_json()).unwrap();
    assert!(verify_as(
        RESPONDER,
        &response_tbs(&rs),
        rs["sig"].as_str().unwrap()
    ));
    let plaintext = keys_plaintext(&export);
    assert_eq!(hpke_open(&rs), plaintext, "keys_plaintext layout");
    json!({
        "request": {
            "new_device": NEW_DEVICE,
            "request_id": hex::encode(draw("request:alice-laptop", 16)),
            "request_tbs": hex::encode(request_tbs(&rq)),
            "request_json": req.to_json(),
        },
        "response": {
            "from": RESPONDER, "to": NEW_DEVICE,
            "keyring_export": export,
            "keys_plaintext": hex::encode(&plaintext),
            "ephemeral_ikm": hex::encode(draw("response:alice-laptop", 32)),
            "info": hex::encode(response_info(&rs)),
            "aad": hex::encode(keys(&rs)),
            "enc": hex::encode(b64d(rs["enc"].as_str().unwrap())),
            "ct": hex::encode(b64d(rs["ct"].as_str().unwrap())),
            "response_tbs": hex::encode(response_tbs(&rs)),
            "response_json": resp.to_json(),
        },
        "negative_requests": negative_requests(&rq),
        "negative_responses": negative_responses(&rs),
    })
}

/// Requests a device of alice (`verifier`) must refuse.
fn negative_requests(base: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut case = |name: &str, error: &str, r: Value| {
        out.push(json!({"name": name, "verifier": RESPONDER, "request_json": r.to_string(), "error": error}));
    };
    let mut r = base.clone();
    r["request_id"] = json!(crate::b64u(&draw("another request", 16)));
    case("request-id-changed", "bad_signature", r);
    let mut r = base.clone();
    r["bundle"]["hpke_pk"] = json!(crate::b64u(device("bob-laptop").bundle().hpke_public_key()));
    case("bundle-key-swapped", "bad_signature", r);
    let mallory = KeyRequest::new_with_rng(
        &device("mallory-phone"),
        &mut LabelRng::new("request:mallory"),
    )
    .0;
    case(
        "from-another-user",
        "other_user",
        serde_json::from_str(&mallory.to_json()).unwrap(),
    );
    let mut r = base.clone();
    r["v"] = json!(2);
    case("version-2", "unsupported_version", r);
    let mut r = base.clone();
    r["approved"] = json!(true);
    case("unknown-member", "malformed", r);
    out
}

/// Responses the new device (holding the pending request) must refuse.
fn negative_responses(base: &Value) -> Vec<Value> {
    let flip = |s: &Value| {
        let mut b = b64d(s.as_str().unwrap());
        b[0] ^= 1;
        json!(crate::b64u(&b))
    };
    let resign = |r: &mut Value, signer: &str| r["sig"] = json!(sign_as(signer, &response_tbs(r)));
    let mut out = Vec::new();
    let mut case = |name: &str, error: &str, edit: &dyn Fn(&mut Value)| {
        let mut r = base.clone();
        edit(&mut r);
        out.push(json!({
            "name": name, "to": NEW_DEVICE, "responder": RESPONDER,
            "response_json": r.to_string(), "error": error,
        }));
    };
    case("ciphertext-flipped", "bad_signature", &|r| {
        r["ct"] = flip(&r["ct"]);
    });
    case("ciphertext-flipped-resigned", "auth_failed", &|r| {
        r["ct"] = flip(&r["ct"]);
        resign(r, RESPONDER);
    });
    case("key-count-changed-resigned", "auth_failed", &|r| {
        r["keys"] = json!(2);
        resign(r, RESPONDER);
    });
    case("for-another-request-resigned", "unknown_request", &|r| {
        r["request_id"] = json!(crate::b64u(&draw("another request", 16)));
        resign(r, RESPONDER);
    });
    case("for-another-device-resigned", "wrong_recipient", &|r| {
        r["to_device"] = json!("tablet");
        resign(r, RESPONDER);
    });
    case("from-a-device-not-compared", "unknown_device", &|r| {
        r["from_device"] = json!("tablet");
    });
    case("signed-by-another-device", "bad_signature", &|r| {
        resign(r, "mallory-phone");
    });
    case("version-2", "unsupported_version", &|r| r["v"] = json!(2));
    case("enc-truncated", "malformed", &|r| {
        let mut b = b64d(r["enc"].as_str().unwrap());
        b.pop();
        r["enc"] = json!(crate::b64u(&b));
    });
    out
}

#[test]
fn request_and_response_reproduce_and_restore_the_keyring() {
    let v = crate::committed();
    let rec = &v["recovery"];
    let (req, pending) = request();
    assert_eq!(
        req.to_json(),
        rec["request"]["request_json"].as_str().unwrap()
    );
    let ring = crate::backup::keyring();
    let text = rec["response"]["response_json"].as_str().unwrap();
    assert_eq!(response(&ring).to_json(), text);
    let parsed = KeyRequest::from_json(rec["request"]["request_json"].as_str().unwrap()).unwrap();
    let verified = parsed.verify_for(&device(RESPONDER)).unwrap();
    assert_eq!(verified.bundle().id(), device(NEW_DEVICE).id());
    // The requester can rebuild its pending state from its own request, nobody else can.
    assert_eq!(
        parsed.pending_for(&device(RESPONDER)).unwrap_err().code(),
        "unknown_request"
    );
    let rebuilt = parsed.pending_for(&device(NEW_DEVICE)).unwrap();
    for pending in [pending, rebuilt] {
        let mut restored = Keyring::new();
        let added = pending
            .accept(
                &KeyResponse::from_json(text).unwrap(),
                &device(NEW_DEVICE),
                device(RESPONDER).bundle(),
                &mut restored,
            )
            .unwrap();
        assert_eq!(added, 3);
        assert_eq!(
            serde_json::from_str::<Value>(&restored.export().to_json()).unwrap(),
            rec["response"]["keyring_export"]
        );
    }
}

#[test]
fn negative_requests_and_responses_fail_with_the_named_error() {
    let v = crate::committed();
    let rec = &v["recovery"];
    for n in rec["negative_requests"].as_array().unwrap() {
        let err = KeyRequest::from_json(n["request_json"].as_str().unwrap())
            .and_then(|r| r.verify_for(&device(n["verifier"].as_str().unwrap())))
            .map(|_| ())
            .expect_err(n["name"].as_str().unwrap());
        assert_eq!(err.code(), n["error"], "{}: {err}", n["name"]);
    }
    let negative = rec["negative_responses"].as_array().unwrap();
    assert!(negative.len() >= 9);
    for n in negative {
        let (_, pending) = request();
        let err = KeyResponse::from_json(n["response_json"].as_str().unwrap())
            .and_then(|r| {
                pending.accept(
                    &r,
                    &device(n["to"].as_str().unwrap()),
                    device(n["responder"].as_str().unwrap()).bundle(),
                    &mut Keyring::new(),
                )
            })
            .expect_err(n["name"].as_str().unwrap());
        assert_eq!(err.code(), n["error"], "{}: {err}", n["name"]);
    }
}
