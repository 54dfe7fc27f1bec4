//! `domvia keyrequest`, `domvia device revoke` / `check-revocation`, signed envelopes
//! (`encrypt --sign-with`, `decrypt --sender`) and passphrase backups from the command
//! line (spec/key-lifecycle.md sections 6, 7 and 8), with their failures.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: a failed assumption should stop the test loudly"
)]

mod common;

use std::path::PathBuf;

use common::{CHAT, Scratch, decrypt_args, domvia, domvia_env, encrypt_args, json, s};

#[test]
fn a_new_device_gets_the_keys_after_the_safety_number_is_typed() {
    let tmp = Scratch::new("keyrequest");
    let (phone, phone_bundle) = tmp.device("alice", "phone");
    let (tablet, tablet_bundle) = tmp.device("alice", "tablet");
    let (ring_path, ring) = tmp.one_key_ring();
    let request = domvia(&["keyrequest", "new", "--secret", s(&tablet)], None)
        .ok()
        .to_owned();
    assert_eq!(json(&request)["format"], "domvia-key-request");
    let request_path = tmp.write("request.json", &request);
    let number = domvia(
        &[
            "device",
            "safety-number",
            s(&tablet_bundle),
            s(&phone_bundle),
        ],
        None,
    )
    .ok()
    .to_owned();

    let answer = |typed: &str| {
        domvia(
            &[
                "keyrequest",
                "answer",
                "--secret",
                s(&phone),
                "--keyring-file",
                s(&ring_path),
                "--safety-number",
                typed,
            ],
            Some(request.as_bytes()),
        )
    };
    let last = if number.ends_with('0') { "1" } else { "0" };
    let wrong = format!("{}{last}", &number[..number.len() - 1]);
    answer(&wrong).fails_with("safety_number_mismatch");
    let response = answer(&number.replace(' ', "")).ok().to_owned();
    assert_eq!(json(&response)["keys"], 1);
    let key = json(&ring)["keys"][0]["versions"][0]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!response.contains(&key), "the key travels sealed");

    let accept = |secret: &PathBuf, from: &PathBuf, out: &str, input: &str| {
        domvia(
            &[
                "keyrequest",
                "accept",
                "--secret",
                s(secret),
                "--request",
                s(&request_path),
                "--from",
                s(from),
                "--out",
                s(&tmp.path(out)),
            ],
            Some(input.as_bytes()),
        )
    };
    accept(&tablet, &phone_bundle, "restored.json", &response).ok();
    assert_eq!(
        json(&std::fs::read_to_string(tmp.path("restored.json")).unwrap()),
        json(&ring)
    );
    // Only the device that asked can accept; only from the device compared; untampered.
    accept(&phone, &phone_bundle, "x1.json", &response).fails_with("unknown_request");
    let (_, laptop_bundle) = tmp.device("alice", "laptop");
    accept(&tablet, &laptop_bundle, "x2.json", &response).fails_with("unknown_device");
    let tampered = response.replacen("\"keys\":1", "\"keys\":2", 1);
    accept(&tablet, &phone_bundle, "x3.json", &tampered).fails_with("bad_signature");
    accept(&tablet, &phone_bundle, "x4.json", "not json").fails_with("malformed");
    assert!(!tmp.path("x3.json").exists());

    // A device of another user cannot ask alice's devices.
    let (mallory, mallory_bundle) = tmp.device("mallory", "phone");
    let theirs = domvia(&["keyrequest", "new", "--secret", s(&mallory)], None)
        .ok()
        .to_owned();
    let number = domvia(
        &[
            "device",
            "safety-number",
            s(&mallory_bundle),
            s(&phone_bundle),
        ],
        None,
    )
    .ok()
    .to_owned();
    domvia(
        &[
            "keyrequest",
            "answer",
            "--secret",
            s(&phone),
            "--keyring-file",
            s(&ring_path),
            "--safety-number",
            &number,
        ],
        Some(theirs.as_bytes()),
    )
    .fails_with("other_user");
}

#[test]
fn a_lost_device_is_revoked_by_another_device_of_its_user() {
    let tmp = Scratch::new("revoke");
    let (_, phone_bundle) = tmp.device("alice", "phone");
    let (laptop, laptop_bundle) = tmp.device("alice", "laptop");
    let (bob, _) = tmp.device("bob", "laptop");
    let revocation = domvia(
        &[
            "device",
            "revoke",
            "--secret",
            s(&laptop),
            "--bundle",
            s(&phone_bundle),
            "--at",
            "1767225600",
        ],
        None,
    )
    .ok()
    .to_owned();
    let check = |known: &[&PathBuf], input: &str| {
        let mut args = vec!["device", "check-revocation"];
        for k in known {
            args.extend_from_slice(&["--known", s(k)]);
        }
        domvia(&args, Some(input.as_bytes()))
    };
    let shown = json(check(&[&phone_bundle, &laptop_bundle], &revocation).ok());
    assert_eq!(shown["revoked"]["device"], "phone");
    assert_eq!(shown["by_device"], "laptop");
    assert_eq!(shown["revoked_at"], 1_767_225_600);

    let forged = revocation.replacen("1767225600", "1767225601", 1);
    check(&[&phone_bundle, &laptop_bundle], &forged).fails_with("bad_signature");
    check(&[&phone_bundle], &revocation).fails_with("unknown_device");
    // Not a revocation at all: refused by its reader, naming no content.
    let line = check(&[&phone_bundle, &laptop_bundle], "{\"body\":\"hi\"}").fails_with("malformed");
    assert!(
        line.contains("standard input") && !line.contains("hi\""),
        "{line}"
    );
    domvia(
        &[
            "device",
            "revoke",
            "--secret",
            s(&bob),
            "--bundle",
            s(&phone_bundle),
        ],
        None,
    )
    .fails_with("other_user");
}

