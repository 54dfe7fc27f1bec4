//! Channel queries and user termination: `GET /channels`, `GET /channels/{name}`,
//! `GET /channels/{name}/users` and `POST /users/{id}/terminate_connections`.
//!
//! Rules (Pusher HTTP API reference, "Channels" and "Users"): `info` is a comma-separated
//! list of attributes; `user_count` exists only for presence channels, so asking it of
//! another channel, or of a channel list whose `filter_by_prefix` does not start with
//! `presence-`, is a 400; a single channel's answer always holds `occupied`; users are
//! listed only for presence channels. Unknown attributes are ignored.

use domvia_protocol::channel::PRESENCE_PREFIX;
use domvia_protocol::{ChannelName, UserId};
use serde_json::{Map, Value, json};

use super::ApiError;
use super::request::Query;
use crate::app::App;
use crate::broker::ChannelInfo;

/// The attributes an `info` parameter asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Attributes {
    /// `user_count`: distinct members of a presence channel.
    pub(super) user_count: bool,
    /// `subscription_count`: subscribed connections.
    pub(super) subscription_count: bool,
}

impl Attributes {
    /// Parses `user_count,subscription_count` (any order, spaces allowed, unknown
    /// attributes ignored); `None` asks for nothing.
    pub(super) fn parse(info: Option<&str>) -> Self {
        let mut wanted = Self::default();
        for attribute in info.unwrap_or("").split(',').map(str::trim) {
            match attribute {
                "user_count" => wanted.user_count = true,
                "subscription_count" => wanted.subscription_count = true,
                _ => {}
            }
        }
        wanted
    }

    /// Whether any attribute is asked for.
    pub(super) fn any(self) -> bool {
        self.user_count || self.subscription_count
    }

    /// The asked attributes of `channel`; `user_count` only for presence channels.
    pub(super) fn of(self, channel: &ChannelName, info: &ChannelInfo) -> Map<String, Value> {
        let mut attributes = Map::new();
        if self.user_count && channel.is_presence() {
            attributes.insert(
                "user_count".to_owned(),
                Value::from(info.user_count.unwrap_or(0)),
            );
        }
        if self.subscription_count {
            attributes.insert(
                "subscription_count".to_owned(),
                Value::from(info.subscription_count),
            );
        }
        attributes
    }
}

/// `GET /channels?filter_by_prefix=…&info=…`: occupied channels, with the asked attributes.
///
/// # Errors
/// [`ApiError::UserCountNeedsPresence`] for `user_count` without a `presence-` prefix.
pub(super) fn list(app: &App, query: &Query) -> Result<Value, ApiError> {
    let prefix = query.get("filter_by_prefix").unwrap_or("");
    let wanted = Attributes::parse(query.get("info"));
    if wanted.user_count && !prefix.starts_with(PRESENCE_PREFIX) {
        return Err(ApiError::UserCountNeedsPresence);
    }
    let channels: Map<String, Value> = app
        .channels(prefix)
        .into_iter()
        .map(|(channel, info)| {
            let attributes = wanted.of(&channel, &info);
            (channel.as_str().to_owned(), Value::Object(attributes))
        })
        .collect();
    Ok(json!({ "channels": channels }))
}

/// `GET /channels/{name}?info=…`: `occupied` and the asked attributes.
///
/// # Errors
/// [`ApiError::InvalidChannel`], or [`ApiError::UserCountNeedsPresence`].
pub(super) fn show(app: &App, name: &str, query: &Query) -> Result<Value, ApiError> {
    let channel = parse_channel(name)?;
    let wanted = Attributes::parse(query.get("info"));
    if wanted.user_count && !channel.is_presence() {
        return Err(ApiError::UserCountNeedsPresence);
    }
    let info = app.channel_info(&channel);
    let mut body = wanted.of(&channel, &info);
    body.insert("occupied".to_owned(), Value::Bool(info.occupied));
    Ok(Value::Object(body))
}

/// `GET /channels/{name}/users`: a presence channel's members.
///
/// # Errors
/// [`ApiError::InvalidChannel`], or [`ApiError::NotPresence`].
pub(super) fn users(app: &App, name: &str) -> Result<Value, ApiError> {
    let channel = parse_channel(name)?;
    if !channel.is_presence() {
        return Err(ApiError::NotPresence);
    }
    let snapshot = app
        .presence_members(&channel)
        .map_err(|_| ApiError::NotPresence)?;
    let users: Vec<Value> = snapshot
        .members
        .iter()
        .map(|(id, _)| json!({ "id": id.as_str() }))
        .collect();
    Ok(json!({ "users": users }))
}

/// `POST /users/{id}/terminate_connections`: closes the user's connections (4009).
///
/// # Errors
/// [`ApiError::InvalidUserId`].
pub(super) fn terminate(app: &App, user: &str) -> Result<Value, ApiError> {
    let user: UserId = user
        .parse()
        .map_err(|source| ApiError::InvalidUserId { source })?;
    let closed = app.terminate_user(&user);
    tracing::debug!(app = %app.config().id, closed, "terminated a user's connections");
    Ok(json!({}))
}

/// Parses a channel name from the API.
///
/// # Errors
/// [`ApiError::InvalidChannel`].
pub(super) fn parse_channel(name: &str) -> Result<ChannelName, ApiError> {
    name.parse()
        .map_err(|source| ApiError::InvalidChannel { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_parse_any_order_and_ignore_unknown() {
        let both = Attributes {
            user_count: true,
            subscription_count: true,
        };
        assert_eq!(
            Attributes::parse(Some("subscription_count, user_count")),
            both
        );
        assert_eq!(
            Attributes::parse(Some("user_info,user_count")),
            Attributes {
                user_count: true,
                subscription_count: false
            }
        );
        assert!(!Attributes::parse(None).any());
        assert!(!Attributes::parse(Some("")).any());
    }
}
