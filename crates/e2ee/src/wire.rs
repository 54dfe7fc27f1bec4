//! What the key-lifecycle formats share (spec/key-lifecycle.md): the length-prefixed
//! encoding of the bytes that are signed or bound, strict base64url members, and the
//! `format`/`v` check every reader does before anything else.

use std::borrow::Cow;
use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use zeroize::Zeroizing;

/// Why a message is not one of the key-lifecycle formats. Never quotes its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Not JSON, or not an object of the format's shape (a member missing, unknown, of
    /// the wrong type or length, or an invalid identifier).
    #[error("not a valid {format} message: {reason}")]
    Malformed {
        /// The format expected, for example `domvia-keyshare`.
        format: &'static str,
        /// What is wrong, in general terms.
        reason: &'static str,
    },
    /// Another format, or a version of it this implementation does not read.
    #[error("{found_format:?} version {found_version} is not {format} version 1")]
    UnsupportedVersion {
        /// The format expected.
        format: &'static str,
        /// The format named (at most 64 characters of it).
        found_format: String,
        /// The version named.
        found_version: u64,
    },
}

impl WireError {
    /// A stable, machine-readable code: `malformed` or `unsupported_version`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::UnsupportedVersion { .. } => "unsupported_version",
        }
    }
}

/// Parses `text` as version 1 of `format`: the JSON shape first, then `format` and `v`
/// (so a future version is reported as unsupported, not malformed), then the members,
/// strictly (`T` denies unknown fields; a repeated member is malformed too).
///
/// Two passes over the text, both straight from the string: no intermediate
/// `serde_json::Value`, whose deserializer would double the parsing code in WebAssembly.
pub(crate) fn parse_v1<T: DeserializeOwned>(
    text: &str,
    format: &'static str,
) -> Result<T, WireError> {
    let malformed = |reason| WireError::Malformed { format, reason };
    let header: Header<'_> = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => malformed("not a JSON object"),
        _ => malformed("not JSON"),
    })?;
    let Some(Loose::Str(found_format)) = header.format else {
        return Err(malformed("member \"format\" missing or not a string"));
    };
    let Some(Loose::Int(found_version)) = header.v else {
        return Err(malformed("member \"v\" missing or not an integer"));
    };
    if found_format != format || found_version != 1 {
        return Err(WireError::UnsupportedVersion {
            format,
            found_format: found_format.chars().take(64).collect(),
            found_version,
        });
    }
    // serde's messages can quote values (secrets, in a device-secret file): not kept.
    serde_json::from_str(text).map_err(|_| malformed("a member is missing, unknown, or invalid"))
}

/// The `format` and `v` members of an object, whatever their types; the rest skipped.
struct Header<'a> {
    format: Option<Loose<'a>>,
    v: Option<Loose<'a>>,
}

impl<'de> serde::Deserialize<'de> for Header<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Header<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut header = Header {
                    format: None,
                    v: None,
                };
                while let Some(name) = map.next_key::<Cow<'de, str>>()? {
                    match &*name {
                        "format" => header.format = Some(map.next_value()?),
                        "v" => header.v = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(header)
            }
        }
        d.deserialize_map(V)
    }
}

/// One member's value, accepted whatever its JSON type, so that each problem is reported
/// by the rule it breaks rather than at serde's first surprise.
pub(crate) enum Loose<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// A non-negative integer that fits in 64 bits.
    Int(u64),
    /// Anything else: a negative or fractional number, a boolean, null, an array or an
    /// object.
    Other,
}

impl<'de> serde::Deserialize<'de> for Loose<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Loose::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Loose::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Loose::Str(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Loose::Int(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(u64::try_from(v).map_or(Loose::Other, Loose::Int))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON object nested in a message (a bundle in a key request, an envelope in a signed
/// envelope): kept as its text for its own reader, and written as given.
pub(crate) type Nested = Box<serde_json::value::RawValue>;

/// `value` as a [`Nested`] member, written as serde_json writes a `Value` (members in
/// sorted order), as every version-1 writer has.
pub(crate) fn nested(value: &serde_json::Value) -> Nested {
    serde_json::value::to_raw_value(value).unwrap_or_default()
}

/// Builds the bytes that are signed, or bound as HPKE `info`, field by field.
pub(crate) struct Tbs(Vec<u8>);

impl Tbs {
    /// Starts with `str16(label)`.
    pub(crate) fn new(label: &str) -> Self {
        let mut t = Self(Vec::with_capacity(256));
        t.str(label);
        t
    }

    /// `str16(s)`; identifiers and labels are at most 255 bytes, so the length fits.
    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        let len = u16::try_from(s.len()).unwrap_or(u16::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    /// Bytes as they are (fixed-length fields).
    pub(crate) fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }

    /// `u32(n)`.
    pub(crate) fn u32(&mut self, n: u32) -> &mut Self {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }

    /// `u64(n)`.
    pub(crate) fn u64(&mut self, n: u64) -> &mut Self {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }

    /// The bytes built.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.0)
    }
}

/// Public bytes of a fixed length, as canonical unpadded base64url in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct B64<const N: usize>(pub(crate) [u8; N]);

impl<const N: usize> core::fmt::Debug for B64<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&Base64UrlUnpadded::encode_string(&self.0))
    }
}

