//! Webhooks: Pusher-format POSTs to each app's endpoints, off the hot path.
//!
//! Wire format ("Webhooks" in Pusher's server API reference): a `POST` with
//! `Content-Type: application/json`, `X-Pusher-Key: {app key}`,
//! `X-Pusher-Signature: hex(HMAC-SHA256(app secret, body))` and the body
//! `{"time_ms": <unix ms>, "events": [{"name": "channel_occupied", "channel": "…"}, …]}`.
//! Receivers check the signature with [`domvia_protocol::auth::verify_webhook`].
//!
//! How an event travels:
//! 1. [`Webhooks::emit`] stamps it and `try_send`s it into one bounded queue
//!    ([`QUEUE_CAPACITY`]). It never waits: when the queue is full the event is dropped and
//!    counted in [`Metrics::webhook_failures`] (and the `webhook_queue_full` error code).
//! 2. One dispatcher task debounces departures: `channel_vacated` and `member_removed` are
//!    held for [`WebhookSettings::debounce`]. The matching arrival (`channel_occupied` on the
//!    same channel, `member_added` for the same channel and user) inside that window drops
//!    both, so a quick reconnect sends nothing; otherwise the held event is sent when the
//!    window ends, after the events emitted during the window. Everything else keeps the
//!    order it was emitted in.
//! 3. The dispatcher batches events per (app, endpoint): a batch is sent after
//!    [`BATCH_WINDOW`] or at [`MAX_BATCH_EVENTS`] events, whichever comes first. Each
//!    endpoint gets the events its filter names (an empty filter means all).
//! 4. Each batch is POSTed by its own task, so a slow or failing endpoint delays no other:
//!    up to [`WebhookSettings::max_attempts`] attempts, each bounded by
//!    [`WebhookSettings::timeout`], [`WebhookSettings::initial_backoff`] apart and doubling.
//!    A 2xx counts in [`Metrics::webhooks_sent`]; after the last failed attempt the batch
//!    counts in [`Metrics::webhook_failures`] and is logged without its payload, URL path
//!    or secrets. At most [`MAX_IN_FLIGHT_PER_TARGET`] batches per endpoint are in flight;
//!    beyond that a batch is dropped and counted at once, so a hung endpoint costs bounded
//!    memory.
//!
//! [`Webhooks::flush`] ends every debounce window and batch early and waits for the
//! deliveries in flight; when the last [`Webhooks`] clone is dropped the dispatcher sends
//! what it holds and stops.
//!
//! ```
//! use std::sync::Arc;
//! use domvia_protocol::AppSecret;
//! use domvia_server::{AppConfig, Metrics, WebhookEvent, WebhookSettings, WebhookTarget, Webhooks};
//!
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! # runtime.block_on(async {
//! let mut app = AppConfig::new("app-1", "app-key".parse()?, AppSecret::new("secret")?);
//! app.webhooks = vec![WebhookTarget::new("http://127.0.0.1:9/hooks", vec![])];
//! let metrics = Arc::new(Metrics::default());
//! let webhooks = Webhooks::start(WebhookSettings::default(), &[app], metrics);
//!
//! // Never blocks; delivered in the background.
//! webhooks.emit("app-1", WebhookEvent::ChannelOccupied { channel: "news".parse()? });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod delivery;
mod dispatch;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use domvia_protocol::{ChannelName, SocketId, UserId};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::config::{AppConfig, WebhookSettings};
use crate::metrics::Metrics;
use dispatch::{AppHooks, Dispatcher};

/// Events waiting for the dispatcher, across all apps; beyond it `emit` drops and counts.
pub const QUEUE_CAPACITY: usize = 65_536;
/// The most events one POST carries.
pub const MAX_BATCH_EVENTS: usize = 100;
/// How long the first event of a batch waits for others before the batch is sent.
pub const BATCH_WINDOW: Duration = Duration::from_millis(50);
/// Batches one endpoint may have in flight (including retries) before new ones are dropped.
pub const MAX_IN_FLIGHT_PER_TARGET: usize = 64;

/// One webhook event, as Pusher names it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// The channel's first subscriber arrived.
    ChannelOccupied {
        /// The channel.
        channel: ChannelName,
    },
    /// The channel's last subscriber left.
    ChannelVacated {
        /// The channel.
        channel: ChannelName,
    },
    /// A user joined a presence channel (once per user, not per connection).
    MemberAdded {
        /// The presence channel.
        channel: ChannelName,
        /// The user.
        user_id: UserId,
    },
    /// A user left a presence channel (their last connection left).
    MemberRemoved {
        /// The presence channel.
        channel: ChannelName,
        /// The user.
        user_id: UserId,
    },
    /// A client event was relayed.
    ClientEvent {
        /// The channel.
        channel: ChannelName,
        /// The `client-…` event name.
        event: String,
        /// The event data as relayed (a string).
        data: String,
        /// The sender's connection.
        socket_id: SocketId,
        /// The sender's user id, on presence channels.
        user_id: Option<UserId>,
    },
}

