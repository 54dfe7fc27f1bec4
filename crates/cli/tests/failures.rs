//! The `domvia` binary's failure modes: each gives one line `domvia: ... (code)` on
//! standard error and exit status 1, or clap's usage error and exit status 2.

mod common;

use common::{CALL, CHAT, Scratch, decrypt_args, domvia, encrypt_args, s, seal};

const PAYLOAD: &str = r#"{"body":"Private message","sender_id":"user-1"}"#;

/// A scratch directory, a key file in it, and a chat envelope sealed under that key.
fn sealed_chat(name: &str) -> (Scratch, std::path::PathBuf, String) {
    let tmp = Scratch::new(name);
    let key = tmp.key("k");
    let envelope = seal(CHAT, &key, PAYLOAD);
    (tmp, key, envelope)
}

#[test]
fn wrong_key_fails_authentication() {
    let (tmp, _key, envelope) = sealed_chat("wrong-key");
    let other = tmp.key("other");
    let run = domvia(&decrypt_args(CHAT, &other, &[]), Some(envelope.as_bytes()));
    let message = run.fails_with("auth_failed");
    assert!(message.contains("authentication failed"), "{message}");
}

#[test]
fn another_room_or_message_fails_authentication_with_the_same_error() {
    let (_tmp, key, envelope) = sealed_chat("wrong-room");
    let other_room = [
        "--kind",
        "chat",
        "--room-id",
        "room-43",
        "--message-id",
        "msg-1",
    ];
    let a = domvia(
        &decrypt_args(&other_room, &key, &[]),
        Some(envelope.as_bytes()),
    );
    let other_message = [
        "--kind",
        "chat",
        "--room-id",
        "room-42",
        "--message-id",
        "msg-2",
    ];
    let b = domvia(
        &decrypt_args(&other_message, &key, &[]),
        Some(envelope.as_bytes()),
    );
    assert_eq!(
        a.fails_with("auth_failed"),
        b.fails_with("auth_failed"),
        "opaque"
    );
}

#[test]
fn wrong_kind_is_a_kind_mismatch() {
    let (_tmp, key, envelope) = sealed_chat("wrong-kind");
    let run = domvia(&decrypt_args(CALL, &key, &[]), Some(envelope.as_bytes()));
    let message = run.fails_with("kind_mismatch");
    assert!(
        message.contains("chat") && message.contains("call"),
        "{message}"
    );
}

#[test]
fn tampered_ciphertext_fails_authentication() {
    let (_tmp, key, envelope) = sealed_chat("tampered");
    let mut wire: serde_json::Value = serde_json::from_str(&envelope).unwrap();
    let ct = wire["ct"].as_str().unwrap().to_owned();
    // Change one character that is not the last, so the base64url stays canonical.
    let flipped = if ct.as_bytes()[5] == b'A' { "B" } else { "A" };
    let tampered = format!("{}{flipped}{}", &ct[..5], &ct[6..]);
    wire["ct"] = tampered.into();
    let run = domvia(
        &decrypt_args(CHAT, &key, &[]),
        Some(wire.to_string().as_bytes()),
    );
    run.fails_with("auth_failed");
}

#[test]
fn malformed_envelopes_are_refused_before_any_key_is_used() {
    let (_tmp, key, envelope) = sealed_chat("malformed");
    for input in [
        "not json",
        "[1,2]",
        "",
        &envelope.replace("\"ct\"", "\"extra\":1,\"ct\""),
    ] {
        let run = domvia(&decrypt_args(CHAT, &key, &[]), Some(input.as_bytes()));
        let message = run.fails_with("malformed");
        assert!(message.contains("standard input"), "{message}");
        domvia(&["inspect"], Some(input.as_bytes())).fails_with("malformed");
    }
}

