//! [`MemoryBroker`]: all channel and presence state in this process.
//!
//! ```
//! use std::sync::Arc;
//! use domvia_protocol::{ChannelName, SocketId};
//! use domvia_server::{Broker, MemoryBroker, OutboundQueue, PresenceLimits};
//!
//! let broker = MemoryBroker::new(PresenceLimits { max_members: 10, ..PresenceLimits::default() });
//! let (sender, receiver) = (SocketId::from_parts(1, 1), SocketId::from_parts(2, 2));
//! let (out, inbox) = OutboundQueue::bounded(4);
//! broker.connect(sender.clone(), Arc::new(OutboundQueue::bounded(4).0))?;
//! broker.connect(receiver.clone(), Arc::new(out))?;
//! let chat: ChannelName = "private-chat".parse()?;
//! broker.subscribe(&sender, &chat)?;
//! broker.subscribe(&receiver, &chat)?;
//!
//! // A client event goes to everyone but its sender.
//! let report = broker.publish(&chat, Arc::from("hi"), Some(&sender));
//! assert_eq!(report.delivered, 1);
//! assert_eq!(inbox.drain().len(), 1);
//! assert_eq!(broker.channel_info(&chat).subscription_count, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use domvia_protocol::{ChannelName, PresenceMember, PresenceSnapshot, SocketId};

use super::{
    Broker, BrokerError, ChannelInfo, Delivery, Frame, Joined, Left, Outbox, PublishReport,
};
use crate::presence::{PresenceLimits, PresenceRoster};

/// The in-memory [`Broker`].
pub struct MemoryBroker {
    /// The limits every presence channel enforces.
    limits: PresenceLimits,
    /// All state behind one `RwLock`:
    /// - subscribe, unsubscribe and disconnect take the write lock, which makes each state
    ///   change and its transition one atomic step (the [`Broker`] contract);
    /// - publish and queries take the read lock, so publishers run in parallel; delivery
    ///   under the read lock is fine because [`Outbox::try_deliver`] never blocks.
    ///
    /// Critical sections are short map operations. Sharding by channel would cut write
    /// contention, but a disconnect touches all of a connection's channels, so one lock
    /// keeps it atomic until measurements say otherwise.
    ///
    /// Frames from one publisher reach each connection in publish order; frames from two
    /// concurrent publishers may interleave differently at different connections, as with
    /// any Pusher server.
    state: RwLock<State>,
}

/// The lock-protected state. Invariant: `channels[c].subscribers` contains `s` iff
/// `connections[s].channels` contains `c`; a channel with no subscriber is not stored.
#[derive(Default)]
struct State {
    channels: HashMap<ChannelName, Channel>,
    connections: HashMap<SocketId, Connection>,
}

#[derive(Default)]
struct Channel {
    subscribers: HashSet<SocketId>,
    /// `Some` exactly for presence channels.
    presence: Option<PresenceRoster>,
}

struct Connection {
    outbox: Arc<dyn Outbox>,
    channels: HashSet<ChannelName>,
    /// Set (under the read lock, hence atomic) the first time the outbox is full; the
    /// connection then receives nothing more and is reported exactly once.
    overflowed: AtomicBool,
}

impl Default for MemoryBroker {
    fn default() -> Self {
        Self::new(PresenceLimits::default())
    }
}

impl std::fmt::Debug for MemoryBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.read();
        f.debug_struct("MemoryBroker")
            .field("limits", &self.limits)
            .field("channels", &state.channels.len())
            .field("connections", &state.connections.len())
            .finish()
    }
}

impl MemoryBroker {
    /// An empty broker whose presence channels enforce `limits`.
    #[must_use]
    pub fn new(limits: PresenceLimits) -> Self {
        Self {
            limits,
            state: RwLock::new(State::default()),
        }
    }

    // A poisoned lock means a panic inside a critical section; those sections only do map
    // operations that keep the invariant at every step, so the state is still usable.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn join(
        &self,
        socket_id: &SocketId,
        channel: &ChannelName,
        member: Option<PresenceMember>,
    ) -> Result<Joined, BrokerError> {
        let mut guard = self.write();
        let state = &mut *guard;
        let Some(connection) = state.connections.get_mut(socket_id) else {
            return Err(BrokerError::UnknownConnection {
                socket_id: socket_id.clone(),
            });
        };
        if connection.channels.contains(channel) {
            return Err(BrokerError::AlreadySubscribed {
                socket_id: socket_id.clone(),
                channel: channel.clone(),
            });
        }
        let channel_occupied = !state.channels.contains_key(channel);
        let entry = state.channels.entry(channel.clone()).or_default();
        let (member_added, presence) = match member {
            Some(member) => {
                let roster = entry.presence.get_or_insert_with(PresenceRoster::default);
                // `PresenceRoster::join` checks everything before changing anything, so on
                // error only a channel created just now needs undoing.
                match roster.join(socket_id.clone(), member, &self.limits) {
                    Ok(added) => (added, Some(roster.snapshot())),
                    Err(source) => {
                        if channel_occupied {
                            state.channels.remove(channel);
                        }
                        return Err(source.into());
                    }
                }
            }
            None => (None, None),
        };
        entry.subscribers.insert(socket_id.clone());
        connection.channels.insert(channel.clone());
        Ok(Joined {
            channel_occupied,
            member_added,
            presence,
        })
    }
}

