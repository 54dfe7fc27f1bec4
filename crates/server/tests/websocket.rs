#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests"
)]
//! The WebSocket protocol, through a real server on 127.0.0.1:0 and real WebSocket clients.

use std::sync::atomic::Ordering;
use std::time::Duration;

use domvia_protocol::{
    AppKey, AppSecret, ChannelName, EventName, SocketId, sign_channel, sign_user,
};
use domvia_server::{AppConfig, Server, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[path = "support/webhook_receiver.rs"]
mod webhook_receiver;

const KEY: &str = "test-key";
const SECRET: &str = "test-secret";
const WAIT: Duration = Duration::from_secs(5);

fn app() -> AppConfig {
    AppConfig::new(
        "test-app",
        KEY.parse().unwrap(),
        AppSecret::new(SECRET).unwrap(),
    )
}

async fn server_with(configure: impl FnOnce(&mut ServerConfig)) -> Server {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), vec![app()]);
    configure(&mut config);
    Server::bind(config).await.unwrap()
}

async fn server() -> Server {
    server_with(|_| {}).await
}

struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    socket_id: SocketId,
}

/// A frame as the client sees it, with `data` decoded when it is a JSON string.
#[derive(Debug)]
struct Frame {
    event: String,
    channel: Option<String>,
    data: Value,
    raw: Value,
}

async fn open(
    server: &Server,
    path: &str,
    origin: Option<&str>,
) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
    let url = format!("ws://{}{path}", server.local_addr());
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
    }
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    ws
}

const PATH: &str = "/app/test-key?protocol=7&client=js&version=8.4.0";

async fn connect(server: &Server) -> Client {
    let mut ws = open(server, PATH, None).await;
    let frame = next_frame(&mut ws).await;
    assert_eq!(frame.event, "pusher:connection_established");
    let socket_id: SocketId = frame.data["socket_id"].as_str().unwrap().parse().unwrap();
    Client { ws, socket_id }
}

async fn next_message(ws: &mut WebSocketStream<MaybeTlsStream<TcpStream>>) -> Message {
    tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("timed out waiting for a message")
        .expect("stream ended")
        .expect("socket error")
}

async fn next_frame(ws: &mut WebSocketStream<MaybeTlsStream<TcpStream>>) -> Frame {
    loop {
        match next_message(ws).await {
            Message::Text(text) => return parse(&text),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

fn parse(text: &str) -> Frame {
    let raw: Value = serde_json::from_str(text).unwrap();
    let data = match &raw["data"] {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())),
        other => other.clone(),
    };
    Frame {
        event: raw["event"].as_str().unwrap().to_owned(),
        channel: raw["channel"].as_str().map(str::to_owned),
        data,
        raw,
    }
}

/// Reads until a close frame and returns its code.
async fn close_code(ws: &mut WebSocketStream<MaybeTlsStream<TcpStream>>) -> u16 {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("timed out waiting for close")
        {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("socket error before close: {error}"),
        }
    }
}

/// A refused connection: the `pusher:error` code and the close code, which must agree.
async fn refused(server: &Server, path: &str, origin: Option<&str>) -> u16 {
    let mut ws = open(server, path, origin).await;
    let frame = next_frame(&mut ws).await;
    assert_eq!(frame.event, "pusher:error", "{frame:?}");
    let code = frame.data["code"].as_u64().unwrap();
    assert_eq!(u64::from(close_code(&mut ws).await), code);
    u16::try_from(code).unwrap()
}

