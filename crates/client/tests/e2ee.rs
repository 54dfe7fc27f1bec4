#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
//! End-to-end encrypted channels between clients of the real gateway: round trips, a
//! client without the key, wrong contexts, tampering, replays and malformed events.

mod support;

use std::sync::{Arc, Mutex};

use domvia_client::{
    CHAT_EVENT, Client, Decrypted, EncryptedChannel, EncryptedStream, OpenFailure,
};
use domvia_e2ee::{
    Context, DeviceDirectory, DeviceSecret, KeyId, Keyring, Kind, SealOptions, SignedEnvelope,
};
use serde_json::{Value, json};
use support::{client, next, server, server_with, within};

const ROOM: &str = "presence-e2ee-room-42";

fn key_id() -> KeyId {
    "room-42".parse().unwrap()
}

/// A keyring holding a fresh `room-42` key, and a copy of it (as a key share would give).
fn shared_keyrings() -> (Arc<Mutex<Keyring>>, Arc<Mutex<Keyring>>) {
    let mut keyring = Keyring::new();
    keyring.generate(key_id()).unwrap();
    let copy = Keyring::import(&keyring.export()).unwrap();
    (Arc::new(Mutex::new(keyring)), Arc::new(Mutex::new(copy)))
}

/// A keyring with another key under the same id.
fn other_keyring() -> Arc<Mutex<Keyring>> {
    let mut keyring = Keyring::new();
    keyring.generate(key_id()).unwrap();
    Arc::new(Mutex::new(keyring))
}

async fn encrypted(client: &Client, keyring: Arc<Mutex<Keyring>>) -> EncryptedChannel {
    let channel = client.subscribe(ROOM).await.unwrap();
    EncryptedChannel::new(channel, keyring, key_id()).unwrap()
}

async fn item(stream: &mut EncryptedStream) -> Result<Decrypted, OpenFailure> {
    within(stream.recv()).await.expect("stream ended")
}

#[tokio::test]
async fn chat_round_trip_and_a_client_without_the_key() {
    let server = server().await;
    let (alice_keys, bob_keys) = shared_keyrings();
    let alice = client(&server, "alice").await;
    let bob = client(&server, "bob").await;
    let carol = client(&server, "carol").await;
    let dave = client(&server, "dave").await;
    let alice_room = encrypted(&alice, alice_keys).await;
    let mut bob_in = encrypted(&bob, bob_keys).await.receive().unwrap();
    let mut carol_in = encrypted(&carol, other_keyring()).await.receive().unwrap();
    let empty = Arc::new(Mutex::new(Keyring::new()));
    let dave_room = encrypted(&dave, empty).await;
    let mut dave_in = dave_room.receive().unwrap();
    // What the gateway relays, as any subscriber sees it.
    let mut wire = dave_room.channel().bind(CHAT_EVENT).unwrap();

    let message = json!({"body": "Private message", "sender_id": "alice"});
    alice_room.send_chat("msg-1", &message).await.unwrap();

    let got = item(&mut bob_in).await.unwrap();
    assert_eq!(got.payload, message);
    assert_eq!(got.event.as_str(), CHAT_EVENT);
    assert_eq!(got.user_id.unwrap().as_str(), "alice");
    let Context::Chat(context) = &got.context else {
        panic!("{:?}", got.context)
    };
    assert_eq!(context.room_id.as_str(), ROOM);
    assert_eq!(context.message_id.as_str(), "msg-1");
    assert_eq!(got.key_label.key_id.unwrap(), key_id());

    // Another key under the same id: opaque authentication failure.
    let failure = item(&mut carol_in).await.unwrap_err();
    assert_eq!(failure.code(), "auth_failed", "{failure}");
    assert_eq!(failure.event().as_str(), CHAT_EVENT);
    // No key at all.
    let failure = item(&mut dave_in).await.unwrap_err();
    assert_eq!(failure.code(), "unknown_key", "{failure}");

    // The wire shape is exactly {"id", "envelope"}, and the plaintext is not in it.
    let data: Value = next(&mut wire).await.json().unwrap();
    let object = data.as_object().unwrap();
    assert_eq!(object.len(), 2);
    assert_eq!(data["id"], "msg-1");
    assert_eq!(data["envelope"]["kind"], "chat");
    assert_eq!(data["envelope"]["kid"], "room-42");
    assert!(!data.to_string().contains("Private message"));
}

