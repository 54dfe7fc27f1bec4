//! Encrypted keyring backups (spec/key-lifecycle.md section 8): under a recovery key or
//! a passphrase (Argon2id), key-committing, versioned, revealing only the key count.
//!
//! ```text
//! root       = recovery key | Argon2id(passphrase, salt, m, t, p, 32)
//! PRK        = HKDF-Extract(salt, root)
//! key || iv  = HKDF-Expand(PRK, "domvia-backup v1 aead", 44)
//! commitment = HKDF-Expand(PRK, "domvia-backup v1 commit", 32)
//! ct         = AES-256-GCM(key, iv, aad = header, keys_plaintext)
//! check      = SHA-256("domvia-backup v1 check" || header || commitment || ct)[0..16]
//! ```
//!
//! ```
//! use domvia_e2ee::{Backup, Keyring, RecoveryKey};
//!
//! let mut ring = Keyring::new();
//! ring.generate("room-42".parse()?)?;
//! let recovery = RecoveryKey::generate();
//! let shown = recovery.to_display(); // the user writes this down
//! let blob = Backup::seal_with_recovery_key(&ring, &recovery)?.to_json();
//!
//! // On a new device:
//! let backup = Backup::from_json(&blob)?;
//! assert_eq!(backup.key_count(), 1);
//! let restored = backup.open_with_recovery_key(&RecoveryKey::parse(&shown)?)?;
//! assert!(restored.current(&"room-42".parse()?).is_some());
//! let wrong = backup.open_with_recovery_key(&RecoveryKey::generate());
//! assert_eq!(wrong.unwrap_err().code(), "wrong_secret");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::keyring::Keyring;
use crate::secret_buf::SecretBuf;
use crate::suite::TAG_LEN;
use crate::suite::active::Cipher;
use crate::wire::{B64, B64Vec, Tbs, WireError, parse_v1};

mod plaintext;
mod recovery_key;

pub(crate) use plaintext::{decode as decode_keys, encode as encode_keys};
pub use recovery_key::RecoveryKey;

const FORMAT: &str = "domvia-backup";

/// Why a backup could not be made or restored. Wrong secret, damaged blob and unknown
/// version are told apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The blob is cut short, damaged or altered, or its parameters are out of range.
    #[error("the backup is damaged or incomplete ({problem})")]
    Corrupted {
        /// What was found wrong, in general terms.
        problem: &'static str,
    },
    /// Not a `domvia-backup` version 1 blob.
    #[error("{found_format:?} version {found_version} is not domvia-backup version 1")]
    UnsupportedVersion {
        /// The format named.
        found_format: String,
        /// The version named.
        found_version: u64,
    },
    /// The recovery key or passphrase is not the one the backup was made with.
    #[error("wrong recovery key or passphrase for this backup")]
    WrongSecret,
    /// A recovery key for a passphrase backup, or the reverse.
    #[error("this backup is protected by a {needs}")]
    WrongSecretKind {
        /// `recovery key` or `passphrase`.
        needs: &'static str,
    },
    /// Not a recovery key: wrong length, a character outside Crockford base32, or an
    /// unknown version.
    #[error("not a recovery key: expected 56 characters of Crockford base32")]
    InvalidRecoveryKey,
    /// The recovery key's check characters do not match: a typo.
    #[error("the recovery key has a typo (its check characters do not match)")]
    RecoveryKeyChecksum,
    /// Argon2id parameters below the defaults, or out of the readable range.
    #[error("Argon2id parameters m={m} KiB, t={t}, p={p} are out of range")]
    WeakKdfParams {
        /// Memory in KiB.
        m: u32,
        /// Passes.
        t: u32,
        /// Lanes.
        p: u32,
    },
}

impl BackupError {
    /// A stable, machine-readable code (spec/errors.md).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Corrupted { .. } => "backup_corrupted",
            Self::UnsupportedVersion { .. } => "unsupported_version",
            Self::WrongSecret => "wrong_secret",
            Self::WrongSecretKind { .. } => "wrong_secret_kind",
            Self::InvalidRecoveryKey => "invalid_recovery_key",
            Self::RecoveryKeyChecksum => "recovery_key_checksum",
            Self::WeakKdfParams { .. } => "weak_kdf_params",
        }
    }
}

