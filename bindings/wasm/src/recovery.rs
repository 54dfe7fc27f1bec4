//! A new device recovers its user's keys from another of the user's devices
//! (spec/key-lifecycle.md section 6.1); see `domvia_e2ee::KeyRequest`.

use domvia_e2ee::{DeviceBundle, KeyRequest, KeyResponse, PendingRequest, VerifiedRequest};
use wasm_bindgen::prelude::*;

use crate::device::WasmDevice;
use crate::errors::Failure;
use crate::keyring::WasmKeyring;

/// A request made by this device, and what it keeps until the response arrives.
#[wasm_bindgen]
pub struct WasmPendingRequest {
    pending: PendingRequest,
    request: String,
}

#[wasm_bindgen]
impl WasmPendingRequest {
    /// A request from `device`, with a fresh request id.
    #[wasm_bindgen(constructor)]
    #[must_use]
    pub fn new(device: &WasmDevice) -> Self {
        let (request, pending) = KeyRequest::new(&device.0);
        Self {
            pending,
            request: request.to_json(),
        }
    }

    /// The pending state of a request `device` made earlier (its JSON text), for a device
    /// that did not keep the object (a reloaded page).
    ///
    /// # Errors
    /// `malformed`, `unsupported_version`, `bad_signature`, `unknown_request` (the request
    /// carries another device's bundle).
    pub fn resume(device: &WasmDevice, request_json: &str) -> Result<WasmPendingRequest, Failure> {
        let request = KeyRequest::from_json(request_json)?;
        Ok(Self {
            pending: request.pending_for(&device.0)?,
            request: request.to_json(),
        })
    }

    /// The request's JSON text, to send on the user's key channel.
    #[wasm_bindgen(js_name = requestJson)]
    #[must_use]
    pub fn request_json(&self) -> String {
        self.request.clone()
    }

    /// Verifies a response from `responder` (a bundle's JSON text) to `device` and adds
    /// its keys to `keyring`; returns how many versions were new.
    ///
    /// # Errors
    /// `malformed`, `unsupported_version`, `bad_signature`, `unknown_request`,
    /// `wrong_recipient`, `unknown_device`, `auth_failed`, `version_conflict`.
    pub fn accept(
        &self,
        response_json: &str,
        device: &WasmDevice,
        responder_json: &str,
        keyring: &mut WasmKeyring,
    ) -> Result<u32, Failure> {
        let response = KeyResponse::from_json(response_json)?;
        let responder = DeviceBundle::from_json(responder_json)?;
        let added = self
            .pending
            .accept(&response, &device.0, &responder, &mut keyring.0)?;
        Ok(u32::try_from(added).unwrap_or(u32::MAX))
    }
}

/// A request that verified on another device of the same user.
#[wasm_bindgen]
pub struct WasmVerifiedRequest(VerifiedRequest);

#[wasm_bindgen]
impl WasmVerifiedRequest {
    /// Checks a request (JSON text) for `device`.
    ///
    /// # Errors
    /// `malformed`, `unsupported_version`, `bad_signature`, `other_user`.
    pub fn verify(device: &WasmDevice, request_json: &str) -> Result<WasmVerifiedRequest, Failure> {
        Ok(Self(
            KeyRequest::from_json(request_json)?.verify_for(&device.0)?,
        ))
    }

    /// The requesting device's bundle (JSON text).
    #[wasm_bindgen(js_name = bundleJson)]
    #[must_use]
    pub fn bundle_json(&self) -> String {
        self.0.bundle().to_json()
    }

    /// The user approved: every key of `keyring` sealed to the requesting device, as the
    /// response's JSON text.
    ///
    /// # Errors
    /// `internal` (not expected).
    pub fn answer(&self, device: &WasmDevice, keyring: &WasmKeyring) -> Result<String, Failure> {
        let approved = self.0.clone().approve();
        Ok(KeyResponse::seal(&device.0, &approved, &keyring.0)?.to_json())
    }
}
