//! Channel queries, presence users and user termination.

use std::sync::Arc;
use std::time::Duration;

use domvia_protocol::{CloseCode, SocketId, UserId};
use domvia_server::{App, ConnHandle};
use http::{Method, StatusCode};
use serde_json::json;

use super::harness::*;

#[tokio::test]
async fn channel_list_with_prefix_and_user_count() {
    let h = Harness::start().await;
    h.member(1, "presence-room", "u1");
    h.member(2, "presence-room", "u2");
    h.member(3, "presence-hall", "u1");
    h.subscriber(4, &["news", "private-chat"]);

    let reply = h.get("channels", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json,
        json!({ "channels": {
            "news": {}, "presence-hall": {}, "presence-room": {}, "private-chat": {}
        }})
    );

    let reply = h
        .get(
            "channels",
            &[("filter_by_prefix", "presence-"), ("info", "user_count")],
        )
        .await;
    assert_eq!(
        (reply.status, reply.json),
        (
            StatusCode::OK,
            json!({ "channels": {
                "presence-hall": { "user_count": 1 }, "presence-room": { "user_count": 2 }
            }})
        )
    );

    let reply = h.get("channels", &[("filter_by_prefix", "priv")]).await;
    assert_eq!(reply.json, json!({ "channels": { "private-chat": {} } }));

    for params in [
        &[("info", "user_count")][..],
        &[("filter_by_prefix", "private-"), ("info", "user_count")],
        &[("filter_by_prefix", "presenc"), ("info", "user_count")],
    ] {
        let reply = h.get("channels", params).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "only available for presence");
    }
    assert_eq!(h.error_count("api_user_count_needs_presence"), 3);
}

#[tokio::test]
async fn one_channel_info() {
    let h = Harness::start().await;
    h.member(1, "presence-room", "u1");
    h.member(2, "presence-room", "u1");
    h.member(3, "presence-room", "u2");
    h.subscriber(4, &["news", "#server-to-user-u9"]);

    let cases = [
        ("news", &[][..], json!({ "occupied": true })),
        (
            "news",
            &[("info", "subscription_count")],
            json!({ "occupied": true, "subscription_count": 1 }),
        ),
        ("quiet", &[][..], json!({ "occupied": false })),
        (
            "quiet",
            &[("info", "subscription_count")],
            json!({ "occupied": false, "subscription_count": 0 }),
        ),
        (
            "presence-room",
            &[("info", "user_count,subscription_count")],
            json!({ "occupied": true, "user_count": 2, "subscription_count": 3 }),
        ),
        (
            "presence-room",
            &[("info", "user_count")],
            json!({ "occupied": true, "user_count": 2 }),
        ),
        ("%23server-to-user-u9", &[][..], json!({ "occupied": true })),
    ];
    for (name, params, expected) in cases {
        let reply = h.get(&format!("channels/{name}"), params).await;
        assert_eq!(
            (reply.status, reply.json),
            (StatusCode::OK, expected),
            "{name}"
        );
    }

    // `info` with an encoded comma signs and reads the same.
    let path = format!("/apps/{APP_ID}/channels/presence-room");
    let params = [("info", "user_count,subscription_count")];
    let query = sign("GET", &path, &params, b"", &key(), &secret(), now()).replace(
        "user_count,subscription_count",
        "user_count%2Csubscription_count",
    );
    let reply = h.raw(Method::GET, &format!("{path}?{query}"), vec![]).await;
    assert_eq!(
        reply.json,
        json!({ "occupied": true, "user_count": 2, "subscription_count": 3 })
    );

    let reply = h.get("channels/news", &[("info", "user_count")]).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "only available for presence");
    let reply = h.get("channels/bad%20name", &[]).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid channel name");
    let reply = h.get("channels/%FF", &[]).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "malformed path");
}

