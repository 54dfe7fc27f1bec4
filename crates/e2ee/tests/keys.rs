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
