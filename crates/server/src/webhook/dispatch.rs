//! The dispatcher: one task between the queue and the delivery tasks that debounces
//! departures, filters by endpoint and batches.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use domvia_protocol::auth::sign_webhook;
use domvia_protocol::{AppSecret, ChannelName, UserId};
use reqwest::header::HeaderValue;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::{Instant, sleep_until};

use super::delivery::{Delivery, InFlight};
use super::{BATCH_WINDOW, Command, MAX_BATCH_EVENTS, MAX_IN_FLIGHT_PER_TARGET, WebhookEvent};
use crate::config::{AppConfig, WebhookSettings};
use crate::metrics::Metrics;

/// One app's credentials and usable endpoints, prepared once.
pub(super) struct AppHooks {
    id: Arc<str>,
    key: HeaderValue,
    secret: AppSecret,
    targets: Vec<Target>,
}

impl AppHooks {
    /// `None` when the app has no usable endpoint.
    pub(super) fn new(app: &AppConfig) -> Option<Self> {
        let targets: Vec<Target> = app
            .webhooks
            .iter()
            .enumerate()
            .filter_map(|(index, target)| {
                let url = reqwest::Url::parse(&target.url)
                    .ok()
                    .filter(|url| matches!(url.scheme(), "http" | "https"));
                if url.is_none() {
                    // The URL itself is not logged: it may carry a token.
                    tracing::warn!(app = %app.id, target = index, "webhook URL is not http(s); skipped");
                }
                let url = url?;
                Some(Target {
                    origin: Arc::from(url.origin().ascii_serialization()),
                    url,
                    events: target.events.clone(),
                    slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT_PER_TARGET)),
                })
            })
            .collect();
        if targets.is_empty() {
            return None;
        }
        let Ok(key) = HeaderValue::from_str(app.key.as_str()) else {
            tracing::warn!(app = %app.id, "app key is not a valid header value; webhooks skipped");
            return None;
        };
        Some(Self {
            id: Arc::from(app.id.as_str()),
            key,
            secret: app.secret.clone(),
            targets,
        })
    }

    /// The app's id, as `emit` is called with it.
    pub(super) fn id(&self) -> &str {
        &self.id
    }
}

/// One endpoint.
struct Target {
    url: reqwest::Url,
    /// `scheme://host:port` only: what logs may show.
    origin: Arc<str>,
    /// Event names wanted; empty means all.
    events: Vec<String>,
    /// [`MAX_IN_FLIGHT_PER_TARGET`] permits, one held by each delivery task.
    slots: Arc<Semaphore>,
}

impl Target {
    fn wants(&self, name: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|wanted| wanted == name)
    }
}

/// What a departure is held under, and what the matching arrival looks up.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct HeldKey {
    app: usize,
    channel: ChannelName,
    /// `None` for `channel_vacated`/`channel_occupied`.
    user_id: Option<UserId>,
}

/// Events of one (app, endpoint) waiting to be sent together.
struct Batch {
    events: Vec<Value>,
    deadline: Instant,
}

/// The single task between the queue and the delivery tasks. Owning all of this state, it
/// needs no locks.
pub(super) struct Dispatcher {
    apps: Vec<AppHooks>,
    settings: WebhookSettings,
    client: reqwest::Client,
    metrics: Arc<Metrics>,
    in_flight: Arc<watch::Sender<usize>>,
    /// Held departures, with the id of their entry in `expiries`.
    held: HashMap<HeldKey, (u64, WebhookEvent)>,
    /// When each hold ends, in emission order (so deadlines ascend). Entries whose hold was
    /// cancelled or replaced (the id no longer matches) are skipped.
    expiries: VecDeque<(Instant, HeldKey, u64)>,
    next_hold: u64,
    /// Open batches by (app, endpoint index).
    batches: HashMap<(usize, usize), Batch>,
}

impl Dispatcher {
    pub(super) fn new(
        apps: Vec<AppHooks>,
        settings: WebhookSettings,
        client: reqwest::Client,
        metrics: Arc<Metrics>,
        in_flight: Arc<watch::Sender<usize>>,
    ) -> Self {
        Self {
            apps,
            settings,
            client,
            metrics,
            in_flight,
            held: HashMap::new(),
            expiries: VecDeque::new(),
            next_hold: 0,
            batches: HashMap::new(),
        }
    }

    pub(super) async fn run(mut self, mut queue: mpsc::Receiver<Command>) {
        loop {
            let now = Instant::now();
            self.release_held(now);
            self.send_batches(|batch| batch.deadline <= now);
            let wake = self.next_wake();
            tokio::select! {
                command = queue.recv() => match command {
                    Some(Command::Event { app, event, at }) => {
                        // Departures whose window ended before this event was emitted go first.
                        self.release_held(at);
                        self.accept(app, event, at);
                    }
                    Some(Command::Flush(done)) => {
                        self.send_everything();
                        let _ = done.send(());
                    }
                    None => {
                        self.send_everything();
                        return;
                    }
                },
                () = wait_until(wake) => {}
            }
        }
    }

