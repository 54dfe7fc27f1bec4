//! The envelope and its JSON wire form (spec/envelope-v1.md section 7).
//!
//! Parsing follows the spec's order: JSON and object shape, then the version (so a future
//! version is reported as unsupported, not as malformed), then every other member.
//!
//! ```
//! use domvia_e2ee::{Envelope, EnvelopeError};
//!
//! let err = Envelope::from_json(r#"{"v":2,"whatever":true}"#).unwrap_err();
//! assert_eq!(err, EnvelopeError::UnsupportedVersion { version: 2 });
//! assert_eq!(err.code(), "unsupported_version");
//! assert_eq!(Envelope::from_json("not json").unwrap_err().code(), "malformed");
//! ```

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::ser::SerializeStruct;

use crate::context::{FORMAT_VERSION, KeyLabel, Kind};
use crate::framing::LEN_PREFIX;
use crate::ident::IdentifierError;
use crate::suite::{COMMITMENT_LEN, NONCE_LEN, Suite, TAG_LEN};

mod parse;
use parse::{RawEnvelope, classify};

/// An encrypted payload with its visible header: what travels through the gateway.
///
/// Serialize it (with [`Envelope::to_json`] or serde) to send it as event data; parse it
/// with [`Envelope::from_json`] (or serde) on the receiving side.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    pub(crate) suite: Suite,
    pub(crate) kind: Kind,
    pub(crate) label: KeyLabel,
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) commitment: [u8; COMMITMENT_LEN],
    /// AES-GCM ciphertext followed by the 16-byte tag.
    pub(crate) sealed: Vec<u8>,
}

/// Why bytes are not a version-1 envelope. Nothing here needs or reveals a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The input is not a well-formed version-1 envelope.
    #[error("malformed envelope: {problem}")]
    Malformed {
        /// What is wrong.
        problem: Malformed,
    },
    /// The envelope's format version is not 1.
    #[error("unsupported envelope version {version}; this implementation reads version 1")]
    UnsupportedVersion {
        /// The version the envelope names.
        version: u64,
    },
    /// The envelope's suite is not one this implementation supports.
    #[error("unsupported suite {suite:?}; this implementation supports AES256GCM-HKDFSHA256")]
    UnsupportedSuite {
        /// The suite the envelope names (at most 64 characters of it).
        suite: String,
    },
}

/// What makes an envelope malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The input is not JSON text.
    #[error("not JSON")]
    NotJson,
    /// The JSON value is not an object.
    #[error("not a JSON object")]
    NotObject,
    /// A required member is missing.
    #[error("member {member:?} is missing")]
    MissingMember {
        /// The member's name.
        member: &'static str,
    },
    /// A member appears twice.
    #[error("member {member:?} appears more than once")]
    DuplicateMember {
        /// The member's name.
        member: &'static str,
    },
    /// A member the format does not define.
    #[error("unknown member {member:?}")]
    UnknownMember {
        /// The member's name (at most 64 characters of it).
        member: String,
    },
    /// A member has the wrong JSON type or an out-of-range number.
    #[error("member {member:?} has the wrong type or is out of range")]
    WrongType {
        /// The member's name.
        member: &'static str,
    },
    /// `kind` is not `chat`, `call` or `realtime`.
    #[error("unknown kind {kind:?}")]
    UnknownKind {
        /// The kind named (at most 64 characters of it).
        kind: String,
    },
    /// `kid` breaks the identifier rules.
    #[error("invalid key id: {source}")]
    InvalidKeyId {
        /// Which rule.
        source: IdentifierError,
    },
    /// A binary member is not canonical unpadded base64url.
    #[error("member {member:?} is not canonical unpadded base64url")]
    NotBase64 {
        /// The member's name.
        member: &'static str,
    },
    /// A binary member decodes to the wrong number of bytes.
    #[error("member {member:?} is {len} bytes; expected {expected}")]
    WrongLength {
        /// The member's name.
        member: &'static str,
        /// Its decoded length.
        len: usize,
        /// The length or range the format requires.
        expected: &'static str,
    },
}

impl EnvelopeError {
    /// A stable, machine-readable code: `malformed`, `unsupported_version` or
    /// `unsupported_suite`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::UnsupportedVersion { .. } => "unsupported_version",
            Self::UnsupportedSuite { .. } => "unsupported_suite",
        }
    }
}