impl<const N: usize> serde::Serialize for B64<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Base64UrlUnpadded::encode_string(&self.0))
    }
}

impl<'de, const N: usize> serde::Deserialize<'de> for B64<N> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let mut out = [0u8; N];
        match Base64UrlUnpadded::decode(text.as_bytes(), &mut out) {
            Ok(decoded) if decoded.len() == N => Ok(Self(out)),
            _ => Err(serde::de::Error::custom(
                "not canonical base64url of the right length",
            )),
        }
    }
}

/// Public bytes of any length, as canonical unpadded base64url in JSON.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct B64Vec(pub(crate) Vec<u8>);

impl serde::Serialize for B64Vec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Base64UrlUnpadded::encode_string(&self.0))
    }
}

impl<'de> serde::Deserialize<'de> for B64Vec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Base64UrlUnpadded::decode_vec(&text)
            .map(Self)
            .map_err(|_| serde::de::Error::custom("not canonical base64url"))
    }
}

/// Secret bytes of a fixed length: base64url in JSON, wiped on drop, never printed.
#[derive(Clone)]
pub(crate) struct SecretB64<const N: usize>(pub(crate) Zeroizing<[u8; N]>);

impl<const N: usize> serde::Serialize for SecretB64<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = Zeroizing::new(Base64UrlUnpadded::encode_string(self.0.as_slice()));
        s.serialize_str(&text)
    }
}

impl<'de, const N: usize> serde::Deserialize<'de> for SecretB64<N> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        let mut out = Zeroizing::new([0u8; N]);
        match Base64UrlUnpadded::decode(text.as_bytes(), out.as_mut_slice()) {
            Ok(decoded) if decoded.len() == N => Ok(Self(out)),
            _ => Err(serde::de::Error::custom(
                "not canonical base64url of the right length",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "only parsed")]
    struct T {
        format: String,
        v: u64,
        x: B64<2>,
    }

    #[test]
    fn version_is_checked_before_members() {
        let e = parse_v1::<T>(r#"{"format":"f","v":2,"junk":1}"#, "f").unwrap_err();
        assert_eq!(e.code(), "unsupported_version");
        let e = parse_v1::<T>(r#"{"format":"g","v":1}"#, "f").unwrap_err();
        assert_eq!(e.code(), "unsupported_version");
        assert_eq!(parse_v1::<T>("{", "f").unwrap_err().code(), "malformed");
        assert_eq!(
            parse_v1::<T>(r#"{"v":1}"#, "f").unwrap_err().code(),
            "malformed"
        );
        let ok = parse_v1::<T>(r#"{"format":"f","v":1,"x":"AAE"}"#, "f").unwrap();
        assert_eq!(ok.x.0, [0, 1]);
        for bad in [r#""AAE=""#, r#""AAF""#, r#""AA""#, r#""+/8""#] {
            let text = format!(r#"{{"format":"f","v":1,"x":{bad}}}"#);
            assert_eq!(
                parse_v1::<T>(&text, "f").unwrap_err().code(),
                "malformed",
                "{bad}"
            );
        }
        let extra = r#"{"format":"f","v":1,"x":"AAE","y":0}"#;
        assert_eq!(parse_v1::<T>(extra, "f").unwrap_err().code(), "malformed");
        let repeated = r#"{"format":"f","v":1,"x":"AAE","x":"AAE"}"#;
        assert_eq!(
            parse_v1::<T>(repeated, "f").unwrap_err().code(),
            "malformed"
        );
        for (text, reason) in [
            ("[1]", "not a JSON object"),
            ("{} x", "not JSON"),
            (
                r#"{"format":1,"v":1}"#,
                "member \"format\" missing or not a string",
            ),
            (
                r#"{"format":"f","v":-1}"#,
                "member \"v\" missing or not an integer",
            ),
            (
                r#"{"format":"f","v":1.0}"#,
                "member \"v\" missing or not an integer",
            ),
        ] {
            let e = parse_v1::<T>(text, "f").unwrap_err();
            assert_eq!(
                e,
                WireError::Malformed {
                    format: "f",
                    reason
                },
                "{text}"
            );
        }
    }

    #[test]
    fn tbs_is_length_prefixed() {
        let b = Tbs::new("ab").str("").u32(1).bytes(&[9]).u64(2).finish();
        assert_eq!(
            b,
            [
                0, 2, b'a', b'b', 0, 0, 0, 0, 0, 1, 9, 0, 0, 0, 0, 0, 0, 0, 2
            ]
        );
    }
}