impl Client {
    async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::Text(Utf8Bytes::from(frame.to_string())))
            .await
            .unwrap();
    }

    async fn frame(&mut self) -> Frame {
        next_frame(&mut self.ws).await
    }

    fn auth(&self, channel: &str, channel_data: Option<&str>) -> String {
        let channel: ChannelName = channel.parse().unwrap();
        sign_channel(
            &KEY.parse::<AppKey>().unwrap(),
            &AppSecret::new(SECRET).unwrap(),
            &self.socket_id,
            &channel,
            channel_data,
        )
    }

    async fn subscribe(&mut self, channel: &str) -> Frame {
        let auth = if channel.starts_with("private-") {
            Some(self.auth(channel, None))
        } else {
            None
        };
        self.send(json!({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth}}))
            .await;
        self.frame().await
    }

    async fn join(&mut self, channel: &str, user_id: Value, user_info: Value) -> Frame {
        let channel_data = json!({"user_id": user_id, "user_info": user_info}).to_string();
        let auth = self.auth(channel, Some(&channel_data));
        self.send(json!({"event": "pusher:subscribe",
            "data": {"channel": channel, "auth": auth, "channel_data": channel_data}}))
            .await;
        self.frame().await
    }

    async fn signin(&mut self, user_data: &str) -> Frame {
        let auth = sign_user(
            &KEY.parse::<AppKey>().unwrap(),
            &AppSecret::new(SECRET).unwrap(),
            &self.socket_id,
            user_data,
        );
        self.send(
            json!({"event": "pusher:signin", "data": {"auth": auth, "user_data": user_data}}),
        )
        .await;
        self.frame().await
    }

    /// Asserts nothing but pongs arrive for a moment (a ping round trip proves the server
    /// has processed everything sent before it).
    async fn assert_quiet(&mut self) {
        self.send(json!({"event": "pusher:ping", "data": {}})).await;
        let frame = self.frame().await;
        assert_eq!(frame.event, "pusher:pong", "unexpected frame {frame:?}");
    }
}

fn publish(server: &Server, channel: &str, event: &str, data: &str) -> usize {
    let app = server.gateway().app_by_id("test-app").unwrap();
    let channel: ChannelName = channel.parse().unwrap();
    let event: EventName = event.parse().unwrap();
    app.publish(&channel, &event, data.to_owned(), None, None)
        .delivered
}

