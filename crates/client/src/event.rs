//! Events delivered to bindings, and the bindings themselves.

use std::pin::Pin;
use std::task::{Context, Poll};

use domvia_protocol::{ChannelName, EventName, UserId};
use futures_util::Stream;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::error::ClientError;

/// One event received on a channel.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Event {
    /// The channel it came on.
    pub channel: ChannelName,
    /// Its name. Presence changes come as `pusher:member_added` and
    /// `pusher:member_removed`, like in pusher-js.
    pub event: EventName,
    /// Its `data`, as the text the gateway relayed (JSON for client events).
    pub data: String,
    /// The sender's user id, for client events on presence channels.
    pub user_id: Option<UserId>,
}

impl Event {
    /// `data` parsed as JSON of type `T` (`serde_json::Value` for any).
    ///
    /// # Errors
    /// [`ClientError::InvalidData`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_str(&self.data).map_err(|e| ClientError::InvalidData {
            reason: format!(
                "{} at line {} column {}",
                e.classify_name(),
                e.line(),
                e.column()
            ),
        })
    }
}

/// Names serde_json's error class without quoting any input.
trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected shape",
            serde_json::error::Category::Eof => "unexpected end",
        }
    }
}

/// Which events a binding receives.
#[derive(Clone, Debug)]
pub(crate) enum Filter {
    /// One event name.
    Named(EventName),
    /// Every event on the channel.
    All,
}

impl Filter {
    pub(crate) fn accepts(&self, event: &EventName) -> bool {
        match self {
            Self::Named(name) => name == event,
            Self::All => true,
        }
    }
}

/// The receiving end of [`crate::Channel::bind`] / [`crate::Channel::bind_all`]: a
/// [`Stream`] of [`Event`]s, and [`Binding::recv`].
///
/// Events keep flowing across reconnects. The stream ends when the channel is
/// unsubscribed or the client is closed for good. Dropping it unbinds. Events queue
/// without bound until read, so read them (or drop the binding).
#[derive(Debug)]
pub struct Binding {
    pub(crate) receiver: mpsc::UnboundedReceiver<Event>,
}

impl Binding {
    /// The next event, or `None` once the binding has ended.
    pub async fn recv(&mut self) -> Option<Event> {
        self.receiver.recv().await
    }
}

impl Stream for Binding {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.receiver.poll_recv(cx)
    }
}
