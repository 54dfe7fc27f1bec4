//! Parsing the wire form in the spec's order (spec/envelope-v1.md section 8, steps 1 to 4):
//! JSON and object shape, then the version, then every other member. Members are first
//! read whatever their JSON type ([`Loose`]), so each problem is reported by the rule it
//! breaks, not by where serde happened to stop.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, MapAccess, Visitor};

use super::{Envelope, EnvelopeError, Malformed, clip};
use crate::context::{FORMAT_VERSION, KeyLabel, Kind};
use crate::framing::MAX_FRAMED_LEN;
use crate::ident::{KeyId, KeyVersion};
use crate::suite::{COMMITMENT_LEN, NONCE_LEN, Suite, TAG_LEN};
use crate::wire::Loose;

pub(super) fn classify(e: serde_json::Error) -> EnvelopeError {
    match e.classify() {
        serde_json::error::Category::Data => Malformed::NotObject.into(),
        serde_json::error::Category::Io
        | serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof => Malformed::NotJson.into(),
    }
}

impl<'de> serde::Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RawEnvelope::deserialize(d)?
            .check()
            .map_err(de::Error::custom)
    }
}

const MEMBERS: [&str; 8] = ["v", "suite", "kind", "kid", "kver", "nonce", "commit", "ct"];

/// The members as read, before any rule beyond "is an object" is applied.
#[derive(Default)]
pub(super) struct RawEnvelope<'a> {
    members: [Option<Loose<'a>>; 8],
    duplicate: Option<&'static str>,
    unknown: Option<String>,
}

impl<'de> serde::Deserialize<'de> for RawEnvelope<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawEnvelope<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an envelope object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut raw = RawEnvelope::default();
                while let Some(name) = map.next_key::<Cow<'de, str>>()? {
                    let value = map.next_value::<Loose<'de>>()?;
                    match MEMBERS.iter().position(|m| *m == name) {
                        Some(i) => {
                            if let Some(slot) = raw.members.get_mut(i) {
                                if slot.is_some() {
                                    raw.duplicate = raw.duplicate.or(MEMBERS.get(i).copied());
                                }
                                *slot = Some(value);
                            }
                        }
                        None => {
                            if raw.unknown.is_none() {
                                raw.unknown = Some(clip(&name));
                            }
                        }
                    }
                }
                Ok(raw)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> RawEnvelope<'a> {
    pub(super) fn deserialize_from(
        value: &'a serde_json::Value,
    ) -> Result<Self, serde_json::Error> {
        serde::Deserialize::deserialize(value)
    }

    fn take(&mut self, member: &'static str) -> Option<Loose<'a>> {
        let i = MEMBERS.iter().position(|m| *m == member)?;
        self.members.get_mut(i)?.take()
    }

    fn string(&mut self, member: &'static str) -> Result<Option<Cow<'a, str>>, Malformed> {
        match self.take(member) {
            None => Ok(None),
            Some(Loose::Str(s)) => Ok(Some(s)),
            Some(Loose::Int(_) | Loose::Other) => Err(Malformed::WrongType { member }),
        }
    }

    fn required(&mut self, member: &'static str) -> Result<Cow<'a, str>, Malformed> {
        self.string(member)?
            .ok_or(Malformed::MissingMember { member })
    }

    pub(super) fn check(mut self) -> Result<Envelope, EnvelopeError> {
        let version = match self.take("v") {
            None => return Err(Malformed::MissingMember { member: "v" }.into()),
            Some(Loose::Int(v)) => v,
            Some(Loose::Str(_) | Loose::Other) => {
                return Err(Malformed::WrongType { member: "v" }.into());
            }
        };
        if version != u64::from(FORMAT_VERSION) {
            return Err(EnvelopeError::UnsupportedVersion { version });
        }
        if let Some(member) = self.duplicate {
            return Err(Malformed::DuplicateMember { member }.into());
        }
        if let Some(member) = self.unknown.take() {
            return Err(Malformed::UnknownMember { member }.into());
        }
        let suite_name = self.required("suite")?;
        let suite =
            Suite::from_name(&suite_name).ok_or_else(|| EnvelopeError::UnsupportedSuite {
                suite: clip(&suite_name),
            })?;
        let kind_name = self.required("kind")?;
        let kind = Kind::from_name(&kind_name).ok_or_else(|| Malformed::UnknownKind {
            kind: clip(&kind_name),
        })?;
        let key_id = self
            .string("kid")?
            .map(|s| s.parse::<KeyId>())
            .transpose()
            .map_err(|source| Malformed::InvalidKeyId { source })?;
        let key_version = match self.take("kver") {
            None => return Err(Malformed::MissingMember { member: "kver" }.into()),
            Some(Loose::Int(v)) => {
                KeyVersion::new(v).map_err(|_| Malformed::WrongType { member: "kver" })?
            }
            Some(Loose::Str(_) | Loose::Other) => {
                return Err(Malformed::WrongType { member: "kver" }.into());
            }
        };
        let nonce = fixed::<NONCE_LEN>("nonce", "44", &self.required("nonce")?)?;
        let commitment = fixed::<COMMITMENT_LEN>("commit", "32", &self.required("commit")?)?;
        let sealed = sealed(&self.required("ct")?)?;
        Ok(Envelope {
            suite,
            kind,
            label: KeyLabel {
                key_id,
                key_version,
            },
            nonce,
            commitment,
            sealed,
        })
    }
}

fn fixed<const N: usize>(
    member: &'static str,
    expected: &'static str,
    text: &str,
) -> Result<[u8; N], Malformed> {
    let mut out = [0u8; N];
    // Reject by length first so a long string is not decoded at all.
    if text.len() != N.saturating_mul(4).div_ceil(3) {
        let len = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| Malformed::NotBase64 { member })?
            .len();
        return Err(Malformed::WrongLength {
            member,
            len,
            expected,
        });
    }
    match URL_SAFE_NO_PAD.decode_slice(text, &mut out) {
        Ok(n) if n == N => Ok(out),
        _ => Err(Malformed::NotBase64 { member }),
    }
}

fn sealed(text: &str) -> Result<Vec<u8>, Malformed> {
    const MAX: usize = MAX_FRAMED_LEN + TAG_LEN;
    const EXPECTED: &str = "16 to 16 842 772";
    let member = "ct";
    // Four characters carry three bytes; reject over-long text before decoding it.
    let decoded_len = (text.len() / 4).saturating_mul(3);
    if decoded_len > MAX.saturating_add(3) {
        return Err(Malformed::WrongLength {
            member,
            len: decoded_len,
            expected: EXPECTED,
        });
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| Malformed::NotBase64 { member })?;
    if bytes.len() < TAG_LEN || bytes.len() > MAX {
        return Err(Malformed::WrongLength {
            member,
            len: bytes.len(),
            expected: EXPECTED,
        });
    }
    Ok(bytes)
}
