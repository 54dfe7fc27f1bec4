#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
//! Client events between clients, and presence members, through the real gateway.

mod support;

use domvia_client::ClientError;
use futures_util::StreamExt;
use serde_json::{Value, json};
use support::{client, next, nothing, server, server_with, within};

#[tokio::test]
async fn client_events_flow_between_two_clients() {
    let server = server().await;
    let alice = client(&server, "alice").await;
    let bob = client(&server, "bob").await;
    let alice_orders = alice.subscribe("private-orders").await.unwrap();
    let bob_orders = bob.subscribe("private-orders").await.unwrap();
    let mut bob_typing = bob_orders.bind("client-typing").unwrap();
    let mut alice_all = alice_orders.bind_all().unwrap();

    alice_orders
        .trigger("client-typing", &json!({"who": "alice"}))
        .await
        .unwrap();
    let event = next(&mut bob_typing).await;
    assert_eq!(event.event.as_str(), "client-typing");
    assert_eq!(event.channel.as_str(), "private-orders");
    assert_eq!(event.json::<Value>().unwrap(), json!({"who": "alice"}));
    assert_eq!(event.user_id, None); // only presence channels name the sender
    // Never echoed to the sender.
    nothing(&mut alice_all).await;

    // Bindings are streams too.
    bob_orders.trigger("client-reply", "hello").await.unwrap();
    let event = within(alice_all.next()).await.unwrap();
    // A string is relayed as its text, as Pusher does: data is `hello`, not `"hello"`.
    assert_eq!(event.data, "hello");
    assert_eq!(event.json::<String>().unwrap_err().code(), "invalid_data");
}

#[tokio::test]
async fn refused_client_events_come_back_as_gateway_errors() {
    let server = server_with(|config| config.apps[0].client_events = false).await;
    let alice = client(&server, "alice").await;
    let mut errors = alice.gateway_errors();
    let orders = alice.subscribe("private-orders").await.unwrap();
    orders.trigger("client-typing", &json!({})).await.unwrap();
    let error = within(errors.recv()).await.unwrap();
    assert!(matches!(error, ClientError::Gateway { .. }), "{error:?}");
    assert_eq!(error.code(), "gateway_error");
}

#[tokio::test]
async fn presence_members_are_kept_up_to_date() {
    let server = server().await;
    let alice = client(&server, "alice").await;
    let room = alice.subscribe("presence-room").await.unwrap();
    assert_eq!(room.me().unwrap().unwrap().as_str(), "alice");
    let ids = |room: &domvia_client::Channel| -> Vec<String> {
        room.members()
            .unwrap()
            .keys()
            .map(|id| id.as_str().to_owned())
            .collect()
    };
    assert_eq!(ids(&room), ["alice"]);
    let mut added = room.bind("pusher:member_added").unwrap();
    let mut removed = room.bind("pusher:member_removed").unwrap();
    let mut events = room.bind("client-hi").unwrap();

    let bob = client(&server, "bob").await;
    let bob_room = bob.subscribe("presence-room").await.unwrap();
    let event = next(&mut added).await;
    assert_eq!(event.user_id.as_ref().unwrap().as_str(), "bob");
    assert_eq!(
        event.json::<Value>().unwrap(),
        json!({"user_id": "bob", "user_info": {"name": "bob"}})
    );
    assert_eq!(ids(&room), ["alice", "bob"]);
    assert_eq!(ids(&bob_room), ["alice", "bob"]);
    assert_eq!(
        room.members().unwrap()[&"bob".parse().unwrap()],
        json!({"name": "bob"})
    );

    // Client events on presence channels carry the sender's user id.
    bob_room.trigger("client-hi", &json!(1)).await.unwrap();
    assert_eq!(next(&mut events).await.user_id.unwrap().as_str(), "bob");

    bob_room.unsubscribe();
    let event = next(&mut removed).await;
    assert_eq!(event.json::<Value>().unwrap(), json!({"user_id": "bob"}));
    assert_eq!(ids(&room), ["alice"]);

    // A dropped connection leaves too.
    let carol = client(&server, "carol").await;
    let _carol_room = carol.subscribe("presence-room").await.unwrap();
    assert_eq!(next(&mut added).await.user_id.unwrap().as_str(), "carol");
    carol.disconnect();
    assert_eq!(next(&mut removed).await.user_id.unwrap().as_str(), "carol");
    assert_eq!(ids(&room), ["alice"]);
}
