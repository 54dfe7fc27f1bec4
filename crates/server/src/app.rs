//! One hosted app at run time: its config, its broker, its connections and its users.
//!
//! Everything the WebSocket layer and the HTTP API do to an app goes through [`App`], so the
//! rules (limits, frames, webhooks, metrics) live in one place.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use domvia_protocol::{
    ChannelName, CiphertextError, CloseCode, EventName, ServerFrame, SocketId, UserId,
    check_ciphertext,
};
use tokio::sync::Notify;

use crate::broker::{Broker, ChannelInfo, Frame, Left, PublishReport};
use crate::config::AppConfig;
use crate::metrics::{EventSource, Metrics};
use crate::presence::PresenceLimits;
use crate::webhook::{WebhookEvent, Webhooks};
use crate::{BrokerError, MemoryBroker};
use domvia_protocol::PresenceSnapshot;

/// A live connection as others see it: enough to close it from outside.
#[derive(Debug)]
pub struct ConnHandle {
    socket_id: SocketId,
    close_code: AtomicU16,
    notify: Notify,
}

impl ConnHandle {
    /// A handle for a new connection.
    #[must_use]
    pub fn new(socket_id: SocketId) -> Self {
        Self {
            socket_id,
            close_code: AtomicU16::new(0),
            notify: Notify::new(),
        }
    }

    /// The connection's id.
    #[must_use]
    pub fn socket_id(&self) -> &SocketId {
        &self.socket_id
    }

    /// Asks the connection to close with `code`; the first request wins.
    pub fn close(&self, code: CloseCode) {
        if self
            .close_code
            .compare_exchange(0, code.code(), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.notify.notify_one();
        }
    }

    /// Waits until [`close`](Self::close) is called and returns its code.
    pub async fn closed(&self) -> CloseCode {
        loop {
            if let Some(code) = CloseCode::from_code(self.close_code.load(Ordering::Acquire)) {
                return code;
            }
            self.notify.notified().await;
        }
    }
}

/// Why a connection cannot be registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisterError {
    /// The app is at `max_connections` (close 4004).
    OverConnectionQuota,
    /// The socket id is taken (cannot happen with generated ids).
    Duplicate,
}

