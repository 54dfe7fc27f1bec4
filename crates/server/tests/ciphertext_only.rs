//! Ciphertext-only channels (`spec/ciphertext-only-channels.md`) through a real server:
//! client events refused with `pusher:error` 4302 (the connection stays open), the HTTP
//! API's `events` and `batch_events` refused with 400 (all or nothing), envelopes
//! relayed unchanged, refusals counted by source, and the per-app configuration.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests"
)]

use std::path::PathBuf;
use std::time::Duration;

use domvia_protocol::{AppKey, AppSecret, ChannelName, ChannelPattern, SocketId, sign_channel};
use domvia_server::metrics::EventSource;
use domvia_server::{AppConfig, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[path = "http_api/harness.rs"]
#[allow(dead_code, reason = "the HTTP API tests' harness, partly used here")]
mod harness;

use harness::{Harness, app_config, frames};

const WAIT: Duration = Duration::from_secs(5);

/// The first chat envelope of the spec's vectors, as its exact wire text.
fn envelope() -> String {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors/envelope-v1.json");
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    vectors["positive"][0]["envelope_json"]
        .as_str()
        .unwrap()
        .to_owned()
}

const PLAINTEXT: &str = r#"{"body":"a secret the gateway must not relay"}"#;

// ---- a minimal pusher-protocol WebSocket client ----

struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    socket_id: SocketId,
}

impl Client {
    async fn connect(harness: &Harness) -> Self {
        let url = format!(
            "ws://{}/app/test-key?protocol=7&client=js&version=8.4.0",
            harness.addr()
        );
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut client = Self {
            ws,
            socket_id: SocketId::from_parts(0, 0),
        };
        let established = client.frame().await;
        assert_eq!(established["event"], "pusher:connection_established");
        let data: Value = serde_json::from_str(established["data"].as_str().unwrap()).unwrap();
        client.socket_id = data["socket_id"].as_str().unwrap().parse().unwrap();
        client
    }

    async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::Text(Utf8Bytes::from(frame.to_string())))
            .await
            .unwrap();
    }

    async fn frame(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out")
                .expect("stream ended")
                .expect("socket error");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Subscribes to a private channel, or joins a presence channel as `user`.
    async fn subscribe(&mut self, channel: &str, user: &str) {
        let name: ChannelName = channel.parse().unwrap();
        let channel_data = name
            .is_presence()
            .then(|| json!({ "user_id": user }).to_string());
        let auth = sign_channel(
            &"test-key".parse::<AppKey>().unwrap(),
            &AppSecret::new("test-secret").unwrap(),
            &self.socket_id,
            &name,
            channel_data.as_deref(),
        );
        self.send(json!({"event": "pusher:subscribe",
            "data": {"channel": channel, "auth": auth, "channel_data": channel_data}}))
            .await;
        loop {
            let frame = self.frame().await;
            if frame["event"] == "pusher_internal:subscription_succeeded" {
                return;
            }
            assert_eq!(frame["event"], "pusher_internal:member_added", "{frame}");
        }
    }

    async fn trigger(&mut self, channel: &str, data: Value) {
        self.send(json!({"event": "client-message", "channel": channel, "data": data}))
            .await;
    }

    /// Asserts that nothing but the pong arrives: everything sent before was processed.
    async fn assert_quiet(&mut self) {
        self.send(json!({"event": "pusher:ping", "data": {}})).await;
        let frame = self.frame().await;
        assert_eq!(frame["event"], "pusher:pong", "unexpected frame {frame}");
    }
}

fn refusals(harness: &Harness, source: EventSource) -> u64 {
    harness.app().metrics().plaintext_refused_count(source)
}

// ---- client events ----

