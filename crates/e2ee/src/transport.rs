//! Key messages as ordinary gateway events (spec/key-lifecycle.md section 9): event
//! names, the per-user key channel, and parsing by event name. Keys travel only inside
//! HPKE ciphertext, so neither the gateway nor the app's server holds a readable key.
//!
//! ```
//! use domvia_e2ee::{DeviceSecret, KeyMessage, user_key_channel};
//!
//! let phone = DeviceSecret::generate("alice".parse()?, "phone".parse()?);
//! let channel = user_key_channel(&"alice".parse()?);
//! assert!(channel.starts_with("private-domvia-keys-") && !channel.contains("alice"));
//! let message = KeyMessage::Bundle(phone.bundle().clone());
//! let (event, data) = (message.event_name(), message.to_json());
//! assert_eq!(event, "client-domvia-device");
//! // The receiving device dispatches on the event name.
//! match KeyMessage::parse(event, &data)? {
//!     Some(KeyMessage::Bundle(b)) => assert_eq!(b.id(), phone.id()),
//!     _ => unreachable!(),
//! }
//! assert!(KeyMessage::parse("client-chat", "{}")?.is_none()); // not a key message
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

use crate::device::{DeviceBundle, Revocation};
use crate::exchange::ExchangeError;
use crate::ident::UserId;
use crate::recovery::{KeyRequest, KeyResponse};
use crate::share::KeyShare;

/// Event name of a key share.
pub const KEYSHARE_EVENT: &str = "client-domvia-keyshare";
/// Event name of a device bundle.
pub const DEVICE_EVENT: &str = "client-domvia-device";
/// Event name of a key request.
pub const KEY_REQUEST_EVENT: &str = "client-domvia-key-request";
/// Event name of a key response.
pub const KEY_RESPONSE_EVENT: &str = "client-domvia-key-response";
/// Event name of a revocation.
pub const REVOCATION_EVENT: &str = "client-domvia-revocation";

/// The private channel only `user`'s devices may join (the app's server authorizes it):
/// `"private-domvia-keys-" || b64u(SHA-256("domvia-key-channel v1" || user))[0..22]`.
#[must_use]
pub fn user_key_channel(user: &UserId) -> String {
    let digest = Sha256::new()
        .chain_update(b"domvia-key-channel v1")
        .chain_update(user.as_str().as_bytes())
        .finalize();
    let encoded = Base64UrlUnpadded::encode_string(&digest);
    format!(
        "private-domvia-keys-{}",
        encoded.get(..22).unwrap_or(&encoded)
    )
}

/// Any key-lifecycle message that travels as event data.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum KeyMessage {
    /// A room key version for one device (on the room's channel).
    Share(KeyShare),
    /// A device's public bundle.
    Bundle(DeviceBundle),
    /// A new device asks for its user's keys (on the user's key channel).
    Request(KeyRequest),
    /// The answer, sealed to the new device (on the user's key channel).
    Response(KeyResponse),
    /// A device revoked (on the user's key channel and the rooms' channels).
    Revocation(Revocation),
}

impl KeyMessage {
    /// The event name to send it under.
    #[must_use]
    pub fn event_name(&self) -> &'static str {
        match self {
            Self::Share(_) => KEYSHARE_EVENT,
            Self::Bundle(_) => DEVICE_EVENT,
            Self::Request(_) => KEY_REQUEST_EVENT,
            Self::Response(_) => KEY_RESPONSE_EVENT,
            Self::Revocation(_) => REVOCATION_EVENT,
        }
    }

    /// The event data.
    #[must_use]
    pub fn to_json(&self) -> String {
        match self {
            Self::Share(m) => m.to_json(),
            Self::Bundle(m) => m.to_json(),
            Self::Request(m) => m.to_json(),
            Self::Response(m) => m.to_json(),
            Self::Revocation(m) => m.to_json(),
        }
    }

    /// Parses event data by its event name; `None` for events that are not key messages.
    /// Parsing checks shape and self-signatures only: verify each message as its type
    /// says before acting on it.
    ///
    /// # Errors
    /// The message type's parse errors.
    pub fn parse(event_name: &str, data: &str) -> Result<Option<Self>, ExchangeError> {
        Ok(Some(match event_name {
            KEYSHARE_EVENT => Self::Share(KeyShare::from_json(data)?),
            DEVICE_EVENT => Self::Bundle(DeviceBundle::from_json(data)?),
            KEY_REQUEST_EVENT => Self::Request(KeyRequest::from_json(data)?),
            KEY_RESPONSE_EVENT => Self::Response(KeyResponse::from_json(data)?),
            REVOCATION_EVENT => Self::Revocation(Revocation::from_json(data)?),
            _ => return Ok(None),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AesGcmKey, DeviceSecret, KeyVersion};

    #[test]
    fn every_message_round_trips_by_event_name() {
        let a = DeviceSecret::generate("a".parse().unwrap(), "1".parse().unwrap());
        let b = DeviceSecret::generate("a".parse().unwrap(), "2".parse().unwrap());
        let key = AesGcmKey::generate();
        let share = KeyShare::seal(
            &a,
            b.bundle(),
            &"r".parse().unwrap(),
            &"k".parse().unwrap(),
            KeyVersion::FIRST,
            &key,
        )
        .unwrap();
        let (request, _) = KeyRequest::new(&b);
        let approved = request.verify_for(&a).unwrap().approve();
        let response = KeyResponse::seal(&a, &approved, &crate::Keyring::new()).unwrap();
        let messages = [
            KeyMessage::Share(share),
            KeyMessage::Bundle(a.bundle().clone()),
            KeyMessage::Request(request),
            KeyMessage::Response(response),
            KeyMessage::Revocation(Revocation::sign(&a, b.bundle(), 1).unwrap()),
        ];
        for m in messages {
            let data = m.to_json();
            assert!(!data.contains(&*key.export_raw()));
            let back = KeyMessage::parse(m.event_name(), &data).unwrap().unwrap();
            assert_eq!(back.to_json(), data);
        }
        let channel = user_key_channel(&"a".parse().unwrap());
        assert_eq!(channel.len(), 20 + 22);
        assert!(
            channel
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
