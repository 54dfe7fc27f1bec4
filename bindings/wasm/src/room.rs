//! A room's key over time (spec/key-lifecycle.md sections 4 and 5): members, rotation,
//! and the shares that carry each version; see `domvia_e2ee::RoomKeys`.
//!
//! Shares cross as JSON text; lists and results as JSON text the package parses.

use domvia_e2ee::{KeyShare, RoomKeys, RotationPolicy, RotationReason, SealOptions, ShareInbox};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

use crate::args;
use crate::device::{WasmDevice, WasmDirectory};
use crate::errors::Failure;
use crate::keyring::WasmKeyring;

/// One room as this device sees it, with the inbox that refuses replayed shares.
#[wasm_bindgen]
pub struct WasmRoom {
    keys: RoomKeys,
    inbox: ShareInbox,
}

#[wasm_bindgen]
impl WasmRoom {
    /// A new room: version 1 of `kid` is generated into `keyring`.
    ///
    /// # Errors
    /// `invalid_identifier`, `invalid_argument` (policy, time), `key_id_exists`.
    pub fn create(
        device: &WasmDevice,
        keyring: &mut WasmKeyring,
        room: &str,
        kid: &str,
        policy_json: &str,
        now: f64,
    ) -> Result<WasmRoom, Failure> {
        let keys = RoomKeys::create(
            &device.0,
            room.parse()?,
            args::key_id(kid)?,
            policy(policy_json)?,
            args::whole(now, "the time")?,
            &mut keyring.0,
        )?;
        Ok(Self::from(keys))
    }

    /// A room whose keys arrive by shares.
    ///
    /// # Errors
    /// `invalid_identifier`, `invalid_argument` (policy, time).
    pub fn follow(
        device: &WasmDevice,
        room: &str,
        kid: &str,
        policy_json: &str,
        now: f64,
    ) -> Result<WasmRoom, Failure> {
        let keys = RoomKeys::follow(
            &device.0,
            room.parse()?,
            args::key_id(kid)?,
            policy(policy_json)?,
            args::whole(now, "the time")?,
        );
        Ok(Self::from(keys))
    }

    /// The room id.
    #[wasm_bindgen(js_name = roomId)]
    #[must_use]
    pub fn room_id(&self) -> String {
        self.keys.room().as_str().to_owned()
    }

    /// The key id.
    #[wasm_bindgen(js_name = keyId)]
    #[must_use]
    pub fn key_id(&self) -> String {
        self.keys.key_id().as_str().to_owned()
    }

    /// Adds a member device from its bundle's JSON text (verified).
    ///
    /// # Errors
    /// `malformed`, `unsupported_version`, `bad_signature`.
    #[wasm_bindgen(js_name = addDevice)]
    pub fn add_device(&mut self, bundle_json: &str) -> Result<(), Failure> {
        self.keys
            .add_device(domvia_e2ee::DeviceBundle::from_json(bundle_json)?);
        Ok(())
    }

    /// Removes a member device; returns whether it was one.
    ///
    /// # Errors
    /// `invalid_identifier`.
    #[wasm_bindgen(js_name = removeDevice)]
    pub fn remove_device(&mut self, user: &str, device: &str) -> Result<bool, Failure> {
        Ok(self.keys.remove_device(&args::device(user, device)?))
    }

    /// Removes every device of a user but this one; returns how many.
    ///
    /// # Errors
    /// `invalid_identifier`.
    #[wasm_bindgen(js_name = removeUser)]
    pub fn remove_user(&mut self, user: &str) -> Result<u32, Failure> {
        Ok(count(self.keys.remove_user(&user.parse()?)))
    }

    /// Removes every member the directory marks revoked; returns how many.
    #[wasm_bindgen(js_name = removeRevoked)]
    pub fn remove_revoked(&mut self, directory: &WasmDirectory) -> u32 {
        count(self.keys.remove_revoked(&directory.0))
    }

    /// The member devices as JSON text: `[{userId, deviceId}]`.
    #[wasm_bindgen(js_name = membersJson)]
    #[must_use]
    pub fn members_json(&self) -> String {
        let list: Vec<Value> = self
            .keys
            .members()
            .map(|b| json!({"userId": b.id().user.as_str(), "deviceId": b.id().device.as_str()}))
            .collect();
        Value::Array(list).to_string()
    }

