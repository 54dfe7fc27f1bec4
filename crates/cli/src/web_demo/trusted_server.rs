//! THE DEMO'S TRUSTED SERVER — the part a real app replaces.
//!
//! In a real deployment, the app's own backend decides who may join which channel: it
//! knows its users (sessions, passwords, SSO) and signs channel access with the app
//! secret, which the gateway checks. This module plays that backend for the demo, and only
//! that: it signs access with the dev app's secret (a public constant). It never sees,
//! stores or relays a key: devices create their keys in the browser and exchange them end
//! to end, through the gateway, as HPKE key shares.
//!
//! What it grants, for `POST /demo/auth` with pusher-js's form body (`socket_id`,
//! `channel_name`) plus the demo's `user` parameter:
//! - the presence room [`ROOM_CHANNEL`], as member `user` (named `user`);
//! - the user's own key channel (`domvia_e2ee::user_key_channel(user)`), for that user
//!   only: a key channel of another user is refused with 403;
//! - nothing else (403).
//!
//! The demo TRUSTS THE TYPED USER NAME: anyone can say they are "alice". A real app signs
//! access only for the user its own login established.

use domvia_e2ee::{UserId, user_key_channel};
use domvia_protocol::{AppKey, AppSecret, ChannelName, SocketId, sign_channel};

/// The demo's presence room: every tab joins it, and every encrypted event goes there.
pub(crate) const ROOM_CHANNEL: &str = "presence-e2ee-demo";

/// The longest user name the demo accepts.
const MAX_USER_LEN: usize = 32;

/// Why a request for channel access is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum AuthRefused {
    /// A form field is missing or not in the expected shape.
    #[error("`{field}` is missing or malformed")]
    BadField {
        /// The form field.
        field: &'static str,
    },
    /// The channel is neither the demo room nor the requester's own key channel.
    #[error("the demo's trusted server does not grant `{channel}` to this user")]
    Forbidden {
        /// The channel asked for.
        channel: String,
    },
}

impl AuthRefused {
    /// A stable code for the JSON error body.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::BadField { .. } => "bad_request",
            Self::Forbidden { .. } => "forbidden",
        }
    }
}

/// The signed access pusher-js expects from its auth endpoint.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Grant {
    /// `key:signature`.
    pub(crate) auth: String,
    /// The member's `channel_data` (presence channels only).
    pub(crate) channel_data: Option<String>,
}

impl Grant {
    /// The JSON body: `{"auth": …, "channel_data": …}`.
    pub(crate) fn to_json(&self) -> String {
        match &self.channel_data {
            Some(data) => serde_json::json!({ "auth": self.auth, "channel_data": data }),
            None => serde_json::json!({ "auth": self.auth }),
        }
        .to_string()
    }
}

/// Signs channel access for the demo (see the module documentation).
#[derive(Debug)]
pub(crate) struct TrustedServer {
    key: AppKey,
    secret: AppSecret,
}

impl TrustedServer {
    /// Signs with the app `key` and `secret` (the dev app's in `domvia serve`).
    pub(crate) fn new(key: AppKey, secret: AppSecret) -> Self {
        Self { key, secret }
    }

    /// Answers a form-encoded auth request body.
    ///
    /// # Errors
    /// [`AuthRefused::BadField`] for a missing or malformed field, [`AuthRefused::Forbidden`]
    /// for a channel the demo does not grant to this user.
    pub(crate) fn authorize(&self, form: &[u8]) -> Result<Grant, AuthRefused> {
        let field = |name: &'static str| {
            form_urlencoded::parse(form)
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
                .ok_or(AuthRefused::BadField { field: name })
        };
        let socket_id: SocketId = field("socket_id")?
            .parse()
            .map_err(|_| AuthRefused::BadField { field: "socket_id" })?;
        let channel_text = field("channel_name")?;
        let channel: ChannelName = channel_text.parse().map_err(|_| AuthRefused::BadField {
            field: "channel_name",
        })?;
        let user = parse_user(&field("user")?)?;

        let channel_data = if channel.as_str() == ROOM_CHANNEL {
            // Trusted as typed: see the module documentation.
            Some(
                serde_json::json!({ "user_id": user.as_str(), "user_info": { "name": user.as_str() } })
                    .to_string(),
            )
        } else if channel.as_str() == user_key_channel(&user) {
            None
        } else {
            return Err(AuthRefused::Forbidden {
                channel: channel_text,
            });
        };
        Ok(Grant {
            auth: sign_channel(
                &self.key,
                &self.secret,
                &socket_id,
                &channel,
                channel_data.as_deref(),
            ),
            channel_data,
        })
    }
}

/// A demo user name: 1 to 32 ASCII letters, digits, `-` or `_`.
fn parse_user(text: &str) -> Result<UserId, AuthRefused> {
    let valid = !text.is_empty()
        && text.len() <= MAX_USER_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(AuthRefused::BadField { field: "user" });
    }
    text.parse()
        .map_err(|_| AuthRefused::BadField { field: "user" })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use domvia_protocol::verify_channel;

    use super::*;

    fn server() -> TrustedServer {
        TrustedServer::new(
            "demo-key".parse().unwrap(),
            AppSecret::new("demo-secret").unwrap(),
        )
    }

    fn form(channel: &str, user: &str) -> Vec<u8> {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("socket_id", "123.456")
            .append_pair("channel_name", channel)
            .append_pair("user", user)
            .finish()
            .into_bytes()
    }

    #[test]
    fn the_room_is_granted_with_the_typed_user_as_member() {
        let grant = server().authorize(&form(ROOM_CHANNEL, "alice")).unwrap();
        let data = grant.channel_data.as_deref().unwrap();
        let member: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(member["user_id"], "alice");
        assert_eq!(member["user_info"]["name"], "alice");
        verify_channel(
            &grant.auth,
            &"demo-key".parse().unwrap(),
            &AppSecret::new("demo-secret").unwrap(),
            &"123.456".parse().unwrap(),
            &ROOM_CHANNEL.parse().unwrap(),
            Some(data),
        )
        .unwrap();
    }

    #[test]
    fn only_the_users_own_key_channel_is_granted() {
        let alice: UserId = "alice".parse().unwrap();
        let own = user_key_channel(&alice);
        let grant = server().authorize(&form(&own, "alice")).unwrap();
        assert!(grant.channel_data.is_none());
        assert!(grant.to_json().contains("\"auth\":\"demo-key:"));

        let refused = server().authorize(&form(&own, "mallory")).unwrap_err();
        assert_eq!(refused.code(), "forbidden");
    }

    #[test]
    fn other_channels_and_bad_fields_are_refused() {
        let other = server().authorize(&form("private-other", "alice"));
        assert!(matches!(other, Err(AuthRefused::Forbidden { .. })));
        let presence = server().authorize(&form("presence-e2ee-other", "alice"));
        assert!(matches!(presence, Err(AuthRefused::Forbidden { .. })));
        for user in ["", "a b", "x".repeat(33).as_str(), "é"] {
            let refused = server().authorize(&form(ROOM_CHANNEL, user)).unwrap_err();
            assert_eq!(refused, AuthRefused::BadField { field: "user" });
        }
        let no_socket = server().authorize(b"channel_name=presence-e2ee-demo&user=alice");
        assert_eq!(no_socket, Err(AuthRefused::BadField { field: "socket_id" }));
        let bad_socket = server().authorize(b"socket_id=x&channel_name=presence-e2ee-demo&user=a");
        assert_eq!(
            bad_socket,
            Err(AuthRefused::BadField { field: "socket_id" })
        );
    }
}
