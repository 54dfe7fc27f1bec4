//! The key lifecycle through the public API (spec/key-lifecycle.md): rotation on
//! membership change, recovery from another device, revocation of a lost device, signed
//! envelopes, and their failures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed assumption should stop the test loudly"
)]

use domvia_e2ee::{
    ChatContext, Context, DeviceDirectory, DeviceSecret, Envelope, KeyShare, Keyring, RoomKeys,
    RotationPolicy, RotationReason, ShareInbox,
};
use serde_json::{Value, json};

const NOW: u64 = 1_767_225_600;

/// One device with its keyring, directory and inbox.
struct Device {
    secret: DeviceSecret,
    ring: Keyring,
    dir: DeviceDirectory,
    inbox: ShareInbox,
}

impl Device {
    fn new(user: &str, device: &str) -> Self {
        Self {
            secret: DeviceSecret::generate(user.parse().unwrap(), device.parse().unwrap()),
            ring: Keyring::new(),
            dir: DeviceDirectory::new(),
            inbox: ShareInbox::new(),
        }
    }

    fn knows(&mut self, others: &[&Device]) {
        for o in others {
            self.dir.add(o.secret.bundle().clone()).unwrap();
        }
    }

    /// Receives a share as event data, as it would arrive from the gateway.
    fn receive(&mut self, share: &KeyShare) -> Result<(), String> {
        let parsed = KeyShare::from_json(&share.to_json()).unwrap();
        self.inbox
            .accept(&parsed, &self.secret, &self.dir, &mut self.ring)
            .map(drop)
            .map_err(|e| e.code().to_owned())
    }

    fn read(&self, envelope: &Envelope, ctx: &Context) -> Result<String, String> {
        let wire = Envelope::from_json(&envelope.to_json()).unwrap();
        self.ring
            .open_json::<Value>(&wire, ctx)
            .map(|v| v["body"].as_str().unwrap().to_owned())
            .map_err(|e| e.code().to_owned())
    }
}

fn ctx(message: &str) -> Context {
    ChatContext::parse("room-42", message).unwrap().into()
}

fn share_for<'a>(shares: &'a [KeyShare], d: &Device) -> &'a KeyShare {
    shares.iter().find(|s| s.to() == d.secret.id()).unwrap()
}

#[test]
fn a_removed_member_cannot_read_after_rotation_and_the_others_read_both() {
    let (mut alice, mut bob, mut carol) = (
        Device::new("alice", "phone"),
        Device::new("bob", "laptop"),
        Device::new("carol", "phone"),
    );
    bob.knows(&[&alice]);
    carol.knows(&[&alice]);
    let mut room = RoomKeys::create(
        &alice.secret,
        "room-42".parse().unwrap(),
        "room-42".parse().unwrap(),
        RotationPolicy::default(),
        NOW,
        &mut alice.ring,
    )
    .unwrap();
    for d in [&bob, &carol] {
        room.add_device(d.secret.bundle().clone());
    }
    for d in [&mut bob, &mut carol] {
        let share = room
            .share_current(&alice.secret, d.secret.id(), &alice.ring)
            .unwrap();
        d.receive(&share).unwrap();
    }
    let before = room
        .seal_json(&alice.ring, &json!({"body": "before"}), &ctx("m1"), NOW)
        .unwrap();
    for d in [&bob, &carol] {
        assert_eq!(d.read(&before, &ctx("m1")).unwrap(), "before");
    }

    // Carol leaves: sealing is refused until the key rotates.
    assert_eq!(room.remove_user(&"carol".parse().unwrap()), 1);
    let refused = room.seal_json(&alice.ring, &json!({"body": "x"}), &ctx("m2"), NOW);
    assert_eq!(refused.unwrap_err().code(), "rotation_required");
    let rotation = room
        .rotate(&alice.secret, &mut alice.ring, NOW + 1)
        .unwrap();
    assert_eq!(rotation.key_version.get(), 2);
    assert_eq!(rotation.shares.len(), 1, "only bob gets version 2");
    assert_eq!(rotation.shares[0].to(), bob.secret.id());
    bob.receive(&rotation.shares[0]).unwrap();
    // Carol intercepts bob's share on the room channel: not hers.
    assert_eq!(
        carol.receive(&rotation.shares[0]).unwrap_err(),
        "wrong_recipient"
    );

    let after = room
        .seal_json(&alice.ring, &json!({"body": "after"}), &ctx("m2"), NOW + 2)
        .unwrap();
    assert_eq!(after.key_label().key_version.get(), 2);
    assert_eq!(bob.read(&before, &ctx("m1")).unwrap(), "before");
    assert_eq!(bob.read(&after, &ctx("m2")).unwrap(), "after");
    assert_eq!(alice.read(&before, &ctx("m1")).unwrap(), "before");
    assert_eq!(
        carol.read(&before, &ctx("m1")).unwrap(),
        "before",
        "what she had"
    );
    assert_eq!(carol.read(&after, &ctx("m2")).unwrap_err(), "unknown_key");
    // Even bob's envelopes under version 2 stay closed to her.
    let bobs = bob
        .ring
        .seal_json(
            &json!({"body": "b"}),
            &"room-42".parse().unwrap(),
            &ctx("m3"),
            &Default::default(),
        )
        .unwrap();
    assert_eq!(carol.read(&bobs, &ctx("m3")).unwrap_err(), "unknown_key");
}

