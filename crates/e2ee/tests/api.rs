//! The public API, as an application uses it: the seed guide's three examples, typed
//! payloads, keyrings, the replay guard, padding, and every failure an application can
//! meet.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed assumption should stop the test loudly"
)]

use std::collections::BTreeMap;

use domvia_e2ee::{
    AesGcmKey, CallContext, ChatContext, Context, Envelope, KeyId, KeyLabel, KeyVersion, Keyring,
    OpenError, Padding, RealtimeContext, ReplayGuard, SealOptions, decrypt_call_signal_json,
    decrypt_chat_json, decrypt_realtime_json, encrypt_call_signal_json, encrypt_chat_json,
    encrypt_realtime_json, open_json, seal_json,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct ChatMessage {
    body: String,
    sender_id: String,
}

#[test]
fn seed_example_private_chat() {
    let room_key = AesGcmKey::generate();
    let encrypted = encrypt_chat_json(
        &json!({"body": "Private message", "sender_id": "user-1"}),
        &room_key,
        &ChatContext::parse("room-42", "msg-1").unwrap(),
        &KeyLabel::parse(Some("room-42-v1"), 1).unwrap(),
    )
    .unwrap();
    let wire = encrypted.to_json();
    assert!(!wire.contains("Private message"));
    let message: ChatMessage = decrypt_chat_json(
        &Envelope::from_json(&wire).unwrap(),
        &room_key,
        &ChatContext::parse("room-42", "msg-1").unwrap(),
    )
    .unwrap();
    assert_eq!(
        message,
        ChatMessage {
            body: "Private message".into(),
            sender_id: "user-1".into()
        }
    );
}

#[test]
fn seed_example_call_signaling() {
    let call_key = AesGcmKey::generate();
    let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n";
    let encrypted_offer = encrypt_call_signal_json(
        &json!({"sdp_type": "offer", "sdp": sdp}),
        &call_key,
        &CallContext::parse("call-9001", "call.offer").unwrap(),
        &KeyLabel::version_only(KeyVersion::FIRST),
    )
    .unwrap();
    assert_eq!(encrypted_offer.key_label().key_id, None);
    let offer: Value = decrypt_call_signal_json(
        &encrypted_offer,
        &call_key,
        &CallContext::parse("call-9001", "call.offer").unwrap(),
    )
    .unwrap();
    assert_eq!(offer["sdp"], sdp);
}

#[test]
fn seed_example_custom_realtime() {
    let event_key = AesGcmKey::generate();
    let ctx = RealtimeContext::parse("delivery", "order-1001", "delivery.private_note").unwrap();
    let encrypted = encrypt_realtime_json(
        &json!({"note": "Sensitive delivery instruction"}),
        &event_key,
        &ctx,
        &KeyLabel::version_only(KeyVersion::FIRST),
    )
    .unwrap();
    let payload: Value = decrypt_realtime_json(&encrypted, &event_key, &ctx).unwrap();
    assert_eq!(payload["note"], "Sensitive delivery instruction");
}

fn chat(room: &str, msg: &str) -> Context {
    ChatContext::parse(room, msg).unwrap().into()
}

fn label() -> KeyLabel {
    KeyLabel::parse(Some("room-42-v1"), 1).unwrap()
}

#[test]
fn errors_never_quote_the_payload() {
    let key = AesGcmKey::generate();
    let ctx = chat("room-42", "msg-1");
    let env = seal_json(
        &json!({"body": "TOP-SECRET"}),
        &key,
        &ctx,
        &label(),
        &SealOptions::default(),
    )
    .unwrap();
    let err = open_json::<u32>(&env, &key, &ctx).unwrap_err();
    assert_eq!(err.code(), "invalid_payload");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("TOP-SECRET") && !shown.contains("body"),
        "{shown}"
    );
    assert!(
        !format!("{env:?}").contains(&env.to_json()[60..80]),
        "Debug hides the ciphertext"
    );
}

#[test]
fn kind_mismatch_is_reported_without_a_key_check() {
    let key = AesGcmKey::generate();
    let env = seal_json(&1, &key, &chat("r", "m"), &label(), &SealOptions::default()).unwrap();
    let call = CallContext::parse("r", "m").unwrap();
    let err = decrypt_call_signal_json::<Value>(&env, &key, &call).unwrap_err();
    assert!(matches!(err, OpenError::KindMismatch { .. }));
    assert_eq!(
        err.to_string(),
        "the envelope is a chat envelope; expected call"
    );
}

#[test]
fn sealing_refuses_what_cannot_be_sent() {
    let key = AesGcmKey::generate();
    let ctx = chat("r", "m");
    let map: BTreeMap<(u8, u8), u8> = BTreeMap::from([((1, 2), 3)]);
    let err = seal_json(&map, &key, &ctx, &label(), &SealOptions::default()).unwrap_err();
    assert_eq!(err.code(), "invalid_payload");
    let big = "x".repeat(domvia_e2ee::MAX_PAYLOAD_LEN);
    let err = seal_json(&big, &key, &ctx, &label(), &SealOptions::default()).unwrap_err();
    assert_eq!(err.code(), "payload_too_large");
}

