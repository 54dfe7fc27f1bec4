//! Channel names, parsed once into a [`ChannelKind`]: the one classifier the gateway uses.
//!
//! Rules implemented (Pusher docs, "Channels → Channel naming" and the support article
//! "What does the error 'Invalid channel name' mean?"):
//! - at most [`MAX_CHANNEL_NAME_LEN`] (164) characters, prefixes included;
//! - only `A-Z a-z 0-9 _ - = @ , . ;` (the same set as pusher-http-node's
//!   `validateChannel`, `/[^A-Za-z0-9_\-=@,.;]/`);
//! - the kind follows from the prefix, longest first, exactly as pusher-js's channel
//!   factory does: `private-encrypted-`, then `private-`, then `presence-`, else public;
//! - `#` is reserved: the only such name is `#server-to-user-{user_id}`
//!   (pusher-http-node `sendToUser`). pusher-js refuses `pusher.subscribe("#…")`, but after
//!   `pusher:signin_success` its `UserFacade` subscribes to `#server-to-user-{id}` itself,
//!   with no `auth`. The gateway must accept that subscription only from a connection
//!   signed in as that very user ([`ChannelName::server_to_user_id`]). The user id part is
//!   any [`UserId`] (the SDKs let ids be any non-empty string), so that part is not held to
//!   the character set above.
//!
//! Cache channels (`cache-`, `private-cache-`, `presence-cache-`,
//! `private-encrypted-cache-`) classify by their outer prefix; cache semantics are the
//! gateway's concern.
//!
//! ```
//! use domvia_protocol::{ChannelKind, ChannelName};
//!
//! let channel: ChannelName = "presence-room-42".parse()?;
//! assert_eq!(channel.kind(), ChannelKind::Presence);
//! assert!(channel.requires_auth() && channel.is_presence());
//!
//! let inbox: ChannelName = "#server-to-user-alice".parse()?;
//! assert_eq!(inbox.kind(), ChannelKind::ServerToUser);
//! assert_eq!(inbox.server_to_user_id().map(|id| id.as_str()), Some("alice"));
//! assert!("#anything-else".parse::<ChannelName>().is_err());
//! # Ok::<(), domvia_protocol::ChannelNameError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::user::{UserId, UserIdError};

/// The longest channel name Pusher accepts, in characters, prefixes included.
///
/// pusher-http-node checks 200 before sending, but Pusher Channels itself answers
/// "Invalid channel name" above 164; a compatible server enforces the server's limit.
pub const MAX_CHANNEL_NAME_LEN: usize = 164;

/// Prefix of private channels.
pub const PRIVATE_PREFIX: &str = "private-";
/// Prefix of Pusher's end-to-end encrypted channels (relayed opaquely).
pub const PRIVATE_ENCRYPTED_PREFIX: &str = "private-encrypted-";
/// Prefix of presence channels.
pub const PRESENCE_PREFIX: &str = "presence-";
/// Prefix of a user's server-to-user channel.
pub const SERVER_TO_USER_PREFIX: &str = "#server-to-user-";

/// What a channel name says about the channel.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum ChannelKind {
    /// Anyone may subscribe; no client events.
    Public,
    /// `private-`: subscription needs an `auth` signature; client events allowed.
    Private,
    /// `private-encrypted-`: needs `auth`; payloads are Pusher's secretbox ciphertext, which
    /// the server relays untouched. pusher-js rejects client events on these channels.
    PrivateEncrypted,
    /// `presence-`: needs `auth` and `channel_data`; members are tracked; client events allowed.
    Presence,
    /// `#server-to-user-{user_id}`: only the server publishes; only a connection signed in
    /// as that user may subscribe (without `auth`).
    ServerToUser,
}

/// A valid channel name and its kind.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ChannelName {
    name: String,
    kind: ChannelKind,
    /// For [`ChannelKind::ServerToUser`] only: the user id after the prefix.
    user: Option<UserId>,
}

