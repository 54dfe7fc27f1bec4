//! The JSON frames of protocol 7, both directions.
//!
//! Every frame is a JSON object with an `event` name, and `data` and `channel` where the
//! event has them (protocol 7, "WebSocket data messages"). Shapes implemented, as pusher-js
//! sends and expects them:
//! - client → server (`ClientFrame::parse`): `pusher:subscribe` `{channel, auth?,
//!   channel_data?}`, `pusher:unsubscribe` `{channel}`, `pusher:ping`, `pusher:pong`
//!   (pusher-js sends `"data":{}`), `pusher:signin` `{auth, user_data}`, and client events
//!   `{event: "client-…", channel, data}` whose `data` is any JSON (pusher-js sends the
//!   object itself). A `data` object may also arrive JSON-encoded as a string; both are
//!   accepted for the protocol events.
//! - server → client (`ServerFrame::to_json`): `data` is a JSON-encoded *string* for
//!   `pusher:connection_established`, `pusher_internal:subscription_succeeded`,
//!   `member_added`/`member_removed` and channel events; an *object* for `pusher:error`
//!   (`{message, code}`, `code` may be `null`), `pusher:subscription_error`
//!   (`{type, error, status}`, the shape pusher-js reports to `pusher:subscription_error`
//!   handlers and soketi/sockudo send), `pusher:signin_success` (`{user_data}`) and
//!   `pusher:ping`/`pusher:pong` (`{}`). pusher-js's `decodeMessage` JSON-parses a string
//!   `data` and leaves an object as is, so these forms are what it expects.
//!
//! Parsing never panics (serde_json bounds nesting depth) and reports a [`FrameError`].
//!
//! ```
//! use domvia_protocol::{ClientFrame, FrameError, ServerFrame, SocketId};
//!
//! let frame = ClientFrame::parse(r#"{"event":"pusher:subscribe","data":{"channel":"news"}}"#)?;
//! assert!(matches!(frame, ClientFrame::Subscribe { ref channel, .. } if channel.as_str() == "news"));
//!
//! let hello = ServerFrame::ConnectionEstablished {
//!     socket_id: SocketId::from_parts(123, 456),
//!     activity_timeout: 120,
//! };
//! let sent: serde_json::Value = serde_json::from_str(&hello.to_json()).map_err(|_| FrameError::NotJson)?;
//! assert_eq!(sent["event"], "pusher:connection_established");
//! // `data` is a string holding JSON, as pusher-js expects.
//! let data = sent["data"].as_str().ok_or(FrameError::WrongType { field: "data" })?;
//! let data: serde_json::Value = serde_json::from_str(data).map_err(|_| FrameError::NotJson)?;
//! assert_eq!(data, serde_json::json!({"socket_id": "123.456", "activity_timeout": 120}));
//! # Ok::<(), domvia_protocol::FrameError>(())
//! ```

use serde_json::{Map, Value, json};

use crate::channel::{ChannelName, ChannelNameError};
use crate::event::{ClientEventName, EventError, EventName, SocketId};
use crate::user::UserId;

/// Why an incoming frame was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame is not JSON.
    #[error("frame is not valid JSON")]
    NotJson,
    /// The frame, or its `data`, is not a JSON object where one is required.
    #[error("{field} must be a JSON object")]
    NotAnObject {
        /// `"frame"` or `"data"`.
        field: &'static str,
    },
    /// A required field is missing.
    #[error("missing field {field}")]
    MissingField {
        /// The field's name.
        field: &'static str,
    },
    /// A field has the wrong JSON type.
    #[error("field {field} has the wrong type")]
    WrongType {
        /// The field's name.
        field: &'static str,
    },
    /// The channel name is invalid.
    #[error("invalid channel: {source}")]
    InvalidChannel {
        /// Why the name was refused.
        #[source]
        source: ChannelNameError,
    },
    /// The event name is invalid.
    #[error("invalid event name: {source}")]
    InvalidEvent {
        /// Why the name was refused.
        #[source]
        source: EventError,
    },
    /// A `pusher:` or `pusher_internal:` event a client may not send, or a non-client
    /// application event.
    #[error("clients may not send this event")]
    UnexpectedEvent,
}