#[test]
fn budget_age_and_retention_drive_rotation() {
    let mut alice = Device::new("alice", "phone");
    let policy = RotationPolicy::new(Some(2), Some(100), Some(1));
    let mut room = RoomKeys::create(
        &alice.secret,
        "r".parse().unwrap(),
        "room-42".parse().unwrap(),
        policy,
        NOW,
        &mut alice.ring,
    )
    .unwrap();
    for m in ["a", "b"] {
        room.seal_json(&alice.ring, &json!({"body": m}), &ctx(m), NOW)
            .unwrap();
    }
    assert_eq!(room.rotation_due(NOW), Some(RotationReason::MessageBudget));
    room.rotate(&alice.secret, &mut alice.ring, NOW).unwrap();
    assert_eq!(room.rotation_due(NOW + 99), None);
    assert_eq!(room.rotation_due(NOW + 100), Some(RotationReason::MaxAge));
    let r = room
        .rotate(&alice.secret, &mut alice.ring, NOW + 100)
        .unwrap();
    assert_eq!(r.retired, 1, "keep one old version: version 1 goes");
    let kept: Vec<u32> = alice
        .ring
        .versions(&"room-42".parse().unwrap())
        .map(|v| v.get())
        .collect();
    assert_eq!(kept, [2, 3]);
}

mod backup {
    use domvia_e2ee::{Argon2Params, Backup, Keyring, RecoveryKey};
    use serde_json::Value;

    fn ring(ids: &[&str]) -> Keyring {
        let mut ring = Keyring::new();
        for id in ids {
            ring.generate(id.parse().unwrap()).unwrap();
        }
        ring.rotate(&ids[0].parse().unwrap()).unwrap();
        ring
    }

    fn small() -> Argon2Params {
        Argon2Params::danger_insecure_for_tests(64, 1, 1).unwrap()
    }

    #[test]
    fn restore_on_a_new_device_with_a_passphrase() {
        let original = ring(&["room-1", "room-2"]);
        let blob = Backup::seal_with_passphrase(&original, "correct horse", small())
            .unwrap()
            .to_json();
        let backup = Backup::from_json(&blob).unwrap();
        assert_eq!(backup.key_count(), 3);
        let restored = backup.open_with_passphrase("correct horse").unwrap();
        assert_eq!(*restored.export().to_json(), *original.export().to_json());
        let wrong = backup.open_with_passphrase("correct horse ").unwrap_err();
        assert_eq!(wrong.code(), "wrong_secret");
        let kind = backup
            .open_with_recovery_key(&RecoveryKey::generate())
            .unwrap_err();
        assert_eq!(kind.code(), "wrong_secret_kind");
    }

