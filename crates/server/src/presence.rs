//! One presence channel's roster: who is a member, through which connections.
//!
//! Rules implemented (Pusher "Presence channels"; pusher-js `Members`):
//! - a member is a *user*, not a connection: a user with two connections on the channel is
//!   one member, added when their first connection joins and removed when their last one
//!   leaves, so `member_added`/`member_removed` go out once per user;
//! - the member keeps the `user_info` of the connection that added it: the other members
//!   saw that value in `member_added`, and no event exists to change it afterwards;
//! - numeric user ids were already normalized to strings by
//!   [`PresenceMember::from_channel_data`](domvia_protocol::PresenceMember::from_channel_data);
//! - a presence channel holds at most 100 members and a member's `user_info` at most 1 KB
//!   (issue 3's figures, from Pusher's presence channel limits; the documentation search
//!   available when this was written did not surface that section, so re-check them
//!   against pusher.com before relying on the exact values). Both are [`PresenceLimits`],
//!   enforced when a connection joins; `user_info` is measured as compact JSON. A second connection of
//!   a user who is already a member never counts against the member cap.
//!
//! ```
//! use domvia_protocol::{PresenceMember, SocketId};
//! use domvia_server::{PresenceLimits, PresenceRoster};
//!
//! let mut roster = PresenceRoster::default();
//! let limits = PresenceLimits::default();
//! let member = PresenceMember::from_channel_data(r#"{"user_id":7}"#)?;
//! let (laptop, phone) = (SocketId::from_parts(1, 1), SocketId::from_parts(1, 2));
//!
//! assert!(roster.join(laptop.clone(), member.clone(), &limits)?.is_some()); // member_added
//! assert!(roster.join(phone.clone(), member, &limits)?.is_none()); // same user: no event
//! assert_eq!(roster.user_count(), 1);
//! assert_eq!(roster.leave(&laptop)?, None); // still there through the phone
//! assert_eq!(roster.leave(&phone)?.map(|id| id.to_string()), Some("7".to_owned()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};

use domvia_protocol::{PresenceMember, PresenceSnapshot, SocketId, UserId};
use serde_json::Value;

/// Pusher's limit on the members of one presence channel.
pub const DEFAULT_MAX_MEMBERS: usize = 100;

/// Pusher's limit on a member's `user_info`, in bytes of its JSON encoding.
pub const DEFAULT_MAX_USER_INFO_BYTES: usize = 1024;

/// The limits a presence channel enforces when a connection joins.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PresenceLimits {
    /// The most distinct users (not connections) a channel holds.
    pub max_members: usize,
    /// The largest `user_info`, in bytes of its compact JSON encoding.
    pub max_user_info_bytes: usize,
}

impl Default for PresenceLimits {
    fn default() -> Self {
        Self {
            max_members: DEFAULT_MAX_MEMBERS,
            max_user_info_bytes: DEFAULT_MAX_USER_INFO_BYTES,
        }
    }
}

/// Why a connection cannot join or leave a presence roster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PresenceError {
    /// The channel already holds `max` members and the joining user is not one of them.
    #[error("presence channel is full: it already has {max} members")]
    MemberCapReached {
        /// The cap, [`PresenceLimits::max_members`].
        max: usize,
    },
    /// The member's `user_info` is larger than the limit.
    #[error("user_info is {len} bytes, the maximum is {max}")]
    UserInfoTooLarge {
        /// The JSON encoding's length in bytes.
        len: usize,
        /// The limit, [`PresenceLimits::max_user_info_bytes`].
        max: usize,
    },
    /// The connection is already in the roster.
    #[error("connection {socket_id} is already a presence member")]
    AlreadyJoined {
        /// The connection.
        socket_id: SocketId,
    },
    /// The connection is not in the roster.
    #[error("connection {socket_id} is not a presence member")]
    NotJoined {
        /// The connection.
        socket_id: SocketId,
    },
}

