//! Backup vectors (spec/key-lifecycle.md section 8): a recovery-key blob and a
//! passphrase blob (with test-sized Argon2id parameters), their header, commitment and
//! plaintext, and damaged blobs with the error each must give.

use domvia_e2ee::{Argon2Params, Backup, Keyring, RecoveryKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{LabelRng, b64d, b64u};

/// The keyring every backup vector (and the key response vector) carries.
pub(crate) fn keyring() -> Keyring {
    let mut ring = Keyring::new();
    let mut rng = LabelRng::new("backup:keyring");
    ring.generate_with_rng("room-42".parse().unwrap(), &mut rng)
        .unwrap();
    ring.rotate_with_rng(&"room-42".parse().unwrap(), &mut rng)
        .unwrap();
    ring.generate_with_rng("call-9001".parse().unwrap(), &mut rng)
        .unwrap();
    ring
}

fn recovery() -> RecoveryKey {
    RecoveryKey::generate_with_rng(&mut LabelRng::new("backup:recovery-key"))
}

const PASSPHRASE: &str = "correct horse battery staple";

fn params() -> Argon2Params {
    Argon2Params::danger_insecure_for_tests(256, 2, 1).unwrap()
}

fn blobs() -> (Backup, Backup) {
    let r = Backup::seal_with_recovery_key_with_rng(
        &keyring(),
        &recovery(),
        &mut LabelRng::new("backup:salt:1"),
    )
    .unwrap();
    let p = Backup::seal_with_passphrase_with_rng(
        &keyring(),
        PASSPHRASE,
        params(),
        &mut LabelRng::new("backup:salt:2"),
    )
    .unwrap();
    (r, p)
}

/// The header of section 8.3, rebuilt from the blob's members.
fn header(b: &Value) -> Vec<u8> {
    let mut h = crate::fields(&["domvia-backup v1"]);
    let argon = b["kdf"] == "argon2id";
    h.push(if argon { 2 } else { 1 });
    for m in ["m", "t", "p"] {
        h.extend_from_slice(
            &u32::try_from(b[m].as_u64().unwrap_or(0))
                .unwrap()
                .to_be_bytes(),
        );
    }
    h.extend(b64d(b["salt"].as_str().unwrap()));
    h.extend_from_slice(
        &u32::try_from(b["keys"].as_u64().unwrap())
            .unwrap()
            .to_be_bytes(),
    );
    h
}

fn check(b: &Value) -> Vec<u8> {
    let d = Sha256::new()
        .chain_update(b"domvia-backup v1 check")
        .chain_update(header(b))
        .chain_update(b64d(b["commit"].as_str().unwrap()))
        .chain_update(b64d(b["ct"].as_str().unwrap()))
        .finalize();
    d[..16].to_vec()
}

pub(crate) fn generate() -> Value {
    let (r, p) = blobs();
    let positive: Vec<Value> = [("recovery-key", &r), ("passphrase-argon2id", &p)]
        .iter()
        .map(|(name, b)| {
            let v: Value = serde_json::from_str(&b.to_json()).unwrap();
            assert_eq!(check(&v), b64d(v["check"].as_str().unwrap()), "{name}: check");
            json!({
                "name": name,
                "recovery_key": if *name == "recovery-key" { Value::from(recovery().to_display().as_str()) } else { Value::Null },
                "passphrase": if *name == "recovery-key" { Value::Null } else { Value::from(PASSPHRASE) },
                "header": hex::encode(header(&v)),
                "keyring_export": serde_json::from_str::<Value>(&keyring().export().to_json()).unwrap(),
                "blob_json": b.to_json(),
            })
        })
        .collect();
    let rv: Value = serde_json::from_str(&r.to_json()).unwrap();
    let mut negative = Vec::new();
    let mut case = |name: &str, blob: String, secret: Value, error: &str| {
        negative.push(json!({"name": name, "blob_json": blob, "secret": secret, "error": error}));
    };
    let rk = json!({"recovery_key": recovery().to_display().as_str()});
    let other = RecoveryKey::generate_with_rng(&mut LabelRng::new("backup:other"));
    case(
        "wrong-recovery-key",
        r.to_json(),
        json!({"recovery_key": other.to_display().as_str()}),
        "wrong_secret",
    );
    case(
        "wrong-passphrase",
        p.to_json(),
        json!({"passphrase": "Correct horse battery staple"}),
        "wrong_secret",
    );
    case(
        "passphrase-for-recovery-key-blob",
        r.to_json(),
        json!({"passphrase": PASSPHRASE}),
        "wrong_secret_kind",
    );
    let text = r.to_json();
    case(
        "truncated",
        text[..text.len() - 10].to_owned(),
        rk.clone(),
        "backup_corrupted",
    );
    let mut edit = |name: &str, error: &str, f: &dyn Fn(&mut Value), fix_check: bool| {
        let mut v = rv.clone();
        f(&mut v);
        if fix_check {
            v["check"] = json!(b64u(&check(&v)));
        }
        case(name, v.to_string(), rk.clone(), error);
    };
    let flip = |s: &str| {
        let mut b = b64d(s);
        b[0] ^= 1;
        b64u(&b)
    };
    edit(
        "ciphertext-flipped",
        "backup_corrupted",
        &|v| v["ct"] = json!(flip(v["ct"].as_str().unwrap())),
        false,
    );
    edit(
        "ciphertext-flipped-check-recomputed",
        "backup_corrupted",
        &|v| v["ct"] = json!(flip(v["ct"].as_str().unwrap())),
        true,
    );
    edit(
        "commitment-flipped-check-recomputed",
        "wrong_secret",
        &|v| v["commit"] = json!(flip(v["commit"].as_str().unwrap())),
        true,
    );
    edit(
        "key-count-changed",
        "backup_corrupted",
        &|v| v["keys"] = json!(2),
        true,
    );
    edit(
        "unknown-version",
        "unsupported_version",
        &|v| {
            v["v"] = json!(2);
            v["new_member"] = json!(true);
        },
        false,
    );
    edit(
        "argon2-memory-out-of-range",
        "backup_corrupted",
        &|v| {
            v["kdf"] = json!("argon2id");
            v["m"] = json!(4_000_000);
            v["t"] = json!(1);
            v["p"] = json!(1);
        },
        true,
    );
    json!({"positive": positive, "negative": negative})
}

fn open(blob: &str, secret: &Value) -> Result<Keyring, domvia_e2ee::BackupError> {
    let b = Backup::from_json(blob)?;
    match secret.get("recovery_key").and_then(Value::as_str) {
        Some(k) => b.open_with_recovery_key(&RecoveryKey::parse(k)?),
        None => b.open_with_passphrase(secret["passphrase"].as_str().unwrap()),
    }
}

#[test]
fn backup_vectors_reproduce_open_and_fail_as_named() {
    let v = crate::committed();
    let (r, p) = blobs();
    let pos = v["backups"]["positive"].as_array().unwrap();
    assert_eq!(pos[0]["blob_json"].as_str().unwrap(), r.to_json());
    assert_eq!(pos[1]["blob_json"].as_str().unwrap(), p.to_json());
    for b in pos {
        let ring = open(b["blob_json"].as_str().unwrap(), b).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&ring.export().to_json()).unwrap(),
            b["keyring_export"]
        );
    }
    for n in v["backups"]["negative"].as_array().unwrap() {
        let e = open(n["blob_json"].as_str().unwrap(), &n["secret"])
            .expect_err(n["name"].as_str().unwrap());
        assert_eq!(e.code(), n["error"].as_str().unwrap(), "{}: {e}", n["name"]);
    }
}