impl FrameError {
    /// A stable machine-readable code for the wire and the bindings.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotJson => "frame_not_json",
            Self::NotAnObject { .. } => "frame_not_an_object",
            Self::MissingField { .. } => "frame_missing_field",
            Self::WrongType { .. } => "frame_wrong_type",
            Self::InvalidChannel { .. } => "frame_invalid_channel",
            Self::InvalidEvent { .. } => "frame_invalid_event",
            Self::UnexpectedEvent => "frame_unexpected_event",
        }
    }
}

/// A frame a client sends to the server.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub enum ClientFrame {
    /// `pusher:subscribe`.
    Subscribe {
        /// The channel to join.
        channel: ChannelName,
        /// `"{key}:{signature}"`, for private, encrypted and presence channels.
        auth: Option<String>,
        /// The exact signed presence `channel_data` string.
        channel_data: Option<String>,
    },
    /// `pusher:unsubscribe`.
    Unsubscribe {
        /// The channel to leave.
        channel: ChannelName,
    },
    /// `pusher:ping`: answer with [`ServerFrame::Pong`].
    Ping,
    /// `pusher:pong`: the answer to a server ping.
    Pong,
    /// `pusher:signin`.
    Signin {
        /// `"{key}:{signature}"` over `user_data`.
        auth: String,
        /// The exact signed `user_data` string.
        user_data: String,
    },
    /// A `client-…` event to relay to the channel's other members.
    ClientEvent {
        /// The event name.
        event: ClientEventName,
        /// The channel.
        channel: ChannelName,
        /// The payload, as sent (any JSON; opaque to the server).
        data: Value,
    },
}

fn field<'a>(map: &'a Map<String, Value>, name: &'static str) -> Result<&'a Value, FrameError> {
    map.get(name)
        .ok_or(FrameError::MissingField { field: name })
}

fn string_field<'a>(
    map: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, FrameError> {
    field(map, name)?
        .as_str()
        .ok_or(FrameError::WrongType { field: name })
}

/// An optional string; `null` counts as absent (pusher-js may serialize an unset value so).
fn optional_string(
    map: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, FrameError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(FrameError::WrongType { field: name }),
    }
}

fn channel_field(map: &Map<String, Value>) -> Result<ChannelName, FrameError> {
    string_field(map, "channel")?
        .parse()
        .map_err(|source| FrameError::InvalidChannel { source })
}

/// The `data` object of a protocol event, given as an object or as a JSON string holding one.
fn data_object(frame: &Map<String, Value>) -> Result<Map<String, Value>, FrameError> {
    match field(frame, "data")? {
        Value::Object(map) => Ok(map.clone()),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) | Err(_) => Err(FrameError::NotAnObject { field: "data" }),
        },
        _ => Err(FrameError::NotAnObject { field: "data" }),
    }
}

impl ClientFrame {
    /// Parses one text frame from a client.
    ///
    /// # Errors
    /// A [`FrameError`] for anything that is not a valid client frame of protocol 7.
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        let value: Value = serde_json::from_str(text).map_err(|_| FrameError::NotJson)?;
        let Value::Object(frame) = value else {
            return Err(FrameError::NotAnObject { field: "frame" });
        };
        let event = string_field(&frame, "event")?;
        match event {
            "pusher:subscribe" => {
                let data = data_object(&frame)?;
                Ok(Self::Subscribe {
                    channel: channel_field(&data)?,
                    auth: optional_string(&data, "auth")?,
                    channel_data: optional_string(&data, "channel_data")?,
                })
            }
            "pusher:unsubscribe" => Ok(Self::Unsubscribe {
                channel: channel_field(&data_object(&frame)?)?,
            }),
            "pusher:ping" => Ok(Self::Ping),
            "pusher:pong" => Ok(Self::Pong),
            "pusher:signin" => {
                let data = data_object(&frame)?;
                Ok(Self::Signin {
                    auth: string_field(&data, "auth")?.to_owned(),
                    user_data: string_field(&data, "user_data")?.to_owned(),
                })
            }
            other => {
                let name: EventName = other
                    .parse()
                    .map_err(|source| FrameError::InvalidEvent { source })?;
                if !name.is_client_event() {
                    return Err(FrameError::UnexpectedEvent);
                }
                let event: ClientEventName = other
                    .parse()
                    .map_err(|source| FrameError::InvalidEvent { source })?;
                Ok(Self::ClientEvent {
                    event,
                    channel: channel_field(&frame)?,
                    data: frame.get("data").cloned().unwrap_or(Value::Null),
                })
            }
        }
    }
}