/// Why a string is not a [`ChannelName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelNameError {
    /// The name is empty.
    #[error("channel name is empty")]
    Empty,
    /// The name has more than [`MAX_CHANNEL_NAME_LEN`] characters.
    #[error("channel name is {len} characters long, the maximum is {max}")]
    TooLong {
        /// The name's length in characters.
        len: usize,
        /// The maximum, [`MAX_CHANNEL_NAME_LEN`].
        max: usize,
    },
    /// The name holds a character outside `A-Za-z0-9_-=@,.;`.
    #[error("channel name has the invalid character {character:?} at index {index}")]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its index, in characters.
        index: usize,
    },
    /// The name starts with `#` but is not `#server-to-user-{user_id}`.
    #[error("channel names starting with '#' are reserved")]
    ReservedPrefix,
    /// The user id of a `#server-to-user-` name is not valid.
    #[error("invalid user id in server-to-user channel: {source}")]
    InvalidUserId {
        /// Why the user id was refused.
        #[source]
        source: UserIdError,
    },
}

impl ChannelNameError {
    /// A stable machine-readable code for the wire and the bindings.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "channel_name_empty",
            Self::TooLong { .. } => "channel_name_too_long",
            Self::InvalidCharacter { .. } => "channel_name_invalid_character",
            Self::ReservedPrefix => "channel_name_reserved_prefix",
            Self::InvalidUserId { .. } => "channel_name_invalid_user_id",
        }
    }
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '=' | '@' | ',' | '.' | ';')
}

impl ChannelName {
    /// The server-to-user channel of `user`, `#server-to-user-{user_id}`.
    ///
    /// # Errors
    /// [`ChannelNameError::TooLong`] when the id makes the name exceed
    /// [`MAX_CHANNEL_NAME_LEN`] characters.
    pub fn server_to_user(user: &UserId) -> Result<Self, ChannelNameError> {
        format!("{SERVER_TO_USER_PREFIX}{user}").parse()
    }

    /// The channel's kind.
    #[must_use]
    pub fn kind(&self) -> ChannelKind {
        self.kind
    }

    /// Whether `pusher:subscribe` must carry an `auth` signature
    /// (private, private-encrypted and presence channels).
    ///
    /// A server-to-user channel needs no signature but a signed-in connection; see
    /// [`Self::server_to_user_id`].
    #[must_use]
    pub fn requires_auth(&self) -> bool {
        match self.kind {
            ChannelKind::Private | ChannelKind::PrivateEncrypted | ChannelKind::Presence => true,
            ChannelKind::Public | ChannelKind::ServerToUser => false,
        }
    }

    /// Whether this is a presence channel (subscription needs `channel_data`).
    #[must_use]
    pub fn is_presence(&self) -> bool {
        self.kind == ChannelKind::Presence
    }

    /// Whether clients may trigger `client-*` events here: private and presence channels
    /// only (protocol: "Client events … only on private and presence channels"; pusher-js
    /// refuses them on encrypted channels).
    #[must_use]
    pub fn accepts_client_events(&self) -> bool {
        match self.kind {
            ChannelKind::Private | ChannelKind::Presence => true,
            ChannelKind::Public | ChannelKind::PrivateEncrypted | ChannelKind::ServerToUser => {
                false
            }
        }
    }

    /// For `#server-to-user-{user_id}`, the user a connection must be signed in as to
    /// subscribe; `None` for every other kind.
    #[must_use]
    pub fn server_to_user_id(&self) -> Option<&UserId> {
        self.user.as_ref()
    }

    /// The name as sent on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

impl FromStr for ChannelName {
    type Err = ChannelNameError;

    /// # Errors
    /// [`ChannelNameError`] when the name breaks one of the rules in the module docs.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(ChannelNameError::Empty);
        }
        let len = s.chars().count();
        if len > MAX_CHANNEL_NAME_LEN {
            return Err(ChannelNameError::TooLong {
                len,
                max: MAX_CHANNEL_NAME_LEN,
            });
        }
        if s.starts_with('#') {
            let Some(user) = s.strip_prefix(SERVER_TO_USER_PREFIX) else {
                return Err(ChannelNameError::ReservedPrefix);
            };
            let user = user
                .parse::<UserId>()
                .map_err(|source| ChannelNameError::InvalidUserId { source })?;
            return Ok(Self {
                name: s.to_owned(),
                kind: ChannelKind::ServerToUser,
                user: Some(user),
            });
        }
        if let Some((index, character)) = s.chars().enumerate().find(|&(_, c)| !is_allowed(c)) {
            return Err(ChannelNameError::InvalidCharacter { character, index });
        }
        let kind = if s.starts_with(PRIVATE_ENCRYPTED_PREFIX) {
            ChannelKind::PrivateEncrypted
        } else if s.starts_with(PRIVATE_PREFIX) {
            ChannelKind::Private
        } else if s.starts_with(PRESENCE_PREFIX) {
            ChannelKind::Presence
        } else {
            ChannelKind::Public
        };
        Ok(Self {
            name: s.to_owned(),
            kind,
            user: None,
        })
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> ChannelKind {
        s.parse::<ChannelName>().unwrap().kind()
    }

