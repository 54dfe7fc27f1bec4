//! Validated identifiers: room, message, call, scope and key ids, event names and key
//! versions.
//!
//! Every identifier that enters the associated data is parsed once, here, and carried as
//! its own type afterwards, so a room id can never be passed where a message id belongs.
//! The rules (spec/envelope-v1.md section 3): 1 to 255 bytes of UTF-8, no control
//! characters, compared byte for byte (no normalization).
//!
//! ```
//! use domvia_e2ee::{RoomId, KeyVersion};
//!
//! let room: RoomId = "room-42".parse()?;
//! assert_eq!(room.as_str(), "room-42");
//! assert!("".parse::<RoomId>().is_err());
//! assert!("bad\nid".parse::<RoomId>().is_err());
//! assert_eq!(KeyVersion::new(1)?.next(), Some(KeyVersion::new(2)?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use core::num::NonZeroU32;
use core::str::FromStr;

/// The longest identifier, in bytes of UTF-8.
pub const MAX_IDENTIFIER_LEN: usize = 255;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// The identifier is the empty string.
    #[error("{what} must not be empty")]
    Empty {
        /// Which identifier, for example "room id".
        what: &'static str,
    },
    /// The identifier is longer than [`MAX_IDENTIFIER_LEN`] bytes.
    #[error("{what} is {len} bytes long; the limit is {MAX_IDENTIFIER_LEN} bytes of UTF-8")]
    TooLong {
        /// Which identifier.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// The identifier contains a control character (Unicode category Cc).
    #[error("{what} contains the control character U+{code_point:04X} at byte {at}")]
    ControlCharacter {
        /// Which identifier.
        what: &'static str,
        /// The offending code point.
        code_point: u32,
        /// Its byte offset.
        at: usize,
    },
}

impl IdentifierError {
    /// A stable, machine-readable code for this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty { .. } | Self::TooLong { .. } | Self::ControlCharacter { .. } => {
                "invalid_identifier"
            }
        }
    }
}

fn validate(what: &'static str, value: &str) -> Result<(), IdentifierError> {
    if value.is_empty() {
        return Err(IdentifierError::Empty { what });
    }
    if value.len() > MAX_IDENTIFIER_LEN {
        return Err(IdentifierError::TooLong {
            what,
            len: value.len(),
        });
    }
    if let Some((at, c)) = value.char_indices().find(|(_, c)| c.is_control()) {
        return Err(IdentifierError::ControlCharacter {
            what,
            code_point: u32::from(c),
            at,
        });
    }
    Ok(())
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Box<str>);

        impl $name {
            /// What this identifier is called in error messages.
            pub const WHAT: &'static str = $what;

            /// The identifier as a string slice.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdentifierError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                validate($what, value)?;
                Ok(Self(value.into()))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdentifierError;
            fn try_from(value: &str) -> Result<Self, Self::Error> {
                value.parse()
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdentifierError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                validate($what, &value)?;
                Ok(Self(value.into_boxed_str()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = String::deserialize(d)?;
                Self::try_from(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

identifier!(
    /// The id of a chat room (for example the room's channel suffix).
    RoomId, "room id"
);
identifier!(
    /// The id of one chat message, unique within its room.
    MessageId, "message id"
);
identifier!(
    /// The id of one call.
    CallId, "call id"
);
identifier!(
    /// The application's event name, for example `call.offer` or `delivery.private_note`.
    EventName, "event name"
);
identifier!(
    /// The scope of a custom realtime event, for example `delivery` or `location`.
    Scope, "scope"
);
identifier!(
    /// The id of the object within its scope, for example an order id.
    ScopeId, "scope id"
);
identifier!(
    /// The name of a key, shared by all its versions, for example `room-42`.
    KeyId, "key id"
);
identifier!(
    /// The application's id of a person, who may have several devices
    /// (spec/key-lifecycle.md section 2.1).
    UserId, "user id"
);
identifier!(
    /// The id of one device of a user, unique for that user (spec/key-lifecycle.md
    /// section 2.1). A reinstalled app is a new device.
    DeviceId, "device id"
);

/// The version of a key within its key id: 1, 2, … up to 2³²−1. Rotation moves to the
/// next version.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyVersion(NonZeroU32);

/// Why a number is not a key version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyVersionError {
    /// Zero, negative or above 2³²−1.
    #[error("key version {value} is out of range; it must be an integer from 1 to 4294967295")]
    OutOfRange {
        /// The rejected value.
        value: i128,
    },
}

impl KeyVersionError {
    /// A stable, machine-readable code for this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::OutOfRange { .. } => "invalid_key_version",
        }
    }
}

impl KeyVersion {
    /// The first version of every key id.
    pub const FIRST: Self = Self(NonZeroU32::MIN);

    /// A key version from an integer.
    ///
    /// # Errors
    /// [`KeyVersionError::OutOfRange`] unless `1 <= value <= u32::MAX`.
    pub fn new(value: u64) -> Result<Self, KeyVersionError> {
        u32::try_from(value)
            .ok()
            .and_then(NonZeroU32::new)
            .map(Self)
            .ok_or(KeyVersionError::OutOfRange {
                value: i128::from(value),
            })
    }

    /// The version as an integer.
    #[must_use]
    pub fn get(self) -> u32 {
        self.0.get()
    }

    /// The version after this one, or `None` at the last version.
    #[must_use]
    pub fn next(self) -> Option<Self> {
        self.0.checked_add(1).map(Self)
    }
}

impl TryFrom<i64> for KeyVersion {
    type Error = KeyVersionError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u64::try_from(value)
            .map_err(|_| KeyVersionError::OutOfRange {
                value: i128::from(value),
            })
            .and_then(Self::new)
    }
}

impl FromStr for KeyVersion {
    type Err = KeyVersionError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        // Out-of-range and unparsable text both report as out of range; the value shown
        // is the saturated parse so the message stays short.
        value
            .parse::<i128>()
            .map_err(|_| KeyVersionError::OutOfRange { value: 0 })
            .and_then(|v| {
                u64::try_from(v)
                    .map_err(|_| KeyVersionError::OutOfRange { value: v })
                    .and_then(Self::new)
            })
    }
}

