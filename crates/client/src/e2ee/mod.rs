//! End-to-end encrypted channels: seal on send, open on receive, with a shared
//! [`Keyring`].
//!
//! Wire shapes (what the gateway's ciphertext-only rule accepts on `private-e2ee-*` and
//! `presence-e2ee-*` channels, and what [`EncryptedStream`] reads):
//! - chat: event [`CHAT_EVENT`], data exactly `{"id": "<message id>", "envelope": <envelope>}`;
//!   the context is the channel's room id (by default the channel's name) and the id;
//! - call signals and custom realtime events: event `client-<event name>`, data the bare
//!   envelope v1 object; the receiver's context is the call id, or scope and scope id, it
//!   was configured with ([`EncryptedChannel::with_call`], [`EncryptedChannel::with_scope`])
//!   and the event name without `client-`.
//!
//! The gateway sees channel and event names, timing and sizes, never the payload
//! (spec/security.md). Received envelopes go through a [`ReplayGuard`], so a replayed event
//! is reported, not delivered twice. With [`EncryptedChannel::with_signing`] every
//! envelope is sent as a signed envelope (`{"format": "domvia-signed", …}`, inside the chat
//! shape's `envelope` for chat); with [`EncryptedChannel::with_devices`] the receiver
//! verifies the signature and names the sender device.
//!
//! [`ReplayGuard`]: domvia_e2ee::ReplayGuard

mod receive;

use std::sync::{Arc, Mutex, PoisonError};

use domvia_e2ee::{
    CallContext, CallId, ChatContext, Context, DeviceDirectory, DeviceSecret, KeyId, Keyring,
    RealtimeContext, RoomId, Scope, ScopeId, SealError, SealOptions, SignedEnvelope,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::channel::Channel;
use crate::error::ClientError;

pub use receive::{Decrypted, EncryptedStream, OpenFailure};

/// The client event chat messages travel as.
pub const CHAT_EVENT: &str = "client-chat";

/// Events with this prefix carry key-lifecycle messages (spec/key-lifecycle.md §9), not
/// envelopes: the receive stream leaves them to their own handlers.
pub const KEY_TRANSPORT_PREFIX: &str = "client-domvia-";

/// A [`Channel`] whose client events are sealed with a shared [`Keyring`].
#[derive(Clone)]
pub struct EncryptedChannel {
    channel: Channel,
    keyring: Arc<Mutex<Keyring>>,
    key_id: KeyId,
    room_id: RoomId,
    call_id: Option<CallId>,
    scope: Option<(Scope, ScopeId)>,
    options: SealOptions,
    signer: Option<Arc<DeviceSecret>>,
    devices: Option<Arc<Mutex<DeviceDirectory>>>,
}

impl std::fmt::Debug for EncryptedChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedChannel")
            .field("channel", self.channel.name())
            .field("key_id", &self.key_id)
            .field("room_id", &self.room_id)
            .field(
                "signs_as",
                &self.signer.as_ref().map(|s| s.id().to_string()),
            )
            .field("verifies", &self.devices.is_some())
            .finish_non_exhaustive()
    }
}

fn seal_failed(error: &SealError) -> ClientError {
    ClientError::Seal {
        code: error.code(),
        reason: error.to_string(),
    }
}

fn identifier<T: std::str::FromStr<Err = domvia_e2ee::IdentifierError>>(
    value: &str,
) -> Result<T, ClientError> {
    value
        .parse()
        .map_err(|e: domvia_e2ee::IdentifierError| ClientError::Seal {
            code: e.code(),
            reason: e.to_string(),
        })
}

impl EncryptedChannel {
    /// Seals with the current version of `key_id` in `keyring`, and opens with whichever
    /// version an envelope names. The room id is the channel's name.
    ///
    /// # Errors
    /// [`ClientError::ClientEventsNotAllowed`] unless the channel is private or presence.
    pub fn new(
        channel: Channel,
        keyring: Arc<Mutex<Keyring>>,
        key_id: KeyId,
    ) -> Result<Self, ClientError> {
        if !channel.name().accepts_client_events() {
            return Err(ClientError::ClientEventsNotAllowed {
                channel: channel.name().clone(),
            });
        }
        let room_id = identifier(channel.name().as_str())?;
        Ok(Self {
            channel,
            keyring,
            key_id,
            room_id,
            call_id: None,
            scope: None,
            options: SealOptions::default(),
            signer: None,
            devices: None,
        })
    }

    /// The room id chat messages are bound to (default: the channel's name).
    #[must_use]
    pub fn with_room(mut self, room_id: RoomId) -> Self {
        self.room_id = room_id;
        self
    }

    /// The call whose signals the receive stream opens.
    #[must_use]
    pub fn with_call(mut self, call_id: CallId) -> Self {
        self.call_id = Some(call_id);
        self
    }

