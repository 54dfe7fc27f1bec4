//! The context an envelope is bound to, and its byte-exact encoding as associated data.
//!
//! spec/envelope-v1.md section 5.1:
//!
//! ```text
//! AAD = "domvia-e2ee" || u8(1) || u8(suite) || u8(kind)
//!    || str16(key_id) || u32(key_version) || kind fields
//! ```
//!
//! ```
//! use domvia_e2ee::{ChatContext, Context, KeyLabel};
//!
//! let chat = ChatContext::parse("room-42", "msg-1")?;
//! let label = KeyLabel::parse(Some("room-42-v1"), 1)?;
//! let aad = Context::from(chat).associated_data(&label);
//! assert!(aad.starts_with(b"domvia-e2ee\x01\x01\x01"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::ident::{
    CallId, EventName, IdentifierError, KeyId, KeyVersion, KeyVersionError, MessageId, RoomId,
    Scope, ScopeId,
};
use crate::suite::Suite;

/// Domain-separation prefix of the associated data.
const AAD_MAGIC: &[u8; 11] = b"domvia-e2ee";
/// The envelope format version this crate implements.
pub const FORMAT_VERSION: u8 = 1;

/// What an envelope carries. Visible on the wire, and bound in the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A chat message body.
    Chat,
    /// A call-signaling payload (offer, answer, ICE candidate, media state).
    Call,
    /// A custom realtime event (location, delivery, account, …).
    Realtime,
}

impl Kind {
    /// The name used in the envelope's `kind` member.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Call => "call",
            Self::Realtime => "realtime",
        }
    }

    /// The kind's byte in the associated data.
    #[must_use]
    pub fn byte(self) -> u8 {
        match self {
            Self::Chat => 1,
            Self::Call => 2,
            Self::Realtime => 3,
        }
    }

    /// The kind with this wire name, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "chat" => Some(Self::Chat),
            "call" => Some(Self::Call),
            "realtime" => Some(Self::Realtime),
            _ => None,
        }
    }
}

impl core::fmt::Display for Kind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a context or key label could not be built from strings and numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// An identifier broke the identifier rules.
    #[error(transparent)]
    Identifier(#[from] IdentifierError),
    /// The key version is out of range.
    #[error(transparent)]
    KeyVersion(#[from] KeyVersionError),
}

impl ContextError {
    /// A stable, machine-readable code for this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Identifier(e) => e.code(),
            Self::KeyVersion(e) => e.code(),
        }
    }
}

/// The context of a chat message: the room and the message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChatContext {
    /// The room the message belongs to.
    pub room_id: RoomId,
    /// The message's id within the room.
    pub message_id: MessageId,
}

impl ChatContext {
    /// Parses both identifiers.
    ///
    /// # Errors
    /// [`IdentifierError`] when either breaks the identifier rules.
    pub fn parse(room_id: &str, message_id: &str) -> Result<Self, IdentifierError> {
        Ok(Self {
            room_id: room_id.parse()?,
            message_id: message_id.parse()?,
        })
    }
}

/// The context of a call-signaling payload: the call and the signaling event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallContext {
    /// The call.
    pub call_id: CallId,
    /// The signaling event, for example `call.offer`, `call.answer`, `call.ice`.
    pub event_name: EventName,
}

impl CallContext {
    /// Parses both identifiers.
    ///
    /// # Errors
    /// [`IdentifierError`] when either breaks the identifier rules.
    pub fn parse(call_id: &str, event_name: &str) -> Result<Self, IdentifierError> {
        Ok(Self {
            call_id: call_id.parse()?,
            event_name: event_name.parse()?,
        })
    }
}

/// The context of a custom realtime event: a scope, an object in it, and the event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RealtimeContext {
    /// The scope, for example `delivery`.
    pub scope: Scope,
    /// The object within the scope, for example `order-1001`.
    pub scope_id: ScopeId,
    /// The event, for example `delivery.private_note`.
    pub event_name: EventName,
}

impl RealtimeContext {
    /// Parses the three identifiers.
    ///
    /// # Errors
    /// [`IdentifierError`] when any breaks the identifier rules.
    pub fn parse(scope: &str, scope_id: &str, event_name: &str) -> Result<Self, IdentifierError> {
        Ok(Self {
            scope: scope.parse()?,
            scope_id: scope_id.parse()?,
            event_name: event_name.parse()?,
        })
    }
}

/// The context of any kind of envelope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Context {
    /// A chat message.
    Chat(ChatContext),
    /// A call-signaling payload.
    Call(CallContext),
    /// A custom realtime event.
    Realtime(RealtimeContext),
}

impl From<ChatContext> for Context {
    fn from(c: ChatContext) -> Self {
        Self::Chat(c)
    }
}
impl From<CallContext> for Context {
    fn from(c: CallContext) -> Self {
        Self::Call(c)
    }
}
impl From<RealtimeContext> for Context {
    fn from(c: RealtimeContext) -> Self {
        Self::Realtime(c)
    }
}

/// Which key an envelope is sealed under: an optional key id and a key version. Both are
/// visible in the envelope and bound in the associated data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyLabel {
    /// The key id; required by chat envelopes in the JavaScript API, optional in the format.
    pub key_id: Option<KeyId>,
    /// The key version.
    pub key_version: KeyVersion,
}