    #[test]
    fn classifies_by_longest_prefix() {
        assert_eq!(kind("my-channel"), ChannelKind::Public);
        assert_eq!(kind("cache-news"), ChannelKind::Public);
        assert_eq!(kind("private-chat"), ChannelKind::Private);
        assert_eq!(kind("private-cache-chat"), ChannelKind::Private);
        assert_eq!(
            kind("private-encrypted-chat"),
            ChannelKind::PrivateEncrypted
        );
        assert_eq!(kind("presence-room"), ChannelKind::Presence);
        assert_eq!(kind("presence-cache-room"), ChannelKind::Presence);
        assert_eq!(kind("#server-to-user-u1"), ChannelKind::ServerToUser);
        // A prefix must be at the start, and is case-sensitive.
        assert_eq!(kind("x-private-chat"), ChannelKind::Public);
        assert_eq!(kind("Private-chat"), ChannelKind::Public);
    }

    #[test]
    fn auth_and_client_event_rules() {
        let table = [
            ("public", false, false, false),
            ("private-a", true, false, true),
            ("private-encrypted-a", true, false, false),
            ("presence-a", true, true, true),
            ("#server-to-user-a", false, false, false),
        ];
        for (name, auth, presence, client_events) in table {
            let c: ChannelName = name.parse().unwrap();
            assert_eq!(c.requires_auth(), auth, "{name}");
            assert_eq!(c.is_presence(), presence, "{name}");
            assert_eq!(c.accepts_client_events(), client_events, "{name}");
        }
    }

    #[test]
    fn documented_example_and_full_alphabet() {
        // The example from Pusher's channel-naming docs.
        assert_eq!(kind("foo-bar_1234@=,.;"), ChannelKind::Public);
        let all = "ABCXYZabcxyz0189_-=@,.;";
        assert_eq!(all.parse::<ChannelName>().unwrap().as_str(), all);
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!("".parse::<ChannelName>(), Err(ChannelNameError::Empty));
        assert_eq!(
            "a b".parse::<ChannelName>(),
            Err(ChannelNameError::InvalidCharacter {
                character: ' ',
                index: 1
            })
        );
        for bad in ["a:b", "a/b", "a#b", "é", "a*", "a\u{0}"] {
            assert_eq!(
                bad.parse::<ChannelName>().unwrap_err().code(),
                "channel_name_invalid_character",
                "{bad:?}"
            );
        }
        assert_eq!(
            "#private-x".parse::<ChannelName>(),
            Err(ChannelNameError::ReservedPrefix)
        );
        assert_eq!(
            "#server-to-user-"
                .parse::<ChannelName>()
                .unwrap_err()
                .code(),
            "channel_name_invalid_user_id"
        );
    }

    #[test]
    fn length_limit_is_164_characters() {
        let ok = "a".repeat(MAX_CHANNEL_NAME_LEN);
        assert!(ok.parse::<ChannelName>().is_ok());
        let long = "a".repeat(MAX_CHANNEL_NAME_LEN + 1);
        assert_eq!(
            long.parse::<ChannelName>(),
            Err(ChannelNameError::TooLong { len: 165, max: 164 })
        );
    }

    #[test]
    fn server_to_user_round_trip() {
        let user: UserId = "ą§¶".parse().unwrap();
        let c = ChannelName::server_to_user(&user).unwrap();
        assert_eq!(c.as_str(), "#server-to-user-ą§¶");
        assert_eq!(c.server_to_user_id(), Some(&user));
        assert_eq!(c.to_string().parse::<ChannelName>().unwrap(), c);
        let long: UserId = "u".repeat(200).parse().unwrap();
        assert_eq!(
            ChannelName::server_to_user(&long).unwrap_err().code(),
            "channel_name_too_long"
        );
    }
}
