//! Which channels are ciphertext-only: an exact name, or a prefix ending in `*`
//! (`spec/ciphertext-only-channels.md` section 2).

use std::fmt;
use std::str::FromStr;

use crate::channel::{
    ChannelKind, ChannelName, PRESENCE_PREFIX, PRIVATE_ENCRYPTED_PREFIX, PRIVATE_PREFIX,
};

/// A channel pattern of a ciphertext-only channel list: `private-e2ee-*` (a prefix) or
/// `presence-lobby` (an exact name). It can only match private and presence channels, and
/// never a `private-encrypted-` one.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ChannelPattern {
    /// The name, or the prefix without its `*`.
    text: String,
    prefix: bool,
}

/// Why a string is not a [`ChannelPattern`]. Its message is the rule broken
/// ([`ChannelPatternError::rule`]), so a config reader can name the field and the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelPatternError {
    /// Neither `private-` nor `presence-` starts it.
    NotPrivateOrPresence,
    /// It could match a `private-encrypted-` channel.
    MatchesPrivateEncrypted,
    /// A `*` elsewhere than at the end, or a character no channel name has.
    InvalidCharacter,
    /// Longer than a channel name can be.
    TooLong,
}

impl ChannelPatternError {
    /// A stable, machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotPrivateOrPresence => "pattern_not_private_or_presence",
            Self::MatchesPrivateEncrypted => "pattern_matches_private_encrypted",
            Self::InvalidCharacter => "pattern_invalid_character",
            Self::TooLong => "pattern_too_long",
        }
    }

    /// The rule broken, as a sentence fragment ("must begin with ...").
    #[must_use]
    pub fn rule(&self) -> &'static str {
        match self {
            Self::NotPrivateOrPresence => {
                "must begin with 'private-' or 'presence-' (a public channel cannot be \
                 ciphertext-only)"
            }
            Self::MatchesPrivateEncrypted => {
                "must not match 'private-encrypted-' channels (Pusher's own encryption, \
                 another payload); use a longer prefix such as 'private-e2ee-*'"
            }
            Self::InvalidCharacter => {
                "must be a channel name, or a prefix ending in a single '*', of the \
                 characters A-Z a-z 0-9 _ - = @ , . ;"
            }
            Self::TooLong => "must be at most 164 characters long",
        }
    }
}

impl fmt::Display for ChannelPatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "channel pattern {}", self.rule())
    }
}

impl std::error::Error for ChannelPatternError {}

impl ChannelPattern {
    /// Whether `channel` is ciphertext-only under this pattern.
    #[must_use]
    pub fn matches(&self, channel: &ChannelName) -> bool {
        // The kind check repeats what parsing guarantees, so that no later change to the
        // parser can make a public or private-encrypted channel match.
        let kind_ok = matches!(channel.kind(), ChannelKind::Private | ChannelKind::Presence);
        let name = channel.as_str();
        kind_ok
            && if self.prefix {
                name.starts_with(&self.text)
            } else {
                name == self.text
            }
    }

    /// Whether this is a prefix pattern (written with a final `*`).
    #[must_use]
    pub fn is_prefix(&self) -> bool {
        self.prefix
    }
}

impl FromStr for ChannelPattern {
    type Err = ChannelPatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (text, prefix) = match s.strip_suffix('*') {
            Some(text) => (text, true),
            None => (s, false),
        };
        if text.len() > crate::channel::MAX_CHANNEL_NAME_LEN {
            return Err(ChannelPatternError::TooLong);
        }
        if !text.starts_with(PRIVATE_PREFIX) && !text.starts_with(PRESENCE_PREFIX) {
            return Err(ChannelPatternError::NotPrivateOrPresence);
        }
        let allowed = |c: char| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '=' | '@' | ',' | '.' | ';')
        };
        if !text.chars().all(allowed) {
            return Err(ChannelPatternError::InvalidCharacter);
        }
        let could_match_encrypted = text.starts_with(PRIVATE_ENCRYPTED_PREFIX)
            || (prefix && PRIVATE_ENCRYPTED_PREFIX.starts_with(text));
        if could_match_encrypted {
            return Err(ChannelPatternError::MatchesPrivateEncrypted);
        }
        Ok(Self {
            text: text.to_owned(),
            prefix,
        })
    }
}