impl WebhookEvent {
    /// The event's Pusher name (`channel_occupied`, …), as endpoint filters name it.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::ChannelOccupied { .. } => "channel_occupied",
            Self::ChannelVacated { .. } => "channel_vacated",
            Self::MemberAdded { .. } => "member_added",
            Self::MemberRemoved { .. } => "member_removed",
            Self::ClientEvent { .. } => "client_event",
        }
    }

    /// The event as one element of the body's `events` array.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let name = self.name();
        match self {
            Self::ChannelOccupied { channel } | Self::ChannelVacated { channel } => {
                json!({ "name": name, "channel": channel.as_str() })
            }
            Self::MemberAdded { channel, user_id } | Self::MemberRemoved { channel, user_id } => {
                json!({ "name": name, "channel": channel.as_str(), "user_id": user_id.as_str() })
            }
            Self::ClientEvent {
                channel,
                event,
                data,
                socket_id,
                user_id,
            } => {
                let mut value = json!({
                    "name": name,
                    "channel": channel.as_str(),
                    "event": event,
                    "data": data,
                    "socket_id": socket_id.as_str(),
                });
                if let (Some(user_id), Some(object)) = (user_id, value.as_object_mut()) {
                    object.insert("user_id".to_owned(), Value::from(user_id.as_str()));
                }
                value
            }
        }
    }
}

/// The webhook dispatcher shared by every app. Cloning is cheap; every clone feeds the same
/// queue.
#[derive(Clone)]
pub struct Webhooks {
    /// `None` when no app has a usable endpoint: `emit` is then a map lookup at most.
    shared: Option<Arc<Shared>>,
}

/// What `emit` and `flush` need; the dispatcher owns everything else.
struct Shared {
    /// The one queue into the dispatcher; dropping the last sender stops it.
    queue: mpsc::Sender<Command>,
    /// App id → index into the dispatcher's apps, for apps with at least one endpoint.
    apps: HashMap<String, usize>,
    /// Deliveries in flight, for `flush` to wait on.
    in_flight: Arc<watch::Sender<usize>>,
    metrics: Arc<Metrics>,
}

impl fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let apps = self.shared.as_ref().map_or(0, |shared| shared.apps.len());
        f.debug_struct("Webhooks")
            .field("apps_with_endpoints", &apps)
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    /// Starts the dispatcher. Must be called inside a tokio runtime.
    ///
    /// Endpoints whose URL is not `http(s)://` and apps whose key cannot be an HTTP header
    /// are skipped with a warning (the configuration loader should have refused them).
    #[must_use]
    pub fn start(settings: WebhookSettings, apps: &[AppConfig], metrics: Arc<Metrics>) -> Self {
        let hooks: Vec<AppHooks> = apps.iter().filter_map(AppHooks::new).collect();
        if hooks.is_empty() {
            return Self { shared: None };
        }
        let client = match reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
        {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "cannot build the webhook HTTP client; webhooks are off");
                return Self { shared: None };
            }
        };
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let in_flight = Arc::new(watch::Sender::new(0_usize));
        let shared = Shared {
            queue,
            apps: hooks
                .iter()
                .enumerate()
                .map(|(index, app)| (app.id().to_owned(), index))
                .collect(),
            in_flight: Arc::clone(&in_flight),
            metrics: Arc::clone(&metrics),
        };
        tokio::spawn(Dispatcher::new(hooks, settings, client, metrics, in_flight).run(receiver));
        Self {
            shared: Some(Arc::new(shared)),
        }
    }

    /// Queues an event for the app's endpoints. Never blocks and never fails: an app without
    /// endpoints ignores it, and a full queue drops it and counts a webhook failure.
    pub fn emit(&self, app_id: &str, event: WebhookEvent) {
        let Some(shared) = &self.shared else { return };
        let Some(&app) = shared.apps.get(app_id) else {
            return;
        };
        let command = Command::Event {
            app,
            event,
            at: Instant::now(),
        };
        if shared.queue.try_send(command).is_err() {
            shared
                .metrics
                .webhook_failures
                .fetch_add(1, Ordering::Relaxed);
            shared.metrics.error("webhook_queue_full");
        }
    }

    /// Sends everything pending now (held departures are sent, not cancelled; open batches
    /// are closed) and waits until every delivery in flight has succeeded or given up. For
    /// graceful shutdown and tests; it can take up to a batch's full retry schedule.
    pub async fn flush(&self) {
        let Some(shared) = &self.shared else { return };
        let (done, flushed) = oneshot::channel();
        if shared.queue.send(Command::Flush(done)).await.is_err() || flushed.await.is_err() {
            return;
        }
        let mut in_flight = shared.in_flight.subscribe();
        let _ = in_flight.wait_for(|count| *count == 0).await;
    }
}

enum Command {
    /// An emitted event, stamped when it was emitted (debounce windows start there).
    Event {
        app: usize,
        event: WebhookEvent,
        at: Instant,
    },
    /// Send everything now, then answer.
    Flush(oneshot::Sender<()>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_json_shapes() {
        let channel: ChannelName = "presence-room".parse().unwrap();
        let user: UserId = "u1".parse().unwrap();
        assert_eq!(
            WebhookEvent::ChannelVacated {
                channel: channel.clone()
            }
            .to_json(),
            json!({"name": "channel_vacated", "channel": "presence-room"})
        );
        assert_eq!(
            WebhookEvent::MemberAdded {
                channel: channel.clone(),
                user_id: user.clone()
            }
            .to_json(),
            json!({"name": "member_added", "channel": "presence-room", "user_id": "u1"})
        );
        let client = |user_id| WebhookEvent::ClientEvent {
            channel: channel.clone(),
            event: "client-typing".to_owned(),
            data: r#"{"x":1}"#.to_owned(),
            socket_id: "1.2".parse().unwrap(),
            user_id,
        };
        assert_eq!(
            client(None).to_json(),
            json!({"name": "client_event", "channel": "presence-room", "event": "client-typing",
                   "data": "{\"x\":1}", "socket_id": "1.2"})
        );
        assert_eq!(client(Some(user)).to_json()["user_id"], "u1");
    }
}
