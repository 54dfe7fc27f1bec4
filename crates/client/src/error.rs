//! The client's one error type.

use domvia_protocol::{ChannelName, ChannelNameError, EventError};

/// Why a client operation failed. [`ClientError::code`] is stable for logs and bindings.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The gateway URL is not `ws://host[:port]` or `wss://host[:port]`.
    #[error("invalid gateway URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// [`crate::Client::user_channel`] on a client built without
    /// [`crate::ClientBuilder::sign_in`].
    #[error("the user's channel needs a signed-in user: call ClientBuilder::sign_in(true)")]
    SignInNotEnabled,
    /// The default TLS configuration for `wss://` could not be built (the TLS library
    /// offers no protocol version); give one with `ClientBuilder::tls_config`.
    #[error("wss:// needs a TLS configuration: call ClientBuilder::tls_config")]
    TlsNotConfigured,
    /// The channel name is not valid.
    #[error("invalid channel name: {source}")]
    InvalidChannel {
        /// Why.
        #[source]
        source: ChannelNameError,
    },
    /// The event name is not valid (or not a `client-` event where one is needed).
    #[error("invalid event name: {source}")]
    InvalidEvent {
        /// Why.
        #[source]
        source: EventError,
    },
    /// Client events can only be sent on private and presence channels.
    #[error(
        "client events cannot be sent on {channel}: only private- and presence- channels accept them"
    )]
    ClientEventsNotAllowed {
        /// The channel.
        channel: ChannelName,
    },
    /// The channel is not subscribed (never, or unsubscribed since).
    #[error("not subscribed to {channel}")]
    NotSubscribed {
        /// The channel.
        channel: ChannelName,
    },
    /// The operation needs a presence channel.
    #[error("{channel} is not a presence channel")]
    NotPresence {
        /// The channel.
        channel: ChannelName,
    },
    /// Authorizing a subscription or a sign-in failed before anything was sent.
    #[error("authorization failed: {reason}")]
    Authorization {
        /// The authorizer's reason (never a secret).
        reason: String,
        /// The HTTP status of the auth endpoint, if it answered one.
        status: Option<u16>,
    },
    /// The gateway refused the subscription (`pusher:subscription_error`).
    #[error("subscription to {channel} refused ({status}): {message}")]
    SubscriptionRefused {
        /// The channel.
        channel: ChannelName,
        /// The status the gateway gave (401/403 for a bad signature).
        status: u16,
        /// The gateway's text.
        message: String,
    },
    /// The gateway sent `pusher:error` for an operation of ours.
    #[error("gateway error {code:?}: {message}")]
    Gateway {
        /// Its code, if any.
        code: Option<u16>,
        /// Its text.
        message: String,
    },
    /// The connection is closed for good: [`crate::Client::disconnect`] was called, or the
    /// gateway closed with a code that forbids reconnecting (4000–4099, ≥ 4300).
    #[error("the connection is closed{}", close_code.map(|c| format!(" (close code {c})")).unwrap_or_default())]
    Closed {
        /// The gateway's close code, if it gave one.
        close_code: Option<u16>,
    },
    /// The client is not connected right now (it may be reconnecting).
    #[error("not connected to the gateway")]
    NotConnected,
    /// Nothing came back in time.
    #[error("timed out waiting for {waiting_for}")]
    Timeout {
        /// What was awaited.
        waiting_for: &'static str,
    },
    /// An event's `data` is not the JSON the caller asked for.
    #[error("event data is not valid JSON of the expected shape: {reason}")]
    InvalidData {
        /// serde_json's reason (it never quotes the data).
        reason: String,
    },
    /// An end-to-end encryption operation failed on send.
    #[error("encryption failed: {reason}")]
    Seal {
        /// The stable code of the e2ee error.
        code: &'static str,
        /// Its text.
        reason: String,
    },
}

impl ClientError {
    /// A stable machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidUrl { .. } => "invalid_url",
            Self::TlsNotConfigured => "tls_not_configured",
            Self::SignInNotEnabled => "sign_in_not_enabled",
            Self::InvalidChannel { .. } => "invalid_channel",
            Self::InvalidEvent { .. } => "invalid_event",
            Self::ClientEventsNotAllowed { .. } => "client_events_not_allowed",
            Self::NotSubscribed { .. } => "not_subscribed",
            Self::NotPresence { .. } => "not_presence",
            Self::Authorization { .. } => "authorization_failed",
            Self::SubscriptionRefused { .. } => "subscription_refused",
            Self::Gateway { .. } => "gateway_error",
            Self::Closed { .. } => "closed",
            Self::NotConnected => "not_connected",
            Self::Timeout { .. } => "timeout",
            Self::InvalidData { .. } => "invalid_data",
            Self::Seal { .. } => "seal_failed",
        }
    }
}

impl From<ChannelNameError> for ClientError {
    fn from(source: ChannelNameError) -> Self {
        Self::InvalidChannel { source }
    }
}

impl From<EventError> for ClientError {
    fn from(source: EventError) -> Self {
        Self::InvalidEvent { source }
    }
}