    #[test]
    fn weak_parameters_need_the_test_api() {
        assert_eq!(
            Argon2Params::new(64, 1, 1).unwrap_err().code(),
            "weak_kdf_params"
        );
        assert!(Argon2Params::new(19_456, 2, 1).is_ok());
        assert!(Argon2Params::danger_insecure_for_tests(4_000_000, 1, 1).is_err());
    }

    #[test]
    fn truncated_corrupted_and_unknown_versions_are_told_apart() {
        let recovery = RecoveryKey::generate();
        let blob = Backup::seal_with_recovery_key(&ring(&["a"]), &recovery)
            .unwrap()
            .to_json();
        for cut in [blob.len() / 2, blob.len() - 1] {
            let e = Backup::from_json(&blob[..cut]).unwrap_err();
            assert_eq!(e.code(), "backup_corrupted", "cut at {cut}");
        }
        let mut v: Value = serde_json::from_str(&blob).unwrap();
        // A flipped ciphertext bit: the checksum catches it.
        let ct = v["ct"].as_str().unwrap().to_owned();
        let flipped = format!(
            "{}{}",
            if ct.starts_with('A') { "B" } else { "A" },
            &ct[1..]
        );
        v["ct"] = Value::from(flipped);
        assert_eq!(
            Backup::from_json(&v.to_string()).unwrap_err().code(),
            "backup_corrupted"
        );
        let mut newer: Value = serde_json::from_str(&blob).unwrap();
        newer["v"] = Value::from(2);
        newer["something"] = Value::from("new");
        let e = Backup::from_json(&newer.to_string()).unwrap_err();
        assert_eq!(e.code(), "unsupported_version");
        let b = Backup::from_json(&blob).unwrap();
        assert_eq!(
            b.open_with_recovery_key(&RecoveryKey::generate())
                .unwrap_err()
                .code(),
            "wrong_secret"
        );
        assert_eq!(
            b.open_with_passphrase("x").unwrap_err().code(),
            "wrong_secret_kind"
        );
        assert!(b.open_with_recovery_key(&recovery).is_ok());
    }

    #[test]
    fn the_blob_reveals_the_key_count_only() {
        let recovery = RecoveryKey::generate();
        let short = Backup::seal_with_recovery_key(&ring(&["a", "b"]), &recovery).unwrap();
        let long_ids = ["x".repeat(255), "secret-room-name".to_owned()];
        let long = ring(&[long_ids[0].as_str(), long_ids[1].as_str()]);
        let long = Backup::seal_with_recovery_key(&long, &recovery).unwrap();
        let (s, l): (Value, Value) = (
            serde_json::from_str(&short.to_json()).unwrap(),
            serde_json::from_str(&long.to_json()).unwrap(),
        );
        assert_eq!(
            s["ct"].as_str().unwrap().len(),
            l["ct"].as_str().unwrap().len()
        );
        assert_eq!(s["keys"], 3);
        assert!(!long.to_json().contains("secret-room-name"));
        assert_eq!(format!("{long:?}"), "Backup(3 keys, RecoveryKey)");
    }
}