fn corrupted(problem: &'static str) -> BackupError {
    BackupError::Corrupted { problem }
}

/// Argon2id parameters (RFC 9106): memory in KiB, passes, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    m: u32,
    t: u32,
    p: u32,
}

impl Argon2Params {
    /// m = 19 456 KiB, t = 2, p = 1 (spec/key-lifecycle.md section 8.1).
    pub const DEFAULT: Self = Self {
        m: 19_456,
        t: 2,
        p: 1,
    };
    const MAX_M: u32 = 1_048_576;
    const MAX_T: u32 = 16;
    const MAX_P: u32 = 16;

    /// Parameters at least as strong as [`Argon2Params::DEFAULT`] in memory and passes,
    /// and within the range readers accept.
    ///
    /// # Errors
    /// [`BackupError::WeakKdfParams`].
    pub fn new(m: u32, t: u32, p: u32) -> Result<Self, BackupError> {
        let d = Self::DEFAULT;
        let params = Self::danger_insecure_for_tests(m, t, p)?;
        if m < d.m || t < d.t {
            return Err(BackupError::WeakKdfParams { m, t, p });
        }
        Ok(params)
    }

    /// Any parameters readers accept, however weak: for tests only, where the defaults
    /// would take seconds per backup.
    ///
    /// # Errors
    /// [`BackupError::WeakKdfParams`] outside 8·p ≤ m ≤ 1 GiB, 1 ≤ t ≤ 16, 1 ≤ p ≤ 16.
    pub fn danger_insecure_for_tests(m: u32, t: u32, p: u32) -> Result<Self, BackupError> {
        let ok = (1..=Self::MAX_P).contains(&p)
            && (1..=Self::MAX_T).contains(&t)
            && m >= p.saturating_mul(8)
            && m <= Self::MAX_M;
        if ok {
            Ok(Self { m, t, p })
        } else {
            Err(BackupError::WeakKdfParams { m, t, p })
        }
    }

    fn derive(
        &self,
        passphrase: &str,
        salt: &[u8; 32],
    ) -> Result<Zeroizing<[u8; 32]>, BackupError> {
        let params = argon2::Params::new(self.m, self.t, self.p, Some(32)).map_err(|_| {
            BackupError::WeakKdfParams {
                m: self.m,
                t: self.t,
                p: self.p,
            }
        })?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut root = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.as_bytes(), salt, root.as_mut_slice())
            .map_err(|_| corrupted("Argon2id refused the parameters"))?;
        Ok(root)
    }
}

/// How a backup's secret becomes its root key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackupKdf {
    /// A 256-bit recovery key, used as is.
    RecoveryKey,
    /// A passphrase through Argon2id with these parameters.
    Argon2id(Argon2Params),
}

/// An encrypted keyring backup, as stored: [`Backup::to_json`] and [`Backup::from_json`].
#[derive(Clone, PartialEq, Eq)]
pub struct Backup {
    kdf: BackupKdf,
    salt: [u8; 32],
    keys: u32,
    commit: [u8; 32],
    ct: Vec<u8>,
    check: [u8; 16],
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupWire {
    format: String,
    v: u64,
    kdf: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    m: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<u32>,
    salt: B64<32>,
    keys: u32,
    commit: B64<32>,
    ct: B64Vec,
    check: B64<16>,
}

impl Backup {
    /// Backs up every key version of `keyring` under `recovery` (OS-seeded CSPRNG salt).
    ///
    /// # Errors
    /// Not expected: the AEAD refusing to seal.
    #[cfg(os_rng)]
    pub fn seal_with_recovery_key(
        keyring: &Keyring,
        recovery: &RecoveryKey,
    ) -> Result<Self, BackupError> {
        crate::rng::with_system_rng(|rng| {
            Self::seal_with_recovery_key_with_rng(keyring, recovery, rng)
        })
    }

    /// [`Backup::seal_with_recovery_key`] with the caller's generator (32 bytes: the salt).
    ///
    /// # Errors
    /// As [`Backup::seal_with_recovery_key`].
    pub fn seal_with_recovery_key_with_rng<R: CryptoRng + ?Sized>(
        keyring: &Keyring,
        recovery: &RecoveryKey,
        rng: &mut R,
    ) -> Result<Self, BackupError> {
        let mut salt = [0u8; 32];
        rng.fill_bytes(&mut salt);
        Self::seal(keyring, BackupKdf::RecoveryKey, salt, recovery.bytes())
    }

