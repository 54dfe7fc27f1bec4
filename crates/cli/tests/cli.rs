//! The `domvia` binary's successful paths: keygen, round trips, padding, inspect, demo.

mod common;

use common::{
    CALL, CHAT, REALTIME, Scratch, decrypt_args, domvia, domvia_env, encrypt_args, json, s, seal,
};
use serde_json::Value;

#[test]
fn keygen_prints_a_raw_key_by_default() {
    let run = domvia(&["keygen"], None);
    let key = run.ok();
    assert_eq!(key.len(), 43);
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_ne!(
        domvia(&["keygen", "--format", "raw"], None).ok(),
        key,
        "keys are fresh"
    );
}

#[test]
fn keygen_prints_a_webcrypto_jwk() {
    let jwk = json(domvia(&["keygen", "--format", "jwk"], None).ok());
    assert_eq!(jwk["kty"], "oct");
    assert_eq!(jwk["alg"], "A256GCM");
    assert_eq!(jwk["k"].as_str().map(str::len), Some(43));
    assert_eq!(jwk["key_ops"], serde_json::json!(["encrypt", "decrypt"]));
}

#[test]
fn keygen_out_writes_0600_prints_nothing_secret_and_refuses_overwrite() {
    let tmp = Scratch::new("keygen-out");
    let path = tmp.path("room.key");
    let run = domvia(&["keygen", "--out", s(&path)], None);
    assert_eq!(run.ok(), "");
    let key = std::fs::read_to_string(&path).unwrap();
    assert_eq!(key.trim_end().len(), 43);
    assert!(!run.stderr.contains(key.trim_end()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let again = domvia(&["keygen", "--out", s(&path), "--format", "jwk"], None);
    let message = again.fails_with("file_exists");
    assert!(message.contains("already exists"), "{message}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        key,
        "the file is untouched"
    );
}

#[test]
fn round_trips_every_kind_through_stdin() {
    let tmp = Scratch::new("stdin");
    let key = tmp.key("k");
    let cases = [
        (CHAT, r#"{"body":"Private message","sender_id":"user-1"}"#),
        (CALL, r#"{"sdp_type":"offer","sdp":"v=0..."}"#),
        (REALTIME, r#"{"note":"Sensitive delivery instruction"}"#),
    ];
    for (context, payload) in cases {
        let envelope = seal(context, &key, payload);
        let wire = json(&envelope);
        assert_eq!(wire["kind"], context[1]);
        assert_eq!(wire["kver"], 1);
        assert!(!envelope.contains("Private") && !envelope.contains("Sensitive"));
        let opened = domvia(&decrypt_args(context, &key, &[]), Some(envelope.as_bytes()));
        assert_eq!(json(opened.ok()), json(payload));
        let dash = domvia(
            &decrypt_args(context, &key, &["-"]),
            Some(envelope.as_bytes()),
        );
        assert_eq!(json(dash.ok()), json(payload));
    }
}

#[test]
fn round_trips_every_kind_through_files_and_key_sources() {
    let tmp = Scratch::new("files");
    let jwk_key = tmp.path("k.jwk");
    domvia(&["keygen", "--format", "jwk", "--out", s(&jwk_key)], None).ok();
    for (i, context) in [CHAT, CALL, REALTIME].into_iter().enumerate() {
        let payload = tmp.write(&format!("p{i}.json"), "{\"n\": [1, 2, 3]}\n");
        let sealed = domvia(&encrypt_args(context, &jwk_key, &[s(&payload)]), None);
        let envelope = tmp.write(&format!("e{i}.json"), sealed.ok());
        let opened = domvia(&decrypt_args(context, &jwk_key, &[s(&envelope)]), None);
        assert_eq!(opened.ok(), r#"{"n":[1,2,3]}"#, "compact output");
    }

    // The same key as raw base64url in an environment variable.
    let raw = domvia(&["keygen"], None).ok().to_owned();
    let env = [("DOMVIA_TEST_KEY", raw.as_str())];
    let mut args = vec!["encrypt"];
    args.extend_from_slice(CALL);
    args.extend_from_slice(&["--key-env", "DOMVIA_TEST_KEY", "--key-version", "7"]);
    let envelope = domvia_env(&args, Some(b"[true]"), &env).ok().to_owned();
    let mut args = vec!["decrypt"];
    args.extend_from_slice(CALL);
    args.extend_from_slice(&["--key-env", "DOMVIA_TEST_KEY", "--expect-key-version", "7"]);
    assert_eq!(
        domvia_env(&args, Some(envelope.as_bytes()), &env).ok(),
        "[true]"
    );
}

#[test]
fn keyring_opens_the_version_the_envelope_names() {
    let tmp = Scratch::new("keyring");
    let (k1, k2) = (tmp.key("k1"), tmp.key("k2"));
    let raw = |p| std::fs::read_to_string(p).unwrap().trim().to_owned();
    let ring = format!(
        r#"{{"format":"domvia-keyring","v":1,"keys":[{{"kid":"room-42-v1","current":2,"highest":2,"versions":[{{"kver":1,"key":"{}"}},{{"kver":2,"key":"{}"}}]}}]}}"#,
        raw(&k1),
        raw(&k2)
    );
    let ring = tmp.write("ring.json", &ring);
    for (key, version) in [(&k1, "1"), (&k2, "2")] {
        let mut args = vec!["encrypt"];
        args.extend_from_slice(CHAT);
        args.extend_from_slice(&["--key-file", s(key), "--key-id", "room-42-v1"]);
        args.extend_from_slice(&["--key-version", version]);
        let envelope = domvia(&args, Some(br#"{"v":"x"}"#)).ok().to_owned();
        let mut args = vec!["decrypt"];
        args.extend_from_slice(CHAT);
        args.extend_from_slice(&["--keyring-file", s(&ring)]);
        assert_eq!(
            domvia(&args, Some(envelope.as_bytes())).ok(),
            r#"{"v":"x"}"#
        );
    }
}

/// The ciphertext length of an envelope, in bytes.
fn ct_len(envelope: &str) -> Option<u64> {
    json(&inspect(envelope))
        .get("ciphertext_bytes")
        .and_then(Value::as_u64)
}

fn inspect(envelope: &str) -> String {
    domvia(&["inspect"], Some(envelope.as_bytes()))
        .ok()
        .to_owned()
}

#[test]
fn padding_hides_sizes_within_a_bucket() {
    let tmp = Scratch::new("padding");
    let key = tmp.key("k");
    // Framed (4-byte prefix + JSON) to 34 and 57 bytes: both in the 33..=64 bucket.
    let short = r#"{"body":"hello there, friend"}"#;
    let long = r#"{"body":"a rather longer message, still under sixty"}"#;
    let sealed = |payload: &str, padding: &str| {
        let args = encrypt_args(CALL, &key, &["--padding", padding]);
        domvia(&args, Some(payload.as_bytes())).ok().to_owned()
    };
    assert_ne!(
        ct_len(&sealed(short, "none")),
        ct_len(&sealed(long, "none"))
    );
    for (padding, expected) in [("power-of-two", 64 + 16), ("multiple:128", 128 + 16)] {
        let (a, b) = (sealed(short, padding), sealed(long, padding));
        assert_eq!(ct_len(&a), Some(expected), "{padding}");
        assert_eq!(ct_len(&b), Some(expected), "{padding}");
        // The receiver needs no padding setting.
        let opened = domvia(&decrypt_args(CALL, &key, &[]), Some(b.as_bytes()));
        assert_eq!(json(opened.ok()), json(long));
    }
}

#[test]
fn inspect_shows_the_header_without_a_key() {
    let tmp = Scratch::new("inspect");
    let key = tmp.key("k");
    let payload = r#"{"body":"Private message","sender_id":"user-1"}"#;
    let envelope = seal(CHAT, &key, payload);
    let run = domvia(&["inspect"], Some(envelope.as_bytes()));
    let shown = run.ok();
    assert!(
        shown.starts_with("{\n  \"v\": 1,"),
        "pretty, in wire order: {shown}"
    );
    let header = json(shown);
    let wire = json(&envelope);
    assert_eq!(header["suite"], "AES256GCM-HKDFSHA256");
    assert_eq!(header["kind"], "chat");
    assert_eq!(header["key_id"], "room-42-v1");
    assert_eq!(header["key_version"], 1);
    assert_eq!(header["nonce"], wire["nonce"]);
    // 4-byte length prefix + payload + 16-byte tag, unpadded.
    assert_eq!(header["ciphertext_bytes"], payload.len() + 20);
    assert_eq!(header["max_payload_bytes"], payload.len());
    assert_eq!(header.as_object().unwrap().len(), 8);
    assert!(!shown.contains("Private"));
    assert!(run.stderr.contains("no key was used"));

    let call = json(&inspect(&seal(CALL, &key, "1")));
    assert_eq!(call["key_id"], Value::Null);
    let file = tmp.write("e.json", &envelope);
    assert_eq!(json(domvia(&["inspect", s(&file)], None).ok()), header);
}

#[test]
fn demo_runs_the_seed_examples() {
    let run = domvia(&["demo"], None);
    let out = run.ok();
    for expected in [
        r#"decrypted: {"body":"Private message","sender_id":"user-1"}"#,
        r#"decrypted: {"sdp":"v=0...","sdp_type":"offer"}"#,
        r#"decrypted: {"note":"Sensitive delivery instruction"}"#,
        "room-43",
        "(auth_failed)",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert_eq!(
        out.matches("\"AES256GCM-HKDFSHA256\"").count(),
        3,
        "three envelopes shown"
    );
}