    /// The scope and object whose realtime events the receive stream opens.
    #[must_use]
    pub fn with_scope(mut self, scope: Scope, scope_id: ScopeId) -> Self {
        self.scope = Some((scope, scope_id));
        self
    }

    /// Options for sealing (padding, to hide payload sizes).
    #[must_use]
    pub fn with_seal_options(mut self, options: SealOptions) -> Self {
        self.options = options;
        self
    }

    /// Signs every envelope sent as `device` (a `domvia-signed` envelope, spec/key-lifecycle.md
    /// §7), so receivers can tell which member's device sent it.
    #[must_use]
    pub fn with_signing(mut self, device: Arc<DeviceSecret>) -> Self {
        self.signer = Some(device);
        self
    }

    /// Verifies received signed envelopes against `devices` (known, not revoked) and
    /// reports the sender in [`Decrypted::sender`]. With a directory, unsigned envelopes
    /// are refused (`unsigned`): any holder of the room key could have sealed them.
    #[must_use]
    pub fn with_devices(mut self, devices: Arc<Mutex<DeviceDirectory>>) -> Self {
        self.devices = Some(devices);
        self
    }

    /// The channel underneath.
    #[must_use]
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    fn seal<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        context: &Context,
    ) -> Result<Value, ClientError> {
        let keyring = self.keyring.lock().unwrap_or_else(PoisonError::into_inner);
        let envelope = keyring
            .seal_json(payload, &self.key_id, context, &self.options)
            .map_err(|e| seal_failed(&e))?;
        drop(keyring);
        match &self.signer {
            None => Ok(envelope.to_value()),
            Some(device) => {
                let signed = SignedEnvelope::sign(device, envelope, context).to_json();
                serde_json::from_str(&signed).map_err(|e| ClientError::Seal {
                    code: "internal",
                    reason: e.to_string(),
                })
            }
        }
    }

    /// Seals `payload` as chat message `message_id` of the room and sends it as
    /// [`CHAT_EVENT`].
    ///
    /// # Errors
    /// [`ClientError::Seal`] (an invalid id, an unknown key id, a payload too large), then
    /// as [`Channel::trigger`].
    pub async fn send_chat<T: Serialize + ?Sized>(
        &self,
        message_id: &str,
        payload: &T,
    ) -> Result<(), ClientError> {
        let context = Context::Chat(ChatContext {
            room_id: self.room_id.clone(),
            message_id: identifier(message_id)?,
        });
        let envelope = self.seal(payload, &context)?;
        let data = json!({ "id": message_id, "envelope": envelope });
        self.channel.trigger(CHAT_EVENT, &data).await
    }

    /// Seals a call signal (`event` such as `call.offer`) for `call_id` and sends it as
    /// `client-<event>`.
    ///
    /// # Errors
    /// As [`EncryptedChannel::send_chat`].
    pub async fn send_call_signal<T: Serialize + ?Sized>(
        &self,
        call_id: &str,
        event: &str,
        payload: &T,
    ) -> Result<(), ClientError> {
        let context = Context::Call(CallContext {
            call_id: identifier(call_id)?,
            event_name: identifier(event)?,
        });
        let envelope = self.seal(payload, &context)?;
        self.channel
            .trigger(&format!("client-{event}"), &envelope)
            .await
    }

    /// Seals a custom realtime event (`scope`, `scope_id`, `event`) and sends it as
    /// `client-<event>`.
    ///
    /// # Errors
    /// As [`EncryptedChannel::send_chat`].
    pub async fn send_realtime<T: Serialize + ?Sized>(
        &self,
        scope: &str,
        scope_id: &str,
        event: &str,
        payload: &T,
    ) -> Result<(), ClientError> {
        let context = Context::Realtime(RealtimeContext {
            scope: identifier(scope)?,
            scope_id: identifier(scope_id)?,
            event_name: identifier(event)?,
        });
        let envelope = self.seal(payload, &context)?;
        self.channel
            .trigger(&format!("client-{event}"), &envelope)
            .await
    }

    /// The channel's encrypted events from now on, opened with the keyring: one item per
    /// event, a [`Decrypted`] payload or an [`OpenFailure`] (never dropped silently).
    ///
    /// # Errors
    /// [`ClientError::NotSubscribed`].
    pub fn receive(&self) -> Result<EncryptedStream, ClientError> {
        Ok(EncryptedStream::new(
            self.channel.bind_all()?,
            Arc::clone(&self.keyring),
            receive::Contexts {
                room_id: self.room_id.clone(),
                call_id: self.call_id.clone(),
                scope: self.scope.clone(),
                devices: self.devices.clone(),
            },
        ))
    }
}