    /// Shares of the current version for every member but `device`, as a JSON array.
    ///
    /// # Errors
    /// `unknown_key` (the keyring lacks the room's key), `internal`.
    #[wasm_bindgen(js_name = shareCurrent)]
    pub fn share_current(
        &self,
        device: &WasmDevice,
        keyring: &WasmKeyring,
    ) -> Result<String, Failure> {
        let mut shares = Vec::new();
        for member in self.keys.members().filter(|b| b.id() != device.0.id()) {
            shares.push(
                self.keys
                    .share_current(&device.0, member.id(), &keyring.0)?,
            );
        }
        Ok(share_list(&shares))
    }

    /// A share of the current version for one member device (JSON text).
    ///
    /// # Errors
    /// `invalid_identifier`, `not_a_member`, `unknown_key`, `internal`.
    #[wasm_bindgen(js_name = shareWith)]
    pub fn share_with(
        &self,
        device: &WasmDevice,
        keyring: &WasmKeyring,
        user: &str,
        member: &str,
    ) -> Result<String, Failure> {
        let to = args::device(user, member)?;
        Ok(self
            .keys
            .share_current(&device.0, &to, &keyring.0)?
            .to_json())
    }

    /// Why the key must rotate (`member_removed`, `message_budget`, `max_age`), if it must.
    ///
    /// # Errors
    /// `invalid_argument` for `now`.
    #[wasm_bindgen(js_name = rotationDue)]
    pub fn rotation_due(&self, now: f64) -> Result<Option<String>, Failure> {
        let due = self.keys.rotation_due(args::whole(now, "the time")?);
        Ok(due.map(|r| reason_name(r).to_owned()))
    }

    /// Rotates; returns `{keyVersion, shares, retired}` as JSON text.
    ///
    /// # Errors
    /// `invalid_argument` for `now`, `unknown_key`, `versions_exhausted`, `internal`.
    pub fn rotate(
        &mut self,
        device: &WasmDevice,
        keyring: &mut WasmKeyring,
        now: f64,
    ) -> Result<String, Failure> {
        let now = args::whole(now, "the time")?;
        let rotation = self.keys.rotate(&device.0, &mut keyring.0, now)?;
        Ok(format!(
            r#"{{"keyVersion":{},"shares":{},"retired":{}}}"#,
            rotation.key_version.get(),
            share_list(&rotation.shares),
            rotation.retired
        ))
    }

    /// Verifies a share for this room and imports its key into `keyring`; returns
    /// `{keyVersion, from: {userId, deviceId}}` as JSON text.
    ///
    /// # Errors
    /// `malformed`, `unsupported_version`, `invalid_argument` (another room or key id),
    /// `wrong_recipient`, `unknown_device`, `revoked_device`, `bad_signature`,
    /// `auth_failed`, `replayed`, `stale_key_version`, `version_conflict`.
    #[wasm_bindgen(js_name = acceptShare)]
    pub fn accept_share(
        &mut self,
        device: &WasmDevice,
        keyring: &mut WasmKeyring,
        directory: &WasmDirectory,
        share_json: &str,
        now: f64,
    ) -> Result<String, Failure> {
        let now = args::whole(now, "the time")?;
        let share = KeyShare::from_json(share_json)?;
        if share.room() != self.keys.room() || share.key_id() != self.keys.key_id() {
            return Err(Failure::invalid_argument(format!(
                "the share is for room {} key id {}, not for room {} key id {}",
                share.room(),
                share.key_id(),
                self.keys.room(),
                self.keys.key_id()
            )));
        }
        let accepted = self
            .inbox
            .accept(&share, &device.0, &directory.0, &mut keyring.0)?;
        self.keys.adopt(&accepted, &mut keyring.0, now)?;
        Ok(json!({
            "keyVersion": accepted.key_version.get(),
            "from": {
                "userId": accepted.from.user.as_str(),
                "deviceId": accepted.from.device.as_str(),
            },
        })
        .to_string())
    }

