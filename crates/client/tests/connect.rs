#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
//! Connecting, public channels and the errors caught before anything is sent, against
//! the real gateway.

mod support;

use std::sync::Arc;
use std::time::Duration;

use domvia_client::{Client, ClientError, ConnectionState};
use domvia_protocol::ServerFrame;
use serde_json::{Value, json};
use support::{builder, client, key, next, nothing, publish, server, url, within};

#[tokio::test]
async fn connects_and_reports_its_socket_id() {
    let server = server().await;
    let client = builder(&server, "alice").connect().unwrap();
    let socket_id = within(client.connected()).await.unwrap();
    assert_eq!(client.socket_id(), Some(socket_id.clone()));
    assert_eq!(
        *client.state().borrow(),
        ConnectionState::Connected(socket_id)
    );
    client.disconnect();
    let mut state = client.state();
    within(state.wait_for(|s| matches!(s, ConnectionState::Disconnected { close_code: None })))
        .await
        .unwrap();
    assert_eq!(client.socket_id(), None);
    assert_eq!(client.subscribe("news").await.unwrap_err().code(), "closed");
}

#[tokio::test]
async fn public_channel_bind_and_bind_all() {
    let server = server().await;
    let client = client(&server, "alice").await;
    let news = client.subscribe("news").await.unwrap();
    assert_eq!(news.name().as_str(), "news");
    let mut shipped = news.bind("order-shipped").unwrap();
    let mut all = news.bind_all().unwrap();

    publish(&server, "news", "order-created", &json!({"id": 1}));
    publish(&server, "news", "order-shipped", &json!({"id": 1}));

    let event = next(&mut shipped).await;
    assert_eq!(event.event.as_str(), "order-shipped");
    assert_eq!(event.channel.as_str(), "news");
    assert_eq!(event.json::<Value>().unwrap(), json!({"id": 1}));
    assert_eq!(next(&mut all).await.event.as_str(), "order-created");
    assert_eq!(next(&mut all).await.event.as_str(), "order-shipped");
    nothing(&mut shipped).await;

    // Subscribing again gives another handle to the same subscription.
    let again = client.subscribe("news").await.unwrap();
    let mut third = again.bind("order-shipped").unwrap();
    publish(&server, "news", "order-shipped", &json!({"id": 2}));
    assert_eq!(next(&mut third).await.json::<Value>().unwrap()["id"], 2);
    assert_eq!(next(&mut shipped).await.json::<Value>().unwrap()["id"], 2);

    // Non-JSON data is an error from json(), not a panic.
    publish(&server, "news", "order-shipped", &json!("not an object"));
    let event = next(&mut shipped).await;
    assert_eq!(event.data, "\"not an object\"");
    assert!(event.json::<Vec<u8>>().is_err());
}

#[tokio::test]
async fn unsubscribe_ends_bindings_and_stops_events() {
    let server = server().await;
    let client = client(&server, "alice").await;
    let news = client.subscribe("news").await.unwrap();
    let mut binding = news.bind_all().unwrap();
    let handle = news.clone();
    news.unsubscribe();
    assert!(within(binding.recv()).await.is_none());
    assert_eq!(handle.bind_all().unwrap_err().code(), "not_subscribed");
    assert_eq!(handle.status().unwrap_err().code(), "not_subscribed");
    // The gateway forgot the subscription: nothing is delivered.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let app = server.gateway().app_by_key(support::KEY).unwrap();
    let frame = ServerFrame::Event {
        event: "e".parse().unwrap(),
        channel: "news".parse().unwrap(),
        data: "{}".into(),
        user_id: None,
    };
    let report = app
        .broker()
        .publish(&"news".parse().unwrap(), Arc::from(frame.to_json()), None);
    assert_eq!(report.delivered, 0);
}