impl fmt::Display for ChannelPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        if self.prefix {
            f.write_str("*")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn channel(name: &str) -> ChannelName {
        name.parse().unwrap()
    }

    #[test]
    fn prefixes_and_exact_names() {
        let e2ee: ChannelPattern = "private-e2ee-*".parse().unwrap();
        assert!(e2ee.is_prefix());
        assert!(e2ee.matches(&channel("private-e2ee-room-42")));
        assert!(e2ee.matches(&channel("private-e2ee-")));
        assert!(!e2ee.matches(&channel("private-e2e-room")));
        assert!(!e2ee.matches(&channel("presence-e2ee-room")));
        let lobby: ChannelPattern = "presence-lobby".parse().unwrap();
        assert!(!lobby.is_prefix());
        assert!(lobby.matches(&channel("presence-lobby")));
        assert!(!lobby.matches(&channel("presence-lobby-2")));
        let all_presence: ChannelPattern = "presence-*".parse().unwrap();
        assert!(all_presence.matches(&channel("presence-x")));
        assert_eq!(e2ee.to_string(), "private-e2ee-*");
        assert_eq!(lobby.to_string(), "presence-lobby");
    }

    #[test]
    fn refusals() {
        use ChannelPatternError as E;
        let cases = [
            ("", E::NotPrivateOrPresence),
            ("*", E::NotPrivateOrPresence),
            ("e2ee-*", E::NotPrivateOrPresence),
            ("public-room", E::NotPrivateOrPresence),
            ("#server-to-user-*", E::NotPrivateOrPresence),
            ("private-*", E::MatchesPrivateEncrypted),
            ("private-enc*", E::MatchesPrivateEncrypted),
            ("private-encrypted-*", E::MatchesPrivateEncrypted),
            ("private-encrypted-room", E::MatchesPrivateEncrypted),
            ("private-encrypted-x*", E::MatchesPrivateEncrypted),
            ("private-e2ee-**", E::InvalidCharacter),
            ("private-*-x", E::InvalidCharacter),
            ("private-room/1", E::InvalidCharacter),
            ("private-é", E::InvalidCharacter),
        ];
        for (text, error) in cases {
            assert_eq!(text.parse::<ChannelPattern>(), Err(error), "{text:?}");
        }
        let long = format!("private-{}", "a".repeat(160));
        assert_eq!(long.parse::<ChannelPattern>(), Err(E::TooLong));
        // "private-" alone as an exact name is not a prefix: it matches one channel only.
        assert!("private-".parse::<ChannelPattern>().is_ok());
    }

    proptest! {
        /// Whatever pattern parses, it never matches a public, private-encrypted or
        /// server-to-user channel.
        #[test]
        fn never_matches_public_or_encrypted(
            pattern in "(private-|presence-|)[a-z-]{0,20}\\*?",
            rest in "[a-z-]{0,20}",
        ) {
            if let Ok(pattern) = pattern.parse::<ChannelPattern>() {
                let base = pattern.to_string().trim_end_matches('*').to_owned();
                for name in [
                    format!("{base}{rest}"),
                    format!("private-encrypted-{rest}x"),
                    format!("{rest}x"),
                    format!("#server-to-user-{rest}x"),
                ] {
                    if let Ok(channel) = name.parse::<ChannelName>()
                        && pattern.matches(&channel)
                    {
                        prop_assert!(matches!(
                            channel.kind(),
                            ChannelKind::Private | ChannelKind::Presence
                        ));
                    }
                }
            }
        }
    }
}