#[test]
fn signed_envelopes_name_their_verified_sender() {
    let tmp = Scratch::new("signed");
    let (alice, alice_bundle) = tmp.device("alice", "phone");
    let (_, bob_bundle) = tmp.device("bob", "laptop");
    let key = tmp.key("room.key");
    let payload = r#"{"body":"Private message"}"#;
    let signed = domvia(
        &encrypt_args(CHAT, &key, &["--sign-with", s(&alice)]),
        Some(payload.as_bytes()),
    )
    .ok()
    .to_owned();
    assert_eq!(json(&signed)["format"], "domvia-signed");
    let both = ["--sender", s(&alice_bundle), "--sender", s(&bob_bundle)];
    let run = domvia(&decrypt_args(CHAT, &key, &both), Some(signed.as_bytes()));
    assert_eq!(json(run.ok()), json(payload));
    assert!(
        run.stderr.contains("signed by alice/phone (verified)"),
        "{}",
        run.stderr
    );

    // Without --sender the signature would go unchecked: refused.
    domvia(&decrypt_args(CHAT, &key, &[]), Some(signed.as_bytes())).fails_with("sender_required");
    // A sender not among the known devices, another context, an unsigned envelope.
    domvia(
        &decrypt_args(CHAT, &key, &["--sender", s(&bob_bundle)]),
        Some(signed.as_bytes()),
    )
    .fails_with("unknown_device");
    let other_message: Vec<&str> = CHAT
        .iter()
        .map(|a| if *a == "msg-1" { "msg-2" } else { a })
        .collect();
    assert_ne!(other_message, CHAT);
    domvia(
        &decrypt_args(&other_message, &key, &both),
        Some(signed.as_bytes()),
    )
    .fails_with("bad_signature");
    let plain = domvia(&encrypt_args(CHAT, &key, &[]), Some(payload.as_bytes()))
        .ok()
        .to_owned();
    domvia(&decrypt_args(CHAT, &key, &both), Some(plain.as_bytes()))
        .fails_with("signature_required");
}

#[test]
fn a_passphrase_backup_restores_with_that_passphrase_only() {
    let tmp = Scratch::new("passphrase");
    let (ring_path, ring) = tmp.one_key_ring();
    let blob = tmp.path("ring.backup");
    let env = [("DOMVIA_TEST_PASSPHRASE", "correct horse battery staple")];
    let create = [
        "backup",
        "create",
        "--keyring-file",
        s(&ring_path),
        "--out",
        s(&blob),
        "--passphrase-env",
        "DOMVIA_TEST_PASSPHRASE",
    ];
    domvia_env(&create, None, &env).ok();
    let stored = json(&std::fs::read_to_string(&blob).unwrap());
    assert_eq!(
        (stored["kdf"].as_str(), stored["m"].as_u64()),
        (Some("argon2id"), Some(19_456))
    );

    let restore = |out: &str, env: &[(&str, &str)]| {
        domvia_env(
            &[
                "backup",
                "restore",
                s(&blob),
                "--passphrase-env",
                "DOMVIA_TEST_PASSPHRASE",
                "--out",
                s(&tmp.path(out)),
            ],
            None,
            env,
        )
    };
    restore("restored.json", &env).ok();
    assert_eq!(
        json(&std::fs::read_to_string(tmp.path("restored.json")).unwrap()),
        json(&ring)
    );
    restore(
        "r1.json",
        &[("DOMVIA_TEST_PASSPHRASE", "Correct horse battery staple")],
    )
    .fails_with("wrong_secret");
    restore("r2.json", &[]).fails_with("key_unavailable");
    // A real recovery key (from another backup) does not open a passphrase blob.
    let recovery = tmp.path("recovery.txt");
    domvia(
        &[
            "backup",
            "create",
            "--keyring-file",
            s(&ring_path),
            "--out",
            s(&tmp.path("other.backup")),
            "--recovery-key-file",
            s(&recovery),
        ],
        None,
    )
    .ok();
    domvia(
        &[
            "backup",
            "restore",
            s(&blob),
            "--recovery-key-file",
            s(&recovery),
            "--out",
            s(&tmp.path("r3.json")),
        ],
        None,
    )
    .fails_with("wrong_secret_kind");
}