impl PresenceError {
    /// A stable machine-readable code for the wire and the bindings.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MemberCapReached { .. } => "presence_member_cap_reached",
            Self::UserInfoTooLarge { .. } => "presence_user_info_too_large",
            Self::AlreadyJoined { .. } => "presence_already_joined",
            Self::NotJoined { .. } => "presence_not_joined",
        }
    }
}

/// A member and the connections through which they are present.
#[derive(Clone, Debug)]
struct Entry {
    /// The `user_info` shown to the others (`null` when none was given).
    user_info: Value,
    /// Never empty: the entry is removed with its last connection.
    connections: HashSet<SocketId>,
}

/// The members of one presence channel, each with the set of their connections.
#[derive(Clone, Debug, Default)]
pub struct PresenceRoster {
    /// Members by user id; a `BTreeMap` so snapshots list them in a stable order.
    members: BTreeMap<UserId, Entry>,
    /// Which user each connection joined as, to leave by socket id alone.
    by_socket: HashMap<SocketId, UserId>,
}

impl PresenceRoster {
    /// Adds `socket_id` as a connection of `member`.
    ///
    /// Returns the member when this is the user's first connection (emit `member_added`
    /// to the others), `None` when the user was already present.
    ///
    /// # Errors
    /// [`PresenceError::AlreadyJoined`] if the connection is already in the roster,
    /// [`PresenceError::UserInfoTooLarge`] if `user_info` is over the limit, and
    /// [`PresenceError::MemberCapReached`] if a new user would exceed the member cap.
    pub fn join(
        &mut self,
        socket_id: SocketId,
        member: PresenceMember,
        limits: &PresenceLimits,
    ) -> Result<Option<PresenceMember>, PresenceError> {
        if self.by_socket.contains_key(&socket_id) {
            return Err(PresenceError::AlreadyJoined { socket_id });
        }
        let info_len = member
            .user_info
            .as_ref()
            .map_or(0, |info| info.to_string().len());
        if info_len > limits.max_user_info_bytes {
            return Err(PresenceError::UserInfoTooLarge {
                len: info_len,
                max: limits.max_user_info_bytes,
            });
        }
        if let Some(entry) = self.members.get_mut(&member.user_id) {
            entry.connections.insert(socket_id.clone());
            self.by_socket.insert(socket_id, member.user_id);
            return Ok(None);
        }
        if self.members.len() >= limits.max_members {
            return Err(PresenceError::MemberCapReached {
                max: limits.max_members,
            });
        }
        let entry = Entry {
            user_info: member.user_info.clone().unwrap_or(Value::Null),
            connections: HashSet::from([socket_id.clone()]),
        };
        self.members.insert(member.user_id.clone(), entry);
        self.by_socket.insert(socket_id, member.user_id.clone());
        Ok(Some(member))
    }

    /// Removes the connection `socket_id`.
    ///
    /// Returns the user id when it was the user's last connection (emit `member_removed`),
    /// `None` when the user is still present through another connection.
    ///
    /// # Errors
    /// [`PresenceError::NotJoined`] if the connection is not in the roster.
    pub fn leave(&mut self, socket_id: &SocketId) -> Result<Option<UserId>, PresenceError> {
        let Some(user_id) = self.by_socket.remove(socket_id) else {
            return Err(PresenceError::NotJoined {
                socket_id: socket_id.clone(),
            });
        };
        let last = match self.members.get_mut(&user_id) {
            Some(entry) => {
                entry.connections.remove(socket_id);
                entry.connections.is_empty()
            }
            // Unreachable while `by_socket` and `members` agree; treat as already gone.
            None => false,
        };
        if last {
            self.members.remove(&user_id);
            return Ok(Some(user_id));
        }
        Ok(None)
    }

    /// The user a connection joined as, if it is in the roster.
    #[must_use]
    pub fn user_of(&self, socket_id: &SocketId) -> Option<&UserId> {
        self.by_socket.get(socket_id)
    }

    /// The number of distinct members (the HTTP API's `user_count`).
    #[must_use]
    pub fn user_count(&self) -> usize {
        self.members.len()
    }