impl From<Malformed> for EnvelopeError {
    fn from(problem: Malformed) -> Self {
        Self::Malformed { problem }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

impl Envelope {
    /// The format version: always 1 for envelopes this implementation produces or accepts.
    #[must_use]
    pub fn version(&self) -> u8 {
        FORMAT_VERSION
    }
    /// The cipher suite.
    #[must_use]
    pub fn suite(&self) -> Suite {
        self.suite
    }
    /// What the envelope carries.
    #[must_use]
    pub fn kind(&self) -> Kind {
        self.kind
    }
    /// The key id and version the envelope was sealed under.
    #[must_use]
    pub fn key_label(&self) -> &KeyLabel {
        &self.label
    }
    /// The nonce: the sender session's 32-byte salt, then the 12-byte AES-GCM IV.
    #[must_use]
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }
    /// The key commitment.
    #[must_use]
    pub fn commitment(&self) -> &[u8; COMMITMENT_LEN] {
        &self.commitment
    }
    /// The most payload bytes the ciphertext can hold: its length less the tag and the
    /// length prefix. Visible to anyone; with padding the payload may be shorter.
    #[must_use]
    pub fn max_payload_len(&self) -> usize {
        self.sealed
            .len()
            .saturating_sub(TAG_LEN)
            .saturating_sub(LEN_PREFIX)
    }

    /// The ciphertext followed by the 16-byte tag.
    #[must_use]
    pub fn ciphertext(&self) -> &[u8] {
        &self.sealed
    }

    /// Parses the JSON wire form.
    ///
    /// # Errors
    /// [`EnvelopeError`] as spec/envelope-v1.md section 8 steps 1 to 4 describe.
    pub fn from_json(text: &str) -> Result<Self, EnvelopeError> {
        Self::from_slice(text.as_bytes())
    }

    /// Parses the JSON wire form from bytes.
    ///
    /// # Errors
    /// As [`Envelope::from_json`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let raw: RawEnvelope<'_> = serde_json::from_slice(bytes).map_err(classify)?;
        raw.check()
    }

    /// Parses an envelope already decoded as a JSON value.
    ///
    /// # Errors
    /// As [`Envelope::from_json`].
    pub fn from_value(value: &serde_json::Value) -> Result<Self, EnvelopeError> {
        let raw = RawEnvelope::deserialize_from(value).map_err(classify)?;
        raw.check()
    }

