//! Signed envelopes (spec/key-lifecycle.md section 7) and key messages as gateway events
//! (section 9): the per-user key channel, and parsing event data by event name.

use domvia_e2ee::{
    DEVICE_EVENT, Envelope, KEY_REQUEST_EVENT, KEY_RESPONSE_EVENT, KEYSHARE_EVENT, KeyMessage,
    REVOCATION_EVENT, SignedEnvelope,
};
use wasm_bindgen::prelude::*;

use crate::args;
use crate::device::{WasmDevice, WasmDirectory};
use crate::errors::Failure;

/// Signs an envelope (JSON text), sealed for the context, as `device`; returns the signed
/// envelope's JSON text.
///
/// # Errors
/// `invalid_identifier`, `invalid_argument` (kind), the envelope's parse errors.
#[wasm_bindgen(js_name = signEnvelope)]
pub fn sign_envelope(
    device: &WasmDevice,
    kind: &str,
    first: &str,
    second: &str,
    third: &str,
    envelope_json: &str,
) -> Result<String, Failure> {
    let context = args::context(kind, first, second, third)?;
    let envelope = Envelope::from_json(envelope_json)?;
    Ok(SignedEnvelope::sign(&device.0, envelope, &context).to_json())
}

/// Verifies a signed envelope for the context; returns `{envelope, sender}` as JSON text.
///
/// # Errors
/// `invalid_identifier`, `invalid_argument` (kind), `malformed`, `unsupported_version`,
/// `unknown_device`, `revoked_device`, `bad_signature`.
#[wasm_bindgen(js_name = verifySignedEnvelope)]
pub fn verify_signed_envelope(
    signed_json: &str,
    directory: &WasmDirectory,
    kind: &str,
    first: &str,
    second: &str,
    third: &str,
) -> Result<String, Failure> {
    let context = args::context(kind, first, second, third)?;
    let signed = SignedEnvelope::from_json(signed_json)?;
    let verified = signed.verify(&directory.0, &context)?;
    Ok(serde_json::json!({
        "envelope": verified.envelope.to_value(),
        "sender": {
            "userId": verified.sender.user.as_str(),
            "deviceId": verified.sender.device.as_str(),
        },
    })
    .to_string())
}

/// The private channel only `user`'s devices may join.
///
/// # Errors
/// `invalid_identifier`.
#[wasm_bindgen(js_name = userKeyChannel)]
pub fn user_key_channel(user: &str) -> Result<String, Failure> {
    Ok(domvia_e2ee::user_key_channel(&user.parse()?))
}

/// Parses event data by event name: nothing for an event that is not a key message, else
/// `{type, message}` as JSON text (`message` as the core writes it back).
///
/// # Errors
/// The message type's parse errors (`malformed`, `unsupported_version`, `bad_signature`).
#[wasm_bindgen(js_name = parseKeyMessage)]
pub fn parse_key_message(event_name: &str, data: &str) -> Result<Option<String>, Failure> {
    let kind = match event_name {
        KEYSHARE_EVENT => "share",
        DEVICE_EVENT => "device",
        KEY_REQUEST_EVENT => "request",
        KEY_RESPONSE_EVENT => "response",
        REVOCATION_EVENT => "revocation",
        _ => return Ok(None),
    };
    let Some(message) = KeyMessage::parse(event_name, data)? else {
        return Ok(None);
    };
    Ok(Some(format!(
        r#"{{"type":"{kind}","message":{}}}"#,
        message.to_json()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_messages_are_told_by_event_name() {
        let phone = domvia_e2ee::DeviceSecret::generate(
            "alice".parse().unwrap_or_else(|_| unreachable!()),
            "phone".parse().unwrap_or_else(|_| unreachable!()),
        );
        let data = phone.bundle().to_json();
        let parsed = parse_key_message(DEVICE_EVENT, &data).map_err(|f| f.code);
        let text = parsed.ok().flatten().unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(value["type"], "device");
        assert_eq!(value["message"]["user"], "alice");
        assert_eq!(
            parse_key_message("client-chat", "{}").map_err(|f| f.code),
            Ok(None)
        );
        // A bundle under the share event: another format, which the core reports as such.
        assert_eq!(
            parse_key_message(KEYSHARE_EVENT, &data).map_err(|f| f.code),
            Err("unsupported_version")
        );
        assert_eq!(
            parse_key_message(DEVICE_EVENT, "{").map_err(|f| f.code),
            Err("malformed")
        );
    }
}