/// Sends raw `data` as `event`, as a malicious or broken member could.
async fn raw(client: &Client, event: &str, data: &Value) {
    let channel = client.subscribe(ROOM).await.unwrap();
    channel.trigger(event, data).await.unwrap();
}

#[tokio::test]
async fn tampering_wrong_contexts_and_replays_give_error_items() {
    // More client events than the default 10 per second are sent here. The gateway's own
    // ciphertext-only check is off, as on a Pusher server that has none: the client must
    // refuse these shapes by itself (with the check on, most never reach it: 4302).
    let server = server_with(|config| {
        config.apps[0].limits.max_client_events_per_second = 100;
        config.apps[0].ciphertext_only = Vec::new();
    })
    .await;
    let (alice_keys, bob_keys) = shared_keyrings();
    let alice = client(&server, "alice").await;
    let bob = client(&server, "bob").await;
    let alice_room = encrypted(&alice, alice_keys).await;
    let bob_room = encrypted(&bob, bob_keys).await;
    let mut bob_in = bob_room.receive().unwrap();
    let mut alice_wire = alice_room.channel().bind(CHAT_EVENT).unwrap();

    // Capture a genuine message on the wire (bob sends, alice's raw binding sees it).
    bob_room
        .send_chat("msg-1", &json!({"body": "hi"}))
        .await
        .unwrap();
    let genuine: Value = next(&mut alice_wire).await.json().unwrap();

    // Replayed as it is: refused the second time (bob never saw it: never echoed).
    raw(&alice, CHAT_EVENT, &genuine).await;
    assert_eq!(item(&mut bob_in).await.unwrap().payload["body"], "hi");
    raw(&alice, CHAT_EVENT, &genuine).await;
    assert_eq!(item(&mut bob_in).await.unwrap_err().code(), "replayed");

    // Moved to another message id: wrong context.
    let mut moved = genuine.clone();
    moved["id"] = json!("msg-2");
    raw(&alice, CHAT_EVENT, &moved).await;
    assert_eq!(item(&mut bob_in).await.unwrap_err().code(), "auth_failed");

    // One ciphertext character changed.
    let mut tampered = genuine.clone();
    let ct = tampered["envelope"]["ct"].as_str().unwrap().to_owned();
    let flipped = if ct.starts_with('A') { "B" } else { "A" };
    tampered["envelope"]["ct"] = json!(format!("{flipped}{}", &ct[1..]));
    raw(&alice, CHAT_EVENT, &tampered).await;
    assert_eq!(item(&mut bob_in).await.unwrap_err().code(), "auth_failed");

    // Shapes that are not encrypted at all.
    for (event, data, code) in [
        (CHAT_EVENT, json!({"body": "plain text"}), "not_encrypted"),
        (
            CHAT_EVENT,
            json!({"id": "m", "envelope": genuine["envelope"], "x": 1}),
            "not_encrypted",
        ),
        (
            CHAT_EVENT,
            json!({"id": "m", "envelope": {"v": 1}}),
            "malformed",
        ),
        ("client-call.offer", json!({"sdp": "plain"}), "malformed"),
        ("client-note", json!([1, 2]), "not_encrypted"),
        (
            "client-call.offer",
            json!({"format": "domvia-signed", "v": 1}),
            "malformed",
        ),
        (
            "client-call.offer",
            genuine["envelope"].clone(),
            "not_encrypted",
        ),
    ] {
        raw(&alice, event, &data).await;
        let failure = item(&mut bob_in).await.unwrap_err();
        assert_eq!(failure.code(), code, "{event} {data}: {failure}");
        assert_eq!(failure.event().as_str(), event);
    }

    // Key-lifecycle messages and presence changes are not for this stream.
    raw(
        &alice,
        "client-domvia-keyshare",
        &json!({"format": "domvia-keyshare"}),
    )
    .await;
    let _eve = client(&server, "eve").await.subscribe(ROOM).await.unwrap();
    alice_room
        .send_chat("msg-3", &json!({"body": "after"}))
        .await
        .unwrap();
    assert_eq!(item(&mut bob_in).await.unwrap().payload["body"], "after");
}