#[test]
fn a_lost_device_is_revoked_and_reads_nothing_after_rotation() {
    use domvia_e2ee::Revocation;
    let (mut phone, mut laptop, mut bob) = (
        Device::new("alice", "phone"),
        Device::new("alice", "laptop"),
        Device::new("bob", "laptop"),
    );
    phone.knows(&[&bob, &laptop]);
    laptop.knows(&[&bob, &phone]);
    // A device's directory holds its own bundle too (it signs revocations with it).
    let own = laptop.secret.bundle().clone();
    laptop.dir.add(own).unwrap();
    bob.knows(&[&phone, &laptop]);
    // Bob runs the room; alice has two devices in it.
    let mut room = RoomKeys::create(
        &bob.secret,
        "room-42".parse().unwrap(),
        "room-42".parse().unwrap(),
        RotationPolicy::default(),
        NOW,
        &mut bob.ring,
    )
    .unwrap();
    for d in [&mut phone, &mut laptop] {
        room.add_device(d.secret.bundle().clone());
        let s = room
            .share_current(&bob.secret, d.secret.id(), &bob.ring)
            .unwrap();
        d.receive(&s).unwrap();
    }
    let before = room
        .seal_json(&bob.ring, &json!({"body": "before"}), &ctx("m1"), NOW)
        .unwrap();

    // The phone is lost: the laptop revokes it; the revocation travels as event data.
    let revocation = Revocation::sign(&laptop.secret, phone.secret.bundle(), NOW).unwrap();
    let wire = revocation.to_json();
    for d in [&mut bob, &mut laptop] {
        let revoked = d
            .dir
            .apply_revocation(&Revocation::from_json(&wire).unwrap())
            .unwrap();
        assert_eq!(revoked, *phone.secret.id());
    }
    assert_eq!(room.remove_revoked(&bob.dir), 1);
    assert_eq!(room.rotation_due(NOW), Some(RotationReason::MemberRemoved));
    let rotation = room.rotate(&bob.secret, &mut bob.ring, NOW).unwrap();
    assert_eq!(rotation.shares.len(), 1);
    laptop
        .receive(share_for(&rotation.shares, &laptop))
        .unwrap();
    let after = room
        .seal_json(&bob.ring, &json!({"body": "after"}), &ctx("m2"), NOW)
        .unwrap();

    assert_eq!(laptop.read(&after, &ctx("m2")).unwrap(), "after");
    assert_eq!(laptop.read(&before, &ctx("m1")).unwrap(), "before");
    assert_eq!(
        phone.read(&before, &ctx("m1")).unwrap(),
        "before",
        "what it already had"
    );
    assert_eq!(phone.read(&after, &ctx("m2")).unwrap_err(), "unknown_key");

    // The thief tries to push a key of its own to bob: the sender is revoked.
    let (v2, key) = phone.ring.current(&"room-42".parse().unwrap()).unwrap();
    let v3 = v2.next().unwrap();
    let forged = KeyShare::seal(
        &phone.secret,
        bob.secret.bundle(),
        &"room-42".parse().unwrap(),
        &"room-42".parse().unwrap(),
        v3,
        key,
    )
    .unwrap();
    assert_eq!(bob.receive(&forged).unwrap_err(), "revoked_device");
    // And cannot revoke the laptop in return.
    let back = Revocation::sign(&phone.secret, laptop.secret.bundle(), NOW).unwrap();
    assert_eq!(
        bob.dir.apply_revocation(&back).unwrap_err().code(),
        "revoked_device"
    );
}

