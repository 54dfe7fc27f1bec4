//! [`Channel`]: a subscribed channel's handle.

use domvia_protocol::{ChannelName, ClientEventName, EventName, UserId};
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use crate::client::Client;
use crate::connection::Command;
use crate::error::ClientError;
use crate::event::{Binding, Filter};
use crate::frame;
use crate::state::{ChannelStatus, Members};

/// A subscribed channel. Cheap to clone; keeps its [`Client`] alive.
#[derive(Clone)]
pub struct Channel {
    client: Client,
    name: ChannelName,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel").field("name", &self.name).finish()
    }
}

impl Channel {
    pub(crate) fn new(client: Client, name: ChannelName) -> Self {
        Self { client, name }
    }

    /// The channel's name.
    #[must_use]
    pub fn name(&self) -> &ChannelName {
        &self.name
    }

    /// The client this channel belongs to.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The subscription's state as it changes (`Pending` while resubscribing after a
    /// reconnect, `Failed` if that was refused).
    ///
    /// # Errors
    /// [`ClientError::NotSubscribed`] after [`Channel::unsubscribe`].
    pub fn status(&self) -> Result<watch::Receiver<ChannelStatus>, ClientError> {
        self.client
            .inner
            .shared
            .channels()
            .get(&self.name)
            .map(|slot| slot.status.subscribe())
            .ok_or_else(|| self.not_subscribed())
    }

    fn not_subscribed(&self) -> ClientError {
        ClientError::NotSubscribed {
            channel: self.name.clone(),
        }
    }

    fn add_binding(&self, filter: Filter) -> Result<Binding, ClientError> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut channels = self.client.inner.shared.channels();
        let slot = channels
            .get_mut(&self.name)
            .ok_or_else(|| self.not_subscribed())?;
        slot.bindings.push((filter, sender));
        Ok(Binding { receiver })
    }

    /// The events named `event` from now on.
    ///
    /// # Errors
    /// [`ClientError::InvalidEvent`] or [`ClientError::NotSubscribed`].
    pub fn bind(&self, event: &str) -> Result<Binding, ClientError> {
        let event: EventName = event.parse()?;
        self.add_binding(Filter::Named(event))
    }

    /// Every event on the channel from now on (including `pusher:member_added` and
    /// `pusher:member_removed` on presence channels).
    ///
    /// # Errors
    /// [`ClientError::NotSubscribed`].
    pub fn bind_all(&self) -> Result<Binding, ClientError> {
        self.add_binding(Filter::All)
    }

    /// Sends the client event `event` (`client-…`) with `data` to the channel's other
    /// subscribers. Checked before sending: the name, the channel's kind (private or
    /// presence) and the subscription. The gateway may still refuse it (disabled client
    /// events, rate limit, size): that comes as a [`Client::gateway_errors`] item.
    /// Receivers get `data` as JSON text, except a JSON string, which is relayed as the
    /// string itself (Pusher's rule).
    ///
    /// # Errors
    /// [`ClientError::InvalidEvent`], [`ClientError::ClientEventsNotAllowed`],
    /// [`ClientError::NotSubscribed`], [`ClientError::InvalidData`],
    /// [`ClientError::NotConnected`] or [`ClientError::Closed`].
    pub async fn trigger<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), ClientError> {
        let event: ClientEventName = event.parse()?;
        if !self.name.accepts_client_events() {
            return Err(ClientError::ClientEventsNotAllowed {
                channel: self.name.clone(),
            });
        }
        let subscribed = matches!(
            self.client
                .inner
                .shared
                .channels()
                .get(&self.name)
                .map(|slot| slot.status.borrow().clone()),
            Some(ChannelStatus::Subscribed)
        );
        if !subscribed {
            return Err(self.not_subscribed());
        }
        let data = serde_json::to_value(data).map_err(|e| ClientError::InvalidData {
            reason: e.to_string(),
        })?;
        self.client
            .send(frame::client_event(event.as_str(), &self.name, &data))
            .await
    }

    /// The members of a presence channel now (user id → `user_info`).
    ///
    /// # Errors
    /// [`ClientError::NotPresence`] or [`ClientError::NotSubscribed`].
    pub fn members(&self) -> Result<Members, ClientError> {
        self.presence_slot(|members, _| members.clone())
    }

    /// This connection's own user id on a presence channel, when known (from the
    /// authorizer's `channel_data`, or the signed-in user).
    ///
    /// # Errors
    /// [`ClientError::NotPresence`] or [`ClientError::NotSubscribed`].
    pub fn me(&self) -> Result<Option<UserId>, ClientError> {
        self.presence_slot(|_, me| me.cloned())
    }

    fn presence_slot<T>(
        &self,
        read: impl FnOnce(&Members, Option<&UserId>) -> T,
    ) -> Result<T, ClientError> {
        if !self.name.is_presence() {
            return Err(ClientError::NotPresence {
                channel: self.name.clone(),
            });
        }
        let channels = self.client.inner.shared.channels();
        let slot = channels
            .get(&self.name)
            .ok_or_else(|| self.not_subscribed())?;
        Ok(read(&slot.members, slot.me.as_ref()))
    }

    /// Unsubscribes: the gateway is told, every binding of the channel ends, and this
    /// channel is no longer resubscribed after a reconnect.
    pub fn unsubscribe(self) {
        if self
            .client
            .inner
            .shared
            .channels()
            .remove(&self.name)
            .is_some()
        {
            let _ = self
                .client
                .inner
                .commands
                .send(Command::Unsubscribe(self.name.clone()));
        }
    }
}
