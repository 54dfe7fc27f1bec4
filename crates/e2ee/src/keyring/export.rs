//! The keyring as data: [`KeyringExport`], the serializable form kept apart from the live
//! [`Keyring`] (what a backup encrypts), and its checked import.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use super::{Entry, Keyring, KeyringError};
use crate::ident::{KeyId, KeyVersion};
use crate::key::{AesGcmKey, KeyImportError};

/// What is wrong with a keyring export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportProblem {
    /// Not JSON of the export's shape.
    #[error("not a keyring export")]
    NotAnExport,
    /// Another format or version.
    #[error("format {format:?} version {version} is not domvia-keyring version 1")]
    UnsupportedFormat {
        /// The format named.
        format: String,
        /// The version named.
        version: u64,
    },
    /// A key id appears twice, or a version twice under one id.
    #[error("key id {key_id} or one of its versions appears twice")]
    Duplicate {
        /// The key id.
        key_id: KeyId,
    },
    /// The current version is not among the versions, or `highest` is below one of them.
    #[error(
        "key id {key_id}: current must be one of the versions and highest at least every version"
    )]
    Inconsistent {
        /// The key id.
        key_id: KeyId,
    },
    /// A key does not decode.
    #[error("key id {key_id} version {key_version}: {source}")]
    Key {
        /// The key id.
        key_id: KeyId,
        /// The version.
        key_version: KeyVersion,
        /// Why.
        source: KeyImportError,
    },
}

impl Keyring {
    /// A serializable copy of every key, for backups. The export holds the keys in the
    /// clear: encrypt it before it leaves the device.
    #[must_use]
    pub fn export(&self) -> KeyringExport {
        let keys = self
            .entries
            .iter()
            .map(|(key_id, e)| ExportedKeyId {
                kid: key_id.clone(),
                current: e.current,
                highest: e.highest,
                versions: e
                    .versions
                    .iter()
                    .map(|(v, k)| ExportedVersion {
                        kver: *v,
                        key: k.export_raw(),
                    })
                    .collect(),
            })
            .collect();
        KeyringExport {
            format: EXPORT_FORMAT.to_owned(),
            v: 1,
            keys,
        }
    }

    /// Rebuilds a keyring from an export, checking it whole before accepting any of it.
    ///
    /// # Errors
    /// [`KeyringError::InvalidExport`].
    pub fn import(export: &KeyringExport) -> Result<Self, KeyringError> {
        let invalid = |problem| KeyringError::InvalidExport { problem };
        if export.format != EXPORT_FORMAT || export.v != 1 {
            return Err(invalid(ExportProblem::UnsupportedFormat {
                format: export.format.chars().take(64).collect(),
                version: export.v,
            }));
        }
        let mut entries = BTreeMap::new();
        for k in &export.keys {
            let mut versions = BTreeMap::new();
            for v in &k.versions {
                let key = AesGcmKey::import_raw(&v.key).map_err(|source| {
                    invalid(ExportProblem::Key {
                        key_id: k.kid.clone(),
                        key_version: v.kver,
                        source,
                    })
                })?;
                if versions.insert(v.kver, key).is_some() {
                    return Err(invalid(ExportProblem::Duplicate {
                        key_id: k.kid.clone(),
                    }));
                }
            }
            let consistent =
                versions.contains_key(&k.current) && versions.keys().all(|v| *v <= k.highest);
            if !consistent {
                return Err(invalid(ExportProblem::Inconsistent {
                    key_id: k.kid.clone(),
                }));
            }
            let entry = Entry {
                current: k.current,
                highest: k.highest,
                versions,
            };
            if entries.insert(k.kid.clone(), entry).is_some() {
                return Err(invalid(ExportProblem::Duplicate {
                    key_id: k.kid.clone(),
                }));
            }
        }
        Ok(Self { entries })
    }
}

/// One key version as a backup or key response carries it (spec/key-lifecycle.md
/// section 8.2).
pub(crate) struct KeyEntry {
    pub(crate) key_id: KeyId,
    pub(crate) key_version: KeyVersion,
    pub(crate) current: bool,
    pub(crate) highest: KeyVersion,
    pub(crate) key: AesGcmKey,
}

impl Keyring {
    /// Every key version, in key id and version order.
    pub(crate) fn entries(&self) -> Vec<KeyEntry> {
        self.entries
            .iter()
            .flat_map(|(key_id, e)| {
                e.versions.iter().map(move |(v, k)| KeyEntry {
                    key_id: key_id.clone(),
                    key_version: *v,
                    current: *v == e.current,
                    highest: e.highest,
                    key: k.clone(),
                })
            })
            .collect()
    }

