//! Keys, sealing and opening with one key, and what the package's WebCrypto path needs.
//!
//! The WebCrypto path (large payloads, where the browser's hardware AES beats software
//! AES in WebAssembly) still takes every decision from the core: the context, label and
//! padding are parsed here, the AAD is the core's, and an envelope is parsed, its kind
//! checked and its commitment compared here before WebCrypto sees a byte of it.

use domvia_e2ee::{
    AesGcmKey, Context, Envelope, EnvelopeError, MAX_PADDING_MULTIPLE, MAX_PAYLOAD_LEN, Malformed,
    OpenError, SealError, SealOptions,
};
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

/// Seals `payload_json` (UTF-8 JSON text) for the context under `key`, labelled
/// `kid`/`kver`. Returns the envelope's JSON text. Text crosses as bytes: JavaScript's
/// `TextEncoder` is much faster than wasm-bindgen's string copy for large payloads.
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
    payload_json: &[u8],
) -> Result<String, Failure> {
    let context = args::context(kind, first, second, third)?;
    let label = args::label(kid.as_deref(), kver)?;
    let options = SealOptions::with_padding(args::padding(padding)?);
    let envelope = domvia_e2ee::seal_bytes(payload_json, &key.0, &context, &label, &options)?;
    Ok(envelope.to_json())
}

/// Opens an envelope (its UTF-8 JSON text) expected for the context, and returns the
/// payload's JSON text.
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
    envelope_json: &[u8],
) -> Result<JsValue, Failure> {
    let context = args::context(kind, first, second, third)?;
    let envelope = Envelope::from_slice(envelope_json)?;
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

/// What sealing on the platform-AES path needs from the core, every argument checked as
/// `seal` checks it: `[aad, paddedLength]`, the associated data (spec/envelope-v1.md
/// section 5.1) and the length of the framed plaintext once padded (section 6).
///
/// # Errors
/// `invalid_identifier`, `invalid_key_version`, `invalid_padding`, `payload_too_large`.
#[wasm_bindgen(js_name = sealParts)]
#[expect(
    clippy::too_many_arguments,
    reason = "primitives only, so that a call crosses the boundary once"
)]
pub fn seal_parts(
    kind: &str,
    first: &str,
    second: &str,
    third: &str,
    kid: Option<String>,
    kver: f64,
    padding: &str,
    payload_len: u32,
) -> Result<js_sys::Array, Failure> {
    let context = args::context(kind, first, second, third)?;
    let label = args::label(kid.as_deref(), kver)?;
    let padding = args::padding(padding)?;
    let len = usize::try_from(payload_len).unwrap_or(usize::MAX);
    let too_large = SealError::PayloadTooLarge {
        len,
        max: MAX_PAYLOAD_LEN,
    };
    let padded = match len.checked_add(4) {
        Some(framed) if len <= MAX_PAYLOAD_LEN => padding.padded_len(framed),
        _ => None,
    };
    let Some(padded) = padded else {
        return Err(too_large.into());
    };
    let aad = context.associated_data(&label);
    // Lengths here are at most 16 MiB + 65 540 bytes: exact in an f64.
    #[expect(clippy::cast_precision_loss, reason = "lengths far below 2^53")]
    let padded = padded as f64;
    Ok(js_sys::Array::of2(
        &js_sys::Uint8Array::from(aad.as_slice()),
        &padded.into(),
    ))
}

/// Steps 1 to 4 and 6 of opening (spec/envelope-v1.md section 8) for the WebCrypto path:
/// parses the envelope, checks its kind and compares the key's commitment in constant
/// time, and returns `[aad, nonce, sealed]`; WebCrypto then derives the session key from
/// the nonce's salt and decrypts.
///
/// With `ct_len`, `envelope_json` holds every member but `ct`, which JavaScript has
/// decoded itself (see [`parse`]), and the result is `[aad, nonce]`.
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
    envelope_json: &[u8],
    ct_len: Option<f64>,
) -> Result<js_sys::Array, Failure> {
    let context = args::context(kind, first, second, third)?;
    let envelope = parse(envelope_json, ct_len)?;
    parts(&key.0, &envelope, &context, ct_len.is_none())
}

/// Step 4's kind check, step 6's commitment check, and the parts WebCrypto needs.
pub(crate) fn parts(
    key: &AesGcmKey,
    envelope: &Envelope,
    context: &Context,
    with_sealed: bool,
) -> Result<js_sys::Array, Failure> {
    if envelope.kind() != context.kind() {
        return Err(OpenError::KindMismatch {
            expected: context.kind(),
            found: envelope.kind(),
        }
        .into());
    }
    if !bool::from(key.commitment().ct_eq(envelope.commitment())) {
        return Err(OpenError::Authentication.into());
    }
    let aad = context.associated_data(envelope.key_label());
    let parts = js_sys::Array::of2(
        &js_sys::Uint8Array::from(aad.as_slice()),
        &js_sys::Uint8Array::from(envelope.nonce().as_slice()),
    );
    if with_sealed {
        parts.push(&js_sys::Uint8Array::from(envelope.ciphertext()));
    }
    Ok(parts)
}