/// An app at run time.
pub struct App {
    config: AppConfig,
    broker: Arc<dyn Broker>,
    metrics: Arc<Metrics>,
    webhooks: Webhooks,
    connections: Mutex<HashMap<SocketId, Arc<ConnHandle>>>,
    users: Mutex<HashMap<UserId, HashSet<SocketId>>>,
    connection_count: AtomicU32,
    publish_window: Mutex<(Instant, u32)>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("id", &self.config.id)
            .field(
                "connections",
                &self.connection_count.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

impl App {
    /// An app with the in-memory broker.
    #[must_use]
    pub fn new(config: AppConfig, metrics: Arc<Metrics>, webhooks: Webhooks) -> Self {
        let limits = PresenceLimits {
            max_members: config.limits.max_presence_members,
            max_user_info_bytes: config.limits.max_presence_user_info_bytes,
        };
        Self::with_broker(
            config,
            Arc::new(MemoryBroker::new(limits)),
            metrics,
            webhooks,
        )
    }

    /// An app over any broker.
    #[must_use]
    pub fn with_broker(
        config: AppConfig,
        broker: Arc<dyn Broker>,
        metrics: Arc<Metrics>,
        webhooks: Webhooks,
    ) -> Self {
        Self {
            config,
            broker,
            metrics,
            webhooks,
            connections: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            connection_count: AtomicU32::new(0),
            publish_window: Mutex::new((Instant::now(), 0)),
        }
    }

    /// The app's configuration.
    #[must_use]
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// The app's broker (channel and presence state).
    #[must_use]
    pub fn broker(&self) -> &Arc<dyn Broker> {
        &self.broker
    }

    /// The process's counters.
    #[must_use]
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Open connections of this app.
    #[must_use]
    pub fn connection_count(&self) -> u32 {
        self.connection_count.load(Ordering::Relaxed)
    }

    /// Counts a connection in, checking the app's connection quota.
    ///
    /// # Errors
    /// [`RegisterError`] when the app is full or the id is taken.
    pub fn register(&self, handle: Arc<ConnHandle>) -> Result<(), RegisterError> {
        let mut connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(max) = self.config.limits.max_connections
            && connections.len() >= usize::try_from(max).unwrap_or(usize::MAX)
        {
            return Err(RegisterError::OverConnectionQuota);
        }
        if connections.contains_key(handle.socket_id()) {
            return Err(RegisterError::Duplicate);
        }
        connections.insert(handle.socket_id().clone(), handle);
        self.connection_count.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Forgets a connection: leaves every channel (announcing departures) and its user.
    pub fn unregister(&self, socket_id: &SocketId, user: Option<&UserId>) {
        let removed = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(socket_id);
        if removed.is_some() {
            self.connection_count.fetch_sub(1, Ordering::Relaxed);
        }
        if let Some(user) = user {
            let mut users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(sockets) = users.get_mut(user) {
                sockets.remove(socket_id);
                if sockets.is_empty() {
                    users.remove(user);
                }
            }
        }
        for (channel, left) in self.broker.disconnect(socket_id) {
            self.metrics.subscriptions.fetch_sub(1, Ordering::Relaxed);
            self.announce_left(&channel, &left);
        }
    }

    /// Records that `socket_id` signed in as `user`.
    pub fn sign_in(&self, socket_id: &SocketId, user: &UserId) {
        self.users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(user.clone())
            .or_default()
            .insert(socket_id.clone());
    }

    /// Closes every connection signed in as `user` with 4009; returns how many.
    pub fn terminate_user(&self, user: &UserId) -> usize {
        let sockets: Vec<SocketId> = self
            .users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default();
        let connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut closed = 0_usize;
        for socket_id in &sockets {
            if let Some(handle) = connections.get(socket_id) {
                handle.close(CloseCode::Unauthorized);
                closed = closed.saturating_add(1);
            }
        }
        closed
    }

    /// Closes every connection of the app with `code` (graceful shutdown: 4200).
    pub fn close_all(&self, code: CloseCode) {
        let connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for handle in connections.values() {
            handle.close(code);
        }
    }

    /// Takes `count` messages from the app's per-second publish budget; `false` when the
    /// budget (`max_messages_per_second`) is spent and nothing was taken.
    #[must_use]
    pub fn take_message_budget(&self, count: u32) -> bool {
        let Some(max) = self.config.limits.max_messages_per_second else {
            return true;
        };
        let mut window = self
            .publish_window
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if now.duration_since(window.0).as_secs() >= 1 {
            *window = (now, 0);
        }
        let used = window.1.saturating_add(count);
        if used > max {
            return false;
        }
        window.1 = used;
        true
    }

    /// Checks `data` for `channel`: on a ciphertext-only channel of this app it must be an
    /// envelope or another accepted shape (`spec/ciphertext-only-channels.md`); on any
    /// other channel anything goes. A refusal is counted by `source` and logged with the
    /// app id, the channel and the reason code, never the data.
    ///
    /// # Errors
    /// [`CiphertextError`] when the channel is ciphertext-only and the data is not of an
    /// accepted shape.
    pub fn check_ciphertext_only(
        &self,
        channel: &ChannelName,
        data: &str,
        source: EventSource,
    ) -> Result<(), CiphertextError> {
        if !self.config.is_ciphertext_only(channel) {
            return Ok(());
        }
        check_ciphertext(data).map(|_| ()).inspect_err(|error| {
            self.metrics.plaintext_refused(source);
            tracing::info!(
                app_id = %self.config.id,
                %channel,
                code = error.code(),
                source = source.label(),
                "event refused on a ciphertext-only channel"
            );
        })
    }

    /// Sends an event to a channel's subscribers, except `except`. Connections whose queue
    /// overflowed are closed with 4100 (slow consumers never stall the others).
    pub fn publish(
        &self,
        channel: &ChannelName,
        event: &EventName,
        data: String,
        except: Option<&SocketId>,
        user_id: Option<UserId>,
    ) -> PublishReport {
        let frame = ServerFrame::Event {
            event: event.clone(),
            channel: channel.clone(),
            data,
            user_id,
        };
        self.publish_frame(channel, Frame::from(frame.to_json()), except)
    }

    /// Sends a ready frame to a channel's subscribers, except `except`.
    pub fn publish_frame(
        &self,
        channel: &ChannelName,
        frame: Frame,
        except: Option<&SocketId>,
    ) -> PublishReport {
        let report = self.broker.publish(channel, frame, except);
        self.metrics.messages_out.fetch_add(
            u64::try_from(report.delivered).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        if !report.overflowed.is_empty() {
            let connections = self
                .connections
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for socket_id in &report.overflowed {
                if let Some(handle) = connections.get(socket_id) {
                    self.metrics.slow_consumers.fetch_add(1, Ordering::Relaxed);
                    handle.close(crate::OVERFLOW_CLOSE_CODE);
                }
            }
        }
        report
    }

    /// A channel's occupancy.
    #[must_use]
    pub fn channel_info(&self, channel: &ChannelName) -> ChannelInfo {
        self.broker.channel_info(channel)
    }

    /// Occupied channels whose names start with `prefix`.
    #[must_use]
    pub fn channels(&self, prefix: &str) -> Vec<(ChannelName, ChannelInfo)> {
        self.broker.channels(prefix)
    }

    /// A presence channel's members.
    ///
    /// # Errors
    /// [`BrokerError::NotPresence`] for other channels.
    pub fn presence_members(&self, channel: &ChannelName) -> Result<PresenceSnapshot, BrokerError> {
        self.broker.presence_members(channel)
    }

    /// Queues a webhook event for this app.
    pub fn webhook(&self, event: WebhookEvent) {
        self.webhooks.emit(&self.config.id, event);
    }

    /// Announces a departure: `member_removed` to the channel and the webhooks it implies.
    pub fn announce_left(&self, channel: &ChannelName, left: &Left) {
        if let Some(user_id) = &left.member_removed {
            let frame = ServerFrame::MemberRemoved {
                channel: channel.clone(),
                user_id: user_id.clone(),
            };
            self.publish_frame(channel, Frame::from(frame.to_json()), None);
            self.webhook(WebhookEvent::MemberRemoved {
                channel: channel.clone(),
                user_id: user_id.clone(),
            });
        }
        if left.channel_vacated {
            self.webhook(WebhookEvent::ChannelVacated {
                channel: channel.clone(),
            });
        }
    }
}
