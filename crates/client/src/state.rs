//! State shared by the connection task and the handles: the connection's state and every
//! channel the application wants subscribed.
//!
//! Concurrency: one `std::sync::Mutex` guards the channel table. It is never held across
//! an `.await`; the connection task and the handles take it briefly to update a slot or to
//! hand an event to the bindings' unbounded queues (which never block).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use domvia_protocol::{ChannelName, EventName, SocketId, UserId};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc, watch};

use crate::error::ClientError;
use crate::event::{Event, Filter};

/// The connection's state, observable with [`crate::Client::state`].
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Opening the WebSocket and waiting for `pusher:connection_established`.
    Connecting,
    /// Connected, with this socket id.
    Connected(SocketId),
    /// The connection was lost or could not be opened; it will be retried after a backoff.
    Unavailable,
    /// Closed for good: by [`crate::Client::disconnect`] (no close code) or by the gateway
    /// with a code that forbids reconnecting.
    Disconnected {
        /// The gateway's close code, if it closed the connection.
        close_code: Option<u16>,
    },
}

/// A subscription's state, observable with [`crate::Channel::status`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ChannelStatus {
    /// Waiting for the gateway (first subscription, or resubscribing after a reconnect).
    Pending,
    /// Subscribed on the current connection.
    Subscribed,
    /// The last attempt failed; events do not flow until the channel is subscribed again.
    Failed(ClientError),
}

/// The members of a presence channel: user id → `user_info` (`null` when none).
pub type Members = BTreeMap<UserId, Value>;

/// One channel the application wants subscribed.
pub(crate) struct Slot {
    pub(crate) status: watch::Sender<ChannelStatus>,
    pub(crate) bindings: Vec<(Filter, mpsc::UnboundedSender<Event>)>,
    pub(crate) members: Members,
    pub(crate) me: Option<UserId>,
}

impl Slot {
    pub(crate) fn new() -> Self {
        Self {
            status: watch::Sender::new(ChannelStatus::Pending),
            bindings: Vec::new(),
            members: Members::new(),
            me: None,
        }
    }

    /// Hands `event` to every binding that wants it, forgetting dropped bindings.
    pub(crate) fn dispatch(&mut self, event: &Event) {
        self.bindings.retain(|(filter, sender)| {
            if filter.accepts(&event.event) {
                sender.send(event.clone()).is_ok()
            } else {
                !sender.is_closed()
            }
        });
    }
}

/// What the handles and the connection task share.
pub(crate) struct Shared {
    pub(crate) state: watch::Sender<ConnectionState>,
    pub(crate) gateway_errors: broadcast::Sender<ClientError>,
    channels: Mutex<HashMap<ChannelName, Slot>>,
    signed_in: watch::Sender<Option<UserId>>,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Self {
            state: watch::Sender::new(ConnectionState::Connecting),
            gateway_errors: broadcast::Sender::new(64),
            channels: Mutex::new(HashMap::new()),
            signed_in: watch::Sender::new(None),
        }
    }

    /// The channel table. A poisoned lock is recovered: every update leaves a slot whole.
    pub(crate) fn channels(&self) -> MutexGuard<'_, HashMap<ChannelName, Slot>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_signed_in(&self, user: Option<UserId>) {
        self.signed_in.send_replace(user);
    }

    pub(crate) fn signed_in(&self) -> Option<UserId> {
        self.signed_in.borrow().clone()
    }

    /// The signed-in user, as it changes (`None` between connections).
    pub(crate) fn watch_signed_in(&self) -> watch::Receiver<Option<UserId>> {
        self.signed_in.subscribe()
    }

    /// The socket id, while connected.
    pub(crate) fn socket_id(&self) -> Option<SocketId> {
        match &*self.state.borrow() {
            ConnectionState::Connected(id) => Some(id.clone()),
            _ => None,
        }
    }

    /// Runs `update` on `channel`'s slot, if the application still wants it.
    pub(crate) fn with_slot(&self, channel: &ChannelName, update: impl FnOnce(&mut Slot)) {
        if let Some(slot) = self.channels().get_mut(channel) {
            update(slot);
        }
    }

    /// Delivers an event to `channel`'s bindings.
    pub(crate) fn dispatch(
        &self,
        channel: &ChannelName,
        event: EventName,
        data: String,
        user_id: Option<UserId>,
    ) {
        let event = Event {
            channel: channel.clone(),
            event,
            data,
            user_id,
        };
        self.with_slot(channel, |slot| slot.dispatch(&event));
    }
}
