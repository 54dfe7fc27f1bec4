//! The accepted shapes (`spec/ciphertext-only-channels.md` section 3) as member tables,
//! and the check of one object against one table.

use super::node::Node;
use super::{CiphertextError, Shape, b64};

/// The one suite of envelope version 1.
const SUITE: &str = "AES256GCM-HKDFSHA256";
/// The envelope kinds.
const KINDS: [&str; 3] = ["chat", "call", "realtime"];
/// Bytes of one key entry in a key response's plaintext (`spec/key-lifecycle.md` §8.2).
const KEY_ENTRY_LEN: u64 = 298;
/// The longest identifier, in bytes.
const MAX_IDENTIFIER_LEN: usize = 255;

/// What one member must hold.
#[derive(Clone, Copy)]
enum Rule {
    /// Exactly this string (`format`, `suite`).
    Is(&'static str),
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An identifier: 1 to 255 bytes of UTF-8 without a control character.
    Identifier,
    /// An integer from 1 to 2^32 − 1.
    KeyVersion,
    /// An integer from 0 to 2^32 − 1.
    U32,
    /// An integer from 0 to 2^64 − 1.
    U64,
    /// Canonical base64url of exactly this many bytes.
    Bytes(u64),
    /// Canonical base64url of at least this many bytes.
    AtLeastBytes(u64),
    /// A key response's `ct`: base64url of 4 + 298·`keys` + 16 bytes.
    KeysCiphertext,
    /// A nested object of this shape.
    Nested(Shape),
    /// A nested envelope, signed or not.
    AnyEnvelope,
}

/// One member of a shape.
struct Member {
    name: &'static str,
    rule: Rule,
    required: bool,
}

const fn req(name: &'static str, rule: Rule) -> Member {
    Member {
        name,
        rule,
        required: true,
    }
}

const fn opt(name: &'static str, rule: Rule) -> Member {
    Member {
        name,
        rule,
        required: false,
    }
}

const ENVELOPE: &[Member] = &[
    req("suite", Rule::Is(SUITE)),
    req("kind", Rule::OneOf(&KINDS)),
    opt("kid", Rule::Identifier),
    req("kver", Rule::KeyVersion),
    req("nonce", Rule::Bytes(44)),
    req("commit", Rule::Bytes(32)),
    req("ct", Rule::AtLeastBytes(16)),
];

const SIGNED: &[Member] = &[
    req("format", Rule::Is("domvia-signed")),
    req("from_user", Rule::Identifier),
    req("from_device", Rule::Identifier),
    req("envelope", Rule::Nested(Shape::Envelope)),
    req("sig", Rule::Bytes(64)),
];

const KEY_SHARE: &[Member] = &[
    req("format", Rule::Is("domvia-keyshare")),
    req("room", Rule::Identifier),
    req("kid", Rule::Identifier),
    req("kver", Rule::KeyVersion),
    req("from_user", Rule::Identifier),
    req("from_device", Rule::Identifier),
    req("to_user", Rule::Identifier),
    req("to_device", Rule::Identifier),
    req("commit", Rule::Bytes(32)),
    req("enc", Rule::Bytes(32)),
    req("ct", Rule::Bytes(48)),
    req("sig", Rule::Bytes(64)),
];

const DEVICE: &[Member] = &[
    req("format", Rule::Is("domvia-device")),
    req("user", Rule::Identifier),
    req("device", Rule::Identifier),
    req("hpke_pk", Rule::Bytes(32)),
    req("sign_pk", Rule::Bytes(32)),
    req("sig", Rule::Bytes(64)),
];

const KEY_REQUEST: &[Member] = &[
    req("format", Rule::Is("domvia-key-request")),
    req("request_id", Rule::Bytes(16)),
    req("bundle", Rule::Nested(Shape::DeviceBundle)),
    req("sig", Rule::Bytes(64)),
];

const KEY_RESPONSE: &[Member] = &[
    req("format", Rule::Is("domvia-key-response")),
    req("request_id", Rule::Bytes(16)),
    req("user", Rule::Identifier),
    req("from_device", Rule::Identifier),
    req("to_device", Rule::Identifier),
    req("keys", Rule::U32),
    req("enc", Rule::Bytes(32)),
    req("ct", Rule::KeysCiphertext),
    req("sig", Rule::Bytes(64)),
];

const REVOCATION: &[Member] = &[
    req("format", Rule::Is("domvia-revocation")),
    req("user", Rule::Identifier),
    req("device", Rule::Identifier),
    req("fingerprint", Rule::Bytes(32)),
    req("by_device", Rule::Identifier),
    req("revoked_at", Rule::U64),
    req("sig", Rule::Bytes(64)),
];

const IDENTIFIED: &[Member] = &[
    req("id", Rule::Identifier),
    req("envelope", Rule::AnyEnvelope),
];

/// The most members a shape has, with `v`.
const MAX_MEMBERS: usize = 13;

impl Shape {
    /// The members besides `v`.
    fn members(self) -> &'static [Member] {
        match self {
            Self::Envelope => ENVELOPE,
            Self::SignedEnvelope => SIGNED,
            Self::KeyShare => KEY_SHARE,
            Self::DeviceBundle => DEVICE,
            Self::KeyRequest => KEY_REQUEST,
            Self::KeyResponse => KEY_RESPONSE,
            Self::Revocation => REVOCATION,
            Self::IdentifiedEnvelope => IDENTIFIED,
        }
    }

