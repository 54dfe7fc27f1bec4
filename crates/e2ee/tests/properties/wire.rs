//! The wire form: editing an envelope's members, and the check that whatever parses
//! reads back equal.

use base64ct::{Base64UrlUnpadded, Encoding};
use domvia_e2ee::Envelope;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// The envelope's wire form as a JSON object, edited by `edit`, parsed back.
pub(crate) fn edit_wire(
    envelope: &Envelope,
    edit: impl FnOnce(&mut Map<String, Value>) -> Result<(), TestCaseError>,
) -> Result<Envelope, TestCaseError> {
    let mut wire: Map<String, Value> = serde_json::from_str(&envelope.to_json())?;
    edit(&mut wire)?;
    Ok(Envelope::from_json(&Value::Object(wire).to_string())?)
}

/// XORs `mask` into the byte at `at(len)` of a base64url member.
pub(crate) fn xor_member(
    envelope: &Envelope,
    member: &str,
    at: impl FnOnce(usize) -> usize,
    mask: u8,
) -> Result<Envelope, TestCaseError> {
    edit_wire(envelope, |wire| {
        let text = wire.get(member).and_then(Value::as_str);
        let text = text.ok_or_else(|| TestCaseError::fail(format!("no {member}")))?;
        let mut bytes =
            Base64UrlUnpadded::decode_vec(text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let i = at(bytes.len());
        let byte = bytes
            .get_mut(i)
            .ok_or_else(|| TestCaseError::fail("no such byte"))?;
        *byte ^= mask;
        wire.insert(
            member.to_owned(),
            Base64UrlUnpadded::encode_string(&bytes).into(),
        );
        Ok(())
    })
}

/// After a successful parse: every wire form reads back to the same envelope, and the
/// JSON text is a fixed point.
pub(crate) fn assert_reparses(envelope: &Envelope) -> Result<(), TestCaseError> {
    let text = envelope.to_json();
    prop_assert_eq!(&Envelope::from_json(&text)?, envelope);
    prop_assert_eq!(&Envelope::from_slice(text.as_bytes())?, envelope);
    prop_assert_eq!(&Envelope::from_value(&envelope.to_value())?, envelope);
    prop_assert_eq!(&serde_json::from_str::<Envelope>(&text)?, envelope);
    prop_assert_eq!(Envelope::from_json(&text)?.to_json(), text);
    Ok(())
}