#[test]
fn padding_hides_sizes_within_a_bucket() {
    let key = AesGcmKey::generate();
    let ctx = chat("r", "m");
    let opts = SealOptions::with_padding(Padding::multiple(256).unwrap());
    let short = seal_json(&json!({"body": "ok"}), &key, &ctx, &label(), &opts).unwrap();
    let long = seal_json(
        &json!({"body": "a much longer message body"}),
        &key,
        &ctx,
        &label(),
        &opts,
    )
    .unwrap();
    assert_eq!(short.ciphertext().len(), 256 + 16);
    assert_eq!(short.ciphertext().len(), long.ciphertext().len());
    assert_eq!(
        open_json::<Value>(&short, &key, &ctx).unwrap()["body"],
        "ok"
    );
    let pow2 = seal_json(
        &"x".repeat(100),
        &key,
        &ctx,
        &label(),
        &SealOptions::with_padding(Padding::PowerOfTwo),
    )
    .unwrap();
    assert_eq!(pow2.ciphertext().len(), 128 + 16);
}

#[test]
fn rotation_removed_member_cannot_read_new_messages() {
    let room: KeyId = "room-42".parse().unwrap();
    let ctx = chat("room-42", "msg-1");
    let mut alice = Keyring::new();
    alice.generate(room.clone()).unwrap();
    // Bob and Mallory receive version 1.
    let (v1, k1) = alice.current(&room).map(|(v, k)| (v, k.clone())).unwrap();
    let mut bob = Keyring::new();
    bob.insert(room.clone(), v1, k1.clone()).unwrap();
    let mut mallory = Keyring::new();
    mallory.insert(room.clone(), v1, k1).unwrap();
    let before = alice
        .seal_json(&json!("before"), &room, &ctx, &SealOptions::default())
        .unwrap();

    // Mallory is removed: rotate and share version 2 with Bob only.
    let v2 = alice.rotate(&room).unwrap();
    bob.insert(room.clone(), v2, alice.key(&room, v2).unwrap().clone())
        .unwrap();
    let after = alice
        .seal_json(&json!("after"), &room, &ctx, &SealOptions::default())
        .unwrap();
    assert_eq!(after.key_label().key_version, v2);

    assert_eq!(bob.open_json::<String>(&before, &ctx).unwrap(), "before");
    assert_eq!(bob.open_json::<String>(&after, &ctx).unwrap(), "after");
    assert_eq!(
        mallory.open_json::<String>(&before, &ctx).unwrap(),
        "before"
    );
    assert_eq!(
        mallory
            .open_json::<String>(&after, &ctx)
            .unwrap_err()
            .code(),
        "unknown_key"
    );
    // Even relabelling the new envelope as version 1 does not help Mallory.
    let relabelled = after.to_json().replace("\"kver\":2", "\"kver\":1");
    let relabelled = Envelope::from_json(&relabelled).unwrap();
    assert_eq!(
        mallory
            .open_json::<String>(&relabelled, &ctx)
            .unwrap_err()
            .code(),
        "auth_failed"
    );

    let unknown: KeyId = "room-43".parse().unwrap();
    let err = alice
        .seal_json(&1, &unknown, &ctx, &SealOptions::default())
        .unwrap_err();
    assert_eq!(err.code(), "unknown_key");
}

#[test]
fn replay_guard_window_and_forgeries() {
    let key = AesGcmKey::generate();
    let ctx = chat("r", "m");
    let seal = |n: u32| seal_json(&n, &key, &ctx, &label(), &SealOptions::default()).unwrap();
    let mut guard = ReplayGuard::new(2);
    let (a, b, c) = (seal(1), seal(2), seal(3));
    assert_eq!(guard.open_json::<u32>(&a, &key, &ctx).unwrap(), 1);
    assert_eq!(
        guard.open_json::<u32>(&a, &key, &ctx).unwrap_err().code(),
        "replayed"
    );

    // A forgery is rejected and not remembered; the guard still holds only `a`.
    let wrong_key = AesGcmKey::generate();
    assert_eq!(
        guard
            .open_json::<u32>(&b, &wrong_key, &ctx)
            .unwrap_err()
            .code(),
        "auth_failed"
    );
    assert_eq!(guard.len(), 1);
    // A payload of the wrong type is not accepted, so it can be retried.
    assert_eq!(
        guard
            .open_json::<String>(&b, &key, &ctx)
            .unwrap_err()
            .code(),
        "invalid_payload"
    );
    assert_eq!(guard.open_json::<u32>(&b, &key, &ctx).unwrap(), 2);
    assert_eq!(guard.open_json::<u32>(&c, &key, &ctx).unwrap(), 3);
    // The window is two envelopes: `a` has been evicted and is no longer recognised.
    assert_eq!(guard.len(), 2);
    assert_eq!(guard.open_json::<u32>(&a, &key, &ctx).unwrap(), 1);
    assert_eq!(
        guard.open_json::<u32>(&c, &key, &ctx).unwrap_err().code(),
        "replayed"
    );

    let mut ring = Keyring::new();
    ring.insert(
        "room-42-v1".parse().unwrap(),
        KeyVersion::FIRST,
        key.clone(),
    )
    .unwrap();
    let mut guard = ReplayGuard::default();
    assert_eq!(
        guard
            .open_json_with_keyring::<u32>(&b, &ring, &ctx)
            .unwrap(),
        2
    );
    assert_eq!(
        guard
            .open_json_with_keyring::<u32>(&b, &ring, &ctx)
            .unwrap_err()
            .code(),
        "replayed"
    );
}