/// The largest `ct` in bytes: the largest framed plaintext and the tag
/// (spec/envelope-v1.md sections 6 and 8; the test below holds it to the core's limit).
const MAX_SEALED_LEN: usize = MAX_PAYLOAD_LEN + 4 + MAX_PADDING_MULTIPLE as usize + 16;

/// Parses an envelope's JSON text whole (`ct_len` absent), or its other members with
/// `ct` apart: JavaScript decodes a large `ct` natively and hands over only its length
/// in bytes, or a negative length when it is not canonical unpadded base64url. The
/// members are parsed by the core with a stand-in `ct`, then the length is checked as
/// the core checks it, so the errors and their order (section 8) are the core's.
///
/// # Errors
/// As `Envelope::from_slice`.
pub(crate) fn parse(json: &[u8], ct_len: Option<f64>) -> Result<Envelope, Failure> {
    let Some(ct_len) = ct_len else {
        return Ok(Envelope::from_slice(json)?);
    };
    let Some((&b'}', head)) = json.split_last() else {
        return Err(EnvelopeError::from(Malformed::NotJson).into());
    };
    let mut whole = Vec::with_capacity(json.len().saturating_add(32));
    whole.extend_from_slice(head);
    if head != b"{" {
        whole.push(b',');
    }
    // 16 zero bytes: the shortest valid `ct`.
    whole.extend_from_slice(br#""ct":"AAAAAAAAAAAAAAAAAAAAAA"}"#);
    let envelope = Envelope::from_slice(&whole)?;
    let member = "ct";
    if ct_len < 0.0 {
        return Err(EnvelopeError::from(Malformed::NotBase64 { member }).into());
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a byte count, saturated"
    )]
    let len = ct_len as usize;
    if !(16..=MAX_SEALED_LEN).contains(&len) {
        let expected = "16 to 16 842 772";
        return Err(EnvelopeError::from(Malformed::WrongLength {
            member,
            len,
            expected,
        })
        .into());
    }
    Ok(envelope)
}

#[cfg(test)]
mod tests {
    use domvia_e2ee::Envelope;

    use super::{MAX_SEALED_LEN, parse};

    const HEAD: &str = r#"{"v":1,"suite":"AES256GCM-HKDFSHA256","kind":"chat","kver":1,"nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","commit":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA""#;

    fn whole(ct: &str) -> String {
        format!(r#"{HEAD},"ct":"{ct}"}}"#)
    }

    #[test]
    fn a_detached_ct_parses_as_the_whole() {
        let whole = Envelope::from_json(&whole(&"A".repeat(22))).ok();
        let detached = parse(format!("{HEAD}}}").as_bytes(), Some(16.0)).ok();
        assert_eq!(detached, whole);
    }

    #[test]
    fn a_detached_ct_gets_the_core_checks_in_the_core_order() {
        let code = |json: &str, len: f64| parse(json.as_bytes(), Some(len)).err().map(|f| f.code);
        let head = format!("{HEAD}}}");
        assert_eq!(code(&head, 16.0), None);
        assert_eq!(code(&head, -1.0), Some("malformed"), "not base64url");
        assert_eq!(code(&head, 15.0), Some("malformed"), "shorter than the tag");
        assert_eq!(code("{}", 16.0), Some("malformed"), "members missing");
        assert_eq!(code("[1]", 16.0), Some("malformed"));
        assert_eq!(code(r#"{"v":2}"#, -1.0), Some("unsupported_version"));
        let suite = head.replace("AES256GCM", "X");
        assert_eq!(code(&suite, -1.0), Some("unsupported_suite"));
        assert_eq!(
            code(&head.replace(r#""kver":1"#, r#""kver":0"#), 16.0),
            Some("malformed")
        );
    }

    #[test]
    fn the_length_limit_is_the_core_limit() {
        #[expect(clippy::cast_precision_loss, reason = "far below 2^53")]
        let max = MAX_SEALED_LEN as f64;
        let head = format!("{HEAD}}}");
        assert!(parse(head.as_bytes(), Some(max)).is_ok());
        assert!(parse(head.as_bytes(), Some(max + 1.0)).is_err());
        // The core: the same limit on a whole envelope (lengths a multiple of 3 encode
        // to base64url without a partial group).
        let at = |len: usize| Envelope::from_json(&whole(&"A".repeat(len / 3 * 4))).is_ok();
        let top = MAX_SEALED_LEN / 3 * 3;
        assert!(at(top), "the core accepts {top} bytes");
        assert!(!at(top + 3), "the core refuses {} bytes", top + 3);
    }
}
