//! Why an HTTP API request was refused: one enum, mapped to its HTTP status and its metric
//! code in one exhaustive `match` each.

use domvia_protocol::{
    ChannelName, ChannelNameError, CiphertextError, EventError, HttpAuthError, UserIdError,
};
use http::{Method, StatusCode};

/// A refused HTTP API request. The `Display` text is the `error` of the JSON body; it never
/// holds a payload or a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No app with the id in the path.
    #[error("unknown app")]
    UnknownApp,
    /// No endpoint at this path.
    #[error("not found")]
    NotFound,
    /// The endpoint exists but takes another method.
    #[error("method not allowed: use {allowed}")]
    MethodNotAllowed {
        /// The method the endpoint takes.
        allowed: Method,
    },
    /// A path segment is not valid percent-encoded UTF-8.
    #[error("malformed path")]
    MalformedPath,
    /// The body is larger than the request limit.
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body could not be read (the client went away mid-body).
    #[error("request body could not be read")]
    BodyUnreadable,
    /// The signature check failed.
    #[error("{source}")]
    Auth {
        /// What was wrong with the authentication parameters.
        source: HttpAuthError,
    },
    /// The app is disabled.
    #[error("app is disabled")]
    AppDisabled,
    /// The body is not JSON of the expected shape.
    #[error("invalid JSON body: {reason}")]
    InvalidJson {
        /// The parser's explanation (field names and types, never the body).
        reason: String,
    },
    /// An event names neither `channels` nor `channel`, or an empty list.
    #[error("an event needs `channels` (a non-empty list) or `channel`")]
    MissingChannels,
    /// An event names both `channels` and `channel`.
    #[error("an event takes `channels` or `channel`, not both")]
    AmbiguousChannels,
    /// An event names more channels than the app allows.
    #[error("an event may name at most {max} channels, this one names {count}")]
    TooManyChannels {
        /// Channels named.
        count: usize,
        /// The app's `max_event_channels`.
        max: usize,
    },
    /// A channel name is invalid.
    #[error("invalid channel name: {source}")]
    InvalidChannel {
        /// Why.
        source: ChannelNameError,
    },
    /// The event name is invalid.
    #[error("invalid event name: {source}")]
    InvalidEventName {
        /// Why.
        source: EventError,
    },
    /// The event name starts with `pusher:` or `pusher_internal:`, which only the gateway
    /// may send.
    #[error("event names starting with `pusher:` or `pusher_internal:` are reserved")]
    ReservedEventName,
    /// An event has no `data`.
    #[error("an event needs `data`")]
    MissingData,
    /// An event's `data` is larger than the app allows.
    #[error("event data is {size} bytes, the maximum is {max}")]
    PayloadTooLarge {
        /// The data's size, in bytes.
        size: usize,
        /// The app's `max_payload_bytes`.
        max: usize,
    },
    /// A channel of the event is ciphertext-only and the data is not an end-to-end
    /// encrypted envelope (`spec/ciphertext-only-channels.md`). Nothing was published.
    #[error(
        "{channel} accepts only end-to-end encrypted envelopes; {source} ({code})",
        code = source.code()
    )]
    PlaintextRefused {
        /// The first ciphertext-only channel of the event.
        channel: ChannelName,
        /// Why the data is not an envelope (it never quotes the data).
        source: CiphertextError,
    },
    /// `socket_id` is not `\d+\.\d+`.
    #[error("invalid socket_id: {source}")]
    InvalidSocketId {
        /// Why.
        source: EventError,
    },
    /// A batch holds more events than the app allows.
    #[error("a batch may hold at most {max} events, this one holds {count}")]
    TooManyEvents {
        /// Events in the batch.
        count: usize,
        /// The app's `max_batch_events`.
        max: usize,
    },
    /// One event of a batch is invalid (nothing was published).
    #[error("batch event {index}: {source}")]
    InBatch {
        /// The event's position in the batch, from 0.
        index: usize,
        /// What is wrong with it.
        source: Box<ApiError>,
    },
    /// `info=user_count` was asked of channels that are not presence channels.
    #[error("user_count is only available for presence channels")]
    UserCountNeedsPresence,
    /// Users were asked of a channel that is not a presence channel.
    #[error("users are only available for presence channels")]
    NotPresence,
    /// The user id in the path is invalid.
    #[error("invalid user id: {source}")]
    InvalidUserId {
        /// Why.
        source: UserIdError,
    },
    /// The app's per-second message budget is spent.
    #[error("over the app's message rate limit")]
    OverQuota,
}