/// Removes `socket_id` from `channel` in `channels`, returning the transition, or `None`
/// if it was not subscribed. The caller updates the connection's own channel set.
fn leave(
    channels: &mut HashMap<ChannelName, Channel>,
    socket_id: &SocketId,
    channel: &ChannelName,
) -> Option<Left> {
    let entry = channels.get_mut(channel)?;
    if !entry.subscribers.remove(socket_id) {
        return None;
    }
    let member_removed = entry
        .presence
        .as_mut()
        .and_then(|roster| roster.leave(socket_id).ok().flatten());
    let channel_vacated = entry.subscribers.is_empty();
    if channel_vacated {
        channels.remove(channel);
    }
    Some(Left {
        channel_vacated,
        member_removed,
    })
}

fn info(channel: &ChannelName, state: Option<&Channel>) -> ChannelInfo {
    let subscription_count = state.map_or(0, |c| c.subscribers.len());
    ChannelInfo {
        occupied: subscription_count > 0,
        subscription_count,
        user_count: channel.is_presence().then(|| {
            state
                .and_then(|c| c.presence.as_ref())
                .map_or(0, PresenceRoster::user_count)
        }),
    }
}

impl Broker for MemoryBroker {
    fn connect(&self, socket_id: SocketId, outbox: Arc<dyn Outbox>) -> Result<(), BrokerError> {
        let mut state = self.write();
        if state.connections.contains_key(&socket_id) {
            return Err(BrokerError::AlreadyConnected { socket_id });
        }
        let connection = Connection {
            outbox,
            channels: HashSet::new(),
            overflowed: AtomicBool::new(false),
        };
        state.connections.insert(socket_id, connection);
        Ok(())
    }

    fn disconnect(&self, socket_id: &SocketId) -> Vec<(ChannelName, Left)> {
        let mut guard = self.write();
        let state = &mut *guard;
        let Some(connection) = state.connections.remove(socket_id) else {
            return Vec::new();
        };
        let mut names: Vec<ChannelName> = connection.channels.into_iter().collect();
        names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        names
            .into_iter()
            .filter_map(|name| {
                let left = leave(&mut state.channels, socket_id, &name)?;
                Some((name, left))
            })
            .collect()
    }

    fn subscribe(
        &self,
        socket_id: &SocketId,
        channel: &ChannelName,
    ) -> Result<Joined, BrokerError> {
        if channel.is_presence() {
            return Err(BrokerError::PresenceNeedsMember {
                channel: channel.clone(),
            });
        }
        self.join(socket_id, channel, None)
    }

    fn join_presence(
        &self,
        socket_id: &SocketId,
        channel: &ChannelName,
        member: PresenceMember,
    ) -> Result<Joined, BrokerError> {
        if !channel.is_presence() {
            return Err(BrokerError::NotPresence {
                channel: channel.clone(),
            });
        }
        self.join(socket_id, channel, Some(member))
    }

    fn unsubscribe(
        &self,
        socket_id: &SocketId,
        channel: &ChannelName,
    ) -> Result<Left, BrokerError> {
        let mut guard = self.write();
        let state = &mut *guard;
        let subscribed = state
            .connections
            .get_mut(socket_id)
            .is_some_and(|c| c.channels.remove(channel));
        match subscribed.then(|| leave(&mut state.channels, socket_id, channel)) {
            Some(Some(left)) => Ok(left),
            Some(None) | None => Err(BrokerError::NotSubscribed {
                socket_id: socket_id.clone(),
                channel: channel.clone(),
            }),
        }
    }

    fn publish(
        &self,
        channel: &ChannelName,
        frame: Frame,
        except: Option<&SocketId>,
    ) -> PublishReport {
        let state = self.read();
        let mut report = PublishReport::default();
        let Some(entry) = state.channels.get(channel) else {
            return report;
        };
        for socket_id in &entry.subscribers {
            if Some(socket_id) == except {
                continue;
            }
            let Some(connection) = state.connections.get(socket_id) else {
                continue;
            };
            if connection.overflowed.load(Ordering::Acquire) {
                continue;
            }
            match connection.outbox.try_deliver(Arc::clone(&frame)) {
                Delivery::Queued => report.delivered = report.delivered.saturating_add(1),
                Delivery::Full => {
                    // `swap` makes exactly one concurrent publisher report it.
                    if !connection.overflowed.swap(true, Ordering::AcqRel) {
                        report.overflowed.push(socket_id.clone());
                    }
                }
                // The reader is gone; its disconnect will clean up.
                Delivery::Closed => {}
            }
        }
        report
    }

