//! `domvia device`, `domvia keyshare` and `domvia backup`: the key lifecycle from the
//! command line (spec/key-lifecycle.md), with their failures.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: a failed assumption should stop the test loudly"
)]

mod common;

use common::{Scratch, domvia, json, s};

#[test]
fn a_key_share_travels_from_one_device_to_another() {
    let tmp = Scratch::new("keyshare");
    let (alice, alice_bundle) = tmp.device("alice", "phone");
    let (bob, bob_bundle) = tmp.device("bob", "laptop");
    let shown = json(domvia(&["device", "show", "--secret", s(&alice)], None).ok());
    assert_eq!(
        shown["bundle"],
        json(&std::fs::read_to_string(&alice_bundle).unwrap())
    );
    let n1 = domvia(
        &["device", "safety-number", s(&alice_bundle), s(&bob_bundle)],
        None,
    );
    let n2 = domvia(
        &["device", "safety-number", s(&bob_bundle), s(&alice_bundle)],
        None,
    );
    assert_eq!(n1.ok(), n2.ok());
    assert_eq!(n1.ok().replace(' ', "").len(), 60);

    let key = tmp.key("room.key");
    let share = domvia(
        &[
            "keyshare",
            "seal",
            "--secret",
            s(&alice),
            "--to",
            s(&bob_bundle),
            "--room",
            "room-42",
            "--key-id",
            "room-42",
            "--key-version",
            "3",
            "--key-file",
            s(&key),
        ],
        None,
    );
    let share = share.ok().to_owned();
    assert!(!share.contains(std::fs::read_to_string(&key).unwrap().trim()));
    let out = tmp.path("received.key");
    let open = domvia(
        &[
            "keyshare",
            "open",
            "--secret",
            s(&bob),
            "--from",
            s(&alice_bundle),
            "--out",
            s(&out),
        ],
        Some(share.as_bytes()),
    );
    open.ok();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(&key).unwrap()
    );

    // Alice cannot open what was sealed to bob; a tampered share is refused.
    let not_mine = domvia(
        &[
            "keyshare",
            "open",
            "--secret",
            s(&alice),
            "--from",
            s(&alice_bundle),
            "--out",
            s(&tmp.path("x.key")),
        ],
        Some(share.as_bytes()),
    );
    not_mine.fails_with("wrong_recipient");
    let tampered = share.replacen("\"kver\":3", "\"kver\":4", 1);
    let run = domvia(
        &[
            "keyshare",
            "open",
            "--secret",
            s(&bob),
            "--from",
            s(&alice_bundle),
            "--out",
            s(&tmp.path("y.key")),
        ],
        Some(tampered.as_bytes()),
    );
    run.fails_with("bad_signature");
    let (_, carol_bundle) = tmp.device("carol", "phone");
    let run = domvia(
        &[
            "keyshare",
            "open",
            "--secret",
            s(&bob),
            "--from",
            s(&carol_bundle),
            "--out",
            s(&tmp.path("z.key")),
        ],
        Some(share.as_bytes()),
    );
    run.fails_with("unknown_device");
}

#[test]
fn a_backup_restores_with_its_recovery_key_only() {
    let tmp = Scratch::new("backup");
    let (ring_path, ring) = tmp.one_key_ring();
    let (blob, recovery) = (tmp.path("ring.backup"), tmp.path("recovery.txt"));
    let create = domvia(
        &[
            "backup",
            "create",
            "--keyring-file",
            s(&ring_path),
            "--out",
            s(&blob),
            "--recovery-key-file",
            s(&recovery),
        ],
        None,
    );
    assert_eq!(create.ok(), "");
    let recovery_text = std::fs::read_to_string(&recovery).unwrap();
    assert!(!create.stderr.contains(recovery_text.trim()));
    assert!(!std::fs::read_to_string(&blob).unwrap().contains("room-42"));

    let restored = tmp.path("restored.json");
    domvia(
        &[
            "backup",
            "restore",
            s(&blob),
            "--recovery-key-file",
            s(&recovery),
            "--out",
            s(&restored),
        ],
        None,
    )
    .ok();
    assert_eq!(
        json(&std::fs::read_to_string(&restored).unwrap()),
        json(&ring)
    );

    // Another recovery key: wrong secret. A cut blob: corrupted. A newer version: unsupported.
    let other = tmp.path("other.txt");
    domvia(
        &[
            "backup",
            "create",
            "--keyring-file",
            s(&ring_path),
            "--out",
            s(&tmp.path("b2")),
            "--recovery-key-file",
            s(&other),
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
            s(&other),
            "--out",
            s(&tmp.path("r2")),
        ],
        None,
    )
    .fails_with("wrong_secret");
    let text = std::fs::read_to_string(&blob).unwrap();
    let cut = tmp.write("cut.backup", &text[..text.len() / 2]);
    domvia(
        &[
            "backup",
            "restore",
            s(&cut),
            "--recovery-key-file",
            s(&recovery),
            "--out",
            s(&tmp.path("r3")),
        ],
        None,
    )
    .fails_with("backup_corrupted");
    let newer = tmp.write("newer.backup", &text.replacen("\"v\":1", "\"v\":2", 1));
    domvia(
        &[
            "backup",
            "restore",
            s(&newer),
            "--recovery-key-file",
            s(&recovery),
            "--out",
            s(&tmp.path("r4")),
        ],
        None,
    )
    .fails_with("unsupported_version");
    let typo = tmp.write(
        "typo.txt",
        &recovery_text.replacen(|c: char| c.is_ascii_alphanumeric() && c != '0', "0", 2),
    );
    let run = domvia(
        &[
            "backup",
            "restore",
            s(&blob),
            "--recovery-key-file",
            s(&typo),
            "--out",
            s(&tmp.path("r5")),
        ],
        None,
    );
    assert!(
        run.code == 1
            && (run.stderr.contains("recovery_key_checksum")
                || run.stderr.contains("invalid_recovery_key")),
        "{}",
        run.stderr
    );
}