#[tokio::test]
async fn plaintext_client_events_get_4302_and_envelopes_are_relayed_unchanged() {
    let harness = Harness::start().await;
    for channel in ["private-e2ee-room-42", "presence-e2ee-call-7"] {
        let mut alice = Client::connect(&harness).await;
        let mut bob = Client::connect(&harness).await;
        alice.subscribe(channel, "alice").await;
        bob.subscribe(channel, "bob").await;
        // alice sees bob join the presence channel.
        if channel.starts_with("presence-") {
            assert_eq!(alice.frame().await["event"], "pusher_internal:member_added");
        }
        let before = refusals(&harness, EventSource::ClientEvent);

        for plaintext in [json!(PLAINTEXT), json!({"text": "hi"}), json!("not json")] {
            alice.trigger(channel, plaintext).await;
            let error = alice.frame().await;
            assert_eq!(error["event"], "pusher:error", "{error}");
            assert_eq!(error["data"]["code"], 4302);
            let message = error["data"]["message"].as_str().unwrap();
            assert!(message.contains(channel), "{message}");
            assert!(
                !message.contains("secret") && !message.contains("hi\""),
                "{message}"
            );
        }
        let message = {
            alice
                .trigger(channel, json!({"v": 1, "nonce": "AAAA"}))
                .await;
            alice.frame().await["data"]["message"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert!(message.contains("unknown_member") || message.contains("missing_member"));
        bob.assert_quiet().await;
        assert_eq!(refusals(&harness, EventSource::ClientEvent), before + 4);

        // The connection stays open and an envelope goes through, byte for byte.
        alice.trigger(channel, json!(envelope())).await;
        let event = bob.frame().await;
        assert_eq!(event["event"], "client-message");
        assert_eq!(event["channel"], channel);
        assert_eq!(event["data"].as_str(), Some(envelope().as_str()));
        // So does an envelope sent as a JSON object (pusher-js `trigger` with an object).
        let object: Value = serde_json::from_str(&envelope()).unwrap();
        let identified = json!({"id": "msg-1", "envelope": object});
        alice.trigger(channel, identified.clone()).await;
        let event = bob.frame().await;
        let relayed: Value = serde_json::from_str(event["data"].as_str().unwrap()).unwrap();
        assert_eq!(relayed, identified);
        alice.assert_quiet().await;
    }
    let text = harness.app().metrics().render();
    assert!(
        text.contains("domvia_plaintext_refused_total{source=\"client_event\"} 8\n"),
        "{text}"
    );
    assert_eq!(harness.error_count("client_event_plaintext_refused"), 8);
}

#[tokio::test]
async fn other_private_channels_still_take_any_data() {
    let harness = Harness::start().await;
    let mut alice = Client::connect(&harness).await;
    let mut bob = Client::connect(&harness).await;
    for client in [&mut alice, &mut bob] {
        client.subscribe("private-chat", "").await;
    }
    alice.trigger("private-chat", json!(PLAINTEXT)).await;
    assert_eq!(bob.frame().await["data"].as_str(), Some(PLAINTEXT));
    alice.assert_quiet().await;
    assert_eq!(refusals(&harness, EventSource::ClientEvent), 0);
}

// ---- the HTTP API ----

#[tokio::test]
async fn http_api_refuses_plaintext_with_400_and_publishes_envelopes() {
    let harness = Harness::start().await;
    let (_, e2ee_inbox) = harness.subscriber(1, &["private-e2ee-room"]);
    let (_, plain_inbox) = harness.subscriber(2, &["private-news"]);

    let reply = harness
        .post(
            "events",
            &json!({"name": "message", "channel": "private-e2ee-room", "data": PLAINTEXT}),
        )
        .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "private-e2ee-room");
    let error = reply.json["error"].as_str().unwrap();
    assert!(error.contains("unknown_shape"), "{error}");
    assert!(!error.contains("secret"), "{error}");
    assert_eq!(harness.error_count("api_plaintext_refused"), 1);
    assert_eq!(refusals(&harness, EventSource::HttpApi), 1);

    // One ciphertext-only channel among several refuses the whole event.
    let reply = harness
        .post(
            "events",
            &json!({"name": "message", "channels": ["private-news", "presence-e2ee-x"],
                    "data": PLAINTEXT}),
        )
        .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "presence-e2ee-x");
    assert!(frames(&e2ee_inbox).is_empty() && frames(&plain_inbox).is_empty());
    assert_eq!(harness.api_events(), 0);

    // An envelope is published to every channel, unchanged; an object `data` too.
    let reply = harness
        .post(
            "events",
            &json!({"name": "message", "channels": ["private-e2ee-room", "private-news"],
                    "data": envelope()}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    for inbox in [&e2ee_inbox, &plain_inbox] {
        let delivered = frames(inbox);
        assert_eq!(delivered.len(), 1);
        assert_eq!(delivered[0]["data"].as_str(), Some(envelope().as_str()));
    }
    let object: Value = serde_json::from_str(&envelope()).unwrap();
    let reply = harness
        .post(
            "events",
            &json!({"name": "message", "channel": "private-e2ee-room",
                    "data": {"id": "m-1", "envelope": object}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    assert_eq!(frames(&e2ee_inbox).len(), 1);
    assert_eq!(refusals(&harness, EventSource::HttpApi), 2);
    assert_eq!(refusals(&harness, EventSource::ClientEvent), 0);
}

#[tokio::test]
async fn a_batch_with_one_plaintext_event_publishes_nothing() {
    let harness = Harness::start().await;
    let (_, e2ee_inbox) = harness.member(1, "presence-e2ee-room", "u-1");
    let (_, plain_inbox) = harness.subscriber(2, &["news"]);
    let batch = json!({"batch": [
        {"channel": "presence-e2ee-room", "name": "m", "data": envelope()},
        {"channel": "news", "name": "m", "data": PLAINTEXT},
        {"channel": "presence-e2ee-room", "name": "m", "data": "[1,2,3]"},
    ]});
    let reply = harness.post("batch_events", &batch).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "batch event 2: presence-e2ee-room");
    assert!(
        reply.json["error"]
            .as_str()
            .unwrap()
            .contains("not_an_object")
    );
    assert!(frames(&e2ee_inbox).is_empty() && frames(&plain_inbox).is_empty());
    assert_eq!(harness.api_events(), 0);
    assert_eq!(refusals(&harness, EventSource::HttpApi), 1);

    let batch = json!({"batch": [
        {"channel": "presence-e2ee-room", "name": "m", "data": envelope()},
        {"channel": "news", "name": "m", "data": PLAINTEXT},
    ]});
    let reply = harness.post("batch_events", &batch).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    assert_eq!(
        frames(&e2ee_inbox)[0]["data"].as_str(),
        Some(envelope().as_str())
    );
    assert_eq!(frames(&plain_inbox)[0]["data"].as_str(), Some(PLAINTEXT));
    assert_eq!(harness.api_events(), 2);
}

// ---- configuration ----

#[tokio::test]
async fn an_empty_list_disables_the_check() {
    let mut config = app_config();
    config.ciphertext_only = Vec::new();
    let harness = Harness::with(config).await;
    let (_, inbox) = harness.subscriber(1, &["private-e2ee-room"]);
    let reply = harness
        .post(
            "events",
            &json!({"name": "m", "channel": "private-e2ee-room", "data": PLAINTEXT}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    assert_eq!(frames(&inbox)[0]["data"].as_str(), Some(PLAINTEXT));

    let mut alice = Client::connect(&harness).await;
    let mut bob = Client::connect(&harness).await;
    alice.subscribe("presence-e2ee-x", "alice").await;
    bob.subscribe("presence-e2ee-x", "bob").await;
    assert_eq!(alice.frame().await["event"], "pusher_internal:member_added");
    alice.trigger("presence-e2ee-x", json!(PLAINTEXT)).await;
    assert_eq!(bob.frame().await["data"].as_str(), Some(PLAINTEXT));
    assert_eq!(refusals(&harness, EventSource::HttpApi), 0);
    assert_eq!(refusals(&harness, EventSource::ClientEvent), 0);
}

#[tokio::test]
async fn configured_patterns_replace_the_defaults() {
    let mut config = app_config();
    config.ciphertext_only = vec![
        "presence-lobby".parse().unwrap(),
        "private-secure-*".parse().unwrap(),
    ];
    let harness = Harness::with(config).await;
    for (channel, refused) in [
        ("presence-lobby", true),
        ("private-secure-1", true),
        ("presence-lobby-2", false),
        ("private-e2ee-room", false),
        ("private-encrypted-secure-1", false),
        ("secure-1", false),
    ] {
        let reply = harness
            .post(
                "events",
                &json!({"name": "m", "channel": channel, "data": PLAINTEXT}),
            )
            .await;
        let expected = if refused {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        assert_eq!(reply.status, expected, "{channel}: {:?}", reply.json);
    }
}

fn toml_app(extra: &str) -> String {
    format!("[[apps]]\nid = \"a\"\nkey = \"k\"\nsecret = \"s\"\n{extra}\n")
}

#[test]
fn config_defaults_toml_and_errors() {
    let patterns = |config: &ServerConfig| -> Vec<String> {
        config.apps[0]
            .ciphertext_only
            .iter()
            .map(ChannelPattern::to_string)
            .collect()
    };
    let defaults = ServerConfig::from_toml(&toml_app("")).unwrap();
    assert_eq!(patterns(&defaults), ["private-e2ee-*", "presence-e2ee-*"]);
    let dev = ServerConfig::from_env_and_defaults(|_| None).unwrap();
    assert_eq!(patterns(&dev), ["private-e2ee-*", "presence-e2ee-*"]);
    let new = AppConfig::new("x", "k".parse().unwrap(), AppSecret::new("s").unwrap());
    assert_eq!(new.ciphertext_only.len(), 2);

    let off = ServerConfig::from_toml(&toml_app("ciphertext_only = []")).unwrap();
    assert!(off.apps[0].ciphertext_only.is_empty());
    let custom = ServerConfig::from_toml(&toml_app(
        "ciphertext_only = [\"presence-*\", \"private-room-9\"]",
    ))
    .unwrap();
    assert_eq!(patterns(&custom), ["presence-*", "private-room-9"]);
    let room: ChannelName = "private-room-9".parse().unwrap();
    assert!(custom.apps[0].is_ciphertext_only(&room));

    for (value, field, rule) in [
        (
            "[\"private-*\"]",
            "apps[0].ciphertext_only[0]",
            "private-encrypted-",
        ),
        (
            "[\"presence-e2ee-*\", \"private-encrypted-*\"]",
            "apps[0].ciphertext_only[1]",
            "private-encrypted-",
        ),
        (
            "[\"e2ee-*\"]",
            "apps[0].ciphertext_only[0]",
            "must begin with 'private-' or 'presence-'",
        ),
        (
            "[\"*\"]",
            "apps[0].ciphertext_only[0]",
            "must begin with 'private-' or 'presence-'",
        ),
        (
            "[\"private-a*b\"]",
            "apps[0].ciphertext_only[0]",
            "a single '*'",
        ),
    ] {
        let error =
            ServerConfig::from_toml(&toml_app(&format!("ciphertext_only = {value}"))).unwrap_err();
        assert_eq!(error.code(), "config_invalid", "{value}: {error}");
        assert_eq!(error.field(), Some(field), "{value}");
        let message = error.to_string();
        assert!(message.starts_with(&format!("{field}: ")), "{message}");
        assert!(message.contains(rule), "{message}");
    }
    for (value, field) in [
        ("\"private-e2ee-*\"", "apps[0].ciphertext_only"),
        ("[1]", "apps[0].ciphertext_only[0]"),
    ] {
        let error =
            ServerConfig::from_toml(&toml_app(&format!("ciphertext_only = {value}"))).unwrap_err();
        assert_eq!(error.code(), "config_wrong_type", "{value}: {error}");
        assert_eq!(error.field(), Some(field));
    }
}

#[test]
fn no_pattern_can_match_a_public_channel() {
    for public in ["e2ee-room", "private", "presence", "cache-e2ee", "news"] {
        let channel: ChannelName = public.parse().unwrap();
        for pattern in [
            "private-e2ee-*",
            "presence-e2ee-*",
            "presence-*",
            "private-e2*",
        ] {
            let pattern: ChannelPattern = pattern.parse().unwrap();
            assert!(!pattern.matches(&channel), "{pattern} matches {public}");
        }
        // And a public name cannot be configured at all.
        assert!(public.parse::<ChannelPattern>().is_err(), "{public}");
        assert!(
            format!("{public}*").parse::<ChannelPattern>().is_err(),
            "{public}*"
        );
    }
}