    /// Seals `payload_json` with the room's current version for the context, counting it
    /// against the message budget; returns the envelope's JSON text.
    ///
    /// # Errors
    /// `invalid_identifier`, `invalid_padding`, `invalid_payload`, `rotation_required`,
    /// `unknown_key`.
    #[expect(
        clippy::too_many_arguments,
        reason = "primitives only, so that a call crosses the boundary once"
    )]
    pub fn seal(
        &mut self,
        keyring: &WasmKeyring,
        kind: &str,
        first: &str,
        second: &str,
        third: &str,
        padding: &str,
        payload_json: &str,
        now: f64,
    ) -> Result<String, Failure> {
        let context = args::context(kind, first, second, third)?;
        let options = SealOptions::with_padding(args::padding(padding)?);
        let now = args::whole(now, "the time")?;
        let payload: &RawValue = serde_json::from_str(payload_json)
            .map_err(|source| Failure::from(domvia_e2ee::SealError::Payload { source }))?;
        let envelope = self.keys.seal_json_with_rng(
            &keyring.0,
            payload,
            &context,
            &options,
            now,
            &mut rand::rng(),
        )?;
        Ok(envelope.to_json())
    }
}

impl From<RoomKeys> for WasmRoom {
    fn from(keys: RoomKeys) -> Self {
        Self {
            keys,
            inbox: ShareInbox::new(),
        }
    }
}

/// The policy from JSON text `{maxMessages, maxAgeSeconds, keepVersions}`: an absent
/// member takes the core's default, `null` turns the limit off.
fn policy(text: &str) -> Result<RotationPolicy, Failure> {
    let value: Value = serde_json::from_str(text)
        .map_err(|_| Failure::invalid_argument("the rotation policy is not a JSON object"))?;
    let Value::Object(members) = value else {
        return Err(Failure::invalid_argument(
            "the rotation policy is not an object",
        ));
    };
    let defaults = RotationPolicy::default();
    let setting = |name: &str, default: Option<u64>| -> Result<Option<u64>, Failure> {
        match members.get(name) {
            None => Ok(default),
            Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| {
                Failure::invalid_argument(format!(
                    "policy.{name} must be a whole number or null; got {n}"
                ))
            }),
            Some(_) => Err(Failure::invalid_argument(format!(
                "policy.{name} must be a whole number or null"
            ))),
        }
    };
    let max_messages = setting("maxMessages", defaults.max_messages)?;
    let max_age = setting("maxAgeSeconds", defaults.max_age_secs)?;
    let keep = setting("keepVersions", defaults.keep_versions.map(u64::from))?
        .map(|k| u32::try_from(k).unwrap_or(u32::MAX));
    if let Some(unknown) = members
        .keys()
        .find(|k| !["maxMessages", "maxAgeSeconds", "keepVersions"].contains(&k.as_str()))
    {
        return Err(Failure::invalid_argument(format!(
            "unknown rotation policy member {unknown:?}"
        )));
    }
    Ok(RotationPolicy::new(max_messages, max_age, keep))
}

fn reason_name(reason: RotationReason) -> &'static str {
    match reason {
        RotationReason::MemberRemoved => "member_removed",
        RotationReason::MessageBudget => "message_budget",
        RotationReason::MaxAge => "max_age",
        // A reason added later: still a reason to rotate.
        _ => "policy",
    }
}

fn share_list(shares: &[KeyShare]) -> String {
    let mut out = String::from("[");
    for (i, share) in shares.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&share.to_json());
    }
    out.push(']');
    out
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_takes_defaults_nulls_and_numbers() {
        let p = policy("{}").unwrap_or_else(|_| unreachable!());
        assert_eq!(p, RotationPolicy::default());
        let p = policy(r#"{"maxMessages":null,"maxAgeSeconds":60,"keepVersions":2}"#)
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(p, RotationPolicy::new(None, Some(60), Some(2)));
        for bad in [
            "[]",
            "x",
            r#"{"maxMessages":-1}"#,
            r#"{"maxMessages":1.5}"#,
            r#"{"maxAgeSeconds":"1"}"#,
            r#"{"maxAge":1}"#,
        ] {
            assert_eq!(
                policy(bad).map_err(|f| f.code),
                Err("invalid_argument"),
                "{bad}"
            );
        }
    }
}