    /// Backs up every key version of `keyring` under `passphrase` through Argon2id.
    ///
    /// # Errors
    /// [`BackupError::WeakKdfParams`] (not expected for checked parameters).
    #[cfg(os_rng)]
    pub fn seal_with_passphrase(
        keyring: &Keyring,
        passphrase: &str,
        params: Argon2Params,
    ) -> Result<Self, BackupError> {
        crate::rng::with_system_rng(|rng| {
            Self::seal_with_passphrase_with_rng(keyring, passphrase, params, rng)
        })
    }

    /// [`Backup::seal_with_passphrase`] with the caller's generator (32 bytes: the salt).
    ///
    /// # Errors
    /// As [`Backup::seal_with_passphrase`].
    pub fn seal_with_passphrase_with_rng<R: CryptoRng + ?Sized>(
        keyring: &Keyring,
        passphrase: &str,
        params: Argon2Params,
        rng: &mut R,
    ) -> Result<Self, BackupError> {
        let mut salt = [0u8; 32];
        rng.fill_bytes(&mut salt);
        let root = params.derive(passphrase, &salt)?;
        Self::seal(keyring, BackupKdf::Argon2id(params), salt, &root)
    }

    fn seal(
        keyring: &Keyring,
        kdf: BackupKdf,
        salt: [u8; 32],
        root: &[u8; 32],
    ) -> Result<Self, BackupError> {
        let (pt, keys) = encode_keys(keyring);
        let mut b = Self {
            kdf,
            salt,
            keys,
            commit: [0; 32],
            ct: Vec::new(),
            check: [0; 16],
        };
        let (cipher, iv, commit) = derive(&salt, root)?;
        b.commit = commit;
        let mut buf = SecretBuf::copy_of(&pt, TAG_LEN);
        // AES-GCM refuses only inputs beyond 2^36 bytes; the plaintext is far smaller.
        cipher
            .seal_in_place(&iv, &b.header(), &mut buf)
            .map_err(|_| corrupted("the AEAD refused to seal"))?;
        b.ct = buf.into_public();
        b.check = b.compute_check();
        Ok(b)
    }

    /// Parses a stored backup and checks its integrity (not its secret).
    ///
    /// # Errors
    /// [`BackupError::Corrupted`] (truncated, damaged, parameters out of range) or
    /// [`BackupError::UnsupportedVersion`].
    pub fn from_json(text: &str) -> Result<Self, BackupError> {
        let w: BackupWire = parse_v1(text, FORMAT).map_err(|e| match e {
            WireError::UnsupportedVersion {
                found_format,
                found_version,
                ..
            } => BackupError::UnsupportedVersion {
                found_format,
                found_version,
            },
            WireError::Malformed { .. } => corrupted("not a complete backup"),
        })?;
        let kdf = match (w.kdf.as_str(), w.m, w.t, w.p) {
            ("recovery-key", None, None, None) => BackupKdf::RecoveryKey,
            ("argon2id", Some(m), Some(t), Some(p)) => BackupKdf::Argon2id(
                Argon2Params::danger_insecure_for_tests(m, t, p)
                    .map_err(|_| corrupted("Argon2id parameters out of range"))?,
            ),
            _ => return Err(corrupted("unknown KDF")),
        };
        let expected = plaintext::plaintext_len(w.keys).and_then(|n| n.checked_add(TAG_LEN));
        if Some(w.ct.0.len()) != expected {
            return Err(corrupted(
                "the ciphertext length does not match the key count",
            ));
        }
        let b = Self {
            kdf,
            salt: w.salt.0,
            keys: w.keys,
            commit: w.commit.0,
            ct: w.ct.0,
            check: w.check.0,
        };
        if !bool::from(b.compute_check().ct_eq(&b.check)) {
            return Err(corrupted("the checksum does not match"));
        }
        Ok(b)
    }

    /// The stored form.
    #[must_use]
    pub fn to_json(&self) -> String {
        let (kdf, m, t, p) = match self.kdf {
            BackupKdf::RecoveryKey => ("recovery-key", None, None, None),
            BackupKdf::Argon2id(a) => ("argon2id", Some(a.m), Some(a.t), Some(a.p)),
        };
        let w = BackupWire {
            format: FORMAT.to_owned(),
            v: 1,
            kdf: kdf.to_owned(),
            m,
            t,
            p,
            salt: B64(self.salt),
            keys: self.keys,
            commit: B64(self.commit),
            ct: B64Vec(self.ct.clone()),
            check: B64(self.check),
        };
        serde_json::to_string(&w).unwrap_or_default()
    }

