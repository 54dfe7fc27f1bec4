//! Ciphertext-only channels (`spec/ciphertext-only-channels.md`): which channels they are
//! ([`ChannelPattern`]) and which event data they accept ([`check_ciphertext`]).
//!
//! The gateway holds no keys, so the check is of the data's *shape* only: an envelope
//! v1, a signed envelope, one of the key-lifecycle messages that travel on room channels,
//! or an envelope with its message id, each with exactly its members, their JSON types,
//! canonical base64url and byte lengths. Nothing is decrypted or verified; no crypto is
//! used. Refusals name a code, the shape and the member, never any part of the data.
//!
//! ```
//! use domvia_protocol::ciphertext::{ChannelPattern, Shape, check_ciphertext};
//! use domvia_protocol::ChannelName;
//!
//! let pattern: ChannelPattern = "private-e2ee-*".parse()?;
//! let channel: ChannelName = "private-e2ee-room-42".parse()?;
//! assert!(pattern.matches(&channel));
//!
//! // The first chat vector of spec/vectors/envelope-v1.json.
//! let envelope = r#"{"v":1,"suite":"AES256GCM-HKDFSHA256","kind":"chat","kid":"room-42-v1","kver":1,
//!   "nonce":"mYK1xPIft49VJlT5voYL458DByNrdS0rXzoqLGjd7B6Ue8ELCq0m13M6rv4",
//!   "commit":"cQ8s4DyGb5rivU7oMg8uW-vdiyG1e75vG5fH1UK6z3I",
//!   "ct":"ssbsDpGc7meMkUosDc7gV3oLLR4_nJ3A5vrfgSWmWWahjjNlmu_KBhlg-fQFve0eFKKWJ2KyGaQyWByNZdAF3u_WVg"}"#;
//! assert_eq!(check_ciphertext(envelope), Ok(Shape::Envelope));
//!
//! let refused = check_ciphertext(r#"{"body":"hello"}"#).unwrap_err();
//! assert_eq!(refused.code(), "unknown_shape");
//! assert!(!refused.to_string().contains("hello"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod b64;
mod node;
mod pattern;
mod shape;

use std::fmt;

pub use pattern::{ChannelPattern, ChannelPatternError};

use node::Node;

/// The accepted shapes of event data on a ciphertext-only channel.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Shape {
    /// An envelope v1 (`spec/envelope-v1.md` section 7).
    Envelope,
    /// `domvia-signed`: an envelope with its sender's signature (key lifecycle §7).
    SignedEnvelope,
    /// `domvia-keyshare`: a room key HPKE-sealed to one device (§4).
    KeyShare,
    /// `domvia-device`: a device's public, self-signed bundle (§2.2).
    DeviceBundle,
    /// `domvia-key-request`: a new device asking for its user's keys (§6.1).
    KeyRequest,
    /// `domvia-key-response`: keys HPKE-sealed to a new device (§6.1).
    KeyResponse,
    /// `domvia-revocation`: a signed revocation of a device (§6.3).
    Revocation,
    /// `{"id", "envelope"}`: an envelope (signed or not) with its message id.
    IdentifiedEnvelope,
}

impl Shape {
    /// The `format` member's value, for the shapes that have one.
    #[must_use]
    pub fn format(self) -> Option<&'static str> {
        match self {
            Self::SignedEnvelope => Some("domvia-signed"),
            Self::KeyShare => Some("domvia-keyshare"),
            Self::DeviceBundle => Some("domvia-device"),
            Self::KeyRequest => Some("domvia-key-request"),
            Self::KeyResponse => Some("domvia-key-response"),
            Self::Revocation => Some("domvia-revocation"),
            Self::Envelope | Self::IdentifiedEnvelope => None,
        }
    }

    /// A short name for messages: the format name, `envelope` or `identified envelope`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Envelope => "envelope",
            Self::IdentifiedEnvelope => "identified envelope",
            Self::SignedEnvelope
            | Self::KeyShare
            | Self::DeviceBundle
            | Self::KeyRequest
            | Self::KeyResponse
            | Self::Revocation => self.format().unwrap_or("message"),
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why event data is refused on a ciphertext-only channel. The message names the shape
/// and the member, never any part of the data (not even an unknown member's name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CiphertextError {
    /// The data is not JSON text.
    #[error("data is not JSON")]
    NotJson,
    /// The data is JSON, but not an object.
    #[error("data is not a JSON object")]
    NotAnObject,
    /// An object of none of the accepted shapes (plaintext, or an unknown `format`).
    #[error(
        "data is not an envelope, a signed envelope, a key-lifecycle message or an \
         identified envelope"
    )]
    UnknownShape,
    /// A known shape with a `v` other than 1.
    #[error("{shape}: version not supported")]
    UnsupportedVersion {
        /// The shape recognised.
        shape: Shape,
    },
    /// A required member is absent.
    #[error("{shape}: member {member:?} is missing")]
    MissingMember {
        /// The shape recognised.
        shape: Shape,
        /// The member's name.
        member: &'static str,
    },
    /// A member the shape does not have (not named: the name is data).
    #[error("{shape}: has a member it must not have")]
    UnknownMember {
        /// The shape recognised.
        shape: Shape,
    },
    /// A member given twice.
    #[error("{shape}: member {member:?} appears twice")]
    DuplicateMember {
        /// The shape recognised.
        shape: Shape,
        /// The member's name.
        member: &'static str,
    },
    /// A member of the wrong JSON type, value, encoding or length.
    #[error("{shape}: member {member:?} is invalid")]
    BadMember {
        /// The shape recognised.
        shape: Shape,
        /// The member's name.
        member: &'static str,
    },
}

impl CiphertextError {
    /// A stable, machine-readable code (`spec/ciphertext-only-channels.md` section 4).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotJson => "not_json",
            Self::NotAnObject => "not_an_object",
            Self::UnknownShape => "unknown_shape",
            Self::UnsupportedVersion { .. } => "unsupported_version",
            Self::MissingMember { .. } => "missing_member",
            Self::UnknownMember { .. } => "unknown_member",
            Self::DuplicateMember { .. } => "duplicate_member",
            Self::BadMember { .. } => "bad_member",
        }
    }
}

/// Checks that `data`, an event's JSON text, is one of the accepted shapes, and says
/// which.
///
/// # Errors
/// [`CiphertextError`] for anything else: not JSON, not an object, an object of no
/// accepted shape, or one whose version or members are wrong.
pub fn check_ciphertext(data: &str) -> Result<Shape, CiphertextError> {
    let node = Node::parse(data).ok_or(CiphertextError::NotJson)?;
    if node.members().is_none() {
        return Err(CiphertextError::NotAnObject);
    }
    let shape = classify(&node)?;
    shape::check(&node, shape)?;
    Ok(shape)
}

/// Which shape an object claims to be (section 4, step 2).
fn classify(node: &Node) -> Result<Shape, CiphertextError> {
    if let Some(format) = node.get("format") {
        return format
            .as_str()
            .and_then(Shape::from_format)
            .ok_or(CiphertextError::UnknownShape);
    }
    if node.get("envelope").is_some() {
        return Ok(Shape::IdentifiedEnvelope);
    }
    if node.get("v").is_some() {
        return Ok(Shape::Envelope);
    }
    Err(CiphertextError::UnknownShape)
}

#[cfg(test)]
mod tests;
