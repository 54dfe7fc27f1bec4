//! Webhook delivery through the public API, against a real HTTP receiver on 127.0.0.1:
//! body shape and signature, endpoint filters, batching, retries and giving up, debounced
//! departures, a hung endpoint never blocking `emit`, and apps without endpoints.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use domvia_protocol::auth::verify_webhook;
use domvia_protocol::{AppSecret, ChannelName, UserId};
use domvia_server::webhook::{MAX_BATCH_EVENTS, MAX_IN_FLIGHT_PER_TARGET, QUEUE_CAPACITY};
use domvia_server::{AppConfig, Metrics, WebhookEvent, WebhookSettings, WebhookTarget, Webhooks};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::{Instant, sleep};

const APP_ID: &str = "app-1";
const APP_KEY: &str = "app-key";
const APP_SECRET: &str = "app-secret";

#[path = "support/webhook_receiver.rs"]
mod webhook_receiver;
use webhook_receiver::{Received, ok, receiver};

fn app(id: &str, targets: Vec<WebhookTarget>) -> AppConfig {
    let mut app = AppConfig::new(
        id,
        APP_KEY.parse().unwrap(),
        AppSecret::new(APP_SECRET).unwrap(),
    );
    app.webhooks = targets;
    app
}

fn all_events(url: String) -> WebhookTarget {
    WebhookTarget::new(url, Vec::new())
}

fn settings(debounce: Duration) -> WebhookSettings {
    let mut settings = WebhookSettings::default();
    settings.debounce = debounce;
    settings.max_attempts = 3;
    settings.initial_backoff = Duration::from_millis(20);
    settings.timeout = Duration::from_secs(5);
    settings
}

fn start(settings: WebhookSettings, apps: &[AppConfig]) -> (Webhooks, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::default());
    (
        Webhooks::start(settings, apps, Arc::clone(&metrics)),
        metrics,
    )
}

fn sent(metrics: &Metrics) -> u64 {
    metrics.webhooks_sent.load(Ordering::SeqCst)
}

fn failures(metrics: &Metrics) -> u64 {
    metrics.webhook_failures.load(Ordering::SeqCst)
}

fn channel(name: &str) -> ChannelName {
    name.parse().unwrap()
}

fn user(id: &str) -> UserId {
    id.parse().unwrap()
}

fn occupied(name: &str) -> WebhookEvent {
    WebhookEvent::ChannelOccupied {
        channel: channel(name),
    }
}

fn vacated(name: &str) -> WebhookEvent {
    WebhookEvent::ChannelVacated {
        channel: channel(name),
    }
}

fn added(name: &str, id: &str) -> WebhookEvent {
    WebhookEvent::MemberAdded {
        channel: channel(name),
        user_id: user(id),
    }
}

fn removed(name: &str, id: &str) -> WebhookEvent {
    WebhookEvent::MemberRemoved {
        channel: channel(name),
        user_id: user(id),
    }
}

fn client_event(data: &str, user_id: Option<&str>) -> WebhookEvent {
    WebhookEvent::ClientEvent {
        channel: channel("presence-room"),
        event: "client-typing".to_owned(),
        data: data.to_owned(),
        socket_id: "123.456".parse().unwrap(),
        user_id: user_id.map(user),
    }
}

fn unix_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

