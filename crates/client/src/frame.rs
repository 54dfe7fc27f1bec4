//! Reading server frames into [`ServerFrame`] and writing client frames.
//!
//! `domvia-protocol` parses what clients send ([`ClientFrame`]) and writes what servers
//! send ([`ServerFrame::to_json`]); a client needs the other two directions. Both reuse the
//! protocol crate's types, so every name is parsed once by the same rules. `data` is
//! accepted as a JSON string holding an object (what the gateway and Pusher send) or as an
//! object (what some servers send for `pusher:error` and `pusher:subscription_error`).
//!
//! [`ClientFrame`]: domvia_protocol::ClientFrame

use domvia_protocol::{ChannelName, PresenceSnapshot, ServerFrame, UserId};
use serde_json::{Map, Value, json};

/// Why a server frame could not be read. Never fatal: the frame is logged and skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ReadError {
    /// Not a JSON object with a string `event`.
    #[error("frame is not a JSON object with an event name")]
    NotAFrame,
    /// A field the event needs is missing or has the wrong type.
    #[error("field {field} is missing or invalid")]
    Field {
        /// The field.
        field: &'static str,
    },
}

fn field_err(field: &'static str) -> ReadError {
    ReadError::Field { field }
}

/// `data` as an object, decoding it when it is a JSON string.
fn data_object(frame: &Map<String, Value>) -> Result<Map<String, Value>, ReadError> {
    match frame.get("data") {
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(Value::String(text)) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(field_err("data")),
        },
        None | Some(Value::Null) => Ok(Map::new()),
        Some(_) => Err(field_err("data")),
    }
}

fn string<'a>(map: &'a Map<String, Value>, field: &'static str) -> Result<&'a str, ReadError> {
    map.get(field)
        .and_then(Value::as_str)
        .ok_or(field_err(field))
}

fn channel(frame: &Map<String, Value>) -> Result<ChannelName, ReadError> {
    string(frame, "channel")?
        .parse()
        .map_err(|_| field_err("channel"))
}

/// A user id given as a string or an integer, as pusher-js accepts.
fn user_id(value: Option<&Value>, field: &'static str) -> Result<UserId, ReadError> {
    let text = match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        _ => return Err(field_err(field)),
    };
    text.parse().map_err(|_| field_err(field))
}

fn presence(data: &Map<String, Value>) -> Result<Option<PresenceSnapshot>, ReadError> {
    let Some(presence) = data.get("presence") else {
        return Ok(None);
    };
    let hash = presence
        .get("hash")
        .and_then(Value::as_object)
        .ok_or(field_err("presence.hash"))?;
    let mut members = Vec::with_capacity(hash.len());
    for (id, info) in hash {
        let id: UserId = id.parse().map_err(|_| field_err("presence.hash"))?;
        members.push((id, info.clone()));
    }
    Ok(Some(PresenceSnapshot { members }))
}

