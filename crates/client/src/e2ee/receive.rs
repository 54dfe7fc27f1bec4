//! The receiving side of [`super::EncryptedChannel`]: events in, payloads or failures out.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use domvia_e2ee::{
    CallContext, CallId, ChatContext, Context, DEFAULT_REPLAY_CAPACITY, DeviceDirectory, DeviceRef,
    Envelope, ExchangeError, Keyring, Kind, OpenError, RealtimeContext, ReplayGuard, RoomId, Scope,
    ScopeId, SignedEnvelope,
};
use domvia_protocol::{EventName, UserId};
use futures_util::Stream;
use serde_json::Value;

use super::{CHAT_EVENT, KEY_TRANSPORT_PREFIX};
use crate::event::{Binding, Event};

/// The ids a receiver knows that the wire does not carry.
#[derive(Clone, Debug)]
pub(crate) struct Contexts {
    pub(crate) room_id: RoomId,
    pub(crate) call_id: Option<CallId>,
    pub(crate) scope: Option<(Scope, ScopeId)>,
    pub(crate) devices: Option<Arc<Mutex<DeviceDirectory>>>,
}

/// An envelope as it came: bare, or signed by a device.
enum Received {
    Plain(Envelope),
    Signed(SignedEnvelope),
}

impl Received {
    /// Parses an envelope or a signed envelope; returns it with its kind.
    fn parse(event: &EventName, value: &Value) -> Result<(Self, Kind), OpenFailure> {
        if value.get("format").and_then(Value::as_str) == Some("domvia-signed") {
            let signed = SignedEnvelope::from_json(&value.to_string()).map_err(|source| {
                OpenFailure::Verify {
                    event: event.clone(),
                    source,
                }
            })?;
            // The inner envelope parsed above; read it again only for its kind.
            let inner = value.get("envelope").unwrap_or(&Value::Null);
            let kind = parse_envelope(event, inner)?.kind();
            Ok((Self::Signed(signed), kind))
        } else {
            let envelope = parse_envelope(event, value)?;
            let kind = envelope.kind();
            Ok((Self::Plain(envelope), kind))
        }
    }
}

/// An event whose payload opened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Decrypted {
    /// The event name on the wire.
    pub event: EventName,
    /// The sender's user id, on presence channels.
    pub user_id: Option<UserId>,
    /// The context the payload was bound to (room and message id, call and event, ...).
    pub context: Context,
    /// The key id and version it was sealed under.
    pub key_label: domvia_e2ee::KeyLabel,
    /// The device that signed it, verified against the directory (signed envelopes only).
    pub sender: Option<DeviceRef>,
    /// The payload.
    pub payload: Value,
}

/// An event that did not give a payload. Reported, never dropped silently.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenFailure {
    /// The data is not one of the encrypted shapes (or not JSON).
    #[error("event {event} does not carry an envelope: {reason}")]
    NotEncrypted {
        /// The event.
        event: EventName,
        /// Why.
        reason: &'static str,
    },
    /// The envelope's kind needs an id this stream was not configured with.
    #[error("event {event} is a {kind} envelope, but no {missing} is configured")]
    NoContext {
        /// The event.
        event: EventName,
        /// The envelope's kind.
        kind: Kind,
        /// What is missing ("call id", "scope").
        missing: &'static str,
    },
    /// The envelope is signed, but no device directory was given to verify it
    /// ([`super::EncryptedChannel::with_devices`]).
    #[error("event {event} carries a signed envelope, and no device directory is configured")]
    Unverifiable {
        /// The event.
        event: EventName,
    },
    /// The envelope is not signed, but this stream requires signatures (a device directory
    /// is configured).
    #[error("event {event} carries an unsigned envelope; signatures are required")]
    Unsigned {
        /// The event.
        event: EventName,
    },
    /// The signed envelope is malformed, or its signature does not verify (unknown or
    /// revoked device, forged signature, another context).
    #[error("event {event}: {source}")]
    Verify {
        /// The event.
        event: EventName,
        /// The e2ee reason.
        #[source]
        source: ExchangeError,
    },
    /// The envelope did not open: unknown key, wrong key, wrong context, tampering, or a
    /// replay.
    #[error("event {event}: {source}")]
    Open {
        /// The event.
        event: EventName,
        /// The e2ee reason ([`OpenError::Authentication`] stays opaque on purpose).
        #[source]
        source: OpenError,
    },
}

impl OpenFailure {
    /// A stable machine-readable code (the e2ee code for [`OpenFailure::Open`]).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotEncrypted { .. } => "not_encrypted",
            Self::NoContext { .. } => "no_context",
            Self::Unverifiable { .. } => "unverifiable",
            Self::Unsigned { .. } => "unsigned",
            Self::Verify { source, .. } => source.code(),
            Self::Open { source, .. } => source.code(),
        }
    }

    /// The event that failed.
    #[must_use]
    pub fn event(&self) -> &EventName {
        match self {
            Self::NotEncrypted { event, .. }
            | Self::NoContext { event, .. }
            | Self::Unverifiable { event }
            | Self::Unsigned { event }
            | Self::Verify { event, .. }
            | Self::Open { event, .. } => event,
        }
    }
}

/// The stream of [`super::EncryptedChannel::receive`]: a [`Stream`] of
/// `Result<Decrypted, OpenFailure>`, and [`EncryptedStream::recv`].
pub struct EncryptedStream {
    binding: Binding,
    keyring: Arc<Mutex<Keyring>>,
    contexts: Contexts,
    replay: ReplayGuard,
}

