//! A keyring: several versions per key id, sealing with the current version, opening with
//! the version an envelope names, rotation and retirement.
//!
//! ```
//! use domvia_e2ee::{ChatContext, Context, KeyId, Keyring, SealOptions};
//! use serde_json::{json, Value};
//!
//! let room: KeyId = "room-42".parse()?;
//! let mut ring = Keyring::new();
//! ring.generate(room.clone())?;
//! let ctx = Context::from(ChatContext::parse("room-42", "msg-1")?);
//! let old = ring.seal_json(&json!({"body": "before"}), &room, &ctx, &SealOptions::default())?;
//! let v2 = ring.rotate(&room)?;
//! assert_eq!(v2.get(), 2);
//! let new = ring.seal_json(&json!({"body": "after"}), &room, &ctx, &SealOptions::default())?;
//! assert_eq!(new.key_label().key_version, v2);
//! // Both still open: the old version is kept until it is retired.
//! assert_eq!(ring.open_json::<Value>(&old, &ctx)?["body"], "before");
//! ring.retire(&room, old.key_label().key_version)?;
//! assert_eq!(ring.open_json::<Value>(&old, &ctx).unwrap_err().code(), "unknown_key");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;

use rand_core::CryptoRng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::{Context, KeyLabel};
use crate::envelope::Envelope;
use crate::ident::{KeyId, KeyVersion};
use crate::key::AesGcmKey;
use crate::seal::{OpenError, SealError, SealOptions, open_framed, seal_ref};

mod export;
pub(crate) use export::KeyEntry;
pub use export::{ExportProblem, KeyringExport};

/// The versions of one key id.
#[derive(Clone)]
struct Entry {
    /// The version new envelopes are sealed with; always present in `versions`.
    current: KeyVersion,
    /// The highest version ever held, so a retired number is never handed out again.
    highest: KeyVersion,
    versions: BTreeMap<KeyVersion, AesGcmKey>,
}

/// Keys by id and version. Keys are zeroized when the keyring drops them.
#[derive(Clone, Default)]
pub struct Keyring {
    entries: BTreeMap<KeyId, Entry>,
}

/// Why a keyring operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// `generate` for a key id the keyring already holds.
    #[error("the keyring already holds key id {key_id}; rotate it instead")]
    KeyIdExists {
        /// The key id.
        key_id: KeyId,
    },
    /// No key under this id.
    #[error("no key with id {key_id} in the keyring")]
    UnknownKeyId {
        /// The key id.
        key_id: KeyId,
    },
    /// No such version under this id.
    #[error("key id {key_id} has no version {key_version}")]
    UnknownVersion {
        /// The key id.
        key_id: KeyId,
        /// The version.
        key_version: KeyVersion,
    },
    /// A different key is already stored under this id and version.
    #[error("key id {key_id} version {key_version} already holds a different key")]
    VersionConflict {
        /// The key id.
        key_id: KeyId,
        /// The version.
        key_version: KeyVersion,
    },
    /// The current version cannot be retired; rotate first.
    #[error(
        "version {key_version} is the current version of key id {key_id}; rotate before retiring it"
    )]
    RetireCurrent {
        /// The key id.
        key_id: KeyId,
        /// The version.
        key_version: KeyVersion,
    },
    /// Version 4294967295 has been used; choose a new key id.
    #[error("key id {key_id} has used every version number; start a new key id")]
    VersionsExhausted {
        /// The key id.
        key_id: KeyId,
    },
    /// An export could not be imported.
    #[error("invalid keyring export: {problem}")]
    InvalidExport {
        /// What is wrong with it.
        problem: ExportProblem,
    },
}

impl KeyringError {
    /// A stable, machine-readable code for this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::KeyIdExists { .. } => "key_id_exists",
            Self::UnknownKeyId { .. } | Self::UnknownVersion { .. } => "unknown_key",
            Self::VersionConflict { .. } => "version_conflict",
            Self::RetireCurrent { .. } => "retire_current",
            Self::VersionsExhausted { .. } => "versions_exhausted",
            Self::InvalidExport { .. } => "invalid_export",
        }
    }
}