#[tokio::test]
async fn disconnect_ends_every_binding() {
    let server = server().await;
    let client = client(&server, "alice").await;
    let news = client.subscribe("news").await.unwrap();
    let mut binding = news.bind_all().unwrap();
    client.disconnect();
    assert!(within(binding.recv()).await.is_none());
}

#[tokio::test]
async fn checks_before_sending() {
    let server = server().await;
    let client = client(&server, "alice").await;

    let error = client.subscribe("bad channel").await.unwrap_err();
    assert_eq!(error.code(), "invalid_channel");
    // The gateway subscribes a signed-in user to its own channel; asking is refused.
    let error = client.subscribe("#server-to-user-x").await.unwrap_err();
    assert_eq!(error.code(), "subscription_refused", "{error:?}");

    let news = client.subscribe("news").await.unwrap();
    let error = news.trigger("client-hi", &json!({})).await.unwrap_err();
    assert!(matches!(error, ClientError::ClientEventsNotAllowed { .. }));
    assert_eq!(error.code(), "client_events_not_allowed");
    assert_eq!(news.bind("").unwrap_err().code(), "invalid_event");
    assert_eq!(news.members().unwrap_err().code(), "not_presence");

    let private = client.subscribe("private-x").await.unwrap();
    let error = private.trigger("hi", &json!({})).await.unwrap_err();
    assert_eq!(error.code(), "invalid_event");
    let error = private
        .trigger("pusher:ping", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_event");
}

#[tokio::test]
async fn bad_urls_and_missing_tls_are_refused_at_once() {
    for bad in ["http://127.0.0.1:1", "127.0.0.1:6001", "ws://user:pw@host"] {
        let error = Client::builder(bad, key()).connect().unwrap_err();
        assert_eq!(error.code(), "invalid_url", "{bad}");
    }
    // wss:// without a TLS configuration uses the public web's roots (tests/tls.rs).
    assert!(
        Client::builder("wss://localhost:1", key())
            .connect()
            .is_ok()
    );
}

#[tokio::test]
async fn an_unknown_app_key_closes_for_good() {
    let server = server().await;
    let client = Client::builder(url(&server), "no-such-key".parse().unwrap())
        .connect()
        .unwrap();
    let error = within(client.connected()).await.unwrap_err();
    assert!(
        matches!(
            error,
            ClientError::Closed {
                close_code: Some(4001)
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        *client.state().borrow(),
        ConnectionState::Disconnected {
            close_code: Some(4001)
        }
    );
}

#[tokio::test]
async fn an_unreachable_gateway_is_unavailable_and_retried() {
    // A port nobody listens on (bound, then released).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::builder(format!("ws://{addr}"), key())
        .backoff(domvia_client::Backoff::new(
            Duration::from_millis(20),
            Duration::from_millis(50),
        ))
        .connect()
        .unwrap();
    let mut state = client.state();
    within(state.wait_for(|s| *s == ConnectionState::Unavailable))
        .await
        .unwrap();
    // It keeps trying: once the gateway is there, it connects.
    let server = domvia_server::Server::bind(support::config_on(addr))
        .await
        .unwrap();
    within(client.connected()).await.unwrap();
    assert_eq!(server.local_addr(), addr);
}

#[tokio::test]
async fn disconnect_does_not_wait_for_a_stuck_handshake() {
    // Accepts TCP connections and never answers the WebSocket upgrade.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let client = Client::builder(format!("ws://{addr}"), key())
        .connect_timeout(Duration::from_secs(60))
        .connect()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(*client.state().borrow(), ConnectionState::Connecting);
    let news = tokio::spawn({
        let client = client.clone();
        async move { client.subscribe("news").await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.disconnect();
    let mut state = client.state();
    within(state.wait_for(|s| matches!(s, ConnectionState::Disconnected { close_code: None })))
        .await
        .unwrap();
    // The pending subscription fails instead of waiting out its timeout.
    assert_eq!(within(news).await.unwrap().unwrap_err().code(), "closed");
}
