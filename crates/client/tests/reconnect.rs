#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
//! Keep-alive and reconnection: close codes, a restarted gateway, a silent gateway.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use domvia_client::{Backoff, ChannelStatus, Client, ConnectionState};
use domvia_protocol::CloseCode;
use domvia_server::Server;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::{builder, client, key, next, nothing, publish, server, server_with, within};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

fn close_all(server: &Server, code: CloseCode) {
    server
        .gateway()
        .app_by_key(support::KEY)
        .unwrap()
        .close_all(code);
}

/// Waits until `client` is connected with another socket id than `old`.
async fn reconnected(client: &Client, old: &domvia_protocol::SocketId) {
    let mut state = client.state();
    within(state.wait_for(|s| matches!(s, ConnectionState::Connected(id) if id != old)))
        .await
        .unwrap();
}

/// Waits until `channel` is subscribed (again).
async fn subscribed(channel: &domvia_client::Channel) {
    let mut status = channel.status().unwrap();
    within(status.wait_for(|s| matches!(s, ChannelStatus::Subscribed)))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_4200_close_reconnects_at_once_and_resubscribes() {
    let server = server().await;
    let alice = client(&server, "alice").await;
    let bob = client(&server, "bob").await;
    let alice_room = alice.subscribe("presence-room").await.unwrap();
    let alice_orders = alice.subscribe("private-orders").await.unwrap();
    let bob_orders = bob.subscribe("private-orders").await.unwrap();
    let mut alice_events = alice_orders.bind("client-note").unwrap();
    let alice_old = alice.socket_id().unwrap();
    let bob_old = bob.socket_id().unwrap();

    let started = tokio::time::Instant::now();
    close_all(&server, CloseCode::ReconnectImmediately);
    reconnected(&alice, &alice_old).await;
    reconnected(&bob, &bob_old).await;
    // Immediately: well under the 50 ms backoff base and its jitter.
    assert!(started.elapsed() < Duration::from_secs(2));
    subscribed(&alice_orders).await;
    subscribed(&alice_room).await;
    subscribed(&bob_orders).await;

    // The bindings made before the reconnect get events sent after it.
    bob_orders
        .trigger("client-note", &json!({"n": 1}))
        .await
        .unwrap();
    let event = next(&mut alice_events).await;
    assert_eq!(event.json::<Value>().unwrap(), json!({"n": 1}));
    // The presence roster came back whole with the new subscription.
    assert_eq!(alice_room.members().unwrap().len(), 1);
    assert_eq!(alice_room.me().unwrap().unwrap().as_str(), "alice");
}

#[tokio::test]
async fn a_restarted_gateway_is_reconnected_with_backoff() {
    let server = server().await;
    let addr = server.local_addr();
    let alice = client(&server, "alice").await;
    let bob = client(&server, "bob").await;
    let alice_orders = alice.subscribe("private-orders").await.unwrap();
    let bob_orders = bob.subscribe("private-orders").await.unwrap();
    let mut alice_events = alice_orders.bind("client-note").unwrap();
    let mut states = alice.state();
    let old = alice.socket_id().unwrap();

    server.shutdown().await;
    within(states.wait_for(|s| *s == ConnectionState::Unavailable))
        .await
        .unwrap();
    assert_eq!(alice.socket_id(), None);
    // Not connected: client events fail clearly instead of vanishing.
    let error = alice_orders
        .trigger("client-note", &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(error.code(), "not_connected" | "not_subscribed"),
        "{error:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    let server = Server::bind(support::config_on(addr)).await.unwrap();
    reconnected(&alice, &old).await;
    subscribed(&alice_orders).await;
    subscribed(&bob_orders).await;
    bob_orders
        .trigger("client-note", &json!({"n": 2}))
        .await
        .unwrap();
    assert_eq!(
        next(&mut alice_events).await.json::<Value>().unwrap()["n"],
        2
    );
    drop(server);
}

#[tokio::test]
async fn a_4100_close_reconnects_after_backing_off() {
    let server = server().await;
    let alice = Client::builder(support::url(&server), key())
        .backoff(Backoff::new(
            Duration::from_millis(400),
            Duration::from_millis(400),
        ))
        .connect()
        .unwrap();
    let old = within(alice.connected()).await.unwrap();
    let news = alice.subscribe("news").await.unwrap();
    let started = tokio::time::Instant::now();
    close_all(&server, CloseCode::OverCapacity);
    reconnected(&alice, &old).await;
    // At least half the step (the jitter's floor).
    assert!(started.elapsed() >= Duration::from_millis(200));
    subscribed(&news).await;
}

#[tokio::test]
async fn a_4009_close_is_final() {
    let server = server().await;
    let alice = client(&server, "alice").await;
    let orders = alice.subscribe("private-orders").await.unwrap();
    let mut binding = orders.bind_all().unwrap();
    let mut status = orders.status().unwrap();
    close_all(&server, CloseCode::Unauthorized);
    let mut state = alice.state();
    within(state.wait_for(|s| {
        *s == ConnectionState::Disconnected {
            close_code: Some(4009),
        }
    }))
    .await
    .unwrap();
    assert!(within(binding.recv()).await.is_none());
    within(status.wait_for(|s| matches!(s, ChannelStatus::Failed(_))))
        .await
        .unwrap();
    let error = alice.subscribe("news").await.unwrap_err();
    assert!(
        matches!(
            error,
            domvia_client::ClientError::Closed {
                close_code: Some(4009)
            }
        ),
        "{error:?}"
    );
    // Nothing reconnects behind our back.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server
            .gateway()
            .app_by_key(support::KEY)
            .unwrap()
            .connection_count(),
        0
    );
}

#[tokio::test]
async fn pings_keep_an_idle_connection_alive() {
    // The gateway pings after 1 s of silence and closes 1 s later without an answer.
    let pinging = server_with(|config| {
        config.activity_timeout = Duration::from_secs(1);
        config.pong_timeout = Duration::from_secs(1);
    })
    .await;
    let alice = client(&pinging, "alice").await;
    let id = alice.socket_id().unwrap();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(alice.socket_id(), Some(id));

    // The client pings on its own after its activity timeout; the gateway counts them.
    let quiet = server().await;
    let bob = support::builder(&quiet, "bob")
        .activity_timeout(Duration::from_millis(100))
        .connect()
        .unwrap();
    let id = within(bob.connected()).await.unwrap();
    let before = quiet
        .gateway()
        .metrics()
        .messages_in
        .load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let after = quiet
        .gateway()
        .metrics()
        .messages_in
        .load(Ordering::Relaxed);
    assert!(after - before >= 3, "{before} -> {after}");
    assert_eq!(bob.socket_id(), Some(id));
}

#[tokio::test]
async fn a_gateway_that_stops_answering_is_left_and_reconnected() {
    // A WebSocket server that says connection_established, then nothing at all.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let n = count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
                let data = json!({"socket_id": format!("{n}.1"), "activity_timeout": 120});
                let hello =
                    json!({"event": "pusher:connection_established", "data": data.to_string()});
                ws.send(Message::text(hello.to_string())).await.unwrap();
                // Read (so the socket stays open) but never answer.
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    let client = Client::builder(format!("ws://{addr}"), key())
        .activity_timeout(Duration::from_millis(200))
        .pong_timeout(Duration::from_millis(200))
        .backoff(Backoff::new(
            Duration::from_millis(20),
            Duration::from_millis(50),
        ))
        .connect()
        .unwrap();
    let first = within(client.connected()).await.unwrap();
    assert_eq!(first.as_str(), "0.1");
    reconnected(&client, &first).await;
    assert!(accepted.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn the_user_channel_gets_one_users_events_and_comes_back_after_a_reconnect() {
    let server = server().await;
    let dave = builder(&server, "dave").sign_in(true).connect().unwrap();
    let erin = builder(&server, "erin").sign_in(true).connect().unwrap();
    let dave_inbox = within(dave.user_channel()).await.unwrap();
    let erin_inbox = within(erin.user_channel()).await.unwrap();
    assert_eq!(dave_inbox.name().as_str(), "#server-to-user-dave");
    assert_eq!(dave.user().unwrap().as_str(), "dave");
    let mut dave_notices = dave_inbox.bind("notice").unwrap();
    let mut erin_notices = erin_inbox.bind("notice").unwrap();

    // What the app's server sends to dave reaches dave only (the SDKs' sendToUser).
    publish(&server, "#server-to-user-dave", "notice", &json!({"n": 1}));
    let event = next(&mut dave_notices).await;
    assert_eq!(event.json::<Value>().unwrap(), json!({"n": 1}));
    nothing(&mut erin_notices).await;

    // After a reconnect the user is signed in again and the channel subscribed again.
    let old = dave.socket_id().unwrap();
    close_all(&server, CloseCode::ReconnectImmediately);
    reconnected(&dave, &old).await;
    subscribed(&dave_inbox).await;
    publish(&server, "#server-to-user-dave", "notice", &json!({"n": 2}));
    let event = next(&mut dave_notices).await;
    assert_eq!(event.json::<Value>().unwrap(), json!({"n": 2}));

    // Without sign-in there is no user channel, said at once.
    let frank = client(&server, "frank").await;
    let error = frank.user_channel().await.unwrap_err();
    assert_eq!(error.code(), "sign_in_not_enabled");
    assert_eq!(frank.user(), None);
}