impl fmt::Display for KeyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for KeyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyVersion({})", self.0)
    }
}

impl serde::Serialize for KeyVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.get())
    }
}

impl<'de> serde::Deserialize<'de> for KeyVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = u64::deserialize(d)?;
        Self::new(value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_the_spec_rules() {
        assert_eq!(
            "".parse::<RoomId>(),
            Err(IdentifierError::Empty { what: "room id" })
        );
        let long = "a".repeat(MAX_IDENTIFIER_LEN);
        assert!(long.parse::<ScopeId>().is_ok());
        let too_long = "é".repeat(128); // 256 bytes
        assert_eq!(
            too_long.parse::<ScopeId>(),
            Err(IdentifierError::TooLong {
                what: "scope id",
                len: 256
            })
        );
        assert_eq!(
            "ab\u{7f}".parse::<EventName>(),
            Err(IdentifierError::ControlCharacter {
                what: "event name",
                code_point: 0x7f,
                at: 2
            })
        );
        assert!(
            "x\u{85}".parse::<KeyId>().is_err(),
            "C1 controls are rejected"
        );
        assert!(
            "room 42 ✓ — ok".parse::<RoomId>().is_ok(),
            "spaces and non-ASCII are fine"
        );
        assert!(
            serde_json::from_str::<MessageId>("\"\\u0000\"").is_err(),
            "deserialization validates"
        );
    }

    #[test]
    fn key_versions_are_one_to_u32_max() {
        assert!(KeyVersion::new(0).is_err());
        assert!(KeyVersion::new(u64::from(u32::MAX) + 1).is_err());
        assert!(KeyVersion::try_from(-1_i64).is_err());
        assert_eq!(
            KeyVersion::new(u64::from(u32::MAX))
                .ok()
                .and_then(KeyVersion::next),
            None
        );
        assert_eq!("7".parse::<KeyVersion>().map(KeyVersion::get), Ok(7));
        assert!("x".parse::<KeyVersion>().is_err());
        assert!(serde_json::from_str::<KeyVersion>("0").is_err());
    }
}