impl Keyring {
    /// An empty keyring.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates version 1 of a new key id from the OS-seeded CSPRNG.
    ///
    /// # Errors
    /// [`KeyringError::KeyIdExists`].
    #[cfg(os_rng)]
    pub fn generate(&mut self, key_id: KeyId) -> Result<KeyVersion, KeyringError> {
        crate::rng::with_system_rng(|rng| self.generate_with_rng(key_id, rng))
    }

    /// [`Keyring::generate`] with the caller's generator.
    ///
    /// # Errors
    /// [`KeyringError::KeyIdExists`].
    pub fn generate_with_rng<R: CryptoRng + ?Sized>(
        &mut self,
        key_id: KeyId,
        rng: &mut R,
    ) -> Result<KeyVersion, KeyringError> {
        if self.entries.contains_key(&key_id) {
            return Err(KeyringError::KeyIdExists { key_id });
        }
        let v = KeyVersion::FIRST;
        let versions = BTreeMap::from([(v, AesGcmKey::generate_with_rng(rng))]);
        self.entries.insert(
            key_id,
            Entry {
                current: v,
                highest: v,
                versions,
            },
        );
        Ok(v)
    }

    /// Adds a key received from elsewhere (a share or a backup). A version above the
    /// current one becomes current; an older one is kept for reading history. Adding the
    /// same key again is a no-op.
    ///
    /// # Errors
    /// [`KeyringError::VersionConflict`] when a different key holds that version.
    pub fn insert(
        &mut self,
        key_id: KeyId,
        key_version: KeyVersion,
        key: AesGcmKey,
    ) -> Result<(), KeyringError> {
        match self.entries.get_mut(&key_id) {
            None => {
                let versions = BTreeMap::from([(key_version, key)]);
                let entry = Entry {
                    current: key_version,
                    highest: key_version,
                    versions,
                };
                self.entries.insert(key_id, entry);
            }
            Some(entry) => {
                if let Some(existing) = entry.versions.get(&key_version) {
                    if *existing == key {
                        return Ok(());
                    }
                    return Err(KeyringError::VersionConflict {
                        key_id,
                        key_version,
                    });
                }
                entry.versions.insert(key_version, key);
                entry.current = entry.current.max(key_version);
                entry.highest = entry.highest.max(key_version);
            }
        }
        Ok(())
    }

    /// Creates the next version of `key_id` from fresh randomness (never derived from the
    /// old one) and makes it current. Old versions stay until retired.
    ///
    /// # Errors
    /// [`KeyringError::UnknownKeyId`] or [`KeyringError::VersionsExhausted`].
    #[cfg(os_rng)]
    pub fn rotate(&mut self, key_id: &KeyId) -> Result<KeyVersion, KeyringError> {
        crate::rng::with_system_rng(|rng| self.rotate_with_rng(key_id, rng))
    }

    /// [`Keyring::rotate`] with the caller's generator.
    ///
    /// # Errors
    /// As [`Keyring::rotate`].
    pub fn rotate_with_rng<R: CryptoRng + ?Sized>(
        &mut self,
        key_id: &KeyId,
        rng: &mut R,
    ) -> Result<KeyVersion, KeyringError> {
        let entry = self.entry_mut(key_id)?;
        let next = entry
            .highest
            .next()
            .ok_or_else(|| KeyringError::VersionsExhausted {
                key_id: key_id.clone(),
            })?;
        entry
            .versions
            .insert(next, AesGcmKey::generate_with_rng(rng));
        entry.current = next;
        entry.highest = next;
        Ok(next)
    }