#[tokio::test]
async fn a_room_id_mismatch_fails_to_open() {
    let server = server().await;
    let (alice_keys, bob_keys) = shared_keyrings();
    let alice = client(&server, "alice").await;
    let bob = client(&server, "bob").await;
    let alice_room = encrypted(&alice, alice_keys)
        .await
        .with_room("room-42".parse().unwrap());
    let mut bob_in = encrypted(&bob, bob_keys).await.receive().unwrap();
    alice_room
        .send_chat("msg-1", &json!({"body": "x"}))
        .await
        .unwrap();
    assert_eq!(item(&mut bob_in).await.unwrap_err().code(), "auth_failed");
}

#[tokio::test]
async fn call_signals_and_realtime_events() {
    let server = server().await;
    let (alice_keys, bob_keys) = shared_keyrings();
    let alice = client(&server, "alice").await;
    let bob = client(&server, "bob").await;
    let carol = client(&server, "carol").await;
    let alice_room = encrypted(&alice, alice_keys).await;
    let bob_room = encrypted(&bob, Arc::clone(&bob_keys))
        .await
        .with_call("call-9001".parse().unwrap())
        .with_scope("delivery".parse().unwrap(), "order-1001".parse().unwrap());
    let mut bob_in = bob_room.receive().unwrap();
    // Carol has the key but expects another call, and no realtime scope.
    let mut carol_in = encrypted(&carol, bob_keys)
        .await
        .with_call("call-1".parse().unwrap())
        .receive()
        .unwrap();

    let offer = json!({"sdp_type": "offer", "sdp": "v=0"});
    alice_room
        .send_call_signal("call-9001", "call.offer", &offer)
        .await
        .unwrap();
    let got = item(&mut bob_in).await.unwrap();
    assert_eq!(got.event.as_str(), "client-call.offer");
    assert_eq!(got.payload, offer);
    let Context::Call(context) = &got.context else {
        panic!("{:?}", got.context)
    };
    assert_eq!(context.call_id.as_str(), "call-9001");
    assert_eq!(context.event_name.as_str(), "call.offer");
    assert_eq!(item(&mut carol_in).await.unwrap_err().code(), "auth_failed");

    let note = json!({"note": "Sensitive delivery instruction"});
    alice_room
        .send_realtime("delivery", "order-1001", "delivery.private_note", &note)
        .await
        .unwrap();
    let got = item(&mut bob_in).await.unwrap();
    assert_eq!(got.payload, note);
    assert!(matches!(got.context, Context::Realtime(_)));
    let failure = item(&mut carol_in).await.unwrap_err();
    assert!(
        matches!(
            failure,
            OpenFailure::NoContext {
                kind: Kind::Realtime,
                missing: "scope",
                ..
            }
        ),
        "{failure:?}"
    );
    assert_eq!(failure.code(), "no_context");
}

#[tokio::test]
async fn send_side_errors() {
    let server = server().await;
    let alice = client(&server, "alice").await;
    let news = alice.subscribe("news").await.unwrap();
    let keyring = Arc::new(Mutex::new(Keyring::new()));
    let error = EncryptedChannel::new(news, Arc::clone(&keyring), key_id()).unwrap_err();
    assert_eq!(error.code(), "client_events_not_allowed");

    // No key under that id yet.
    let room = encrypted(&alice, keyring).await;
    let error = room.send_chat("msg-1", &json!({})).await.unwrap_err();
    assert_eq!(error.code(), "seal_failed");
    assert!(error.to_string().contains("room-42"), "{error}");
    let (keys, _) = shared_keyrings();
    let room = encrypted(&alice, keys).await;
    let error = room.send_chat("", &json!({})).await.unwrap_err();
    assert_eq!(error.code(), "seal_failed");
    let error = room
        .send_call_signal("call\u{7}", "call.offer", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "seal_failed");
    room.send_realtime("s", "i", "e", &json!({})).await.unwrap();
}

