//! User ids: the `user_id` of a presence member and the `id` of a signed-in user.
//!
//! Pusher treats a user id as an opaque, non-empty string (pusher-http-node's
//! `validateUserId`: "typeof userId === 'string' && userId !== ''"; pusher-js's
//! `UserFacade._onSigninSuccess` rejects an `id` that is not a non-empty string). Presence
//! `channel_data` may carry a number instead; [`crate::PresenceMember`] normalizes it to its
//! decimal string before it becomes a `UserId`.
//!
//! ```
//! use domvia_protocol::UserId;
//!
//! let id: UserId = "user-42".parse()?;
//! assert_eq!(id.as_str(), "user-42");
//! assert!("".parse::<UserId>().is_err());
//! # Ok::<(), domvia_protocol::UserIdError>(())
//! ```

use std::fmt;
use std::str::FromStr;

/// The longest user id accepted, in bytes. Pusher documents no limit; this bound keeps a
/// single id from dominating a presence roster and leaves room for the
/// `#server-to-user-` prefix inside a WebSocket frame.
pub const MAX_USER_ID_LEN: usize = 1024;

/// A non-empty user id, parsed once.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct UserId(String);

/// Why a string is not a [`UserId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserIdError {
    /// The id is the empty string.
    #[error("user id is empty")]
    Empty,
    /// The id is longer than [`MAX_USER_ID_LEN`] bytes.
    #[error("user id is {len} bytes long, the maximum is {max}")]
    TooLong {
        /// The id's length in bytes.
        len: usize,
        /// The maximum, [`MAX_USER_ID_LEN`].
        max: usize,
    },
    /// The id contains a control character (it would corrupt logs and channel names).
    #[error("user id contains a control character")]
    ControlCharacter,
}

impl UserIdError {
    /// A stable machine-readable code for the wire and the bindings.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "user_id_empty",
            Self::TooLong { .. } => "user_id_too_long",
            Self::ControlCharacter => "user_id_control_character",
        }
    }
}

impl UserId {
    /// The id as sent on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UserId {
    type Err = UserIdError;

    /// # Errors
    /// [`UserIdError`] when the id is empty, too long or holds a control character.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(UserIdError::Empty);
        }
        if s.len() > MAX_USER_ID_LEN {
            return Err(UserIdError::TooLong {
                len: s.len(),
                max: MAX_USER_ID_LEN,
            });
        }
        if s.chars().any(char::is_control) {
            return Err(UserIdError::ControlCharacter);
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_unicode_like_the_sdk_tests() {
        // pusher-http-node signs `{ id: "ą§¶™€łü€ß£" }` in its authenticateUser tests.
        let id: UserId = "ą§¶™€łü€ß£".parse().unwrap();
        assert_eq!(id.to_string(), "ą§¶™€łü€ß£");
    }

    #[test]
    fn rejects_empty_long_and_control() {
        assert_eq!("".parse::<UserId>(), Err(UserIdError::Empty));
        let long = "a".repeat(MAX_USER_ID_LEN + 1);
        assert_eq!(
            long.parse::<UserId>().unwrap_err().code(),
            "user_id_too_long"
        );
        assert_eq!("a\nb".parse::<UserId>(), Err(UserIdError::ControlCharacter));
    }
}
