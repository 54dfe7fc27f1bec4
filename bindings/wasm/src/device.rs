//! Device identity (spec/key-lifecycle.md section 2): a device's secret keys, bundles,
//! fingerprints and safety numbers, the device directory and revocations.
//!
//! Bundles and revocations cross as their JSON text, parsed (and their signatures
//! checked) by the core.

use domvia_e2ee::{DeviceBundle, DeviceDirectory, DeviceSecret, DeviceStatus, Revocation};
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

use crate::args;
use crate::errors::Failure;

/// This device's secret keys and bundle; see `domvia_e2ee::DeviceSecret`.
#[wasm_bindgen]
pub struct WasmDevice(pub(crate) DeviceSecret);

#[wasm_bindgen]
impl WasmDevice {
    /// New keys for the device `device` of `user`.
    ///
    /// # Errors
    /// `invalid_identifier`.
    pub fn generate(user: &str, device: &str) -> Result<WasmDevice, Failure> {
        let id = args::device(user, device)?;
        Ok(Self(DeviceSecret::generate(id.user, id.device)))
    }

    /// The device from its secret file's JSON text (wiped here after parsing).
    ///
    /// # Errors
    /// `malformed` or `unsupported_version` (the message never quotes the file).
    #[wasm_bindgen(js_name = importJson)]
    pub fn import_json(mut text: String) -> Result<WasmDevice, Failure> {
        let parsed = DeviceSecret::from_json(&text);
        text.zeroize();
        Ok(Self(parsed?))
    }

    /// The secret file's JSON text; the wasm-side copy is wiped.
    #[wasm_bindgen(js_name = exportJson)]
    #[must_use]
    pub fn export_json(&self) -> JsValue {
        JsValue::from_str(&self.0.to_json())
    }

    /// The user id.
    #[must_use]
    pub fn user(&self) -> String {
        self.0.id().user.as_str().to_owned()
    }

    /// The device id.
    #[must_use]
    pub fn device(&self) -> String {
        self.0.id().device.as_str().to_owned()
    }

    /// The public bundle's JSON text.
    #[wasm_bindgen(js_name = bundleJson)]
    #[must_use]
    pub fn bundle_json(&self) -> String {
        self.0.bundle().to_json()
    }

    /// The fingerprint's 30 digits.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        self.0.bundle().fingerprint().digits()
    }
}

/// The fingerprint's 30 digits of a bundle, after checking its self-signature.
///
/// # Errors
/// `malformed`, `unsupported_version`, `bad_signature`.
#[wasm_bindgen(js_name = bundleFingerprint)]
pub fn bundle_fingerprint(bundle_json: &str) -> Result<String, Failure> {
    Ok(DeviceBundle::from_json(bundle_json)?.fingerprint().digits())
}

/// The 60-digit safety number of two bundles.
///
/// # Errors
/// As `bundleFingerprint`, for either bundle.
#[wasm_bindgen(js_name = safetyNumber)]
pub fn safety_number(a_json: &str, b_json: &str) -> Result<String, Failure> {
    let (a, b) = (
        DeviceBundle::from_json(a_json)?,
        DeviceBundle::from_json(b_json)?,
    );
    Ok(domvia_e2ee::safety_number(&a, &b).digits().to_owned())
}

/// `revoker` revokes the device of `revoked_json` (same user) at `now` (Unix seconds).
/// Returns the revocation's JSON text.
///
/// # Errors
/// As `bundleFingerprint`, `invalid_argument` for `now`, `other_user`.
#[wasm_bindgen(js_name = signRevocation)]
pub fn sign_revocation(
    revoker: &WasmDevice,
    revoked_json: &str,
    now: f64,
) -> Result<String, Failure> {
    let revoked = DeviceBundle::from_json(revoked_json)?;
    let at = args::whole(now, "the time")?;
    Ok(Revocation::sign(&revoker.0, &revoked, at)?.to_json())
}

/// The bundles this device knows; see `domvia_e2ee::DeviceDirectory`.
#[wasm_bindgen]
#[derive(Default)]
pub struct WasmDirectory(pub(crate) DeviceDirectory);

#[wasm_bindgen]
impl WasmDirectory {
    /// An empty directory.
    #[wasm_bindgen(constructor)]
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a bundle after verifying it.
    ///
    /// # Errors
    /// As `bundleFingerprint`, `device_conflict`, `revoked_device`.
    pub fn add(&mut self, bundle_json: &str) -> Result<(), Failure> {
        Ok(self.0.add(DeviceBundle::from_json(bundle_json)?)?)
    }

    /// Verifies and applies a revocation; returns the revoked device as `[user, device]`.
    ///
    /// # Errors
    /// `malformed`, `unsupported_version`, `unknown_device`, `revoked_device`,
    /// `bad_signature`.
    #[wasm_bindgen(js_name = applyRevocation)]
    pub fn apply_revocation(&mut self, revocation_json: &str) -> Result<Vec<String>, Failure> {
        let revoked = self
            .0
            .apply_revocation(&Revocation::from_json(revocation_json)?)?;
        Ok(vec![
            revoked.user.as_str().to_owned(),
            revoked.device.as_str().to_owned(),
        ])
    }

    /// `"active"`, `"revoked"`, or nothing for an unknown device.
    ///
    /// # Errors
    /// `invalid_identifier`.
    pub fn status(&self, user: &str, device: &str) -> Result<Option<String>, Failure> {
        let status = self.0.status(&args::device(user, device)?);
        Ok(status.map(|s| status_name(s).to_owned()))
    }

    /// The bundle's JSON text known for a device, whatever its status.
    ///
    /// # Errors
    /// `invalid_identifier`.
    pub fn get(&self, user: &str, device: &str) -> Result<Option<String>, Failure> {
        let id = args::device(user, device)?;
        Ok(self.0.get(&id).map(DeviceBundle::to_json))
    }

    /// Every known device as JSON text: `[{userId, deviceId, fingerprint, status}]`.
    #[wasm_bindgen(js_name = devicesJson)]
    #[must_use]
    pub fn devices_json(&self) -> String {
        let list: Vec<serde_json::Value> = self
            .0
            .iter()
            .map(|(bundle, status)| {
                serde_json::json!({
                    "userId": bundle.id().user.as_str(),
                    "deviceId": bundle.id().device.as_str(),
                    "fingerprint": bundle.fingerprint().digits(),
                    "status": status_name(status),
                })
            })
            .collect();
        serde_json::Value::Array(list).to_string()
    }
}

fn status_name(status: DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::Active => "active",
        DeviceStatus::Revoked { .. } => "revoked",
        // A status added later: refuse keys to it, as to a revoked device.
        _ => "revoked",
    }
}