/// Reads one text frame from the gateway.
pub(crate) fn read(text: &str) -> Result<ServerFrame, ReadError> {
    let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(text) else {
        return Err(ReadError::NotAFrame);
    };
    let event = frame
        .get("event")
        .and_then(Value::as_str)
        .ok_or(ReadError::NotAFrame)?;
    match event {
        "pusher:connection_established" => {
            let data = data_object(&frame)?;
            let socket_id = string(&data, "socket_id")?
                .parse()
                .map_err(|_| field_err("socket_id"))?;
            let activity_timeout = data
                .get("activity_timeout")
                .and_then(Value::as_u64)
                .map_or(120, |t| u32::try_from(t).unwrap_or(u32::MAX));
            Ok(ServerFrame::ConnectionEstablished {
                socket_id,
                activity_timeout,
            })
        }
        "pusher:error" => {
            let data = data_object(&frame)?;
            Ok(ServerFrame::Error {
                message: data
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                code: data
                    .get("code")
                    .and_then(Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok()),
            })
        }
        "pusher_internal:subscription_succeeded" => Ok(ServerFrame::SubscriptionSucceeded {
            channel: channel(&frame)?,
            presence: presence(&data_object(&frame)?)?,
        }),
        "pusher:subscription_error" => {
            let data = data_object(&frame)?;
            let text = |field| {
                data.get(field)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            Ok(ServerFrame::SubscriptionError {
                channel: channel(&frame)?,
                kind: text("type"),
                error: text("error"),
                status: data
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(0),
            })
        }
        "pusher_internal:member_added" => {
            let data = data_object(&frame)?;
            Ok(ServerFrame::MemberAdded {
                channel: channel(&frame)?,
                user_id: user_id(data.get("user_id"), "user_id")?,
                user_info: data.get("user_info").cloned(),
            })
        }
        "pusher_internal:member_removed" => {
            let data = data_object(&frame)?;
            Ok(ServerFrame::MemberRemoved {
                channel: channel(&frame)?,
                user_id: user_id(data.get("user_id"), "user_id")?,
            })
        }
        "pusher:signin_success" => {
            let data = data_object(&frame)?;
            Ok(ServerFrame::SigninSuccess {
                user_data: string(&data, "user_data")?.to_owned(),
            })
        }
        "pusher:ping" => Ok(ServerFrame::Ping),
        "pusher:pong" => Ok(ServerFrame::Pong),
        other => {
            let event = other.parse().map_err(|_| field_err("event"))?;
            let data = match frame.get("data") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(value) => value.to_string(),
            };
            let user_id = match frame.get("user_id") {
                None => None,
                some => Some(user_id(some, "user_id")?),
            };
            Ok(ServerFrame::Event {
                event,
                channel: channel(&frame)?,
                data,
                user_id,
            })
        }
    }
}

/// `pusher:subscribe`.
pub(crate) fn subscribe(
    channel: &ChannelName,
    auth: Option<&str>,
    channel_data: Option<&str>,
) -> String {
    let mut data = json!({ "channel": channel.as_str() });
    if let Value::Object(map) = &mut data {
        if let Some(auth) = auth {
            map.insert("auth".to_owned(), Value::from(auth));
        }
        if let Some(channel_data) = channel_data {
            map.insert("channel_data".to_owned(), Value::from(channel_data));
        }
    }
    json!({ "event": "pusher:subscribe", "data": data }).to_string()
}

/// `pusher:unsubscribe`.
pub(crate) fn unsubscribe(channel: &ChannelName) -> String {
    json!({ "event": "pusher:unsubscribe", "data": { "channel": channel.as_str() } }).to_string()
}

/// `pusher:signin`.
pub(crate) fn signin(auth: &str, user_data: &str) -> String {
    json!({ "event": "pusher:signin", "data": { "auth": auth, "user_data": user_data } })
        .to_string()
}

/// `pusher:ping`.
pub(crate) fn ping() -> String {
    json!({ "event": "pusher:ping", "data": {} }).to_string()
}

/// `pusher:pong`.
pub(crate) fn pong() -> String {
    json!({ "event": "pusher:pong", "data": {} }).to_string()
}

/// A client event. `data` is sent as a JSON value (pusher-js sends objects as objects).
pub(crate) fn client_event(event: &str, channel: &ChannelName, data: &Value) -> String {
    json!({ "event": event, "channel": channel.as_str(), "data": data }).to_string()
}

#[cfg(test)]
mod tests {
    use domvia_protocol::{ClientFrame, SocketId};

    use super::*;

    fn chan(s: &str) -> ChannelName {
        s.parse().unwrap()
    }