    /// A keyring from entries, checked whole: one current version per key id, the same
    /// `highest` for all its versions and at least each of them, no version twice.
    pub(crate) fn from_entries(entries: Vec<KeyEntry>) -> Option<Self> {
        /// Per key id: the current version seen, `highest`, and the versions.
        type Slot = (
            Option<KeyVersion>,
            KeyVersion,
            BTreeMap<KeyVersion, AesGcmKey>,
        );
        let mut ring: BTreeMap<KeyId, Slot> = BTreeMap::new();
        for e in entries {
            let slot = ring
                .entry(e.key_id)
                .or_insert((None, e.highest, BTreeMap::new()));
            if slot.1 != e.highest || e.key_version > e.highest {
                return None;
            }
            if e.current {
                if slot.0.is_some() {
                    return None;
                }
                slot.0 = Some(e.key_version);
            }
            if slot.2.insert(e.key_version, e.key).is_some() {
                return None;
            }
        }
        let mut entries = BTreeMap::new();
        for (key_id, (current, highest, versions)) in ring {
            let entry = Entry {
                current: current?,
                highest,
                versions,
            };
            entries.insert(key_id, entry);
        }
        Some(Self { entries })
    }

    /// Adds every version of `other` (a key response), keeping what is already held.
    ///
    /// # Errors
    /// [`KeyringError::VersionConflict`] when a version is held with another key.
    pub(crate) fn merge(&mut self, other: Keyring) -> Result<usize, KeyringError> {
        let mut added = 0usize;
        for e in other.entries() {
            let before = self.key(&e.key_id, e.key_version).is_some();
            self.insert(e.key_id, e.key_version, e.key)?;
            if !before {
                added = added.saturating_add(1);
            }
        }
        Ok(added)
    }
}

const EXPORT_FORMAT: &str = "domvia-keyring";

/// A keyring as data, kept apart from the live [`Keyring`]: what a backup encrypts.
///
/// JSON form: `{"format":"domvia-keyring","v":1,"keys":[{"kid":…,"current":n,
/// "highest":n,"versions":[{"kver":n,"key":b64u}]}]}`. The key strings are wiped on drop
/// and never shown by `Debug`.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyringExport {
    format: String,
    v: u64,
    keys: Vec<ExportedKeyId>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportedKeyId {
    kid: KeyId,
    current: KeyVersion,
    highest: KeyVersion,
    versions: Vec<ExportedVersion>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportedVersion {
    kver: KeyVersion,
    key: Zeroizing<String>,
}

impl KeyringExport {
    /// The export as JSON text, wiped on drop.
    #[must_use]
    pub fn to_json(&self) -> Zeroizing<String> {
        Zeroizing::new(serde_json::to_string(self).unwrap_or_default())
    }

    /// Parses the JSON text of an export (its contents are checked by
    /// [`Keyring::import`]).
    ///
    /// # Errors
    /// [`KeyringError::InvalidExport`] with [`ExportProblem::NotAnExport`].
    pub fn from_json(text: &str) -> Result<Self, KeyringError> {
        serde_json::from_str(text).map_err(|_| KeyringError::InvalidExport {
            problem: ExportProblem::NotAnExport,
        })
    }

    /// How many keys (all versions of all ids) the export holds.
    #[must_use]
    pub fn key_count(&self) -> usize {
        self.keys.iter().map(|k| k.versions.len()).sum()
    }
}

impl core::fmt::Debug for KeyringExport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "KeyringExport({} keys, <redacted>)", self.key_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> KeyId {
        s.parse().unwrap()
    }

    #[test]
    fn export_round_trips_and_import_validates() {
        let mut ring = Keyring::new();
        ring.generate(id("a")).unwrap();
        ring.rotate(&id("a")).unwrap();
        ring.generate(id("b")).unwrap();
        let export = ring.export();
        assert_eq!(export.key_count(), 3);
        assert!(!format!("{export:?}").contains(&*ring.current(&id("a")).unwrap().1.export_raw()));
        let json = export.to_json();
        let back = Keyring::import(&KeyringExport::from_json(&json).unwrap()).unwrap();
        assert_eq!(back.export().to_json(), json);

        let bad_current = json.replacen(r#""current":2"#, r#""current":7"#, 1);
        let e = Keyring::import(&KeyringExport::from_json(&bad_current).unwrap()).unwrap_err();
        assert!(matches!(
            e,
            KeyringError::InvalidExport {
                problem: ExportProblem::Inconsistent { .. }
            }
        ));
        let other = json.replacen("domvia-keyring", "other", 1);
        let e = Keyring::import(&KeyringExport::from_json(&other).unwrap()).unwrap_err();
        assert!(matches!(
            e,
            KeyringError::InvalidExport {
                problem: ExportProblem::UnsupportedFormat { .. }
            }
        ));
        assert!(KeyringExport::from_json("{}").is_err());
    }
}