    fn accept(&mut self, app: usize, event: WebhookEvent, at: Instant) {
        let (key, departure) = match &event {
            WebhookEvent::ChannelVacated { channel }
            | WebhookEvent::ChannelOccupied { channel } => (
                HeldKey {
                    app,
                    channel: channel.clone(),
                    user_id: None,
                },
                matches!(event, WebhookEvent::ChannelVacated { .. }),
            ),
            WebhookEvent::MemberRemoved { channel, user_id }
            | WebhookEvent::MemberAdded { channel, user_id } => (
                HeldKey {
                    app,
                    channel: channel.clone(),
                    user_id: Some(user_id.clone()),
                },
                matches!(event, WebhookEvent::MemberRemoved { .. }),
            ),
            WebhookEvent::ClientEvent { .. } => return self.enqueue(app, &event),
        };
        if departure && !self.settings.debounce.is_zero() {
            self.hold(key, event, at);
        } else if departure || self.held.remove(&key).is_none() {
            self.enqueue(app, &event);
        }
        // Otherwise an arrival cancelled the held departure: a quick reconnect sends nothing.
    }

    fn hold(&mut self, key: HeldKey, event: WebhookEvent, at: Instant) {
        let id = self.next_hold;
        self.next_hold = id.wrapping_add(1);
        if let Some(deadline) = at.checked_add(self.settings.debounce) {
            self.expiries.push_back((deadline, key.clone(), id));
        }
        // A second departure with no arrival between cannot come from the broker; if it
        // does, the first is sent rather than lost.
        if let Some((_, previous)) = self.held.insert(key.clone(), (id, event)) {
            self.enqueue(key.app, &previous);
        }
    }

    /// Sends the held departures whose window ended by `now`.
    fn release_held(&mut self, now: Instant) {
        while self
            .expiries
            .front()
            .is_some_and(|(deadline, _, _)| *deadline <= now)
        {
            if let Some((_, key, id)) = self.expiries.pop_front() {
                self.release(&key, id);
            }
        }
    }

    fn release(&mut self, key: &HeldKey, id: u64) {
        if self.held.get(key).is_some_and(|(held, _)| *held == id)
            && let Some((_, event)) = self.held.remove(key)
        {
            self.enqueue(key.app, &event);
        }
    }

    /// Sends every held departure and every open batch.
    fn send_everything(&mut self) {
        while let Some((_, key, id)) = self.expiries.pop_front() {
            self.release(&key, id);
        }
        // Holds without an expiry (a debounce too long to represent).
        let rest: Vec<(HeldKey, (u64, WebhookEvent))> = self.held.drain().collect();
        for (key, (_, event)) in rest {
            self.enqueue(key.app, &event);
        }
        self.send_batches(|_| true);
    }

    /// Adds the event to the batch of each endpoint that wants it; sends full batches.
    fn enqueue(&mut self, app: usize, event: &WebhookEvent) {
        let Some(hooks) = self.apps.get(app) else {
            return;
        };
        let name = event.name();
        let mut json = None;
        let mut full = Vec::new();
        for (index, target) in hooks.targets.iter().enumerate() {
            if !target.wants(name) {
                continue;
            }
            let value = json.get_or_insert_with(|| event.to_json()).clone();
            let batch = self.batches.entry((app, index)).or_insert_with(|| {
                let now = Instant::now();
                Batch {
                    events: Vec::new(),
                    deadline: now.checked_add(BATCH_WINDOW).unwrap_or(now),
                }
            });
            batch.events.push(value);
            if batch.events.len() >= MAX_BATCH_EVENTS {
                full.push((app, index));
            }
        }
        for key in full {
            if let Some(batch) = self.batches.remove(&key) {
                self.deliver(key, batch.events);
            }
        }
    }

    fn send_batches(&mut self, due: impl Fn(&Batch) -> bool) {
        let keys: Vec<(usize, usize)> = self
            .batches
            .iter()
            .filter(|(_, batch)| due(batch))
            .map(|(key, _)| *key)
            .collect();
        for key in keys {
            if let Some(batch) = self.batches.remove(&key) {
                self.deliver(key, batch.events);
            }
        }
    }

    /// When the loop must wake without a command: the next batch or hold to end.
    fn next_wake(&self) -> Option<Instant> {
        let batch = self.batches.values().map(|batch| batch.deadline).min();
        let hold = self.expiries.front().map(|(deadline, _, _)| *deadline);
        batch.into_iter().chain(hold).min()
    }

    /// Signs one batch and hands it to its own delivery task.
    fn deliver(&self, (app, index): (usize, usize), events: Vec<Value>) {
        let Some(hooks) = self.apps.get(app) else {
            return;
        };
        let Some(target) = hooks.targets.get(index) else {
            return;
        };
        let count = events.len();
        let Ok(slot) = Arc::clone(&target.slots).try_acquire_owned() else {
            self.metrics
                .webhook_failures
                .fetch_add(1, Ordering::Relaxed);
            self.metrics.error("webhook_target_busy");
            tracing::warn!(
                app = %hooks.id,
                target = %target.origin,
                events = count,
                "webhook endpoint has too many batches in flight; batch dropped"
            );
            return;
        };
        let body = json!({ "time_ms": unix_ms(), "events": events }).to_string();
        let delivery = Delivery {
            client: self.client.clone(),
            url: target.url.clone(),
            key: hooks.key.clone(),
            signature: sign_webhook(&hooks.secret, body.as_bytes()),
            body: Bytes::from(body),
            settings: self.settings,
            metrics: Arc::clone(&self.metrics),
            app: Arc::clone(&hooks.id),
            origin: Arc::clone(&target.origin),
            events: count,
        };
        let guard = InFlight::new(Arc::clone(&self.in_flight));
        tokio::spawn(async move {
            delivery.run().await;
            drop((slot, guard));
        });
    }
}

async fn wait_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}