#[test]
fn a_future_version_is_unsupported() {
    let (_tmp, key, envelope) = sealed_chat("version");
    let v2 = envelope.replace("\"v\":1", "\"v\":2");
    let run = domvia(&decrypt_args(CHAT, &key, &[]), Some(v2.as_bytes()));
    run.fails_with("unsupported_version");
    domvia(&["inspect"], Some(v2.as_bytes())).fails_with("unsupported_version");
}

#[test]
fn a_payload_that_is_not_json_is_refused() {
    let tmp = Scratch::new("payload");
    let key = tmp.key("k");
    let run = domvia(&encrypt_args(CHAT, &key, &[]), Some(b"{\"body\": oops}"));
    let message = run.fails_with("invalid_payload");
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn missing_files_are_named() {
    let tmp = Scratch::new("missing");
    let nowhere = tmp.path("no-such.key");
    let run = domvia(&encrypt_args(CHAT, &nowhere, &[]), Some(PAYLOAD.as_bytes()));
    let message = run.fails_with("not_found");
    assert!(message.contains(s(&nowhere)), "{message}");

    let key = tmp.key("k");
    let no_input = tmp.path("no-such.json");
    let run = domvia(&decrypt_args(CHAT, &key, &[s(&no_input)]), None);
    assert!(run.fails_with("not_found").contains(s(&no_input)));
}

#[test]
fn garbage_keys_are_refused_without_being_shown() {
    let tmp = Scratch::new("garbage");
    let secretish = "hunter2-not-a-key";
    let cases = [
        (tmp.write("garbage", secretish), "invalid_key"),
        (tmp.write("short", "AAAAAAAAAAAAAAAAAAAAAA"), "invalid_key"),
        (tmp.write("empty", "\n"), "invalid_key"),
        (
            tmp.write("jwk", r#"{"kty":"RSA","k":"hunter2-not-a-key"}"#),
            "invalid_jwk",
        ),
    ];
    for (path, code) in &cases {
        let run = domvia(&encrypt_args(CHAT, path, &[]), Some(PAYLOAD.as_bytes()));
        let message = run.fails_with(code);
        assert!(!message.contains(secretish), "the key leaked: {message}");
    }
    std::fs::write(tmp.path("binary"), [0xff, 0xfe, 0x00]).unwrap();
    let run = domvia(&encrypt_args(CHAT, &tmp.path("binary"), &[]), Some(b"1"));
    run.fails_with("invalid_key");
    let mut args = vec!["encrypt"];
    args.extend_from_slice(CALL);
    args.extend_from_slice(&[
        "--key-env",
        "DOMVIA_TEST_SURELY_UNSET",
        "--key-version",
        "1",
    ]);
    assert!(
        domvia(&args, Some(b"1"))
            .fails_with("key_unavailable")
            .contains("DOMVIA_TEST_SURELY_UNSET")
    );
}

#[test]
fn a_key_is_never_accepted_on_the_command_line() {
    let mut args = vec!["encrypt"];
    args.extend_from_slice(CALL);
    args.extend_from_slice(&[
        "--key",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "--key-version",
        "1",
    ]);
    assert_eq!(domvia(&args, Some(b"1")).code, 2);
}

#[test]
fn identifiers_and_versions_are_validated() {
    let tmp = Scratch::new("idents");
    let key = tmp.key("k");
    let empty_room = ["--kind", "chat", "--room-id", "", "--message-id", "msg-1"];
    let run = domvia(&encrypt_args(&empty_room, &key, &[]), Some(b"1"));
    assert!(
        run.fails_with("invalid_identifier")
            .contains("room id must not be empty")
    );
    let control = ["--kind", "call", "--call-id", "c\u{7}", "--event-name", "e"];
    domvia(&encrypt_args(&control, &key, &[]), Some(b"1")).fails_with("invalid_identifier");

    let mut args = vec!["encrypt"];
    args.extend_from_slice(CALL);
    args.extend_from_slice(&["--key-file", s(&key), "--key-version", "0"]);
    let message = domvia(&args, Some(b"1")).fails_with("invalid_key_version");
    assert!(message.contains("--key-version"), "{message}");
    let args = encrypt_args(CALL, &key, &["--padding", "multiple:0"]);
    domvia(&args, Some(b"1")).fails_with("invalid_padding");
}

#[test]
fn expect_key_version_refuses_another_version() {
    let (_tmp, key, envelope) = sealed_chat("expect");
    let run = domvia(
        &decrypt_args(CHAT, &key, &["--expect-key-version", "2"]),
        Some(envelope.as_bytes()),
    );
    let message = run.fails_with("key_version_mismatch");
    assert!(
        message.contains("version 1") && message.contains("version 2"),
        "{message}"
    );
    let ok = domvia(
        &decrypt_args(CHAT, &key, &["--expect-key-version", "1"]),
        Some(envelope.as_bytes()),
    );
    ok.ok();
}

#[test]
fn a_keyring_without_the_named_version_reports_unknown_key() {
    let (tmp, key, _) = sealed_chat("ring-unknown");
    let raw = std::fs::read_to_string(&key).unwrap();
    let ring = format!(
        r#"{{"format":"domvia-keyring","v":1,"keys":[{{"kid":"room-42-v1","current":1,"highest":1,"versions":[{{"kver":1,"key":"{}"}}]}}]}}"#,
        raw.trim()
    );
    let ring = tmp.write("ring.json", &ring);
    let mut args = vec!["encrypt"];
    args.extend_from_slice(CHAT);
    args.extend_from_slice(&[
        "--key-file",
        s(&key),
        "--key-id",
        "room-42-v1",
        "--key-version",
        "3",
    ]);
    let envelope = domvia(&args, Some(PAYLOAD.as_bytes())).ok().to_owned();
    let mut args = vec!["decrypt"];
    args.extend_from_slice(CHAT);
    args.extend_from_slice(&["--keyring-file", s(&ring)]);
    domvia(&args, Some(envelope.as_bytes())).fails_with("unknown_key");

    let bad_ring = tmp.write("bad-ring.json", r#"{"format":"other"}"#);
    let args = [
        "decrypt",
        "--kind",
        "call",
        "--call-id",
        "c",
        "--event-name",
        "e",
        "--keyring-file",
        s(&bad_ring),
    ];
    domvia(&args, Some(envelope.as_bytes())).fails_with("invalid_export");
}

#[test]
fn usage_errors_exit_2() {
    let tmp = Scratch::new("usage");
    let key = tmp.key("k");
    let missing_message = ["--kind", "chat", "--room-id", "room-42"];
    let run = domvia(&encrypt_args(&missing_message, &key, &[]), Some(b"1"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--message-id"), "{}", run.stderr);
    // Chat envelopes need a key id.
    let mut args = vec!["encrypt"];
    args.extend_from_slice(CHAT);
    args.extend_from_slice(&["--key-file", s(&key), "--key-version", "1"]);
    assert_eq!(domvia(&args, Some(b"1")).code, 2);
    // No key source, or two.
    assert_eq!(
        domvia(
            &[
                "decrypt",
                "--kind",
                "call",
                "--call-id",
                "c",
                "--event-name",
                "e"
            ],
            None
        )
        .code,
        2
    );
    let both = decrypt_args(CALL, &key, &["--key-env", "X"]);
    assert_eq!(domvia(&both, None).code, 2);
    // A flag the kind does not use is refused, not silently ignored.
    let run = domvia(
        &decrypt_args(CALL, &key, &["--room-id", "room-42"]),
        Some(b"{}"),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--room-id does not apply to --kind call (usage)"),
        "{}",
        run.stderr
    );
}

#[test]
fn oversized_input_is_refused() {
    let big = vec![b' '; 64 * 1024 * 1024 + 1];
    let run = domvia(&["inspect"], Some(&big));
    let message = run.fails_with("input_too_large");
    assert!(message.contains("standard input"), "{message}");
}
