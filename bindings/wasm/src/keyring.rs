//! The keyring (versions per key id, rotation, retirement, export) and the replay guard.

use domvia_e2ee::{
    Envelope, KeyLabel, Keyring, KeyringExport, OpenError, ReplayGuard, SealError, SealOptions,
};
use serde_json::value::RawValue;
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

use crate::args;
use crate::envelope::{self, WasmKey};
use crate::errors::Failure;

/// Keys by id and version; see `domvia_e2ee::Keyring`.
#[wasm_bindgen]
#[derive(Default)]
pub struct WasmKeyring(pub(crate) Keyring);

#[wasm_bindgen]
impl WasmKeyring {
    /// An empty keyring.
    #[wasm_bindgen(constructor)]
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates version 1 of a new key id; returns 1.
    ///
    /// # Errors
    /// `invalid_identifier`, `key_id_exists`.
    pub fn generate(&mut self, kid: &str) -> Result<u32, Failure> {
        Ok(self.0.generate(args::key_id(kid)?)?.get())
    }

    /// Creates the next version of a key id from fresh randomness; returns it.
    ///
    /// # Errors
    /// `invalid_identifier`, `unknown_key`, `versions_exhausted`.
    pub fn rotate(&mut self, kid: &str) -> Result<u32, Failure> {
        Ok(self.0.rotate(&args::key_id(kid)?)?.get())
    }

    /// Adds a key received from elsewhere under an id and version.
    ///
    /// # Errors
    /// `invalid_identifier`, `invalid_key_version`, `version_conflict`.
    pub fn insert(&mut self, kid: &str, kver: f64, key: &WasmKey) -> Result<(), Failure> {
        let version = args::key_version(kver)?;
        Ok(self.0.insert(args::key_id(kid)?, version, key.0.clone())?)
    }

    /// Forgets one old version.
    ///
    /// # Errors
    /// `invalid_identifier`, `invalid_key_version`, `unknown_key`, `retire_current`.
    pub fn retire(&mut self, kid: &str, kver: f64) -> Result<(), Failure> {
        let version = args::key_version(kver)?;
        Ok(self.0.retire(&args::key_id(kid)?, version)?)
    }

    /// Forgets every version older than `kver` but the current one; returns how many.
    ///
    /// # Errors
    /// `invalid_identifier`, `invalid_key_version`, `unknown_key`.
    #[wasm_bindgen(js_name = retireOlderThan)]
    pub fn retire_older_than(&mut self, kid: &str, kver: f64) -> Result<u32, Failure> {
        let version = args::key_version(kver)?;
        let retired = self.0.retire_older_than(&args::key_id(kid)?, version)?;
        Ok(u32::try_from(retired).unwrap_or(u32::MAX))
    }

    /// Removes a key id and all its versions.
    ///
    /// # Errors
    /// `invalid_identifier`, `unknown_key`.
    pub fn remove(&mut self, kid: &str) -> Result<(), Failure> {
        Ok(self.0.remove(&args::key_id(kid)?)?)
    }

    /// The current version of a key id, if held.
    ///
    /// # Errors
    /// `invalid_identifier`.
    pub fn current(&self, kid: &str) -> Result<Option<u32>, Failure> {
        Ok(self.0.current(&args::key_id(kid)?).map(|(v, _)| v.get()))
    }

    /// A copy of one version's key (with fresh sessions), if held.
    ///
    /// # Errors
    /// `invalid_identifier`, `invalid_key_version`.
    pub fn key(&self, kid: &str, kver: f64) -> Result<Option<WasmKey>, Failure> {
        let version = args::key_version(kver)?;
        let key = self.0.key(&args::key_id(kid)?, version);
        Ok(key.map(|k| WasmKey(k.clone())))
    }

    /// The key ids held, in order.
    #[wasm_bindgen(js_name = keyIds)]
    #[must_use]
    pub fn key_ids(&self) -> Vec<String> {
        self.0.key_ids().map(|k| k.as_str().to_owned()).collect()
    }

    /// The versions held for a key id, oldest first.
    ///
    /// # Errors
    /// `invalid_identifier`.
    pub fn versions(&self, kid: &str) -> Result<Vec<u32>, Failure> {
        let kid = args::key_id(kid)?;
        Ok(self.0.versions(&kid).map(|v| v.get()).collect())
    }

    /// The export's JSON text (`domvia-keyring` version 1; keys in the clear).
    #[wasm_bindgen(js_name = exportJson)]
    #[must_use]
    pub fn export_json(&self) -> JsValue {
        JsValue::from_str(&self.0.export().to_json())
    }

    /// A keyring from an export's JSON text, checked whole.
    ///
    /// # Errors
    /// `invalid_export`.
    #[wasm_bindgen(js_name = importJson)]
    pub fn import_json(text: &str) -> Result<WasmKeyring, Failure> {
        Ok(Self(Keyring::import(&KeyringExport::from_json(text)?)?))
    }