    /// The JSON wire form, compact.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Written directly rather than through serde: the base64url members never need
        // escaping, so they are encoded straight into a string of the final size instead of
        // being built and then scanned again. Same members, same order as `Serialize`.
        let kid = self.label.key_id.as_ref().map(|k| {
            // A string always serializes; the fallback is never taken.
            serde_json::to_string(k.as_str()).unwrap_or_default()
        });
        let ct_len = self.sealed.len().div_ceil(3).saturating_mul(4);
        let mut out = String::with_capacity(
            192_usize
                .saturating_add(ct_len)
                .saturating_add(kid.as_ref().map_or(0, String::len)),
        );
        out.push_str(r#"{"v":1,"suite":""#);
        out.push_str(self.suite.name());
        out.push_str(r#"","kind":""#);
        out.push_str(self.kind.as_str());
        out.push('"');
        if let Some(kid) = kid {
            out.push_str(r#","kid":"#);
            out.push_str(&kid);
        }
        out.push_str(r#","kver":"#);
        out.push_str(&self.label.key_version.get().to_string());
        out.push_str(r#","nonce":""#);
        URL_SAFE_NO_PAD.encode_string(self.nonce, &mut out);
        out.push_str(r#"","commit":""#);
        URL_SAFE_NO_PAD.encode_string(self.commitment, &mut out);
        out.push_str(r#"","ct":""#);
        URL_SAFE_NO_PAD.encode_string(&self.sealed, &mut out);
        out.push_str(r#""}"#);
        out
    }

    /// The JSON wire form as a `serde_json::Value`.
    #[must_use]
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("suite", &self.suite)
            .field("kind", &self.kind)
            .field("key_id", &self.label.key_id)
            .field("key_version", &self.label.key_version)
            .field("ciphertext_len", &self.sealed.len())
            .finish_non_exhaustive()
    }
}

impl serde::Serialize for Envelope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let members = if self.label.key_id.is_some() { 8 } else { 7 };
        let mut st = s.serialize_struct("Envelope", members)?;
        st.serialize_field("v", &FORMAT_VERSION)?;
        st.serialize_field("suite", self.suite.name())?;
        st.serialize_field("kind", self.kind.as_str())?;
        if let Some(kid) = &self.label.key_id {
            st.serialize_field("kid", kid.as_str())?;
        } else {
            st.skip_field("kid")?;
        }
        st.serialize_field("kver", &self.label.key_version.get())?;
        st.serialize_field("nonce", &URL_SAFE_NO_PAD.encode(self.nonce))?;
        st.serialize_field("commit", &URL_SAFE_NO_PAD.encode(self.commitment))?;
        st.serialize_field("ct", &URL_SAFE_NO_PAD.encode(&self.sealed))?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const C: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const CT: &str = "AAAAAAAAAAAAAAAAAAAAAA";

    fn env(extra: &str) -> String {
        format!(
            r#"{{"v":1,"suite":"AES256GCM-HKDFSHA256","kind":"chat","kver":1,"nonce":"{N}","commit":"{C}","ct":"{CT}"{extra}}}"#
        )
    }

    fn malformed(text: &str) -> Malformed {
        match Envelope::from_json(text) {
            Err(EnvelopeError::Malformed { problem }) => problem,
            other => panic!("expected malformed for {text}, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_envelope_parses_and_round_trips() {
        let e = Envelope::from_json(&env("")).unwrap();
        assert_eq!(e.kind(), Kind::Chat);
        assert_eq!(e.key_label().key_id, None);
        assert_eq!(e.ciphertext().len(), 16);
        assert_eq!(e.max_payload_len(), 0);
        assert_eq!(Envelope::from_json(&e.to_json()).unwrap(), e);
        assert_eq!(
            e.to_json(),
            serde_json::to_string(&e).unwrap(),
            "to_json agrees with serde"
        );
        let with_kid = env(r#","kid":"a\"b\u00e9""#);
        let k = Envelope::from_json(&with_kid).unwrap();
        assert_eq!(k.to_json(), serde_json::to_string(&k).unwrap());
        assert_eq!(Envelope::from_value(&e.to_value()).unwrap(), e);
        let via_serde: Envelope = serde_json::from_str(&env("")).unwrap();
        assert_eq!(via_serde, e);
    }

    #[test]
    fn shape_errors_are_named() {
        assert_eq!(malformed("{"), Malformed::NotJson);
        assert_eq!(malformed("[1,2]"), Malformed::NotObject);
        assert_eq!(malformed("\"x\""), Malformed::NotObject);
        assert_eq!(
            malformed(&env(r#","x":1"#)),
            Malformed::UnknownMember { member: "x".into() }
        );
        assert_eq!(
            malformed(&env(r#","kver":2"#)),
            Malformed::DuplicateMember { member: "kver" }
        );
        assert_eq!(
            malformed(r#"{"suite":"x"}"#),
            Malformed::MissingMember { member: "v" }
        );
        assert_eq!(
            malformed(r#"{"v":"1"}"#),
            Malformed::WrongType { member: "v" }
        );
        assert_eq!(
            malformed(r#"{"v":1.0}"#),
            Malformed::WrongType { member: "v" }
        );
        assert_eq!(
            malformed(&env("").replace(r#""kver":1"#, r#""kver":0"#)),
            Malformed::WrongType { member: "kver" }
        );
        assert_eq!(
            malformed(&env("").replace(r#""kver":1"#, r#""kver":4294967296"#)),
            Malformed::WrongType { member: "kver" }
        );
        assert_eq!(
            malformed(&env(r#","kid":"""#)).to_string(),
            "invalid key id: key id must not be empty"
        );
        assert_eq!(
            malformed(&env("").replace("chat", "sms")),
            Malformed::UnknownKind { kind: "sms".into() }
        );
    }

    #[test]
    fn version_is_checked_before_anything_else() {
        let e = Envelope::from_json(r#"{"v":3,"suite":"future","extra":[1]}"#).unwrap_err();
        assert_eq!(e, EnvelopeError::UnsupportedVersion { version: 3 });
        let e = Envelope::from_json(&env("").replace("AES256GCM-HKDFSHA256", "X")).unwrap_err();
        assert_eq!(e.code(), "unsupported_suite");
    }

    #[test]
    fn binary_members_are_strict() {
        let padded = env("").replace(&format!(r#""ct":"{CT}""#), &format!(r#""ct":"{CT}==""#));
        assert_eq!(malformed(&padded), Malformed::NotBase64 { member: "ct" });
        let short_nonce = env("").replacen(N, "AAAA", 1);
        assert!(matches!(
            malformed(&short_nonce),
            Malformed::WrongLength {
                member: "nonce",
                len: 3,
                ..
            }
        ));
        let std_alphabet = env("").replacen(N, &"+".repeat(43), 1);
        assert_eq!(
            malformed(&std_alphabet),
            Malformed::NotBase64 { member: "nonce" }
        );
        let short_ct = env("").replace(&format!(r#""ct":"{CT}""#), r#""ct":"AAAA""#);
        assert!(matches!(
            malformed(&short_ct),
            Malformed::WrongLength {
                member: "ct",
                len: 3,
                ..
            }
        ));
    }
}