#[tokio::test]
async fn body_shape_headers_and_signature() {
    let mut receiver = receiver(ok).await;
    let apps = [app(APP_ID, vec![all_events(receiver.url("/hooks"))])];
    let (webhooks, metrics) = start(settings(Duration::ZERO), &apps);
    let before = unix_ms();
    webhooks.emit(APP_ID, occupied("news"));
    webhooks.emit(APP_ID, added("presence-room", "u1"));
    webhooks.emit(APP_ID, client_event(r#"{"x":1}"#, Some("u1")));
    webhooks.emit(APP_ID, client_event("plain", None));
    webhooks.emit(APP_ID, removed("presence-room", "u1"));
    webhooks.emit(APP_ID, vacated("news"));

    let request = receiver.next().await;
    let after = unix_ms();
    assert_eq!(request.path, "/hooks");
    assert_eq!(request.headers["content-type"], "application/json");
    assert_eq!(request.headers["x-pusher-key"], APP_KEY);
    let signature = request.headers["x-pusher-signature"].to_str().unwrap();
    let secret = AppSecret::new(APP_SECRET).unwrap();
    assert!(verify_webhook(&secret, &request.body, signature));
    assert!(!verify_webhook(
        &AppSecret::new("other-secret").unwrap(),
        &request.body,
        signature
    ));

    let body = request.json();
    let time_ms = body["time_ms"].as_u64().unwrap();
    assert!((before..=after).contains(&time_ms), "{time_ms}");
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    assert_eq!(
        body["events"],
        json!([
            {"name": "channel_occupied", "channel": "news"},
            {"name": "member_added", "channel": "presence-room", "user_id": "u1"},
            {"name": "client_event", "channel": "presence-room", "event": "client-typing",
             "data": "{\"x\":1}", "socket_id": "123.456", "user_id": "u1"},
            {"name": "client_event", "channel": "presence-room", "event": "client-typing",
             "data": "plain", "socket_id": "123.456"},
            {"name": "member_removed", "channel": "presence-room", "user_id": "u1"},
            {"name": "channel_vacated", "channel": "news"},
        ])
    );
    webhooks.flush().await;
    assert_eq!((sent(&metrics), failures(&metrics)), (1, 0));
    assert!(receiver.drain().is_empty());
}

#[tokio::test]
async fn each_endpoint_gets_the_events_its_filter_names() {
    let mut receiver = receiver(ok).await;
    let apps = [app(
        APP_ID,
        vec![
            all_events(receiver.url("/all")),
            WebhookTarget::new(
                receiver.url("/occupancy"),
                vec!["channel_occupied".to_owned(), "channel_vacated".to_owned()],
            ),
            WebhookTarget::new(receiver.url("/none"), vec!["cache_miss".to_owned()]),
        ],
    )];
    let (webhooks, metrics) = start(settings(Duration::ZERO), &apps);
    webhooks.emit(APP_ID, occupied("news"));
    webhooks.emit(APP_ID, client_event("hi", None));
    webhooks.emit(APP_ID, added("presence-room", "u1"));
    webhooks.emit(APP_ID, vacated("news"));
    webhooks.flush().await;

    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for request in receiver.drain() {
        let list = names.entry(request.path.clone()).or_default();
        for event in request.events() {
            list.push(event["name"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        names,
        BTreeMap::from([
            (
                "/all".to_owned(),
                vec![
                    "channel_occupied".to_owned(),
                    "client_event".to_owned(),
                    "member_added".to_owned(),
                    "channel_vacated".to_owned(),
                ]
            ),
            (
                "/occupancy".to_owned(),
                vec!["channel_occupied".to_owned(), "channel_vacated".to_owned()]
            ),
        ])
    );
    assert_eq!((sent(&metrics), failures(&metrics)), (2, 0));
}

#[tokio::test]
async fn events_are_batched_by_time_and_by_count() {
    let mut receiver = receiver(ok).await;
    let apps = [app(APP_ID, vec![all_events(receiver.url("/"))])];
    let (webhooks, metrics) = start(settings(Duration::ZERO), &apps);

    // Emitted together: one POST once the batch window ends, no flush needed.
    for i in 0..3 {
        webhooks.emit(APP_ID, client_event(&i.to_string(), None));
    }
    assert_eq!(receiver.next().await.events().len(), 3);

    // More than a batch holds: full batches go at once, in order.
    let total = 2 * MAX_BATCH_EVENTS + 50;
    for i in 0..total {
        webhooks.emit(APP_ID, client_event(&i.to_string(), None));
    }
    webhooks.flush().await;
    let mut batches: Vec<Vec<usize>> = receiver
        .drain()
        .iter()
        .map(|request| {
            request
                .events()
                .iter()
                .map(|event| event["data"].as_str().unwrap().parse().unwrap())
                .collect()
        })
        .collect();
    batches.sort();
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        [MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, 50]
    );
    assert_eq!(batches.concat(), (0..total).collect::<Vec<_>>());
    assert_eq!((sent(&metrics), failures(&metrics)), (4, 0));
}

#[tokio::test]
async fn a_failed_attempt_is_retried() {
    let mut receiver = receiver(|n| if n == 0 { 500 } else { 204 }).await;
    let apps = [app(APP_ID, vec![all_events(receiver.url("/"))])];
    let (webhooks, metrics) = start(settings(Duration::ZERO), &apps);
    webhooks.emit(APP_ID, occupied("news"));
    webhooks.flush().await;

    let requests = receiver.drain();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    assert_eq!(
        requests[0].headers["x-pusher-signature"],
        requests[1].headers["x-pusher-signature"]
    );
    assert!(requests[1].at - requests[0].at >= Duration::from_millis(20));
    assert_eq!((sent(&metrics), failures(&metrics)), (1, 0));
}

#[tokio::test]
async fn a_batch_is_dropped_and_counted_after_its_last_attempt() {
    let mut receiver = receiver(|_| 503).await;
    let apps = [app(APP_ID, vec![all_events(receiver.url("/"))])];
    let (webhooks, metrics) = start(settings(Duration::ZERO), &apps);
    webhooks.emit(APP_ID, occupied("news"));
    webhooks.flush().await;

    let requests = receiver.drain();
    assert_eq!(requests.len(), 3, "max_attempts");
    // The backoff doubles: 20 ms, then 40 ms.
    assert!(requests[1].at - requests[0].at >= Duration::from_millis(20));
    assert!(requests[2].at - requests[1].at >= Duration::from_millis(40));
    assert_eq!((sent(&metrics), failures(&metrics)), (0, 1));

    // A refused connection is retried and counted the same way.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let apps = [app(APP_ID, vec![all_events(closed)])];
    let (webhooks, metrics) = start(settings(Duration::ZERO), &apps);
    webhooks.emit(APP_ID, occupied("news"));
    webhooks.flush().await;
    assert_eq!((sent(&metrics), failures(&metrics)), (0, 1));
}

#[tokio::test]
async fn an_arrival_inside_the_window_cancels_the_departure() {
    let mut receiver = receiver(ok).await;
    let apps = [app(APP_ID, vec![all_events(receiver.url("/"))])];
    let (webhooks, metrics) = start(settings(Duration::from_secs(60)), &apps);
    // A quick reconnect: neither event is sent.
    webhooks.emit(APP_ID, vacated("news"));
    webhooks.emit(APP_ID, occupied("news"));
    webhooks.emit(APP_ID, removed("presence-room", "u1"));
    webhooks.emit(APP_ID, added("presence-room", "u1"));
    // Another user's arrival or another channel's does not cancel anything.
    webhooks.emit(APP_ID, removed("presence-room", "u2"));
    webhooks.emit(APP_ID, added("presence-room", "u3"));
    webhooks.emit(APP_ID, vacated("sports"));
    webhooks.emit(APP_ID, occupied("weather"));

    // Only the arrivals that cancelled nothing go now; the held departures wait.
    let events = receiver.next().await.events();
    assert_eq!(
        events,
        [
            json!({"name": "member_added", "channel": "presence-room", "user_id": "u3"}),
            json!({"name": "channel_occupied", "channel": "weather"}),
        ]
    );
    // Flushing ends the windows: the departures still held are sent.
    webhooks.flush().await;
    let events: Vec<Value> = receiver.drain().iter().flat_map(Received::events).collect();
    assert_eq!(
        events,
        [
            json!({"name": "member_removed", "channel": "presence-room", "user_id": "u2"}),
            json!({"name": "channel_vacated", "channel": "sports"}),
        ]
    );
    assert_eq!((sent(&metrics), failures(&metrics)), (2, 0));
}

#[tokio::test]
async fn a_departure_is_sent_when_its_window_ends() {
    let mut receiver = receiver(ok).await;
    let apps = [app(APP_ID, vec![all_events(receiver.url("/"))])];
    let debounce = Duration::from_millis(200);
    let (webhooks, metrics) = start(settings(debounce), &apps);
    let emitted = Instant::now();
    webhooks.emit(APP_ID, vacated("news"));
    webhooks.emit(APP_ID, removed("presence-room", "u1"));

    let request = receiver.next().await;
    assert!(request.at - emitted >= debounce);
    assert_eq!(
        request.events(),
        [
            json!({"name": "channel_vacated", "channel": "news"}),
            json!({"name": "member_removed", "channel": "presence-room", "user_id": "u1"}),
        ]
    );
    // After the window an arrival is an ordinary event.
    webhooks.emit(APP_ID, occupied("news"));
    webhooks.emit(APP_ID, added("presence-room", "u1"));
    let events = receiver.next().await.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["name"], "channel_occupied");
    assert_eq!(events[1]["name"], "member_added");
    webhooks.flush().await;
    assert_eq!((sent(&metrics), failures(&metrics)), (2, 0));
}

#[tokio::test]
async fn held_departures_are_sent_when_the_dispatcher_stops() {
    let mut receiver = receiver(ok).await;
    let apps = [app(APP_ID, vec![all_events(receiver.url("/"))])];
    let (webhooks, _metrics) = start(settings(Duration::from_secs(3600)), &apps);
    webhooks.emit(APP_ID, vacated("news"));
    drop(webhooks);
    assert_eq!(
        receiver.next().await.events(),
        [json!({"name": "channel_vacated", "channel": "news"})]
    );
}

/// Emitting never waits for the network: with an endpoint that accepts connections and
/// never answers, a burst far larger than the queue returns at once, the overflow is counted,
/// and the endpoint's batches in flight stay bounded.
#[tokio::test]
async fn emit_never_blocks_on_a_hung_endpoint() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut open = Vec::new();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            open.push(stream);
        }
    });
    let mut settings = settings(Duration::ZERO);
    settings.max_attempts = 1;
    settings.timeout = Duration::from_secs(600);
    let (webhooks, metrics) = start(settings, &[app(APP_ID, vec![all_events(url)])]);

    // This test's runtime has one thread and the loop never yields, so the dispatcher cannot
    // drain the queue meanwhile: exactly the events beyond its capacity are dropped.
    let burst = QUEUE_CAPACITY + 10_000;
    let started = std::time::Instant::now();
    for i in 0..burst {
        webhooks.emit(APP_ID, client_event(&i.to_string(), None));
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(failures(&metrics), 10_000);
    assert_eq!(metrics.error_count("webhook_queue_full"), 10_000);

    // The queued events become batches; only MAX_IN_FLIGHT_PER_TARGET of them may wait on
    // the hung endpoint, the rest are dropped and counted at once.
    let batches = QUEUE_CAPACITY.div_ceil(MAX_BATCH_EVENTS);
    let busy = u64::try_from(batches - MAX_IN_FLIGHT_PER_TARGET).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while metrics.error_count("webhook_target_busy") < busy {
        assert!(Instant::now() < deadline, "dispatcher did not drain");
        sleep(Duration::from_millis(20)).await;
    }
    sleep(Duration::from_millis(100)).await;
    assert_eq!(metrics.error_count("webhook_target_busy"), busy);
    assert_eq!(failures(&metrics), 10_000 + busy);
    assert_eq!(sent(&metrics), 0);
}

#[tokio::test]
async fn apps_without_endpoints_send_nothing() {
    let mut receiver = receiver(ok).await;
    let apps = [
        app(APP_ID, vec![all_events(receiver.url("/"))]),
        app("quiet", Vec::new()),
    ];
    let (webhooks, metrics) = start(settings(Duration::ZERO), &apps);
    webhooks.emit("quiet", occupied("news"));
    webhooks.emit("unknown-app", occupied("news"));
    webhooks.emit(APP_ID, occupied("marker"));
    webhooks.flush().await;
    let requests = receiver.drain();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].events(),
        [json!({"name": "channel_occupied", "channel": "marker"})]
    );
    assert_eq!((sent(&metrics), failures(&metrics)), (1, 0));

    // With no endpoint at all there is no dispatcher: emit and flush do nothing.
    let (webhooks, metrics) = start(settings(Duration::ZERO), &[app("quiet", Vec::new())]);
    webhooks.emit("quiet", occupied("news"));
    webhooks.flush().await;
    assert_eq!((sent(&metrics), failures(&metrics)), (0, 0));
    assert!(receiver.drain().is_empty());
}