impl KeyLabel {
    /// A label with a key id.
    #[must_use]
    pub fn new(key_id: KeyId, key_version: KeyVersion) -> Self {
        Self {
            key_id: Some(key_id),
            key_version,
        }
    }

    /// A label without a key id (call and realtime envelopes in the seed's API).
    #[must_use]
    pub fn version_only(key_version: KeyVersion) -> Self {
        Self {
            key_id: None,
            key_version,
        }
    }

    /// Parses an optional key id and a version number.
    ///
    /// # Errors
    /// [`ContextError`] when the id breaks the identifier rules or the version is out of
    /// range.
    pub fn parse(key_id: Option<&str>, key_version: u64) -> Result<Self, ContextError> {
        Ok(Self {
            key_id: key_id.map(str::parse).transpose()?,
            key_version: KeyVersion::new(key_version)?,
        })
    }
}

/// A borrowed context, so sealing and opening never copy identifiers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ContextRef<'a> {
    Chat(&'a ChatContext),
    Call(&'a CallContext),
    Realtime(&'a RealtimeContext),
}

impl<'a> From<&'a ChatContext> for ContextRef<'a> {
    fn from(c: &'a ChatContext) -> Self {
        Self::Chat(c)
    }
}
impl<'a> From<&'a CallContext> for ContextRef<'a> {
    fn from(c: &'a CallContext) -> Self {
        Self::Call(c)
    }
}
impl<'a> From<&'a RealtimeContext> for ContextRef<'a> {
    fn from(c: &'a RealtimeContext) -> Self {
        Self::Realtime(c)
    }
}
impl<'a> From<&'a Context> for ContextRef<'a> {
    fn from(c: &'a Context) -> Self {
        match c {
            Context::Chat(c) => Self::Chat(c),
            Context::Call(c) => Self::Call(c),
            Context::Realtime(c) => Self::Realtime(c),
        }
    }
}

impl Context {
    /// The kind of envelope this context is for.
    #[must_use]
    pub fn kind(&self) -> Kind {
        ContextRef::from(self).kind()
    }

    /// The associated data for this context and key label, byte for byte as
    /// spec/envelope-v1.md section 5.1 defines it.
    #[must_use]
    pub fn associated_data(&self, label: &KeyLabel) -> Vec<u8> {
        ContextRef::from(self).associated_data(Suite::Aes256GcmHkdfSha256, label)
    }
}

impl ContextRef<'_> {
    pub(crate) fn kind(self) -> Kind {
        match self {
            Self::Chat(_) => Kind::Chat,
            Self::Call(_) => Kind::Call,
            Self::Realtime(_) => Kind::Realtime,
        }
    }

    pub(crate) fn associated_data(self, suite: Suite, label: &KeyLabel) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        aad.extend_from_slice(AAD_MAGIC);
        aad.extend_from_slice(&[FORMAT_VERSION, suite.byte(), self.kind().byte()]);
        put_str16(&mut aad, label.key_id.as_ref().map_or("", KeyId::as_str));
        aad.extend_from_slice(&label.key_version.get().to_be_bytes());
        match self {
            Self::Chat(c) => {
                put_str16(&mut aad, c.room_id.as_str());
                put_str16(&mut aad, c.message_id.as_str());
            }
            Self::Call(c) => {
                put_str16(&mut aad, c.call_id.as_str());
                put_str16(&mut aad, c.event_name.as_str());
            }
            Self::Realtime(c) => {
                put_str16(&mut aad, c.scope.as_str());
                put_str16(&mut aad, c.scope_id.as_str());
                put_str16(&mut aad, c.event_name.as_str());
            }
        }
        aad
    }
}

/// `str16(s) = u16(len(s)) || s`. Identifiers are at most 255 bytes, so the length
/// always fits; the saturation only keeps the function total.
fn put_str16(out: &mut Vec<u8>, s: &str) {
    let len = u16::try_from(s.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(id: Option<&str>, v: u64) -> KeyLabel {
        KeyLabel::parse(id, v).unwrap()
    }

    #[test]
    fn chat_aad_is_byte_exact() {
        let ctx = Context::from(ChatContext::parse("r", "m1").unwrap());
        let aad = ctx.associated_data(&label(Some("k"), 258));
        let mut expected = b"domvia-e2ee".to_vec();
        expected.extend_from_slice(&[
            1, 1, 1, 0, 1, b'k', 0, 0, 1, 2, 0, 1, b'r', 0, 2, b'm', b'1',
        ]);
        assert_eq!(aad, expected);
    }

    #[test]
    fn absent_key_id_is_a_zero_length() {
        let ctx = Context::from(CallContext::parse("c", "e").unwrap());
        let aad = ctx.associated_data(&label(None, 1));
        assert_eq!(&aad[11..20], &[1, 1, 2, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn shifting_bytes_between_fields_changes_the_aad() {
        // With a delimiter encoding, ("ab","c") and ("a","bc") could collide.
        let a = Context::from(RealtimeContext::parse("ab", "c", "e").unwrap());
        let b = Context::from(RealtimeContext::parse("a", "bc", "e").unwrap());
        let l = label(None, 1);
        assert_ne!(a.associated_data(&l), b.associated_data(&l));
    }
}
