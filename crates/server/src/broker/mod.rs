//! The broker: the one interface through which the gateway keeps channel and presence
//! state and fans frames out to connections.
//!
//! The socket layer calls it when a connection opens, subscribes, unsubscribes, sends a
//! client event or closes; the HTTP API calls it to publish and to answer channel queries.
//! [`memory::MemoryBroker`] keeps everything in this process; a Redis implementation (a
//! later issue) will share the state between gateway nodes behind the same trait.
//!
//! # Atomicity: what an implementation must guarantee
//! Every state change returns its *transition* ([`Joined`], [`Left`]), and the caller emits
//! events from it alone: `channel_occupied`/`channel_vacated` and `member_added`/
//! `member_removed` webhooks, `pusher_internal:member_added`/`member_removed` frames. To
//! emit each exactly once, even with many nodes, an implementation must decide a state
//! change and its transition in one atomic step:
//! - [`Broker::subscribe`]/[`Broker::join_presence`]: add the connection, and report
//!   `channel_occupied` iff the channel had no connection before, `member_added` iff the
//!   user had no connection on the channel before; the presence snapshot returned is the
//!   roster right after the join (it includes the joiner);
//! - [`Broker::unsubscribe`]/[`Broker::disconnect`]: remove the connection, and report
//!   `channel_vacated` iff no connection is left, `member_removed` iff it was the user's
//!   last connection on the channel;
//! - the member cap is checked in the same step as the join, or two nodes could each admit
//!   the 100th member.
//!
//! In memory this is one write lock; on Redis, one Lua script (or `MULTI`/`WATCH`
//! transaction) per operation over the channel's connection set and per-user connection
//! sets. Publishing needs no such step: it only reads the subscriber set.
//!
//! # Slow consumers
//! A publish never waits for a connection: each frame goes to the connection's bounded
//! [`Outbox`] with try-send semantics. When a queue is full, the frame is dropped for that
//! connection only, the connection is marked overflowed (it receives nothing more, since a
//! silent gap would corrupt its view of the channel) and reported once in
//! [`PublishReport::overflowed`]. The caller must then close it with
//! [`OVERFLOW_CLOSE_CODE`] (4100, "over capacity"): pusher-js reconnects after a backoff,
//! giving the overloaded path time to drain, and resubscribes, which resynchronizes
//! presence. 4200 (reconnect immediately) would invite the same client to overflow again.
//!
//! ```
//! use std::sync::Arc;
//! use domvia_protocol::{ChannelName, PresenceMember, SocketId};
//! use domvia_server::{Broker, MemoryBroker, OutboundQueue};
//!
//! let broker = MemoryBroker::default();
//! let lobby: ChannelName = "presence-lobby".parse()?;
//! let (laptop, phone) = (SocketId::from_parts(1, 1), SocketId::from_parts(2, 2));
//! let member = PresenceMember::from_channel_data(r#"{"user_id":42}"#)?;
//! for socket in [&laptop, &phone] {
//!     broker.connect(socket.clone(), Arc::new(OutboundQueue::bounded(8).0))?;
//! }
//!
//! let first = broker.join_presence(&laptop, &lobby, member.clone())?;
//! assert!(first.channel_occupied && first.member_added.is_some());
//! let second = broker.join_presence(&phone, &lobby, member)?;
//! assert!(!second.channel_occupied && second.member_added.is_none());
//!
//! assert_eq!(broker.unsubscribe(&laptop, &lobby)?.member_removed, None);
//! let last = broker.unsubscribe(&phone, &lobby)?;
//! assert!(last.channel_vacated);
//! assert_eq!(last.member_removed.map(|id| id.to_string()), Some("42".to_owned()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod memory;
pub mod outbox;

use std::sync::Arc;

use domvia_protocol::{ChannelName, CloseCode, PresenceMember, PresenceSnapshot, SocketId, UserId};