    /// Forgets one old version: envelopes sealed under it no longer open here.
    ///
    /// # Errors
    /// [`KeyringError::UnknownKeyId`], [`KeyringError::UnknownVersion`] or
    /// [`KeyringError::RetireCurrent`].
    pub fn retire(&mut self, key_id: &KeyId, key_version: KeyVersion) -> Result<(), KeyringError> {
        let entry = self.entry_mut(key_id)?;
        if entry.current == key_version {
            return Err(KeyringError::RetireCurrent {
                key_id: key_id.clone(),
                key_version,
            });
        }
        entry
            .versions
            .remove(&key_version)
            .map(drop)
            .ok_or_else(|| KeyringError::UnknownVersion {
                key_id: key_id.clone(),
                key_version,
            })
    }

    /// Forgets every version of `key_id` older than `keep_from` (a retention policy);
    /// returns how many were retired. The current version is always kept.
    ///
    /// # Errors
    /// [`KeyringError::UnknownKeyId`].
    pub fn retire_older_than(
        &mut self,
        key_id: &KeyId,
        keep_from: KeyVersion,
    ) -> Result<usize, KeyringError> {
        let entry = self.entry_mut(key_id)?;
        let keep_from = keep_from.min(entry.current);
        let before = entry.versions.len();
        entry.versions.retain(|v, _| *v >= keep_from);
        Ok(before.saturating_sub(entry.versions.len()))
    }

    /// Removes a key id and all its versions.
    ///
    /// # Errors
    /// [`KeyringError::UnknownKeyId`].
    pub fn remove(&mut self, key_id: &KeyId) -> Result<(), KeyringError> {
        self.entries
            .remove(key_id)
            .map(drop)
            .ok_or_else(|| KeyringError::UnknownKeyId {
                key_id: key_id.clone(),
            })
    }

    /// The current version of `key_id` and its key.
    #[must_use]
    pub fn current(&self, key_id: &KeyId) -> Option<(KeyVersion, &AesGcmKey)> {
        let entry = self.entries.get(key_id)?;
        entry
            .versions
            .get(&entry.current)
            .map(|k| (entry.current, k))
    }

    /// One version of `key_id`.
    #[must_use]
    pub fn key(&self, key_id: &KeyId, key_version: KeyVersion) -> Option<&AesGcmKey> {
        self.entries.get(key_id)?.versions.get(&key_version)
    }

    /// The key ids held, in order.
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.entries.keys()
    }

    /// The versions held for `key_id`, oldest first.
    pub fn versions(&self, key_id: &KeyId) -> impl Iterator<Item = KeyVersion> + '_ {
        self.entries
            .get(key_id)
            .into_iter()
            .flat_map(|e| e.versions.keys().copied())
    }

    fn entry_mut(&mut self, key_id: &KeyId) -> Result<&mut Entry, KeyringError> {
        self.entries
            .get_mut(key_id)
            .ok_or_else(|| KeyringError::UnknownKeyId {
                key_id: key_id.clone(),
            })
    }

    /// Seals with the current version of `key_id`, labelled with that id and version.
    ///
    /// # Errors
    /// [`SealError::UnknownKey`], or the payload errors of [`crate::seal_json`].
    #[cfg(os_rng)]
    pub fn seal_json<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        key_id: &KeyId,
        context: &Context,
        options: &SealOptions,
    ) -> Result<Envelope, SealError> {
        crate::rng::with_system_rng(|rng| {
            self.seal_json_with_rng(payload, key_id, context, options, rng)
        })
    }

    /// [`Keyring::seal_json`] with the caller's generator.
    ///
    /// # Errors
    /// As [`Keyring::seal_json`].
    pub fn seal_json_with_rng<T: Serialize + ?Sized, R: CryptoRng + ?Sized>(
        &self,
        payload: &T,
        key_id: &KeyId,
        context: &Context,
        options: &SealOptions,
        rng: &mut R,
    ) -> Result<Envelope, SealError> {
        let (version, key) = self.current(key_id).ok_or_else(|| SealError::UnknownKey {
            key_id: key_id.clone(),
        })?;
        let label = KeyLabel::new(key_id.clone(), version);
        seal_ref(
            payload,
            key,
            context.into(),
            Cow::Owned(label),
            options,
            rng,
        )
    }

    /// Opens with the key id and version the envelope names.
    ///
    /// # Errors
    /// [`OpenError::UnknownKey`] when that version is not held (never had, or retired),
    /// otherwise as [`crate::open_json`].
    pub fn open_json<T: DeserializeOwned>(
        &self,
        envelope: &Envelope,
        context: &Context,
    ) -> Result<T, OpenError> {
        let key = self.key_for(envelope)?;
        open_framed(envelope, key, context.into())?.payload()
    }

    pub(crate) fn key_for(&self, envelope: &Envelope) -> Result<&AesGcmKey, OpenError> {
        let label = envelope.key_label();
        label
            .key_id
            .as_ref()
            .and_then(|id| self.key(id, label.key_version))
            .ok_or_else(|| OpenError::UnknownKey {
                key_id: label.key_id.clone(),
                key_version: label.key_version,
            })
    }
}