    /// Whether the shape has a `v` member (all but the identified envelope).
    fn versioned(self) -> bool {
        match self {
            Self::IdentifiedEnvelope => false,
            Self::Envelope
            | Self::SignedEnvelope
            | Self::KeyShare
            | Self::DeviceBundle
            | Self::KeyRequest
            | Self::KeyResponse
            | Self::Revocation => true,
        }
    }

    /// The shape of a format name (`domvia-keyshare`, ...).
    pub(super) fn from_format(format: &str) -> Option<Self> {
        [
            Self::SignedEnvelope,
            Self::KeyShare,
            Self::DeviceBundle,
            Self::KeyRequest,
            Self::KeyResponse,
            Self::Revocation,
        ]
        .into_iter()
        .find(|shape| shape.format() == Some(format))
    }
}

/// Checks that `node` is an object of exactly `shape`, in the order of the spec's
/// section 4: `v` first, then the member set, then each member.
pub(super) fn check(node: &Node, shape: Shape) -> Result<(), CiphertextError> {
    let members = node.members().ok_or(CiphertextError::NotAnObject)?;
    if shape.versioned() {
        match node.get("v") {
            None => return Err(missing(shape, "v")),
            Some(Node::UInt(1)) => {}
            Some(Node::UInt(_)) => return Err(CiphertextError::UnsupportedVersion { shape }),
            Some(_) => return Err(bad(shape, "v")),
        }
    }
    let table = shape.members();
    let mut slots: [Option<&Node>; MAX_MEMBERS] = [None; MAX_MEMBERS];
    let mut seen_v = false;
    for (name, value) in members {
        if shape.versioned() && name == "v" {
            if seen_v {
                return Err(CiphertextError::DuplicateMember { shape, member: "v" });
            }
            seen_v = true;
            continue;
        }
        let (index, member) = table
            .iter()
            .enumerate()
            .find(|(_, m)| m.name == name)
            .ok_or(CiphertextError::UnknownMember { shape })?;
        let slot = slots
            .get_mut(index)
            .ok_or(CiphertextError::UnknownMember { shape })?;
        if slot.is_some() {
            return Err(CiphertextError::DuplicateMember {
                shape,
                member: member.name,
            });
        }
        *slot = Some(value);
    }
    for (member, slot) in table.iter().zip(slots) {
        match slot {
            None if member.required => return Err(missing(shape, member.name)),
            None => {}
            Some(value) => check_member(shape, member, value, &slots)?,
        }
    }
    Ok(())
}

fn check_member(
    shape: Shape,
    member: &Member,
    value: &Node,
    slots: &[Option<&Node>; MAX_MEMBERS],
) -> Result<(), CiphertextError> {
    let ok = match member.rule {
        Rule::Is(expected) => value.as_str() == Some(expected),
        Rule::OneOf(allowed) => value.as_str().is_some_and(|s| allowed.contains(&s)),
        Rule::Identifier => value.as_str().is_some_and(is_identifier),
        Rule::KeyVersion => matches!(value, Node::UInt(n) if (1..=u64::from(u32::MAX)).contains(n)),
        Rule::U32 => matches!(value, Node::UInt(n) if *n <= u64::from(u32::MAX)),
        Rule::U64 => matches!(value, Node::UInt(_)),
        Rule::Bytes(len) => b64_len(value) == Some(len),
        Rule::AtLeastBytes(min) => b64_len(value).is_some_and(|len| len >= min),
        Rule::KeysCiphertext => {
            let keys = shape
                .members()
                .iter()
                .position(|m| m.name == "keys")
                .and_then(|i| slots.get(i).copied().flatten());
            let expected = match keys {
                Some(Node::UInt(n)) => n
                    .checked_mul(KEY_ENTRY_LEN)
                    .and_then(|n| n.checked_add(4 + 16)),
                // Checked before `ct` (table order), so never reached.
                _ => None,
            };
            expected.is_some() && b64_len(value) == expected
        }
        Rule::Nested(inner) => {
            if value.members().is_none() {
                false
            } else {
                return check(value, inner);
            }
        }
        Rule::AnyEnvelope => {
            let inner = match value.get("format").map(Node::as_str) {
                None => Shape::Envelope,
                Some(Some(format)) if Shape::SignedEnvelope.format() == Some(format) => {
                    Shape::SignedEnvelope
                }
                Some(_) => return Err(bad(shape, member.name)),
            };
            if value.members().is_none() {
                false
            } else {
                return check(value, inner);
            }
        }
    };
    if ok {
        Ok(())
    } else {
        Err(bad(shape, member.name))
    }
}

fn is_identifier(s: &str) -> bool {
    (1..=MAX_IDENTIFIER_LEN).contains(&s.len()) && !s.chars().any(char::is_control)
}

fn b64_len(value: &Node) -> Option<u64> {
    value
        .as_str()
        .and_then(b64::decoded_len)
        .and_then(|n| u64::try_from(n).ok())
}

fn missing(shape: Shape, member: &'static str) -> CiphertextError {
    CiphertextError::MissingMember { shape, member }
}

fn bad(shape: Shape, member: &'static str) -> CiphertextError {
    CiphertextError::BadMember { shape, member }
}