use crate::presence::PresenceError;
pub use outbox::{Delivery, Inbox, OutboundQueue, Outbox};

/// An encoded frame, serialized once and shared by every recipient.
pub type Frame = Arc<str>;

/// The close code for a connection reported in [`PublishReport::overflowed`].
pub const OVERFLOW_CLOSE_CODE: CloseCode = CloseCode::OverCapacity;

/// The transition of a successful subscription.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub struct Joined {
    /// The channel had no connection before: emit the `channel_occupied` webhook.
    pub channel_occupied: bool,
    /// Presence only: the user had no connection on the channel before; emit
    /// `member_added` (frame to the others, and webhook).
    pub member_added: Option<PresenceMember>,
    /// Presence only: the roster right after the join, for `subscription_succeeded`.
    pub presence: Option<PresenceSnapshot>,
}

/// The transition of an unsubscription.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub struct Left {
    /// No connection is left on the channel: emit the `channel_vacated` webhook.
    pub channel_vacated: bool,
    /// Presence only: that was the user's last connection on the channel; emit
    /// `member_removed` (frame to the others, and webhook).
    pub member_removed: Option<UserId>,
}

/// What a publish did.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[non_exhaustive]
pub struct PublishReport {
    /// How many connections the frame was queued for.
    pub delivered: usize,
    /// Connections whose queue was full, each reported once: close them with
    /// [`OVERFLOW_CLOSE_CODE`].
    pub overflowed: Vec<SocketId>,
}

/// A channel's state, as the HTTP API reports it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// At least one connection is subscribed.
    pub occupied: bool,
    /// Subscribed connections (`subscription_count`).
    pub subscription_count: usize,
    /// Presence channels only: distinct members (`user_count`).
    pub user_count: Option<usize>,
}

/// Why a broker operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// No connection with this socket id is registered.
    #[error("no connection {socket_id}")]
    UnknownConnection {
        /// The socket id.
        socket_id: SocketId,
    },
    /// A connection with this socket id is already registered.
    #[error("connection {socket_id} is already registered")]
    AlreadyConnected {
        /// The socket id.
        socket_id: SocketId,
    },
    /// The connection is already subscribed to the channel.
    #[error("connection {socket_id} is already subscribed to {channel}")]
    AlreadySubscribed {
        /// The connection.
        socket_id: SocketId,
        /// The channel.
        channel: ChannelName,
    },
    /// The connection is not subscribed to the channel.
    #[error("connection {socket_id} is not subscribed to {channel}")]
    NotSubscribed {
        /// The connection.
        socket_id: SocketId,
        /// The channel.
        channel: ChannelName,
    },
    /// A presence channel was subscribed without a member: use [`Broker::join_presence`].
    #[error("{channel} is a presence channel: joining it needs a member")]
    PresenceNeedsMember {
        /// The channel.
        channel: ChannelName,
    },
    /// A presence operation on a channel that is not a presence channel.
    #[error("{channel} is not a presence channel")]
    NotPresence {
        /// The channel.
        channel: ChannelName,
    },
    /// The presence roster refused the join.
    #[error(transparent)]
    Presence {
        /// The roster's reason.
        #[from]
        source: PresenceError,
    },
}

impl BrokerError {
    /// A stable machine-readable code for the wire and the bindings.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownConnection { .. } => "broker_unknown_connection",
            Self::AlreadyConnected { .. } => "broker_already_connected",
            Self::AlreadySubscribed { .. } => "broker_already_subscribed",
            Self::NotSubscribed { .. } => "broker_not_subscribed",
            Self::PresenceNeedsMember { .. } => "broker_presence_needs_member",
            Self::NotPresence { .. } => "broker_not_presence",
            Self::Presence { source } => source.code(),
        }
    }
}