    /// The number of connections across all members.
    #[must_use]
    pub fn connection_count(&self) -> usize {
        self.by_socket.len()
    }

    /// Whether no one is present.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members and their `user_info`, ordered by user id, as sent in
    /// `pusher_internal:subscription_succeeded` (`ids`/`hash`/`count` on the wire).
    #[must_use]
    pub fn snapshot(&self) -> PresenceSnapshot {
        PresenceSnapshot {
            members: self
                .members
                .iter()
                .map(|(id, entry)| (id.clone(), entry.user_info.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn member(id: &str, info: Option<Value>) -> PresenceMember {
        PresenceMember {
            user_id: id.parse().unwrap(),
            user_info: info,
        }
    }

    fn sock(n: u64) -> SocketId {
        SocketId::from_parts(n, n)
    }

    #[test]
    fn one_member_per_user_and_first_info_wins() {
        let mut r = PresenceRoster::default();
        let l = PresenceLimits::default();
        let added = r.join(sock(1), member("u", Some(json!({"n": 1}))), &l);
        assert_eq!(added.unwrap().unwrap().user_id.as_str(), "u");
        assert_eq!(
            r.join(sock(2), member("u", Some(json!({"n": 2}))), &l),
            Ok(None)
        );
        assert_eq!((r.user_count(), r.connection_count()), (1, 2));
        assert_eq!(
            r.snapshot().members,
            vec![("u".parse().unwrap(), json!({"n": 1}))]
        );
        assert_eq!(r.user_of(&sock(2)).map(UserId::as_str), Some("u"));
        assert_eq!(r.leave(&sock(1)), Ok(None));
        assert_eq!(r.leave(&sock(2)), Ok(Some("u".parse().unwrap())));
        assert!(r.is_empty());
        assert_eq!(r.leave(&sock(2)).unwrap_err().code(), "presence_not_joined");
    }

    #[test]
    fn duplicate_connection_is_refused() {
        let mut r = PresenceRoster::default();
        let l = PresenceLimits::default();
        r.join(sock(1), member("u", None), &l).unwrap();
        let err = r.join(sock(1), member("v", None), &l).unwrap_err();
        assert_eq!(err, PresenceError::AlreadyJoined { socket_id: sock(1) });
        assert_eq!(err.code(), "presence_already_joined");
        assert_eq!(
            r.snapshot().members,
            vec![("u".parse().unwrap(), Value::Null)]
        );
    }

    #[test]
    fn member_cap_counts_users_not_connections() {
        let mut r = PresenceRoster::default();
        let l = PresenceLimits {
            max_members: 2,
            ..PresenceLimits::default()
        };
        r.join(sock(1), member("a", None), &l).unwrap();
        r.join(sock(2), member("b", None), &l).unwrap();
        let err = r.join(sock(3), member("c", None), &l).unwrap_err();
        assert_eq!(err, PresenceError::MemberCapReached { max: 2 });
        assert_eq!(err.code(), "presence_member_cap_reached");
        assert_eq!(r.join(sock(3), member("a", None), &l), Ok(None));
        assert_eq!(r.user_count(), 2);
    }

    #[test]
    fn user_info_size_cap_is_inclusive() {
        let mut r = PresenceRoster::default();
        let l = PresenceLimits::default();
        // `"…"` is the string plus its two quotes.
        let fits = json!("x".repeat(DEFAULT_MAX_USER_INFO_BYTES - 2));
        assert!(r.join(sock(1), member("a", Some(fits)), &l).is_ok());
        let over = json!("x".repeat(DEFAULT_MAX_USER_INFO_BYTES - 1));
        let err = r.join(sock(2), member("b", Some(over)), &l).unwrap_err();
        assert_eq!(
            err,
            PresenceError::UserInfoTooLarge {
                len: DEFAULT_MAX_USER_INFO_BYTES + 1,
                max: DEFAULT_MAX_USER_INFO_BYTES
            }
        );
        assert_eq!(err.code(), "presence_user_info_too_large");
        assert_eq!(r.user_count(), 1);
    }
}