#[tokio::test]
async fn presence_users() {
    let h = Harness::start().await;
    h.member(1, "presence-room", "u1");
    h.member(2, "presence-room", "u1");
    h.member(3, "presence-room", "u2");
    h.subscriber(4, &["news"]);

    let reply = h.get("channels/presence-room/users", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    let mut ids: Vec<&str> = reply.json["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| {
            assert_eq!(user.as_object().unwrap().len(), 1);
            user["id"].as_str().unwrap()
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["u1", "u2"]);

    let reply = h.get("channels/presence-empty/users", &[]).await;
    assert_eq!(
        (reply.status, reply.json),
        (StatusCode::OK, json!({ "users": [] }))
    );

    for name in ["news", "private-chat"] {
        let reply = h.get(&format!("channels/{name}/users"), &[]).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "only available for presence");
    }
    assert_eq!(h.error_count("api_not_presence"), 2);
}

/// A registered, signed-in fake connection, as the socket layer would record it.
fn signed_in(app: &App, n: u64, user: &str) -> Arc<ConnHandle> {
    let handle = Arc::new(ConnHandle::new(SocketId::from_parts(n, n)));
    app.register(Arc::clone(&handle)).unwrap();
    app.sign_in(handle.socket_id(), &user.parse::<UserId>().unwrap());
    handle
}

async fn closed_with(handle: &ConnHandle) -> Option<CloseCode> {
    tokio::time::timeout(Duration::from_millis(200), handle.closed())
        .await
        .ok()
}

#[tokio::test]
async fn terminate_user_connections() {
    let h = Harness::start().await;
    let laptop = signed_in(h.app(), 1, "u1");
    let phone = signed_in(h.app(), 2, "u1");
    let bystander = signed_in(h.app(), 3, "u2");

    // pusher-http-node posts `{}`.
    let reply = h.post("users/u1/terminate_connections", &json!({})).await;
    assert_eq!((reply.status, reply.json), (StatusCode::OK, json!({})));
    assert_eq!(closed_with(&laptop).await, Some(CloseCode::Unauthorized));
    assert_eq!(closed_with(&phone).await, Some(CloseCode::Unauthorized));
    assert_eq!(closed_with(&bystander).await, None);

    // An unknown user is not an error.
    let reply = h
        .post("users/nobody/terminate_connections", &json!({}))
        .await;
    assert_eq!((reply.status, reply.json), (StatusCode::OK, json!({})));

    let reply = h.get("users/u2/terminate_connections", &[]).await;
    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "POST");
    assert_eq!(closed_with(&bystander).await, None);
}

#[tokio::test]
async fn sdk_signed_decoded_paths_are_accepted() {
    let h = Harness::start().await;
    let user = "zoë b";
    let handle = signed_in(h.app(), 1, user);
    // pusher-http-node signs `/users/${userId}/…` as is; its HTTP client then encodes it.
    let signed_path = format!("/apps/{APP_ID}/users/{user}/terminate_connections");
    let sent_path = format!("/apps/{APP_ID}/users/zo%C3%AB%20b/terminate_connections");
    let body = b"{}";

    let query = sign("POST", &signed_path, &[], body, &key(), &secret(), now());
    let reply = h
        .raw(Method::POST, &format!("{sent_path}?{query}"), body.to_vec())
        .await;
    assert_eq!((reply.status, reply.json), (StatusCode::OK, json!({})));
    assert_eq!(closed_with(&handle).await, Some(CloseCode::Unauthorized));

    // Signed over the encoded path works too, and any other path does not.
    let query = sign("POST", &sent_path, &[], body, &key(), &secret(), now());
    let reply = h
        .raw(Method::POST, &format!("{sent_path}?{query}"), body.to_vec())
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let other = format!("/apps/{APP_ID}/users/other/terminate_connections");
    let query = sign("POST", &other, &[], body, &key(), &secret(), now());
    let reply = h
        .raw(Method::POST, &format!("{sent_path}?{query}"), body.to_vec())
        .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "invalid auth_signature");

    let reply = h
        .post("users/bad%01user/terminate_connections", &json!({}))
        .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid user id");
}