/// Channel and presence state, and fan-out. See the module docs for the atomicity each
/// method must guarantee and the slow-consumer policy.
///
/// Methods never block on a connection; they may briefly wait for the state's lock (or,
/// in a shared implementation, a round trip to the store).
pub trait Broker: Send + Sync {
    /// Registers a connection and the outbox its frames go to.
    ///
    /// # Errors
    /// [`BrokerError::AlreadyConnected`] if the socket id is already registered.
    fn connect(&self, socket_id: SocketId, outbox: Arc<dyn Outbox>) -> Result<(), BrokerError>;

    /// Unregisters a connection and unsubscribes it from every channel, returning each
    /// channel's transition, ordered by channel name. Unknown socket ids yield nothing.
    fn disconnect(&self, socket_id: &SocketId) -> Vec<(ChannelName, Left)>;

    /// Subscribes a connection to a channel that is not a presence channel.
    ///
    /// # Errors
    /// [`BrokerError::UnknownConnection`], [`BrokerError::AlreadySubscribed`], or
    /// [`BrokerError::PresenceNeedsMember`] for a presence channel.
    fn subscribe(&self, socket_id: &SocketId, channel: &ChannelName)
    -> Result<Joined, BrokerError>;

    /// Subscribes a connection to a presence channel as `member`.
    ///
    /// # Errors
    /// [`BrokerError::UnknownConnection`], [`BrokerError::AlreadySubscribed`],
    /// [`BrokerError::NotPresence`], or [`BrokerError::Presence`] when the member cap is
    /// reached or `user_info` is too large; nothing changes on error.
    fn join_presence(
        &self,
        socket_id: &SocketId,
        channel: &ChannelName,
        member: PresenceMember,
    ) -> Result<Joined, BrokerError>;

    /// Unsubscribes a connection from a channel (leaving its roster, for presence).
    ///
    /// # Errors
    /// [`BrokerError::NotSubscribed`] (also for unknown connections); Pusher ignores such
    /// unsubscriptions, and so may the caller.
    fn unsubscribe(&self, socket_id: &SocketId, channel: &ChannelName)
    -> Result<Left, BrokerError>;

    /// Queues `frame` for every connection subscribed to `channel` except `except` (the
    /// sender of a client event, or the HTTP API's `socket_id`). Never blocks.
    fn publish(
        &self,
        channel: &ChannelName,
        frame: Frame,
        except: Option<&SocketId>,
    ) -> PublishReport;

    /// A channel's state; an unknown channel is reported unoccupied.
    fn channel_info(&self, channel: &ChannelName) -> ChannelInfo;

    /// A presence channel's members (empty when unoccupied).
    ///
    /// # Errors
    /// [`BrokerError::NotPresence`] for other channels.
    fn presence_members(&self, channel: &ChannelName) -> Result<PresenceSnapshot, BrokerError>;

    /// Every occupied channel whose name starts with `prefix`, ordered by name.
    fn channels(&self, prefix: &str) -> Vec<(ChannelName, ChannelInfo)>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_presence_codes_pass_through() {
        let socket_id = SocketId::from_parts(1, 2);
        let channel: ChannelName = "c".parse().unwrap();
        let all = [
            BrokerError::UnknownConnection {
                socket_id: socket_id.clone(),
            },
            BrokerError::AlreadyConnected {
                socket_id: socket_id.clone(),
            },
            BrokerError::AlreadySubscribed {
                socket_id: socket_id.clone(),
                channel: channel.clone(),
            },
            BrokerError::NotSubscribed {
                socket_id,
                channel: channel.clone(),
            },
            BrokerError::PresenceNeedsMember {
                channel: channel.clone(),
            },
            BrokerError::NotPresence { channel },
            PresenceError::MemberCapReached { max: 1 }.into(),
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(BrokerError::code).collect();
        assert_eq!(codes.len(), all.len());
        assert!(codes.contains("presence_member_cap_reached"));
        assert_eq!(OVERFLOW_CLOSE_CODE.code(), 4100);
    }
}