/// A presence channel's members, sent in `pusher_internal:subscription_succeeded`.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct PresenceSnapshot {
    /// Each member's id and `user_info` (`null` when none), in roster order.
    pub members: Vec<(UserId, Value)>,
}

/// A frame the server sends to a client.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub enum ServerFrame {
    /// `pusher:connection_established`: the first frame of every connection.
    ConnectionEstablished {
        /// The connection's id.
        socket_id: SocketId,
        /// Seconds of silence after which the client pings (pusher-js requires it non-zero).
        activity_timeout: u32,
    },
    /// `pusher:error`: `code` is a close code, or `None` for errors that do not close.
    Error {
        /// Human-readable text.
        message: String,
        /// The numeric code, if any.
        code: Option<u16>,
    },
    /// `pusher_internal:subscription_succeeded`; `presence` for presence channels.
    SubscriptionSucceeded {
        /// The channel joined.
        channel: ChannelName,
        /// The members, for presence channels.
        presence: Option<PresenceSnapshot>,
    },
    /// `pusher:subscription_error`: data `{type, error, status}`.
    SubscriptionError {
        /// The channel that was refused.
        channel: ChannelName,
        /// `type`, e.g. `"AuthError"`.
        kind: String,
        /// Human-readable text.
        error: String,
        /// An HTTP-like status, e.g. 401.
        status: u16,
    },
    /// `pusher_internal:member_added`.
    MemberAdded {
        /// The presence channel.
        channel: ChannelName,
        /// The new member.
        user_id: UserId,
        /// The member's `user_info` (omitted when `None`).
        user_info: Option<Value>,
    },
    /// `pusher_internal:member_removed`.
    MemberRemoved {
        /// The presence channel.
        channel: ChannelName,
        /// The member who left.
        user_id: UserId,
    },
    /// `pusher:signin_success`, echoing the signed `user_data` string.
    SigninSuccess {
        /// The exact `user_data` that was signed.
        user_data: String,
    },
    /// `pusher:ping`.
    Ping,
    /// `pusher:pong`.
    Pong,
    /// An application or client event on a channel.
    Event {
        /// The event name.
        event: EventName,
        /// The channel.
        channel: ChannelName,
        /// The payload, already encoded as the string sent in `data`.
        data: String,
        /// For client events on presence channels: the sender's user id.
        user_id: Option<UserId>,
    },
}