    /// Seals with version `kver` of `kid`, or with its current version when `kver` is
    /// absent. Returns the envelope's JSON text.
    ///
    /// # Errors
    /// As `seal`, and `unknown_key`.
    #[expect(
        clippy::too_many_arguments,
        reason = "primitives only, so that a call crosses the boundary once"
    )]
    pub fn seal(
        &self,
        kind: &str,
        first: &str,
        second: &str,
        third: &str,
        kid: &str,
        kver: Option<f64>,
        padding: &str,
        payload_json: &[u8],
    ) -> Result<String, Failure> {
        let context = args::context(kind, first, second, third)?;
        let key_id = args::key_id(kid)?;
        let options = SealOptions::with_padding(args::padding(padding)?);
        let chosen = match kver {
            None => self.0.current(&key_id),
            Some(v) => {
                let version = args::key_version(v)?;
                self.0.key(&key_id, version).map(|k| (version, k))
            }
        };
        let Some((version, key)) = chosen else {
            return Err(SealError::UnknownKey { key_id }.into());
        };
        let label = KeyLabel::new(key_id, version);
        let envelope = domvia_e2ee::seal_bytes(payload_json, key, &context, &label, &options)?;
        Ok(envelope.to_json())
    }

    /// Opens with the key id and version the envelope names; returns the payload's JSON
    /// text.
    ///
    /// # Errors
    /// As `open`, and `unknown_key`.
    pub fn open(
        &self,
        kind: &str,
        first: &str,
        second: &str,
        third: &str,
        envelope_json: &[u8],
    ) -> Result<JsValue, Failure> {
        let context = args::context(kind, first, second, third)?;
        let envelope = Envelope::from_slice(envelope_json)?;
        let opened = self.0.open_json::<Box<RawValue>>(&envelope, &context)?;
        raw_payload(opened)
    }

    /// `openParts` with the key the envelope names.
    ///
    /// # Errors
    /// As `openParts`, and `unknown_key`.
    #[wasm_bindgen(js_name = openParts)]
    pub fn open_parts(
        &self,
        kind: &str,
        first: &str,
        second: &str,
        third: &str,
        envelope_json: &[u8],
        ct_len: Option<f64>,
    ) -> Result<js_sys::Array, Failure> {
        let context = args::context(kind, first, second, third)?;
        let envelope = envelope::parse(envelope_json, ct_len)?;
        if envelope.kind() != context.kind() {
            return Err(OpenError::KindMismatch {
                expected: context.kind(),
                found: envelope.kind(),
            }
            .into());
        }
        let label = envelope.key_label();
        let key = label
            .key_id
            .as_ref()
            .and_then(|id| self.0.key(id, label.key_version))
            .ok_or_else(|| OpenError::UnknownKey {
                key_id: label.key_id.clone(),
                key_version: label.key_version,
            })?;
        envelope::parts(key, &envelope, &context, ct_len.is_none())
    }
}

/// Refuses envelopes already accepted; see `domvia_e2ee::ReplayGuard`. Opens in
/// WebAssembly at every size: the guard records an envelope only after the core has
/// authenticated it.
#[wasm_bindgen]
pub struct WasmReplayGuard(ReplayGuard);

#[wasm_bindgen]
impl WasmReplayGuard {
    /// A guard remembering the last `capacity` accepted envelopes (default 65 536).
    ///
    /// # Errors
    /// `invalid_argument` unless `capacity` is an integer from 1 to 2^32−1.
    #[wasm_bindgen(constructor)]
    pub fn new(capacity: Option<f64>) -> Result<WasmReplayGuard, Failure> {
        let Some(capacity) = capacity else {
            return Ok(Self(ReplayGuard::default()));
        };
        if capacity.fract() != 0.0 || !(1.0..=4_294_967_295.0).contains(&capacity) {
            return Err(Failure::invalid_argument(format!(
                "replay guard capacity {capacity} is not an integer from 1 to 4294967295"
            )));
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked above: an integer from 1 to 2^32-1"
        )]
        let capacity = capacity as u32 as usize;
        Ok(Self(ReplayGuard::new(capacity)))
    }

    /// How many envelopes the guard remembers now.
    #[must_use]
    pub fn size(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// `open`, refusing an envelope already accepted for this context.
    ///
    /// # Errors
    /// As `open`, and `replayed`.
    pub fn open(
        &mut self,
        key: &WasmKey,
        kind: &str,
        first: &str,
        second: &str,
        third: &str,
        envelope_json: &[u8],
    ) -> Result<JsValue, Failure> {
        let context = args::context(kind, first, second, third)?;
        let envelope = Envelope::from_slice(envelope_json)?;
        raw_payload(self.0.open_json(&envelope, &key.0, &context)?)
    }

    /// `WasmKeyring.open`, refusing an envelope already accepted for this context.
    ///
    /// # Errors
    /// As `WasmKeyring.open`, and `replayed`.
    #[wasm_bindgen(js_name = openWithKeyring)]
    pub fn open_with_keyring(
        &mut self,
        ring: &WasmKeyring,
        kind: &str,
        first: &str,
        second: &str,
        third: &str,
        envelope_json: &[u8],
    ) -> Result<JsValue, Failure> {
        let context = args::context(kind, first, second, third)?;
        let envelope = Envelope::from_slice(envelope_json)?;
        let opened = self
            .0
            .open_json_with_keyring(&envelope, &ring.0, &context)?;
        raw_payload(opened)
    }
}

/// Hands the payload's JSON text to JavaScript and wipes the wasm-side copy.
fn raw_payload(raw: Box<RawValue>) -> Result<JsValue, Failure> {
    let mut text: Box<str> = raw.into();
    let out = JsValue::from_str(&text);
    text.zeroize();
    Ok(out)
}