    fn channel_info(&self, channel: &ChannelName) -> ChannelInfo {
        info(channel, self.read().channels.get(channel))
    }

    fn presence_members(&self, channel: &ChannelName) -> Result<PresenceSnapshot, BrokerError> {
        if !channel.is_presence() {
            return Err(BrokerError::NotPresence {
                channel: channel.clone(),
            });
        }
        let state = self.read();
        Ok(state
            .channels
            .get(channel)
            .and_then(|c| c.presence.as_ref())
            .map(PresenceRoster::snapshot)
            .unwrap_or_default())
    }

    fn channels(&self, prefix: &str) -> Vec<(ChannelName, ChannelInfo)> {
        let state = self.read();
        let mut list: Vec<_> = state
            .channels
            .iter()
            .filter(|(name, _)| name.as_str().starts_with(prefix))
            .map(|(name, c)| (name.clone(), info(name, Some(c))))
            .collect();
        list.sort_by(|(a, _), (b, _)| a.as_str().cmp(b.as_str()));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OutboundQueue;

    fn connected(broker: &MemoryBroker, n: u64) -> SocketId {
        let socket_id = SocketId::from_parts(n, n);
        let (out, _inbox) = OutboundQueue::bounded(1);
        broker.connect(socket_id.clone(), Arc::new(out)).unwrap();
        socket_id
    }

    /// Checks the invariant between the two maps.
    fn consistent(broker: &MemoryBroker) -> bool {
        let state = broker.read();
        state.channels.iter().all(|(name, c)| {
            !c.subscribers.is_empty()
                && c.subscribers.iter().all(|s| {
                    state
                        .connections
                        .get(s)
                        .is_some_and(|conn| conn.channels.contains(name))
                })
        }) && state.connections.iter().all(|(s, conn)| {
            conn.channels.iter().all(|name| {
                state
                    .channels
                    .get(name)
                    .is_some_and(|c| c.subscribers.contains(s))
            })
        })
    }

    #[test]
    fn refused_presence_join_changes_nothing() {
        let broker = MemoryBroker::new(PresenceLimits {
            max_members: 1,
            ..PresenceLimits::default()
        });
        let (a, b) = (connected(&broker, 1), connected(&broker, 2));
        let lobby: ChannelName = "presence-lobby".parse().unwrap();
        let m = |id: &str| PresenceMember::from_channel_data(&format!(r#"{{"user_id":"{id}"}}"#));
        broker.join_presence(&a, &lobby, m("x").unwrap()).unwrap();
        let err = broker
            .join_presence(&b, &lobby, m("y").unwrap())
            .unwrap_err();
        assert_eq!(err.code(), "presence_member_cap_reached");
        assert_eq!(broker.channel_info(&lobby).subscription_count, 1);
        assert!(consistent(&broker));
        // b can still join later once there is room.
        broker.unsubscribe(&a, &lobby).unwrap();
        assert!(
            broker
                .join_presence(&b, &lobby, m("y").unwrap())
                .unwrap()
                .channel_occupied
        );
        assert!(consistent(&broker));
    }

    #[test]
    fn disconnect_leaves_every_channel_in_name_order() {
        let broker = MemoryBroker::default();
        let a = connected(&broker, 1);
        let names = ["b", "a", "c"].map(|n| n.parse::<ChannelName>().unwrap());
        for name in &names {
            broker.subscribe(&a, name).unwrap();
        }
        let left = broker.disconnect(&a);
        let order: Vec<&str> = left.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(order, ["a", "b", "c"]);
        assert!(left.iter().all(|(_, l)| l.channel_vacated));
        assert!(broker.disconnect(&a).is_empty());
        assert!(broker.channels("").is_empty());
        assert!(consistent(&broker));
    }

    #[test]
    fn wrong_kind_and_unknown_connection() {
        let broker = MemoryBroker::default();
        let a = connected(&broker, 1);
        let public: ChannelName = "news".parse().unwrap();
        let lobby: ChannelName = "presence-lobby".parse().unwrap();
        let member = PresenceMember::from_channel_data(r#"{"user_id":1}"#).unwrap();
        let code = |r: Result<Joined, BrokerError>| r.unwrap_err().code();
        assert_eq!(
            code(broker.subscribe(&a, &lobby)),
            "broker_presence_needs_member"
        );
        assert_eq!(
            code(broker.join_presence(&a, &public, member)),
            "broker_not_presence"
        );
        let ghost = SocketId::from_parts(9, 9);
        assert_eq!(
            code(broker.subscribe(&ghost, &public)),
            "broker_unknown_connection"
        );
        broker.subscribe(&a, &public).unwrap();
        assert_eq!(
            code(broker.subscribe(&a, &public)),
            "broker_already_subscribed"
        );
        let (out, _inbox) = OutboundQueue::bounded(1);
        assert_eq!(
            broker.connect(a, Arc::new(out)).unwrap_err().code(),
            "broker_already_connected"
        );
        assert!(consistent(&broker));
    }
}