    #[test]
    fn reads_what_the_gateway_writes() {
        let alice: UserId = "alice".parse().unwrap();
        let frames = [
            ServerFrame::ConnectionEstablished {
                socket_id: SocketId::from_parts(1, 2),
                activity_timeout: 30,
            },
            ServerFrame::Error {
                message: "nope".into(),
                code: Some(4009),
            },
            ServerFrame::SubscriptionSucceeded {
                channel: chan("news"),
                presence: None,
            },
            ServerFrame::SubscriptionSucceeded {
                channel: chan("presence-room"),
                presence: Some(PresenceSnapshot {
                    members: vec![(alice.clone(), json!({"name": "Alice"}))],
                }),
            },
            ServerFrame::SubscriptionError {
                channel: chan("private-x"),
                kind: "AuthError".into(),
                error: "bad".into(),
                status: 401,
            },
            ServerFrame::MemberAdded {
                channel: chan("presence-room"),
                user_id: alice.clone(),
                user_info: Some(json!(1)),
            },
            ServerFrame::MemberRemoved {
                channel: chan("presence-room"),
                user_id: alice.clone(),
            },
            ServerFrame::SigninSuccess {
                user_data: r#"{"id":"alice"}"#.into(),
            },
            ServerFrame::Ping,
            ServerFrame::Pong,
            ServerFrame::Event {
                event: "client-typing".parse().unwrap(),
                channel: chan("presence-room"),
                data: r#"{"a":1}"#.into(),
                user_id: Some(alice),
            },
        ];
        for frame in frames {
            assert_eq!(read(&frame.to_json()).unwrap(), frame);
        }
    }

    #[test]
    fn object_data_and_numeric_user_ids() {
        let frame = read(r#"{"event":"e","channel":"c","data":{"x":1},"user_id":7}"#).unwrap();
        let ServerFrame::Event { data, user_id, .. } = frame else {
            unreachable!("an event")
        };
        assert_eq!(data, r#"{"x":1}"#);
        assert_eq!(user_id.unwrap().as_str(), "7");
    }

    #[test]
    fn bad_frames_are_errors() {
        assert_eq!(read("nope"), Err(ReadError::NotAFrame));
        assert_eq!(read("[]"), Err(ReadError::NotAFrame));
        assert_eq!(read(r#"{"event":1}"#), Err(ReadError::NotAFrame));
        assert_eq!(
            read(r#"{"event":"pusher:connection_established","data":"{}"}"#),
            Err(field_err("socket_id"))
        );
        assert_eq!(
            read(r#"{"event":"my-event","channel":"bad channel","data":""}"#),
            Err(field_err("channel"))
        );
        assert_eq!(
            read(
                r#"{"event":"pusher_internal:member_added","channel":"presence-x","data":"{\"user_id\":1.5}"}"#
            ),
            Err(field_err("user_id"))
        );
        assert_eq!(
            read(
                r#"{"event":"pusher_internal:subscription_succeeded","channel":"presence-x","data":"{\"presence\":{}}"}"#
            ),
            Err(field_err("presence.hash"))
        );
    }

    #[test]
    fn written_frames_parse_as_client_frames() {
        let c = chan("presence-room");
        assert_eq!(
            ClientFrame::parse(&subscribe(&c, Some("k:s"), Some("{}"))).unwrap(),
            ClientFrame::Subscribe {
                channel: c.clone(),
                auth: Some("k:s".into()),
                channel_data: Some("{}".into()),
            }
        );
        assert_eq!(
            ClientFrame::parse(&unsubscribe(&c)).unwrap(),
            ClientFrame::Unsubscribe { channel: c.clone() }
        );
        assert_eq!(ClientFrame::parse(&ping()).unwrap(), ClientFrame::Ping);
        assert_eq!(ClientFrame::parse(&pong()).unwrap(), ClientFrame::Pong);
        assert_eq!(
            ClientFrame::parse(&signin("a", "u")).unwrap(),
            ClientFrame::Signin {
                auth: "a".into(),
                user_data: "u".into()
            }
        );
        assert_eq!(
            ClientFrame::parse(&client_event("client-x", &c, &json!({"a": 1}))).unwrap(),
            ClientFrame::ClientEvent {
                event: "client-x".parse().unwrap(),
                channel: c,
                data: json!({"a": 1}),
            }
        );
    }
}