    /// How many key versions the backup holds: all it reveals about them.
    #[must_use]
    pub fn key_count(&self) -> u32 {
        self.keys
    }

    /// How the backup's secret is turned into its key.
    #[must_use]
    pub fn kdf(&self) -> BackupKdf {
        self.kdf
    }

    /// Restores the keyring with the recovery key.
    ///
    /// # Errors
    /// [`BackupError::WrongSecretKind`], [`BackupError::WrongSecret`] or
    /// [`BackupError::Corrupted`].
    pub fn open_with_recovery_key(&self, recovery: &RecoveryKey) -> Result<Keyring, BackupError> {
        match self.kdf {
            BackupKdf::RecoveryKey => self.open(recovery.bytes()),
            BackupKdf::Argon2id(_) => Err(BackupError::WrongSecretKind {
                needs: "passphrase",
            }),
        }
    }

    /// Restores the keyring with the passphrase (runs Argon2id with the stored
    /// parameters).
    ///
    /// # Errors
    /// As [`Backup::open_with_recovery_key`].
    pub fn open_with_passphrase(&self, passphrase: &str) -> Result<Keyring, BackupError> {
        match self.kdf {
            BackupKdf::Argon2id(params) => self.open(&*params.derive(passphrase, &self.salt)?),
            BackupKdf::RecoveryKey => Err(BackupError::WrongSecretKind {
                needs: "recovery key",
            }),
        }
    }

    fn open(&self, root: &[u8; 32]) -> Result<Keyring, BackupError> {
        let (cipher, iv, commit) = derive(&self.salt, root)?;
        if !bool::from(commit.ct_eq(&self.commit)) {
            return Err(BackupError::WrongSecret);
        }
        let mut buf = SecretBuf::copy_of(&self.ct, 0);
        cipher
            .open_in_place(&iv, &self.header(), &mut buf)
            .map_err(|_| corrupted("the ciphertext was altered"))?;
        decode_keys(&buf, self.keys).ok_or(corrupted("the keys inside are inconsistent"))
    }

    fn header(&self) -> Vec<u8> {
        let (kdf, m, t, p) = match self.kdf {
            BackupKdf::RecoveryKey => (1u8, 0, 0, 0),
            BackupKdf::Argon2id(a) => (2u8, a.m, a.t, a.p),
        };
        Tbs::new("domvia-backup v1")
            .bytes(&[kdf])
            .u32(m)
            .u32(t)
            .u32(p)
            .bytes(&self.salt)
            .u32(self.keys)
            .finish()
    }

    fn compute_check(&self) -> [u8; 16] {
        let d = Sha256::new()
            .chain_update(b"domvia-backup v1 check")
            .chain_update(self.header())
            .chain_update(self.commit)
            .chain_update(&self.ct)
            .finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(d.get(..16).unwrap_or(&[0; 16]));
        out
    }
}

/// The AES key schedule, IV and commitment of one blob.
fn derive(salt: &[u8; 32], root: &[u8; 32]) -> Result<(Cipher, [u8; 12], [u8; 32]), BackupError> {
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), root);
    let mut okm = Zeroizing::new([0u8; 44]);
    let mut commit = [0u8; 32];
    // 44 and 32 bytes are far below HKDF-SHA256's limit: expand cannot fail.
    let _ = hk.expand(b"domvia-backup v1 aead", okm.as_mut_slice());
    let _ = hk.expand(b"domvia-backup v1 commit", &mut commit);
    let (key, iv) = okm.split_at(32);
    let mut k = Zeroizing::new([0u8; 32]);
    k.copy_from_slice(key);
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(iv);
    // Both back ends accept every 32-byte key; the error is not expected.
    let cipher = Cipher::new(&k).map_err(|_| corrupted("the AEAD refused the key"))?;
    Ok((cipher, nonce, commit))
}

impl core::fmt::Debug for Backup {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Backup({} keys, {:?})", self.keys, self.kdf)
    }
}