#[tokio::test]
async fn connection_established_has_a_socket_id_and_activity_timeout() {
    let server = server().await;
    let mut ws = open(&server, PATH, None).await;
    let frame = next_frame(&mut ws).await;
    assert_eq!(frame.event, "pusher:connection_established");
    // pusher-js requires the data string-encoded.
    assert!(frame.raw["data"].is_string());
    let socket_id = frame.data["socket_id"].as_str().unwrap();
    let (high, low) = socket_id.split_once('.').unwrap();
    assert!(
        !high.is_empty() && high.bytes().all(|b| b.is_ascii_digit()),
        "{socket_id}"
    );
    assert!(
        !low.is_empty() && low.bytes().all(|b| b.is_ascii_digit()),
        "{socket_id}"
    );
    assert_eq!(frame.data["activity_timeout"], 120);
    assert_eq!(
        server
            .gateway()
            .metrics()
            .connections
            .load(Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn refusals_use_the_protocol_close_codes() {
    let server = server_with(|config| {
        let mut disabled = AppConfig::new(
            "off",
            "off-key".parse().unwrap(),
            AppSecret::new("s").unwrap(),
        );
        disabled.enabled = false;
        config.apps.push(disabled);
        let mut guarded = AppConfig::new(
            "guarded",
            "guarded-key".parse().unwrap(),
            AppSecret::new("s").unwrap(),
        );
        guarded.allowed_origins = vec!["https://app.example".to_owned()];
        config.apps.push(guarded);
    })
    .await;
    assert_eq!(refused(&server, "/app/nope?protocol=7", None).await, 4001);
    assert_eq!(
        refused(&server, "/app/off-key?protocol=7", None).await,
        4003
    );
    assert_eq!(refused(&server, "/app/test-key", None).await, 4008);
    assert_eq!(
        refused(&server, "/app/test-key?protocol=seven", None).await,
        4006
    );
    assert_eq!(
        refused(&server, "/app/test-key?protocol=2", None).await,
        4007
    );
    assert_eq!(refused(&server, "/app/?protocol=7", None).await, 4005);
    // Trusted origins: another origin, or none, is refused with 4009.
    assert_eq!(
        refused(
            &server,
            "/app/guarded-key?protocol=7",
            Some("https://evil.example")
        )
        .await,
        4009
    );
    assert_eq!(
        refused(&server, "/app/guarded-key?protocol=7", None).await,
        4009
    );
    let mut ws = open(
        &server,
        "/app/guarded-key?protocol=7",
        Some("https://app.example"),
    )
    .await;
    assert_eq!(
        next_frame(&mut ws).await.event,
        "pusher:connection_established"
    );
    assert_eq!(
        server
            .gateway()
            .metrics()
            .error_count("ws_origin_not_allowed"),
        2
    );
}

#[tokio::test]
async fn connection_quota_refuses_with_4004_and_frees_on_close() {
    let server = server_with(|config| config.apps[0].limits.max_connections = Some(1)).await;
    let mut first = connect(&server).await;
    assert_eq!(refused(&server, PATH, None).await, 4004);
    first.ws.close(None).await.unwrap();
    // The slot frees once the server has seen the close.
    let mut admitted = false;
    for _ in 0..50 {
        let mut ws = open(&server, PATH, None).await;
        if next_frame(&mut ws).await.event == "pusher:connection_established" {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(admitted);
}

#[tokio::test]
async fn plain_http_to_the_socket_path_is_a_json_400() {
    let server = server().await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /app/test-key?protocol=7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("expected a WebSocket upgrade"));
}

#[tokio::test]
async fn public_subscribe_accepts_data_as_object_or_string_and_receives_events() {
    let server = server().await;
    let mut client = connect(&server).await;
    let ok = client.subscribe("news").await;
    assert_eq!(ok.event, "pusher_internal:subscription_succeeded");
    assert_eq!(ok.channel.as_deref(), Some("news"));
    assert!(ok.raw["data"].is_string());
    client
        .send(json!({"event": "pusher:subscribe", "data": json!({"channel": "sport"}).to_string()}))
        .await;
    assert_eq!(
        client.frame().await.event,
        "pusher_internal:subscription_succeeded"
    );
    assert_eq!(publish(&server, "sport", "score", "{\"home\":1}"), 1);
    let event = client.frame().await;
    assert_eq!(
        event.raw,
        json!({"event": "score", "channel": "sport", "data": "{\"home\":1}"})
    );
    // Unsubscribed: nothing more arrives.
    client
        .send(json!({"event": "pusher:unsubscribe", "data": {"channel": "sport"}}))
        .await;
    client.assert_quiet().await;
    assert_eq!(publish(&server, "sport", "score", "x"), 0);
    client.assert_quiet().await;
}

#[tokio::test]
async fn private_channels_need_a_valid_signature() {
    let server = server().await;
    let mut client = connect(&server).await;
    assert_eq!(
        client.subscribe("private-room").await.event,
        "pusher_internal:subscription_succeeded"
    );

    // No auth, a forged signature, another socket's signature, another key.
    let forged = format!("{KEY}:{}", "0".repeat(64));
    let other_socket = sign_channel(
        &KEY.parse().unwrap(),
        &AppSecret::new(SECRET).unwrap(),
        &SocketId::from_parts(1, 2),
        &"private-b".parse().unwrap(),
        None,
    );
    let wrong_key = client.auth("private-b", None).replacen(KEY, "other-key", 1);
    for auth in [None, Some(forged), Some(other_socket), Some(wrong_key)] {
        client
            .send(json!({"event": "pusher:subscribe", "data": {"channel": "private-b", "auth": auth}}))
            .await;
        let frame = client.frame().await;
        assert_eq!(frame.event, "pusher:subscription_error", "{frame:?}");
        assert_eq!(frame.channel.as_deref(), Some("private-b"));
        assert_eq!(frame.data["type"], "AuthError");
        assert_eq!(frame.data["status"], 401);
    }
    assert_eq!(publish(&server, "private-b", "e", "x"), 0);
    // private-encrypted- is relayed with Pusher's semantics: signed like a private channel.
    assert_eq!(
        client.subscribe("private-encrypted-room").await.event,
        "pusher_internal:subscription_succeeded"
    );
}

#[tokio::test]
async fn presence_members_are_per_user_and_ids_are_strings() {
    let server = server().await;
    let mut alice = connect(&server).await;
    let mut bob = connect(&server).await;
    let mut alice_phone = connect(&server).await;

    let joined = alice
        .join("presence-room", json!(1), json!({"name": "Alice"}))
        .await;
    assert_eq!(joined.event, "pusher_internal:subscription_succeeded");
    assert_eq!(
        joined.data,
        json!({"presence": {"ids": ["1"], "hash": {"1": {"name": "Alice"}}, "count": 1}})
    );

    let joined = bob.join("presence-room", json!("bob"), json!(null)).await;
    assert_eq!(joined.data["presence"]["count"], 2);
    let added = alice.frame().await;
    assert_eq!(added.event, "pusher_internal:member_added");
    assert_eq!(added.data, json!({"user_id": "bob", "user_info": null}));

    // Alice's second device: no second member_added, the count stays 2.
    let joined = alice_phone
        .join("presence-room", json!("1"), json!({"name": "Alice"}))
        .await;
    assert_eq!(joined.data["presence"]["count"], 2);
    bob.assert_quiet().await;

    // Alice's first device leaves: she is still present.
    alice.ws.close(None).await.unwrap();
    bob.assert_quiet().await;
    // Her last device leaves: member_removed, once.
    alice_phone
        .send(json!({"event": "pusher:unsubscribe", "data": {"channel": "presence-room"}}))
        .await;
    let removed = bob.frame().await;
    assert_eq!(removed.event, "pusher_internal:member_removed");
    assert_eq!(removed.data, json!({"user_id": "1"}));
    bob.assert_quiet().await;
    let app = server.gateway().app_by_id("test-app").unwrap();
    assert_eq!(
        app.channel_info(&"presence-room".parse().unwrap())
            .user_count,
        Some(1)
    );
}

#[tokio::test]
async fn presence_refuses_bad_channel_data_and_enforces_caps() {
    let server = server_with(|config| {
        config.apps[0].limits.max_presence_members = 1;
        config.apps[0].limits.max_presence_user_info_bytes = 32;
    })
    .await;
    let mut alice = connect(&server).await;
    let mut bob = connect(&server).await;
    assert_eq!(
        alice
            .join("presence-r", json!("a"), json!(null))
            .await
            .event,
        "pusher_internal:subscription_succeeded"
    );
    let full = bob.join("presence-r", json!("b"), json!(null)).await;
    assert_eq!(full.event, "pusher:subscription_error");
    assert_eq!(full.data["status"], 403);
    let big = bob
        .join("presence-s", json!("b"), json!({"bio": "x".repeat(64)}))
        .await;
    assert_eq!(big.event, "pusher:subscription_error");
    // The signature covers channel_data exactly: a changed user id is refused.
    let channel_data = json!({"user_id": "b"}).to_string();
    let auth = bob.auth("presence-t", Some(&channel_data));
    bob.send(
        json!({"event": "pusher:subscribe", "data": {"channel": "presence-t", "auth": auth,
        "channel_data": json!({"user_id": "admin"}).to_string()}}),
    )
    .await;
    let forged = bob.frame().await;
    assert_eq!(forged.event, "pusher:subscription_error");
    assert_eq!(forged.data["status"], 401);
    // Without channel_data and not signed in: refused.
    let auth = bob.auth("presence-t", None);
    bob.send(json!({"event": "pusher:subscribe", "data": {"channel": "presence-t", "auth": auth}}))
        .await;
    assert_eq!(bob.frame().await.event, "pusher:subscription_error");
}

#[tokio::test]
async fn client_events_are_relayed_to_others_only_with_the_presence_user_id() {
    let server = server().await;
    let mut alice = connect(&server).await;
    let mut bob = connect(&server).await;
    alice
        .join("presence-call", json!("alice"), json!(null))
        .await;
    bob.join("presence-call", json!("bob"), json!(null)).await;
    alice.frame().await; // member_added bob

    alice
        .send(json!({"event": "client-offer", "channel": "presence-call", "data": {"sdp": "v=0"}}))
        .await;
    let got = bob.frame().await;
    assert_eq!(got.event, "client-offer");
    assert_eq!(got.raw["user_id"], "alice");
    assert_eq!(got.data, json!({"sdp": "v=0"}));
    assert!(got.raw["data"].is_string());
    alice.assert_quiet().await; // never echoed

    // Private channel: no user_id.
    alice.subscribe("private-x").await;
    bob.subscribe("private-x").await;
    alice
        .send(json!({"event": "client-typing", "channel": "private-x", "data": "yes"}))
        .await;
    let got = bob.frame().await;
    assert_eq!(
        got.raw,
        json!({"event": "client-typing", "channel": "private-x", "data": "yes"})
    );
}

#[tokio::test]
async fn client_events_are_refused_where_the_rules_say() {
    let server = server_with(|config| config.apps[0].limits.max_payload_bytes = 100).await;
    let mut alice = connect(&server).await;
    let mut bob = connect(&server).await;
    alice.subscribe("news").await;
    bob.subscribe("news").await;
    bob.subscribe("private-y").await;
    let cases = [
        (
            json!({"event": "client-x", "channel": "news", "data": {}}),
            "private and presence",
        ),
        (
            json!({"event": "client-x", "channel": "private-y", "data": {}}),
            "not subscribed",
        ),
        (
            json!({"event": "nope", "channel": "private-y", "data": {}}),
            "",
        ),
    ];
    for (frame, needle) in cases {
        alice.send(frame).await;
        let error = alice.frame().await;
        assert_eq!(error.event, "pusher:error");
        assert!(
            error.data["message"].as_str().unwrap().contains(needle),
            "{error:?}"
        );
    }
    alice.subscribe("private-y").await;
    alice
        .send(json!({"event": "client-x", "channel": "private-y", "data": "y".repeat(101)}))
        .await;
    let error = alice.frame().await;
    assert!(
        error.data["message"]
            .as_str()
            .unwrap()
            .contains("over the limit"),
        "{error:?}"
    );
    // Invalid JSON gets an error, and the connection stays usable.
    alice
        .ws
        .send(Message::Text(Utf8Bytes::from_static("{not json")))
        .await
        .unwrap();
    assert_eq!(alice.frame().await.event, "pusher:error");
    alice.assert_quiet().await;
    bob.assert_quiet().await;
}

#[tokio::test]
async fn client_events_are_refused_when_the_app_disables_them() {
    let server = server_with(|config| config.apps[0].client_events = false).await;
    let mut alice = connect(&server).await;
    alice.subscribe("private-z").await;
    alice
        .send(json!({"event": "client-x", "channel": "private-z", "data": {}}))
        .await;
    let error = alice.frame().await;
    assert!(
        error.data["message"].as_str().unwrap().contains("disabled"),
        "{error:?}"
    );
}

#[tokio::test]
async fn client_event_rate_limit_answers_4301_and_closes_abusers() {
    let server = server_with(|config| config.apps[0].limits.max_client_events_per_second = 3).await;
    let mut alice = connect(&server).await;
    let mut bob = connect(&server).await;
    alice.subscribe("private-r").await;
    bob.subscribe("private-r").await;
    for i in 0..4 {
        alice
            .send(json!({"event": "client-n", "channel": "private-r", "data": i}))
            .await;
    }
    let error = alice.frame().await;
    assert_eq!(error.event, "pusher:error");
    assert_eq!(error.data["code"], 4301);
    for _ in 0..3 {
        assert_eq!(bob.frame().await.event, "client-n");
    }
    bob.assert_quiet().await;
    // Far over the limit within the window: closed with 4301 (pusher-js won't reconnect).
    for i in 0..20 {
        if alice
            .ws
            .send(Message::Text(Utf8Bytes::from(
                json!({"event": "client-n", "channel": "private-r", "data": i}).to_string(),
            )))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(close_code(&mut alice.ws).await, 4301);
}

#[tokio::test]
async fn pings_pongs_and_the_activity_timeout() {
    let server = server_with(|config| {
        config.activity_timeout = Duration::from_secs(1);
        config.pong_timeout = Duration::from_millis(500);
    })
    .await;
    let mut client = connect(&server).await;
    client
        .send(json!({"event": "pusher:ping", "data": {}}))
        .await;
    assert_eq!(client.frame().await.event, "pusher:pong");
    // Silence: the server sends a WebSocket ping and `pusher:ping`.
    assert!(matches!(
        next_message(&mut client.ws).await,
        Message::Ping(_)
    ));
    assert_eq!(client.frame().await.event, "pusher:ping");
    client
        .send(json!({"event": "pusher:pong", "data": {}}))
        .await;
    // A client that only answers WebSocket pings (as browsers do by themselves) stays.
    assert!(matches!(
        next_message(&mut client.ws).await,
        Message::Ping(_)
    ));
    assert_eq!(client.frame().await.event, "pusher:ping");
    // Reading the ping queued a WebSocket pong; flushing sends it and nothing else. Had it
    // not counted, the server would close with 4201 after 500 ms; instead, a second
    // activity period passes and the server pings again.
    client.ws.flush().await.unwrap();
    assert!(matches!(
        next_message(&mut client.ws).await,
        Message::Ping(_)
    ));
    assert_eq!(client.frame().await.event, "pusher:ping");
    // A client that answers nothing at all: 4201.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(close_code(&mut client.ws).await, 4201);
}

#[tokio::test]
async fn signin_server_to_user_and_presence_as_the_signed_in_user() {
    let server = server().await;
    let mut alice = connect(&server).await;
    let user_data = json!({"id": "alice", "user_info": {"name": "Alice"}}).to_string();
    let ok = alice.signin(&user_data).await;
    assert_eq!(ok.event, "pusher:signin_success");
    assert_eq!(ok.data["user_data"], user_data.as_str());

    assert_eq!(
        alice.subscribe("#server-to-user-alice").await.event,
        "pusher_internal:subscription_succeeded"
    );
    assert_eq!(
        alice.subscribe("#server-to-user-bob").await.event,
        "pusher:subscription_error"
    );
    assert_eq!(publish(&server, "#server-to-user-alice", "notice", "hi"), 1);
    assert_eq!(alice.frame().await.event, "notice");

    // Presence without channel_data: the signed-in user joins.
    let auth = alice.auth("presence-team", None);
    alice
        .send(json!({"event": "pusher:subscribe", "data": {"channel": "presence-team", "auth": auth}}))
        .await;
    let joined = alice.frame().await;
    assert_eq!(
        joined.data,
        json!({"presence": {"ids": ["alice"], "hash": {"alice": {"name": "Alice"}}, "count": 1}})
    );

    // Not signed in: the server-to-user channel is refused.
    let mut mallory = connect(&server).await;
    let refused = mallory.subscribe("#server-to-user-alice").await;
    assert_eq!(refused.event, "pusher:subscription_error");
    assert_eq!(refused.data["status"], 403);

    // terminate_connections closes every connection of the user with 4009.
    let app = server.gateway().app_by_id("test-app").unwrap();
    assert_eq!(app.terminate_user(&"alice".parse().unwrap()), 1);
    assert_eq!(close_code(&mut alice.ws).await, 4009);
    mallory.assert_quiet().await;
}

#[tokio::test]
async fn a_bad_signin_is_refused_with_4009() {
    let server = server().await;
    let mut client = connect(&server).await;
    client
        .send(
            json!({"event": "pusher:signin", "data": {"auth": format!("{KEY}:{}", "ab".repeat(32)),
            "user_data": "{\"id\":\"x\"}"}}),
        )
        .await;
    let error = client.frame().await;
    assert_eq!(error.event, "pusher:error");
    assert_eq!(error.data["code"], 4009);
    assert_eq!(close_code(&mut client.ws).await, 4009);
}

#[tokio::test]
async fn signin_is_refused_when_user_authentication_is_off() {
    let server = server_with(|config| config.apps[0].user_authentication = false).await;
    let mut client = connect(&server).await;
    let error = client.signin("{\"id\":\"x\"}").await;
    assert_eq!(error.event, "pusher:error");
    assert!(error.data["message"].as_str().unwrap().contains("disabled"));
}

#[tokio::test]
async fn channels_per_connection_are_limited() {
    let server = server_with(|config| config.apps[0].limits.max_channels_per_connection = 2).await;
    let mut client = connect(&server).await;
    client.subscribe("a").await;
    client.subscribe("b").await;
    let refused = client.subscribe("c").await;
    assert_eq!(refused.event, "pusher:subscription_error");
    assert_eq!(refused.data["type"], "LimitReached");
    // Subscribing again to a channel it has is not a new subscription.
    assert_eq!(
        client.subscribe("a").await.event,
        "pusher_internal:subscription_succeeded"
    );
}

#[tokio::test]
async fn a_slow_consumer_is_closed_with_4100_and_does_not_stall_others() {
    let server = server_with(|config| config.apps[0].limits.outbound_queue = 8).await;
    let mut slow = connect(&server).await;
    let mut fast = connect(&server).await;
    slow.subscribe("firehose").await;
    fast.subscribe("firehose").await;
    // The slow client stops reading; the server keeps publishing 8 KiB frames.
    let payload = "x".repeat(8 * 1024);
    let fast_reader = tokio::spawn(async move {
        let mut count = 0_usize;
        while count < 2_000 {
            if fast.frame().await.event == "big" {
                count += 1;
            }
        }
        count
    });
    for _ in 0..2_000 {
        publish(&server, "firehose", "big", &payload);
        tokio::task::yield_now().await;
    }
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(30), fast_reader)
            .await
            .unwrap()
            .unwrap(),
        2_000
    );
    assert!(
        server
            .gateway()
            .metrics()
            .slow_consumers
            .load(Ordering::Relaxed)
            >= 1
    );
    assert_eq!(close_code(&mut slow.ws).await, 4100);
}

#[tokio::test]
async fn graceful_shutdown_closes_connections_with_4200() {
    let server = server().await;
    let mut client = connect(&server).await;
    client.subscribe("news").await;
    let metrics = std::sync::Arc::clone(server.gateway().metrics());
    let stopping = tokio::spawn(server.shutdown());
    assert_eq!(close_code(&mut client.ws).await, 4200);
    stopping.await.unwrap();
    assert_eq!(metrics.connections.load(Ordering::Relaxed), 0);
    assert_eq!(metrics.subscriptions.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn an_oversized_message_gets_an_error_and_close_1009() {
    let server = server().await;
    let mut client = connect(&server).await;
    let huge = json!({"event": "client-x", "channel": "private-a", "data": "x".repeat(300 * 1024)});
    client.send(huge).await;
    let error = client.frame().await;
    assert_eq!(error.event, "pusher:error");
    assert!(error.data["message"].as_str().unwrap().contains("bytes"));
    assert_eq!(close_code(&mut client.ws).await, 1009);
}

/// The events of every webhook received until `count` events have arrived.
async fn webhook_events(receiver: &mut webhook_receiver::Receiver, count: usize) -> Vec<Value> {
    let mut events = Vec::new();
    while events.len() < count {
        events.extend(receiver.next().await.events());
    }
    events
}

#[tokio::test]
async fn socket_activity_raises_the_webhooks_once_per_transition() {
    let mut receiver = webhook_receiver::receiver(webhook_receiver::ok).await;
    let url = receiver.url("/hooks");
    let server = server_with(|config| {
        config.webhooks.debounce = Duration::from_millis(300);
        config.apps[0].webhooks = vec![domvia_server::WebhookTarget::new(url, Vec::new())];
    })
    .await;
    let mut alice = connect(&server).await;
    let mut alice_phone = connect(&server).await;
    let mut bob = connect(&server).await;
    alice.join("presence-w", json!("alice"), json!(null)).await;
    alice_phone
        .join("presence-w", json!("alice"), json!(null))
        .await;
    bob.join("presence-w", json!("bob"), json!(null)).await;
    alice.frame().await; // member_added bob
    bob.send(json!({"event": "client-hi", "channel": "presence-w", "data": {"x": 1}}))
        .await;
    let events = webhook_events(&mut receiver, 4).await;
    let names: Vec<&str> = events.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "channel_occupied",
            "member_added",
            "member_added",
            "client_event"
        ]
    );
    assert_eq!(events[1]["user_id"], "alice");
    assert_eq!(events[2]["user_id"], "bob");
    assert_eq!(events[3]["event"], "client-hi");
    assert_eq!(events[3]["data"], "{\"x\":1}");
    assert_eq!(events[3]["user_id"], "bob");
    assert_eq!(events[3]["socket_id"], bob.socket_id.as_str());

    // Bob leaves and comes back within the debounce window: nothing is sent for him.
    bob.send(json!({"event": "pusher:unsubscribe", "data": {"channel": "presence-w"}}))
        .await;
    bob.join("presence-w", json!("bob"), json!(null)).await;
    // One of Alice's two connections leaves: she is still present, nothing is sent.
    alice_phone.ws.close(None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    bob.assert_quiet().await;
    assert!(
        receiver.drain().is_empty(),
        "a quick rejoin or a second device raised a webhook"
    );

    // Everyone leaves: member_removed twice and channel_vacated once, after the window.
    alice.ws.close(None).await.unwrap();
    bob.ws.close(None).await.unwrap();
    let mut events = webhook_events(&mut receiver, 3).await;
    events.sort_by_key(|e| {
        (
            e["name"].as_str().unwrap().to_owned(),
            e["user_id"].as_str().map(str::to_owned),
        )
    });
    let got: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["user_id"].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("channel_vacated", None),
            ("member_removed", Some("alice")),
            ("member_removed", Some("bob"))
        ]
    );
}

async fn http_get(server: &Server, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn metrics_and_health_reflect_live_state() {
    let server = server().await;
    let mut client = connect(&server).await;
    client.subscribe("news").await;
    client.subscribe("private-a").await;
    client
        .send(json!({"event": "pusher:subscribe", "data": {"channel": "private-b"}}))
        .await;
    client.frame().await; // refused: no auth
    let metrics = http_get(&server, "/metrics").await;
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(metrics.contains("text/plain; version=0.0.4"));
    assert!(metrics.contains("\ndomvia_connections 1\n"), "{metrics}");
    assert!(metrics.contains("\ndomvia_subscriptions 2\n"), "{metrics}");
    assert!(
        metrics.contains("domvia_errors_total{code=\"auth_malformed_token\"} 1"),
        "{metrics}"
    );
    let health = http_get(&server, "/health").await;
    assert!(
        health.starts_with("HTTP/1.1 200") && health.ends_with("{\"ok\":true}"),
        "{health}"
    );
    assert!(http_get(&server, "/nope").await.starts_with("HTTP/1.1 404"));
}

#[tokio::test]
async fn the_apps_message_budget_covers_client_events() {
    let server =
        server_with(|config| config.apps[0].limits.max_messages_per_second = Some(2)).await;
    let mut alice = connect(&server).await;
    let mut bob = connect(&server).await;
    alice.subscribe("private-m").await;
    bob.subscribe("private-m").await;
    for i in 0..3 {
        alice
            .send(json!({"event": "client-n", "channel": "private-m", "data": i}))
            .await;
    }
    let error = alice.frame().await;
    assert_eq!(error.event, "pusher:error");
    assert!(
        error.data["message"]
            .as_str()
            .unwrap()
            .contains("messages-per-second"),
        "{error:?}"
    );
    assert_eq!(bob.frame().await.data, json!(0));
    assert_eq!(bob.frame().await.data, json!(1));
    bob.assert_quiet().await;
    assert_eq!(
        server
            .gateway()
            .metrics()
            .error_count("app_message_rate_limited"),
        1
    );
}