impl core::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut m = f.debug_map();
        for (id, e) in &self.entries {
            m.entry(
                id,
                &format_args!("current {} of {:?}", e.current, e.versions.keys()),
            );
        }
        m.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> KeyId {
        s.parse().unwrap()
    }

    #[test]
    fn rotation_never_reuses_a_retired_number() {
        let mut ring = Keyring::new();
        ring.generate(id("a")).unwrap();
        let v2 = ring.rotate(&id("a")).unwrap();
        ring.retire(&id("a"), KeyVersion::FIRST).unwrap();
        assert_eq!(
            ring.retire(&id("a"), v2),
            Err(KeyringError::RetireCurrent {
                key_id: id("a"),
                key_version: v2
            })
        );
        let v3 = ring.rotate(&id("a")).unwrap();
        assert_eq!(v3.get(), 3);
        assert_eq!(
            ring.versions(&id("a"))
                .map(KeyVersion::get)
                .collect::<Vec<_>>(),
            [2, 3]
        );
        assert_eq!(
            ring.retire_older_than(&id("a"), KeyVersion::new(9).unwrap())
                .unwrap(),
            1
        );
        assert_eq!(ring.current(&id("a")).map(|(v, _)| v), Some(v3));
    }

    #[test]
    fn errors_name_what_is_missing() {
        let mut ring = Keyring::new();
        assert_eq!(ring.rotate(&id("x")).unwrap_err().code(), "unknown_key");
        ring.generate(id("x")).unwrap();
        assert_eq!(ring.generate(id("x")).unwrap_err().code(), "key_id_exists");
        assert!(matches!(
            ring.retire(&id("x"), KeyVersion::new(5).unwrap()),
            Err(KeyringError::UnknownVersion { .. })
        ));
        assert!(ring.remove(&id("x")).is_ok());
        assert!(ring.remove(&id("x")).is_err());
    }

    #[test]
    fn insert_keeps_history_and_refuses_conflicts() {
        let mut ring = Keyring::new();
        let v3 = KeyVersion::new(3).unwrap();
        ring.insert(id("r"), v3, AesGcmKey::from_bytes([3; 32]))
            .unwrap();
        ring.insert(id("r"), KeyVersion::FIRST, AesGcmKey::from_bytes([1; 32]))
            .unwrap();
        assert_eq!(
            ring.current(&id("r")).map(|(v, _)| v),
            Some(v3),
            "older share does not become current"
        );
        ring.insert(id("r"), v3, AesGcmKey::from_bytes([3; 32]))
            .unwrap();
        assert_eq!(
            ring.insert(id("r"), v3, AesGcmKey::from_bytes([4; 32])),
            Err(KeyringError::VersionConflict {
                key_id: id("r"),
                key_version: v3
            })
        );
    }
}
