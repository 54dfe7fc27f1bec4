//! Keys, sealing and opening with one key, and what the package's WebCrypto path needs.
//!
//! The WebCrypto path (large payloads, where the browser's hardware AES beats software
//! AES in WebAssembly) still takes every decision from the core: the context, label and
//! padding are parsed here, the AAD is the core's, and an envelope is parsed, its kind
//! checked and its commitment compared here before WebCrypto sees a byte of it.

use domvia_e2ee::{AesGcmKey, Envelope, OpenError, SealOptions};
use serde_json::value::RawValue;
use subtle::ConstantTimeEq;
use wasm_bindgen::prelude::*;

use crate::args;
use crate::errors::Failure;

/// A 256-bit AES-GCM key, with its derived state (commitment, sender session, cache of
/// other senders' sessions). Wiped when freed.
#[wasm_bindgen]
pub struct WasmKey(pub(crate) AesGcmKey);

#[wasm_bindgen]
impl WasmKey {
    /// A fresh key from the CSPRNG (seeded by `crypto.getRandomValues`).
    #[must_use]
    pub fn generate() -> Self {
        Self(AesGcmKey::generate())
    }

    /// The key from 43 characters of unpadded base64url.
    ///
    /// # Errors
    /// `invalid_key`.
    #[wasm_bindgen(js_name = importRaw)]
    pub fn import_raw(encoded: &str) -> Result<Self, Failure> {
        Ok(Self(AesGcmKey::import_raw(encoded)?))
    }

    /// The key from a JWK's JSON text.
    ///
    /// # Errors
    /// `invalid_jwk` or `invalid_key`.
    #[wasm_bindgen(js_name = importJwk)]
    pub fn import_jwk(jwk: &str) -> Result<Self, Failure> {
        Ok(Self(AesGcmKey::import_jwk(jwk)?))
    }

    /// The raw form. The wasm-side copy is wiped; the JavaScript string is the caller's.
    #[wasm_bindgen(js_name = exportRaw)]
    #[must_use]
    pub fn export_raw(&self) -> JsValue {
        JsValue::from_str(&self.0.export_raw())
    }

    /// The JWK's JSON text, as WebCrypto's `importKey("jwk", …)` accepts it once parsed.
    #[wasm_bindgen(js_name = exportJwk)]
    #[must_use]
    pub fn export_jwk(&self) -> JsValue {
        JsValue::from_str(&self.0.export_jwk())
    }

    /// The key's public commitment (32 bytes).
    #[must_use]
    pub fn commitment(&self) -> Vec<u8> {
        self.0.commitment().to_vec()
    }

    /// Whether both hold the same key material (compared in constant time).
    #[must_use]
    pub fn equals(&self, other: &WasmKey) -> bool {
        self.0 == other.0
    }
}

/// Seals `payload_json` (JSON text) for the context under `key`, labelled `kid`/`kver`.
/// Returns the envelope's JSON text.
///
/// # Errors
/// `invalid_identifier`, `invalid_key_version`, `invalid_padding`, `payload_too_large`.
#[wasm_bindgen]
#[expect(
    clippy::too_many_arguments,
    reason = "primitives only, so that a call crosses the boundary once"
)]
pub fn seal(
    key: &WasmKey,
    kind: &str,
    first: &str,
    second: &str,
    third: &str,
    kid: Option<String>,
    kver: f64,
    padding: &str,
    payload_json: &str,
) -> Result<String, Failure> {
    let context = args::context(kind, first, second, third)?;
    let label = args::label(kid.as_deref(), kver)?;
    let options = SealOptions::with_padding(args::padding(padding)?);
    let envelope =
        domvia_e2ee::seal_bytes(payload_json.as_bytes(), &key.0, &context, &label, &options)?;
    Ok(envelope.to_json())
}

/// Opens an envelope (its JSON text) expected for the context, and returns the payload's
/// JSON text.
///
/// # Errors
/// Every opening error of spec/errors.md but `unknown_key` and `replayed`.
#[wasm_bindgen]
pub fn open(
    key: &WasmKey,
    kind: &str,
    first: &str,
    second: &str,
    third: &str,
    envelope_json: &str,
) -> Result<JsValue, Failure> {
    let context = args::context(kind, first, second, third)?;
    let envelope = Envelope::from_json(envelope_json)?;
    let payload = domvia_e2ee::open_bytes(&envelope, &key.0, &context)?;
    payload_text(&payload)
}

/// The payload's JSON text, checked as JSON here so that `JSON.parse` cannot fail and
/// the error is the core's `invalid_payload`. The wasm-side bytes are wiped by the caller.
pub(crate) fn payload_text(payload: &[u8]) -> Result<JsValue, Failure> {
    let text = serde_json::from_slice::<&RawValue>(payload).map_err(|e| {
        Failure::from(OpenError::InvalidPayload {
            line: e.line(),
            column: e.column(),
        })
    })?;
    Ok(JsValue::from_str(text.get()))
}

/// The associated data (spec/envelope-v1.md section 5.1) for a context and key label:
/// for sealing on the WebCrypto path.
///
/// # Errors
/// `invalid_identifier` or `invalid_key_version`.
#[wasm_bindgen(js_name = associatedData)]
pub fn associated_data(
    kind: &str,
    first: &str,
    second: &str,
    third: &str,
    kid: Option<String>,
    kver: f64,
) -> Result<Vec<u8>, Failure> {
    let context = args::context(kind, first, second, third)?;
    Ok(context.associated_data(&args::label(kid.as_deref(), kver)?))
}

/// The padded length of a framed plaintext of `framed_len` bytes under a padding policy.
///
/// # Errors
/// `invalid_padding`.
#[wasm_bindgen(js_name = paddedLength)]
pub fn padded_length(padding: &str, framed_len: u32) -> Result<f64, Failure> {
    let padding = args::padding(padding)?;
    let len = usize::try_from(framed_len).unwrap_or(usize::MAX);
    // Lengths here are at most 16 MiB + 65 540 bytes: exact in an f64.
    #[expect(clippy::cast_precision_loss, reason = "lengths far below 2^53")]
    Ok(padding.padded_len(len).map_or(f64::INFINITY, |n| n as f64))
}

/// Steps 1 to 4 and 6 of opening (spec/envelope-v1.md section 8) for the WebCrypto path:
/// parses the envelope, checks its kind and compares the key's commitment in constant
/// time, and returns `[aad, nonce, sealed]`; WebCrypto then derives the session key from
/// the nonce's salt and decrypts.
///
/// # Errors
/// `malformed`, `unsupported_version`, `unsupported_suite`, `kind_mismatch`, `auth_failed`.
#[wasm_bindgen(js_name = openParts)]
pub fn open_parts(
    key: &WasmKey,
    kind: &str,
    first: &str,
    second: &str,
    third: &str,
    envelope_json: &str,
) -> Result<js_sys::Array, Failure> {
    let context = args::context(kind, first, second, third)?;
    let envelope = Envelope::from_json(envelope_json)?;
    if envelope.kind() != context.kind() {
        return Err(OpenError::KindMismatch {
            expected: context.kind(),
            found: envelope.kind(),
        }
        .into());
    }
    if !bool::from(key.0.commitment().ct_eq(envelope.commitment())) {
        return Err(OpenError::Authentication.into());
    }
    let aad = context.associated_data(envelope.key_label());
    Ok(js_sys::Array::of3(
        &js_sys::Uint8Array::from(aad.as_slice()),
        &js_sys::Uint8Array::from(envelope.nonce().as_slice()),
        &js_sys::Uint8Array::from(envelope.ciphertext()),
    ))
}
