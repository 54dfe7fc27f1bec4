//! The JSON documents a token signs: presence `channel_data` and signin `user_data`.
//!
//! Rules implemented (Pusher "Presence channels" and "User authentication";
//! pusher-http-node `validateUserData`; pusher-js `Members` and `UserFacade`):
//! - `channel_data` is a JSON object with `user_id` (a string, or an integer the server
//!   normalizes to its decimal string) and optional `user_info`;
//! - `user_data` is a JSON object whose `id` is a non-empty string; `user_info` and
//!   `watchlist` are optional.
//!
//! Both are parsed only after their signature has been checked (see [`crate::auth`]), from
//! the exact strings that were signed.
//!
//! ```
//! use domvia_protocol::{PresenceMember, UserData};
//!
//! let member = PresenceMember::from_channel_data(r#"{"user_id":10,"user_info":{"name":"Mr. Channels"}}"#)?;
//! assert_eq!(member.user_id.as_str(), "10");
//! let user = UserData::parse(r#"{"id":"45678"}"#)?;
//! assert_eq!(user.id().as_str(), "45678");
//! # Ok::<(), domvia_protocol::AuthError>(())
//! ```

use serde_json::Value;

use crate::auth::AuthError;
use crate::user::UserId;

fn json_object(
    text: &str,
    field: &'static str,
) -> Result<serde_json::Map<String, Value>, AuthError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(AuthError::NotAnObject { field }),
    }
}

fn user_id(value: &str) -> Result<UserId, AuthError> {
    value
        .parse()
        .map_err(|source| AuthError::InvalidUserId { source })
}

/// A presence member, from a subscription's `channel_data`.
#[derive(Clone, PartialEq, Debug)]
pub struct PresenceMember {
    /// The member's id; a numeric `user_id` becomes its decimal string.
    pub user_id: UserId,
    /// The member's `user_info`, if any, shown to the other members.
    pub user_info: Option<Value>,
}

impl PresenceMember {
    /// Parses presence `channel_data`: `{"user_id": string | integer, "user_info"?: any}`.
    ///
    /// Integers are normalized to their decimal string, as pusher-js keys members by
    /// `String(user_id)`. Fractional numbers are refused: their text form differs between
    /// JavaScript and other languages.
    ///
    /// # Errors
    /// [`AuthError::NotAnObject`], [`AuthError::MissingUserId`], [`AuthError::UserIdType`]
    /// or [`AuthError::InvalidUserId`].
    pub fn from_channel_data(channel_data: &str) -> Result<Self, AuthError> {
        const FIELD: &str = "user_id";
        let mut map = json_object(channel_data, "channel_data")?;
        let user_id = match map.get(FIELD) {
            None | Some(Value::Null) => return Err(AuthError::MissingUserId { field: FIELD }),
            Some(Value::String(s)) => user_id(s)?,
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => user_id(&n.to_string())?,
            Some(_) => return Err(AuthError::UserIdType { field: FIELD }),
        };
        let user_info = map.remove("user_info");
        Ok(Self { user_id, user_info })
    }
}

/// The `user_data` of a signed-in user: its id, and the whole document as signed.
#[derive(Clone, PartialEq, Debug)]
pub struct UserData {
    id: UserId,
    raw: String,
    fields: serde_json::Map<String, Value>,
}

impl UserData {
    /// Parses `user_data`: a JSON object whose `id` is a non-empty string.
    ///
    /// # Errors
    /// [`AuthError::NotAnObject`], [`AuthError::MissingUserId`], [`AuthError::UserIdType`]
    /// or [`AuthError::InvalidUserId`].
    pub fn parse(user_data: &str) -> Result<Self, AuthError> {
        const FIELD: &str = "id";
        let fields = json_object(user_data, "user_data")?;
        let id = match fields.get(FIELD) {
            None | Some(Value::Null) => return Err(AuthError::MissingUserId { field: FIELD }),
            Some(Value::String(s)) => user_id(s)?,
            Some(_) => return Err(AuthError::UserIdType { field: FIELD }),
        };
        Ok(Self {
            id,
            raw: user_data.to_owned(),
            fields,
        })
    }

    /// The user's id.
    #[must_use]
    pub fn id(&self) -> &UserId {
        &self.id
    }

    /// `user_info`, if present.
    #[must_use]
    pub fn user_info(&self) -> Option<&Value> {
        self.fields.get("user_info")
    }

    /// `watchlist`, if present (a list of user ids, checked by the gateway).
    #[must_use]
    pub fn watchlist(&self) -> Option<&Value> {
        self.fields.get("watchlist")
    }

    /// The exact string that was signed, echoed back in `pusher:signin_success`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_channel_data() {
        let m = PresenceMember::from_channel_data(
            r#"{"user_id":10,"user_info":{"name":"Mr. Channels"}}"#,
        )
        .unwrap();
        assert_eq!(m.user_id.as_str(), "10");
        assert_eq!(
            m.user_info,
            Some(serde_json::json!({"name": "Mr. Channels"}))
        );
        let m = PresenceMember::from_channel_data(r#"{"user_id":"u-1"}"#).unwrap();
        assert_eq!((m.user_id.as_str(), m.user_info), ("u-1", None));
        assert_eq!(
            PresenceMember::from_channel_data(r#"{"user_id":-3}"#)
                .unwrap()
                .user_id
                .as_str(),
            "-3"
        );
        let err = |s: &str| PresenceMember::from_channel_data(s).unwrap_err().code();
        assert_eq!(err("[]"), "auth_not_an_object");
        assert_eq!(err("not json"), "auth_not_an_object");
        assert_eq!(err("{}"), "auth_missing_user_id");
        assert_eq!(err(r#"{"user_id":null}"#), "auth_missing_user_id");
        assert_eq!(err(r#"{"user_id":1.5}"#), "auth_user_id_type");
        assert_eq!(err(r#"{"user_id":true}"#), "auth_user_id_type");
        assert_eq!(err(r#"{"user_id":""}"#), "auth_invalid_user_id");
    }

    #[test]
    fn user_data() {
        let u = UserData::parse(r#"{"id":"7","user_info":{"n":1},"watchlist":["8"]}"#).unwrap();
        assert_eq!(u.id().as_str(), "7");
        assert_eq!(u.user_info(), Some(&serde_json::json!({"n": 1})));
        assert_eq!(u.watchlist(), Some(&serde_json::json!(["8"])));
        let err = |s: &str| UserData::parse(s).unwrap_err();
        // pusher-http-node refuses {}, {id: ""} and {id: 123}.
        assert_eq!(err("{}"), AuthError::MissingUserId { field: "id" });
        assert_eq!(err(r#"{"id":""}"#).code(), "auth_invalid_user_id");
        assert_eq!(err(r#"{"id":123}"#), AuthError::UserIdType { field: "id" });
        assert_eq!(
            err("\"abc\""),
            AuthError::NotAnObject { field: "user_data" }
        );
    }
}