impl std::fmt::Debug for EncryptedStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedStream").finish_non_exhaustive()
    }
}

impl EncryptedStream {
    pub(crate) fn new(binding: Binding, keyring: Arc<Mutex<Keyring>>, contexts: Contexts) -> Self {
        Self {
            binding,
            keyring,
            contexts,
            replay: ReplayGuard::new(DEFAULT_REPLAY_CAPACITY),
        }
    }

    /// The next encrypted event, opened; `None` once the channel is unsubscribed or the
    /// client closed.
    pub async fn recv(&mut self) -> Option<Result<Decrypted, OpenFailure>> {
        loop {
            let event = self.binding.recv().await?;
            if let Some(item) = self.open(&event) {
                return Some(item);
            }
        }
    }

    /// Opens one event; `None` for events that are not meant to be encrypted (presence
    /// changes and key-lifecycle messages).
    fn open(&mut self, event: &Event) -> Option<Result<Decrypted, OpenFailure>> {
        let name = event.event.as_str();
        if event.event.is_reserved() || name.starts_with(KEY_TRANSPORT_PREFIX) {
            return None;
        }
        Some(self.open_envelope(event))
    }

    fn open_envelope(&mut self, event: &Event) -> Result<Decrypted, OpenFailure> {
        let name = event.event.clone();
        let not_encrypted = |reason| OpenFailure::NotEncrypted {
            event: name.clone(),
            reason,
        };
        let data: Value =
            serde_json::from_str(&event.data).map_err(|_| not_encrypted("data is not JSON"))?;
        let Value::Object(map) = &data else {
            return Err(not_encrypted("data is not a JSON object"));
        };
        let (received, context) = if event.event.as_str() == CHAT_EVENT {
            let (Some(Value::String(id)), Some(inner), 2) =
                (map.get("id"), map.get("envelope"), map.len())
            else {
                return Err(not_encrypted(
                    "chat data must be exactly {\"id\", \"envelope\"}",
                ));
            };
            let (received, _) = Received::parse(&name, inner)?;
            let message_id = id
                .parse()
                .map_err(|_| not_encrypted("the chat message id is not a valid identifier"))?;
            let context = Context::Chat(ChatContext {
                room_id: self.contexts.room_id.clone(),
                message_id,
            });
            (received, context)
        } else {
            let (received, kind) = Received::parse(&name, &data)?;
            let context = self.bare_context(&name, kind)?;
            (received, context)
        };
        let (envelope, sender) = match (&received, &self.contexts.devices) {
            (Received::Plain(_), Some(_)) => return Err(OpenFailure::Unsigned { event: name }),
            (Received::Plain(envelope), None) => (envelope, None),
            (Received::Signed(_), None) => return Err(OpenFailure::Unverifiable { event: name }),
            (Received::Signed(signed), Some(devices)) => {
                let devices = devices.lock().unwrap_or_else(PoisonError::into_inner);
                let verified =
                    signed
                        .verify(&devices, &context)
                        .map_err(|source| OpenFailure::Verify {
                            event: name.clone(),
                            source,
                        })?;
                (verified.envelope, Some(verified.sender))
            }
        };
        let keyring = self.keyring.lock().unwrap_or_else(PoisonError::into_inner);
        let payload = self
            .replay
            .open_json_with_keyring(envelope, &keyring, &context)
            .map_err(|source| OpenFailure::Open {
                event: name.clone(),
                source,
            })?;
        Ok(Decrypted {
            event: name,
            user_id: event.user_id.clone(),
            context,
            key_label: envelope.key_label().clone(),
            sender,
            payload,
        })
    }

    /// The context of a bare (call or realtime) envelope, from the configured ids and the
    /// event name without `client-`.
    fn bare_context(&self, event: &EventName, kind: Kind) -> Result<Context, OpenFailure> {
        let bare = event
            .as_str()
            .strip_prefix("client-")
            .unwrap_or(event.as_str());
        let no_context = |missing| OpenFailure::NoContext {
            event: event.clone(),
            kind,
            missing,
        };
        let event_name = bare.parse().map_err(|_| OpenFailure::NotEncrypted {
            event: event.clone(),
            reason: "the event name is not a valid identifier",
        })?;
        match kind {
            Kind::Chat => Err(OpenFailure::NotEncrypted {
                event: event.clone(),
                reason: "a chat envelope must come as {\"id\", \"envelope\"} on the chat event",
            }),
            Kind::Call => {
                let call_id = self.contexts.call_id.clone().ok_or(no_context("call id"))?;
                Ok(Context::Call(CallContext {
                    call_id,
                    event_name,
                }))
            }
            Kind::Realtime => {
                let (scope, scope_id) = self.contexts.scope.clone().ok_or(no_context("scope"))?;
                Ok(Context::Realtime(RealtimeContext {
                    scope,
                    scope_id,
                    event_name,
                }))
            }
            _ => Err(OpenFailure::NotEncrypted {
                event: event.clone(),
                reason: "unknown envelope kind",
            }),
        }
    }
}

fn parse_envelope(event: &EventName, value: &Value) -> Result<Envelope, OpenFailure> {
    Envelope::from_value(value).map_err(|e| OpenFailure::Open {
        event: event.clone(),
        source: OpenError::Envelope(e),
    })
}

impl Stream for EncryptedStream {
    type Item = Result<Decrypted, OpenFailure>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match Pin::new(&mut self.binding).poll_next(cx) {
                Poll::Ready(Some(event)) => {
                    if let Some(item) = self.open(&event) {
                        return Poll::Ready(Some(item));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