#[tokio::test]
async fn signed_envelopes_name_a_verified_sender() {
    let server = server().await;
    let alice_device = Arc::new(DeviceSecret::generate(
        "alice".parse().unwrap(),
        "phone".parse().unwrap(),
    ));
    let mallory_device = Arc::new(DeviceSecret::generate(
        "mallory".parse().unwrap(),
        "laptop".parse().unwrap(),
    ));
    let mut directory = DeviceDirectory::new();
    directory.add(alice_device.bundle().clone()).unwrap();
    directory.add(mallory_device.bundle().clone()).unwrap();
    let directory = Arc::new(Mutex::new(directory));

    let (alice_keys, bob_keys) = shared_keyrings();
    let copy = || {
        Arc::new(Mutex::new(
            Keyring::import(&bob_keys.lock().unwrap().export()).unwrap(),
        ))
    };
    let (carol_keys, dave_keys, mallory_keys) = (copy(), copy(), copy());
    let alice = client(&server, "alice").await;
    let bob = client(&server, "bob").await;
    let carol = client(&server, "carol").await;
    let dave = client(&server, "dave").await;
    let mallory = client(&server, "mallory").await;
    let alice_room = encrypted(&alice, alice_keys)
        .await
        .with_signing(Arc::clone(&alice_device));
    let bob_room = encrypted(&bob, bob_keys)
        .await
        .with_devices(Arc::clone(&directory))
        .with_call("call-1".parse().unwrap());
    let mut bob_in = bob_room.receive().unwrap();
    let mut wire = bob_room.channel().bind(CHAT_EVENT).unwrap();
    let mut offers = bob_room.channel().bind("client-call.offer").unwrap();
    // Carol knows no devices; Dave verifies nothing.
    let mut carol_in = encrypted(&carol, carol_keys)
        .await
        .with_devices(Arc::new(Mutex::new(DeviceDirectory::new())))
        .receive()
        .unwrap();
    let mut dave_in = encrypted(&dave, dave_keys).await.receive().unwrap();

    alice_room
        .send_chat("msg-1", &json!({"body": "signed"}))
        .await
        .unwrap();
    let got = item(&mut bob_in).await.unwrap();
    assert_eq!(got.payload["body"], "signed");
    assert_eq!(got.sender.as_ref().unwrap(), alice_device.id());
    assert_eq!(
        item(&mut carol_in).await.unwrap_err().code(),
        "unknown_device"
    );
    assert_eq!(item(&mut dave_in).await.unwrap_err().code(), "unverifiable");
    // Chat keeps its {"id", "envelope"} shape, with the signed envelope inside.
    let data: Value = next(&mut wire).await.json().unwrap();
    assert_eq!(data["id"], "msg-1");
    assert_eq!(data["envelope"]["format"], "domvia-signed");
    assert_eq!(data["envelope"]["from_user"], "alice");

    alice_room
        .send_call_signal("call-1", "call.offer", &json!({"sdp": "v=0"}))
        .await
        .unwrap();
    let got = item(&mut bob_in).await.unwrap();
    assert_eq!(got.sender.as_ref().unwrap(), alice_device.id());
    let signed: Value = next(&mut offers).await.json().unwrap();
    assert_eq!(signed["format"], "domvia-signed");

    // Mallory has the room key and a known device, but cannot pass as Alice.
    let mut forged = signed.clone();
    forged["sig"] = json!(mallory_sig(&mallory_device, &mallory_keys));
    raw(&mallory, "client-call.offer", &forged).await;
    assert_eq!(item(&mut bob_in).await.unwrap_err().code(), "bad_signature");
    // Unsigned envelopes are refused once signatures are required.
    let unsigned = encrypted(&mallory, mallory_keys).await;
    unsigned
        .send_call_signal("call-1", "call.offer", &json!({}))
        .await
        .unwrap();
    assert_eq!(item(&mut bob_in).await.unwrap_err().code(), "unsigned");
}

/// A valid signature by Mallory's device over an envelope of hers: the wrong one for
/// anything Alice sent.
fn mallory_sig(device: &DeviceSecret, keys: &Arc<Mutex<Keyring>>) -> String {
    let context = Context::Call(domvia_e2ee::CallContext::parse("call-1", "call.offer").unwrap());
    let envelope = keys
        .lock()
        .unwrap()
        .seal_json(&json!({}), &key_id(), &context, &SealOptions::default())
        .unwrap();
    let signed = SignedEnvelope::sign(device, envelope, &context).to_json();
    let signed: Value = serde_json::from_str(&signed).unwrap();
    signed["sig"].as_str().unwrap().to_owned()
}