#[test]
fn the_same_payload_never_gives_the_same_envelope() {
    let key = AesGcmKey::generate();
    let ctx = chat("r", "m");
    let a = seal_json(&"same", &key, &ctx, &label(), &SealOptions::default()).unwrap();
    let b = seal_json(&"same", &key, &ctx, &label(), &SealOptions::default()).unwrap();
    assert_ne!(a.nonce(), b.nonce());
    assert_ne!(a.ciphertext(), b.ciphertext());
    // The commitment identifies the key, as the key id does (spec section 5).
    assert_eq!(a.commitment(), b.commitment());
    assert_eq!(a.commitment(), key.commitment());
}

#[test]
fn every_holder_seals_under_its_own_session_and_receivers_open_them_all() {
    let key = AesGcmKey::generate();
    let ctx = chat("r", "m");
    let opts = SealOptions::default();
    // A hundred devices holding the same room key (clones start their own sessions),
    // more than a receiver caches at once.
    let envelopes: Vec<Envelope> = (0..100_usize)
        .map(|i| seal_json(&i, &key.clone(), &ctx, &label(), &opts).unwrap())
        .collect();
    let salts: std::collections::HashSet<&[u8]> =
        envelopes.iter().map(|e| &e.nonce()[..32]).collect();
    assert_eq!(salts.len(), 100, "each holder has its own session salt");
    let receiver = key.clone();
    for _ in 0..2 {
        for (i, e) in envelopes.iter().enumerate() {
            assert_eq!(open_json::<usize>(e, &receiver, &ctx).unwrap(), i);
        }
    }

    // One holder reuses its session: same salt, fresh IV.
    let a = seal_json(&1, &key, &ctx, &label(), &opts).unwrap();
    let b = seal_json(&2, &key, &ctx, &label(), &opts).unwrap();
    assert_eq!(a.nonce()[..32], b.nonce()[..32]);
    assert_ne!(a.nonce()[32..], b.nonce()[32..]);

    // Moving an envelope to another session's salt breaks it.
    let mut wire: Value = serde_json::from_str(&a.to_json()).unwrap();
    let other = envelopes[0].to_value();
    let mut nonce = base64ct_decode(other["nonce"].as_str().unwrap());
    nonce[32..].copy_from_slice(&a.nonce()[32..]);
    wire["nonce"] = json!(base64ct_encode(&nonce));
    let moved = Envelope::from_value(&wire).unwrap();
    assert_eq!(
        open_json::<u32>(&moved, &receiver, &ctx)
            .unwrap_err()
            .code(),
        "auth_failed"
    );
}

fn base64ct_decode(s: &str) -> Vec<u8> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::decode_vec(s).unwrap()
}

fn base64ct_encode(b: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(b)
}

#[test]
fn the_bytes_path_carries_json_text_exactly() {
    let key = AesGcmKey::generate();
    let ctx = chat("room-42", "msg-1");
    let text = br#"{"z":1,"a":"keeps member order and spacing"}"#;
    let env = domvia_e2ee::seal_bytes(text, &key, &ctx, &label(), &SealOptions::default()).unwrap();
    let opened = domvia_e2ee::open_bytes(&env, &key, &ctx).unwrap();
    assert_eq!(&*opened, &text[..]);
    assert!(
        !format!("{opened:?}").contains("keeps"),
        "Debug hides the payload"
    );
    // Interoperates with the typed path both ways.
    let typed: Value = open_json(&env, &key, &ctx).unwrap();
    assert_eq!(typed["a"], "keeps member order and spacing");
    let env2 = seal_json(
        &json!([1, 2]),
        &key,
        &ctx,
        &label(),
        &SealOptions::default(),
    )
    .unwrap();
    assert_eq!(
        &*domvia_e2ee::open_bytes(&env2, &key, &ctx).unwrap(),
        b"[1,2]"
    );
    // The same failures as the typed path.
    let other = chat("room-43", "msg-1");
    assert_eq!(
        domvia_e2ee::open_bytes(&env, &key, &other)
            .unwrap_err()
            .code(),
        "auth_failed"
    );
    let big = vec![b' '; domvia_e2ee::MAX_PAYLOAD_LEN + 1];
    let err = domvia_e2ee::seal_bytes(&big, &key, &ctx, &label(), &SealOptions::default());
    assert_eq!(err.unwrap_err().code(), "payload_too_large");
}
