//! Webhooks: Pusher-format POSTs to each app's endpoints, off the hot path.
//!
//! INTERFACE ONLY (skeleton): the webhook helper owns this file and fills it in.

use std::sync::Arc;

use domvia_protocol::{ChannelName, SocketId, UserId};

use crate::config::{AppConfig, WebhookSettings};
use crate::metrics::Metrics;

/// One webhook event, as Pusher names it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// The channel's first subscriber arrived.
    ChannelOccupied {
        /// The channel.
        channel: ChannelName,
    },
    /// The channel's last subscriber left.
    ChannelVacated {
        /// The channel.
        channel: ChannelName,
    },
    /// A user joined a presence channel (once per user, not per connection).
    MemberAdded {
        /// The presence channel.
        channel: ChannelName,
        /// The user.
        user_id: UserId,
    },
    /// A user left a presence channel (their last connection left).
    MemberRemoved {
        /// The presence channel.
        channel: ChannelName,
        /// The user.
        user_id: UserId,
    },
    /// A client event was relayed.
    ClientEvent {
        /// The channel.
        channel: ChannelName,
        /// The `client-…` event name.
        event: String,
        /// The event data as relayed (a string).
        data: String,
        /// The sender's connection.
        socket_id: SocketId,
        /// The sender's user id, on presence channels.
        user_id: Option<UserId>,
    },
}

/// The webhook dispatcher shared by every app.
#[derive(Debug, Clone)]
pub struct Webhooks {
    _metrics: Arc<Metrics>,
}

impl Webhooks {
    /// Starts the dispatcher. Must be called inside a tokio runtime.
    #[must_use]
    pub fn start(_settings: WebhookSettings, _apps: &[AppConfig], metrics: Arc<Metrics>) -> Self {
        Self { _metrics: metrics }
    }

    /// Queues an event for the app's endpoints. Never blocks and never fails: an app without
    /// endpoints ignores it, and a full queue counts a webhook failure.
    pub fn emit(&self, _app_id: &str, _event: WebhookEvent) {}
}