#[test]
fn a_new_device_recovers_from_another_device_after_approval() {
    use domvia_e2ee::{KeyRequest, KeyResponse, safety_number};
    let mut laptop = Device::new("alice", "laptop");
    laptop.ring.generate("room-1".parse().unwrap()).unwrap();
    laptop.ring.rotate(&"room-1".parse().unwrap()).unwrap();
    let mut tablet = Device::new("alice", "tablet");
    let (request, pending) = KeyRequest::new(&tablet.secret);
    let verified = KeyRequest::from_json(&request.to_json())
        .unwrap()
        .verify_for(&laptop.secret)
        .unwrap();
    assert_eq!(
        safety_number(laptop.secret.bundle(), verified.bundle()),
        safety_number(tablet.secret.bundle(), laptop.secret.bundle())
    );
    let response = KeyResponse::seal(&laptop.secret, &verified.approve(), &laptop.ring).unwrap();
    let wire = KeyResponse::from_json(&response.to_json()).unwrap();
    // Another device of alice's (or the gateway) cannot use it.
    let other = Device::new("alice", "tablet");
    let e = pending.accept(
        &wire,
        &other.secret,
        laptop.secret.bundle(),
        &mut Keyring::new(),
    );
    assert_eq!(e.unwrap_err().code(), "auth_failed");
    // A response from a device the user did not compare is refused.
    let e = pending.accept(
        &wire,
        &tablet.secret,
        other.secret.bundle(),
        &mut Keyring::new(),
    );
    assert_eq!(e.unwrap_err().code(), "unknown_device");
    let (_, other_pending) = KeyRequest::new(&tablet.secret);
    let e = other_pending.accept(
        &wire,
        &tablet.secret,
        laptop.secret.bundle(),
        &mut Keyring::new(),
    );
    assert_eq!(e.unwrap_err().code(), "unknown_request");
    let added = pending
        .accept(
            &wire,
            &tablet.secret,
            laptop.secret.bundle(),
            &mut tablet.ring,
        )
        .unwrap();
    assert_eq!(added, 2);
    assert_eq!(
        *tablet.ring.export().to_json(),
        *laptop.ring.export().to_json()
    );

    // A request from another user is refused before anything is shown.
    let bob = Device::new("bob", "laptop");
    let (bobs, _) = KeyRequest::new(&bob.secret);
    assert_eq!(
        bobs.verify_for(&laptop.secret).unwrap_err().code(),
        "other_user"
    );
    // A request whose signature was made by another device is refused.
    let mut v: Value = serde_json::from_str(&request.to_json()).unwrap();
    let (other_req, _) = KeyRequest::new(&other.secret);
    v["sig"] = serde_json::from_str::<Value>(&other_req.to_json()).unwrap()["sig"].clone();
    let e = KeyRequest::from_json(&v.to_string())
        .unwrap()
        .verify_for(&laptop.secret);
    assert_eq!(e.unwrap_err().code(), "bad_signature");
}

#[test]
fn signed_envelopes_name_their_verified_sender() {
    use domvia_e2ee::{Revocation, SealOptions, SignedEnvelope};
    let (alice, mut bob, mallory) = (
        Device::new("alice", "phone"),
        Device::new("bob", "laptop"),
        Device::new("mallory", "phone"),
    );
    bob.knows(&[&alice, &mallory]);
    let mut ring = Keyring::new();
    ring.generate("room-42".parse().unwrap()).unwrap();
    let kid = "room-42".parse().unwrap();
    let env = ring
        .seal_json(
            &json!({"body": "hi"}),
            &kid,
            &ctx("m1"),
            &SealOptions::default(),
        )
        .unwrap();
    let wire = SignedEnvelope::sign(&alice.secret, env.clone(), &ctx("m1")).to_json();
    let signed = SignedEnvelope::from_json(&wire).unwrap();
    let verified = signed.verify(&bob.dir, &ctx("m1")).unwrap();
    assert_eq!(verified.sender, *alice.secret.id());
    let body: Value = ring.open_json(verified.envelope, &ctx("m1")).unwrap();
    assert_eq!(body["body"], "hi");
    // Moved to another message: the signature covers the context.
    assert_eq!(
        signed.verify(&bob.dir, &ctx("m2")).unwrap_err().code(),
        "bad_signature"
    );
    // Mallory (a member, with the room key) cannot claim alice's name.
    let mut v: Value =
        serde_json::from_str(&SignedEnvelope::sign(&mallory.secret, env, &ctx("m1")).to_json())
            .unwrap();
    v["from_user"] = Value::from("alice");
    let forged = SignedEnvelope::from_json(&v.to_string()).unwrap();
    assert_eq!(
        forged.verify(&bob.dir, &ctx("m1")).unwrap_err().code(),
        "bad_signature"
    );
    // Unknown and revoked senders.
    assert_eq!(
        signed
            .verify(&DeviceDirectory::new(), &ctx("m1"))
            .unwrap_err()
            .code(),
        "unknown_device"
    );
    let rev = Revocation::sign(&alice.secret, alice.secret.bundle(), NOW).unwrap();
    bob.dir.apply_revocation(&rev).unwrap();
    assert_eq!(
        signed.verify(&bob.dir, &ctx("m1")).unwrap_err().code(),
        "revoked_device"
    );
}
