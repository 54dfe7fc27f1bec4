//! Event names and socket ids.
//!
//! Rules implemented:
//! - an event name is non-empty and at most [`MAX_EVENT_NAME_LEN`] (200) characters
//!   (HTTP API reference, "POST event": "name … event name (max 200 characters)";
//!   pusher-http-node: "Too long event name");
//! - names starting with `pusher:` or `pusher_internal:` are reserved for the protocol
//!   (protocol 7, "Events": "events prefixed pusher: … are system events");
//! - a client event's name starts with `client-` (protocol 7, "Client events";
//!   pusher-js `Channel.trigger` throws `BadEventName` otherwise);
//! - a socket id matches `^\d+\.\d+$` (pusher-http-node `validateSocketId`).
//!
//! ```
//! use domvia_protocol::{ClientEventName, EventName, SocketId};
//!
//! let event: EventName = "order-shipped".parse()?;
//! assert!(!event.is_reserved());
//! assert!("pusher:subscribe".parse::<EventName>()?.is_reserved());
//! assert!("typing".parse::<ClientEventName>().is_err());
//!
//! let socket_id = SocketId::from_parts(123, 456); // randomness comes from the caller
//! assert_eq!(socket_id.as_str(), "123.456");
//! assert_eq!("123.456".parse::<SocketId>()?, socket_id);
//! # Ok::<(), domvia_protocol::EventError>(())
//! ```

use std::fmt;
use std::str::FromStr;

/// The longest event name, in characters.
pub const MAX_EVENT_NAME_LEN: usize = 200;
/// Prefix of protocol events.
pub const PUSHER_PREFIX: &str = "pusher:";
/// Prefix of protocol-internal events (sent by the server only).
pub const PUSHER_INTERNAL_PREFIX: &str = "pusher_internal:";
/// Prefix every client event must carry.
pub const CLIENT_EVENT_PREFIX: &str = "client-";

/// Why a string is not an [`EventName`], [`ClientEventName`] or [`SocketId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The event name is empty.
    #[error("event name is empty")]
    EmptyName,
    /// The event name has more than [`MAX_EVENT_NAME_LEN`] characters.
    #[error("event name is {len} characters long, the maximum is {max}")]
    NameTooLong {
        /// The name's length in characters.
        len: usize,
        /// The maximum, [`MAX_EVENT_NAME_LEN`].
        max: usize,
    },
    /// A client event's name does not start with `client-`.
    #[error("client event names must start with 'client-'")]
    NotClientEvent,
    /// The socket id does not match `^\d+\.\d+$`.
    #[error("socket id must be two decimal numbers joined by '.'")]
    InvalidSocketId,
}

impl EventError {
    /// A stable machine-readable code for the wire and the bindings.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyName => "event_name_empty",
            Self::NameTooLong { .. } => "event_name_too_long",
            Self::NotClientEvent => "event_name_not_client_event",
            Self::InvalidSocketId => "socket_id_invalid",
        }
    }
}

/// A valid event name (any event: application, client or protocol).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct EventName(String);

impl EventName {
    /// Whether the name is reserved for the protocol (`pusher:` or `pusher_internal:`);
    /// the HTTP API and clients must not publish such events.
    #[must_use]
    pub fn is_reserved(&self) -> bool {
        self.0.starts_with(PUSHER_PREFIX) || self.0.starts_with(PUSHER_INTERNAL_PREFIX)
    }

    /// Whether the name is a client event name (`client-…`).
    #[must_use]
    pub fn is_client_event(&self) -> bool {
        self.0.starts_with(CLIENT_EVENT_PREFIX)
    }

    /// The name as sent on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for EventName {
    type Err = EventError;

    /// # Errors
    /// [`EventError::EmptyName`] or [`EventError::NameTooLong`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(EventError::EmptyName);
        }
        let len = s.chars().count();
        if len > MAX_EVENT_NAME_LEN {
            return Err(EventError::NameTooLong {
                len,
                max: MAX_EVENT_NAME_LEN,
            });
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An event name a client may trigger: a valid [`EventName`] starting with `client-`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ClientEventName(EventName);

impl ClientEventName {
    /// The name as sent on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The same name as a general [`EventName`].
    #[must_use]
    pub fn as_event_name(&self) -> &EventName {
        &self.0
    }
}

impl FromStr for ClientEventName {
    type Err = EventError;

    /// # Errors
    /// The [`EventName`] errors, or [`EventError::NotClientEvent`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name: EventName = s.parse()?;
        if !name.is_client_event() {
            return Err(EventError::NotClientEvent);
        }
        Ok(Self(name))
    }
}

impl fmt::Display for ClientEventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A connection's socket id, `"{digits}.{digits}"`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct SocketId(String);

impl SocketId {
    /// The socket id `"{high}.{low}"`. The caller draws both numbers from its RNG, so this
    /// crate stays deterministic and tests are reproducible.
    #[must_use]
    pub fn from_parts(high: u64, low: u64) -> Self {
        Self(format!("{high}.{low}"))
    }

    /// The id as sent on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SocketId {
    type Err = EventError;

    /// # Errors
    /// [`EventError::InvalidSocketId`] unless `s` matches `^\d+\.\d+$` (ASCII digits).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        match s.split_once('.') {
            Some((high, low)) if digits(high) && digits(low) => Ok(Self(s.to_owned())),
            _ => Err(EventError::InvalidSocketId),
        }
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_name_limits() {
        assert_eq!("".parse::<EventName>(), Err(EventError::EmptyName));
        assert!("é".repeat(200).parse::<EventName>().is_ok());
        assert_eq!(
            "e".repeat(201).parse::<EventName>(),
            Err(EventError::NameTooLong { len: 201, max: 200 })
        );
    }

    #[test]
    fn reserved_and_client_prefixes() {
        for reserved in ["pusher:ping", "pusher_internal:member_added"] {
            assert!(reserved.parse::<EventName>().unwrap().is_reserved());
        }
        for free in ["pusher-ping", "my-event", "client-x", "Pusher:x"] {
            assert!(!free.parse::<EventName>().unwrap().is_reserved(), "{free}");
        }
        assert_eq!(
            "client-typing".parse::<ClientEventName>().unwrap().as_str(),
            "client-typing"
        );
        for bad in ["typing", "Client-typing", "pusher:client-x"] {
            assert_eq!(
                bad.parse::<ClientEventName>(),
                Err(EventError::NotClientEvent)
            );
        }
        assert_eq!("".parse::<ClientEventName>(), Err(EventError::EmptyName));
    }

    #[test]
    fn socket_ids() {
        assert_eq!(
            SocketId::from_parts(0, u64::MAX).as_str(),
            "0.18446744073709551615"
        );
        for ok in ["1.1", "123.456", "0.0"] {
            assert_eq!(ok.parse::<SocketId>().unwrap().as_str(), ok);
        }
        // The invalid ids from pusher-http-node's tests, and more.
        for bad in [
            "", "1.1:", ":1.1", ":\n1.1", "1.1\n:", "1", "1.", ".1", "1.1.1", "a.1", "1.1 ",
            "+1.1", "-1.1", "١.١",
        ] {
            assert_eq!(
                bad.parse::<SocketId>(),
                Err(EventError::InvalidSocketId),
                "{bad:?}"
            );
        }
    }
}