impl ApiError {
    /// The HTTP status answered.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnknownApp | Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::BodyTooLarge { .. } | Self::PayloadTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::Auth { source } => {
                StatusCode::from_u16(source.status()).unwrap_or(StatusCode::UNAUTHORIZED)
            }
            Self::AppDisabled => StatusCode::FORBIDDEN,
            Self::OverQuota => StatusCode::TOO_MANY_REQUESTS,
            Self::InBatch { source, .. } => source.status(),
            Self::MalformedPath
            | Self::BodyUnreadable
            | Self::InvalidJson { .. }
            | Self::MissingChannels
            | Self::AmbiguousChannels
            | Self::TooManyChannels { .. }
            | Self::InvalidChannel { .. }
            | Self::InvalidEventName { .. }
            | Self::ReservedEventName
            | Self::MissingData
            | Self::PlaintextRefused { .. }
            | Self::InvalidSocketId { .. }
            | Self::TooManyEvents { .. }
            | Self::UserCountNeedsPresence
            | Self::NotPresence
            | Self::InvalidUserId { .. } => StatusCode::BAD_REQUEST,
        }
    }

    /// A stable code for the error metrics. Authentication failures keep the protocol
    /// crate's `http_*` codes so each cause stays countable.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownApp => "api_unknown_app",
            Self::NotFound => "api_not_found",
            Self::MethodNotAllowed { .. } => "api_method_not_allowed",
            Self::MalformedPath => "api_malformed_path",
            Self::BodyTooLarge { .. } => "api_body_too_large",
            Self::BodyUnreadable => "api_body_unreadable",
            Self::Auth { source } => source.code(),
            Self::AppDisabled => "api_app_disabled",
            Self::InvalidJson { .. } => "api_invalid_json",
            Self::MissingChannels => "api_missing_channels",
            Self::AmbiguousChannels => "api_ambiguous_channels",
            Self::TooManyChannels { .. } => "api_too_many_channels",
            Self::InvalidChannel { .. } => "api_invalid_channel",
            Self::InvalidEventName { .. } => "api_invalid_event_name",
            Self::ReservedEventName => "api_reserved_event_name",
            Self::MissingData => "api_missing_data",
            Self::PayloadTooLarge { .. } => "api_payload_too_large",
            Self::PlaintextRefused { .. } => "api_plaintext_refused",
            Self::InvalidSocketId { .. } => "api_invalid_socket_id",
            Self::TooManyEvents { .. } => "api_too_many_batch_events",
            Self::InBatch { source, .. } => source.code(),
            Self::UserCountNeedsPresence => "api_user_count_needs_presence",
            Self::NotPresence => "api_not_presence",
            Self::InvalidUserId { .. } => "api_invalid_user_id",
            Self::OverQuota => "api_over_quota",
        }
    }

    /// Wraps the error of the batch event at `index`.
    pub(super) fn in_batch(self, index: usize) -> Self {
        Self::InBatch {
            index,
            source: Box::new(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_errors_keep_the_inner_status_and_code() {
        let inner = ApiError::PayloadTooLarge { size: 11, max: 10 };
        let wrapped = ApiError::PayloadTooLarge { size: 11, max: 10 }.in_batch(3);
        assert_eq!(wrapped.status(), inner.status());
        assert_eq!(wrapped.code(), "api_payload_too_large");
        assert_eq!(
            wrapped.to_string(),
            "batch event 3: event data is 11 bytes, the maximum is 10"
        );
    }

    #[test]
    fn auth_errors_use_the_protocol_status() {
        let stale = ApiError::Auth {
            source: HttpAuthError::ExpiredTimestamp { skew_secs: 601 },
        };
        assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(stale.code(), "http_expired_timestamp");
        let malformed = ApiError::Auth {
            source: HttpAuthError::MalformedQuery,
        };
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    }
}