impl ServerFrame {
    /// The event of a relayed client event. A string payload is sent as is; any other JSON
    /// is encoded to a string, which pusher-js decodes back to the same value.
    #[must_use]
    pub fn client_event(
        event: &ClientEventName,
        channel: ChannelName,
        data: &Value,
        user_id: Option<UserId>,
    ) -> Self {
        let data = match data {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Self::Event {
            event: event.as_event_name().clone(),
            channel,
            data,
            user_id,
        }
    }

    /// The frame as JSON text, ready to send.
    #[must_use]
    pub fn to_json(&self) -> String {
        let value = match self {
            Self::ConnectionEstablished {
                socket_id,
                activity_timeout,
            } => json!({
                "event": "pusher:connection_established",
                "data": json!({
                    "socket_id": socket_id.as_str(),
                    "activity_timeout": activity_timeout,
                }).to_string(),
            }),
            Self::Error { message, code } => json!({
                "event": "pusher:error",
                "data": { "message": message, "code": code },
            }),
            Self::SubscriptionSucceeded { channel, presence } => {
                let data = match presence {
                    None => json!({}),
                    Some(snapshot) => {
                        let ids: Vec<&str> =
                            snapshot.members.iter().map(|(id, _)| id.as_str()).collect();
                        let hash: Map<String, Value> = snapshot
                            .members
                            .iter()
                            .map(|(id, info)| (id.as_str().to_owned(), info.clone()))
                            .collect();
                        json!({ "presence": { "ids": ids, "hash": hash, "count": ids.len() } })
                    }
                };
                json!({
                    "event": "pusher_internal:subscription_succeeded",
                    "channel": channel.as_str(),
                    "data": data.to_string(),
                })
            }
            Self::SubscriptionError {
                channel,
                kind,
                error,
                status,
            } => json!({
                "event": "pusher:subscription_error",
                "channel": channel.as_str(),
                "data": { "type": kind, "error": error, "status": status },
            }),
            Self::MemberAdded {
                channel,
                user_id,
                user_info,
            } => {
                let mut data = json!({ "user_id": user_id.as_str() });
                if let (Some(info), Value::Object(map)) = (user_info, &mut data) {
                    map.insert("user_info".to_owned(), info.clone());
                }
                json!({
                    "event": "pusher_internal:member_added",
                    "channel": channel.as_str(),
                    "data": data.to_string(),
                })
            }
            Self::MemberRemoved { channel, user_id } => json!({
                "event": "pusher_internal:member_removed",
                "channel": channel.as_str(),
                "data": json!({ "user_id": user_id.as_str() }).to_string(),
            }),
            Self::SigninSuccess { user_data } => json!({
                "event": "pusher:signin_success",
                "data": { "user_data": user_data },
            }),
            Self::Ping => json!({ "event": "pusher:ping", "data": {} }),
            Self::Pong => json!({ "event": "pusher:pong", "data": {} }),
            Self::Event {
                event,
                channel,
                data,
                user_id,
            } => {
                let mut frame = json!({
                    "event": event.as_str(),
                    "channel": channel.as_str(),
                    "data": data,
                });
                if let (Some(id), Value::Object(map)) = (user_id, &mut frame) {
                    map.insert("user_id".to_owned(), Value::from(id.as_str()));
                }
                frame
            }
        };
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_data_as_object_or_string() {
        let a = ClientFrame::parse(
            r#"{"event":"pusher:subscribe","data":{"channel":"private-a","auth":"k:s"}}"#,
        )
        .unwrap();
        let b = ClientFrame::parse(
            r#"{"event":"pusher:subscribe","data":"{\"channel\":\"private-a\",\"auth\":\"k:s\"}"}"#,
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn error_paths() {
        let err = |s: &str| ClientFrame::parse(s).unwrap_err();
        assert_eq!(err("nope"), FrameError::NotJson);
        assert_eq!(err("[]"), FrameError::NotAnObject { field: "frame" });
        assert_eq!(err("{}"), FrameError::MissingField { field: "event" });
        assert_eq!(
            err(r#"{"event":1}"#),
            FrameError::WrongType { field: "event" }
        );
        assert_eq!(
            err(r#"{"event":"pusher:subscribe"}"#),
            FrameError::MissingField { field: "data" }
        );
        assert_eq!(
            err(r#"{"event":"pusher:subscribe","data":"[1]"}"#),
            FrameError::NotAnObject { field: "data" }
        );
        assert_eq!(
            err(r#"{"event":"pusher:subscribe","data":{"channel":"a","auth":5}}"#),
            FrameError::WrongType { field: "auth" }
        );
        assert_eq!(
            err(r#"{"event":"my-event","channel":"a"}"#),
            FrameError::UnexpectedEvent
        );
        assert_eq!(
            err(r#"{"event":"pusher_internal:member_added","channel":"a"}"#),
            FrameError::UnexpectedEvent
        );
        assert_eq!(err(r#"{"event":""}"#).code(), "frame_invalid_event");
        assert_eq!(
            err(r#"{"event":"client-x","channel":"a b","data":{}}"#).code(),
            "frame_invalid_channel"
        );
    }

    #[test]
    fn member_added_omits_missing_user_info() {
        let frame = ServerFrame::MemberAdded {
            channel: "presence-a".parse().unwrap(),
            user_id: "1".parse().unwrap(),
            user_info: None,
        };
        let sent: Value = serde_json::from_str(&frame.to_json()).unwrap();
        assert_eq!(
            sent,
            json!({"event": "pusher_internal:member_added", "channel": "presence-a",
                   "data": "{\"user_id\":\"1\"}"})
        );
    }
}
