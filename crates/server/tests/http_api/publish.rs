//! Publishing: single and multi-channel events, `sendToUser`, batches, info and limits.

use http::{StatusCode, header};
use serde_json::json;

use super::harness::*;

#[tokio::test]
async fn trigger_delivers_the_exact_frame() {
    let h = Harness::start().await;
    let (_, alice) = h.subscriber(1, &["news"]);
    let (_, bob) = h.subscriber(2, &["news"]);
    let (_, other) = h.subscriber(3, &["sport"]);
    let data = r#"{"hi":"there"}"#;

    let reply = h
        .post(
            "events",
            &json!({ "name": "greet", "channels": ["news"], "data": data }),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, json!({}));
    assert_eq!(
        reply.headers[header::CONTENT_TYPE].to_str().unwrap(),
        "application/json"
    );
    let frame = event_frame("greet", "news", data);
    assert_eq!(frames(&alice), vec![frame.clone()]);
    assert_eq!(frames(&bob), vec![frame]);
    assert!(frames(&other).is_empty());
    assert_eq!(h.api_events(), 1);
}

#[tokio::test]
async fn single_channel_field_and_non_string_data() {
    let h = Harness::start().await;
    let (_, inbox) = h.subscriber(1, &["news"]);

    let reply = h
        .post(
            "events",
            &json!({ "name": "e", "channel": "news", "data": { "a": [1, 2] } }),
        )
        .await;
    assert_eq!((reply.status, reply.json), (StatusCode::OK, json!({})));
    let reply = h
        .post(
            "events",
            &json!({ "name": "e", "channel": "news", "data": 7 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    assert_eq!(
        frames(&inbox),
        vec![
            event_frame("e", "news", r#"{"a":[1,2]}"#),
            event_frame("e", "news", "7")
        ]
    );
}

#[tokio::test]
async fn socket_id_excludes_that_connection() {
    let h = Harness::start().await;
    let (sender, sender_inbox) = h.subscriber(1, &["news"]);
    let (_, other_inbox) = h.subscriber(2, &["news"]);

    let reply = h
        .post(
            "events",
            &json!({ "name": "e", "channels": ["news"], "data": "x", "socket_id": sender.as_str() }),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert!(frames(&sender_inbox).is_empty());
    assert_eq!(frames(&other_inbox), vec![event_frame("e", "news", "x")]);

    for bad in ["abc", "1.", "1.2.3", "-1.2"] {
        let reply = h
            .post(
                "events",
                &json!({ "name": "e", "channels": ["news"], "data": "x", "socket_id": bad }),
            )
            .await;
        reply.assert_error(StatusCode::BAD_REQUEST, "socket_id");
    }
    assert!(frames(&other_inbox).is_empty());
    assert_eq!(h.error_count("api_invalid_socket_id"), 4);
}

#[tokio::test]
async fn one_event_reaches_up_to_100_channels() {
    let h = Harness::start().await;
    let (_, inbox) = h.subscriber(1, &["c0", "c50", "c99"]);
    let hundred: Vec<String> = (0..100).map(|i| format!("c{i}")).collect();

    let reply = h
        .post(
            "events",
            &json!({ "name": "e", "channels": hundred, "data": "d" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        frames(&inbox),
        vec![
            event_frame("e", "c0", "d"),
            event_frame("e", "c50", "d"),
            event_frame("e", "c99", "d")
        ]
    );
    assert_eq!(h.api_events(), 100);

    let hundred_one: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
    let reply = h
        .post(
            "events",
            &json!({ "name": "e", "channels": hundred_one, "data": "d" }),
        )
        .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "at most 100 channels");
    assert!(frames(&inbox).is_empty());
    assert_eq!(h.api_events(), 100);
    assert_eq!(h.error_count("api_too_many_channels"), 1);
}

#[tokio::test]
async fn invalid_events_are_refused_and_not_published() {
    let h = Harness::start().await;
    let (_, inbox) = h.subscriber(1, &["news"]);
    let long_name = "e".repeat(201);
    let cases = [
        (
            json!({ "name": "e", "channels": ["news", "a b"], "data": "x" }),
            "invalid channel name",
            "api_invalid_channel",
        ),
        (
            json!({ "name": "e", "channels": ["#private-x"], "data": "x" }),
            "invalid channel name",
            "api_invalid_channel",
        ),
        (
            json!({ "name": "", "channels": ["news"], "data": "x" }),
            "invalid event name",
            "api_invalid_event_name",
        ),
        (
            json!({ "name": long_name, "channels": ["news"], "data": "x" }),
            "invalid event name",
            "api_invalid_event_name",
        ),
        (
            json!({ "name": "pusher:error", "channels": ["news"], "data": "x" }),
            "reserved",
            "api_reserved_event_name",
        ),
        (
            json!({ "name": "pusher_internal:member_added", "channel": "news", "data": "x" }),
            "reserved",
            "api_reserved_event_name",
        ),
        (
            json!({ "name": "e", "channels": [], "data": "x" }),
            "needs `channels`",
            "api_missing_channels",
        ),
        (
            json!({ "name": "e", "data": "x" }),
            "needs `channels`",
            "api_missing_channels",
        ),
        (
            json!({ "name": "e", "channel": "news", "channels": ["news"], "data": "x" }),
            "not both",
            "api_ambiguous_channels",
        ),
        (
            json!({ "name": "e", "channels": ["news"] }),
            "needs `data`",
            "api_missing_data",
        ),
        (
            json!({ "name": "e", "channels": ["news"], "data": null }),
            "needs `data`",
            "api_missing_data",
        ),
    ];
    for (body, text, code) in &cases {
        let before = h.error_count(code);
        let reply = h.post("events", body).await;
        reply.assert_error(StatusCode::BAD_REQUEST, text);
        assert_eq!(h.error_count(code), before + 1, "{code}");
    }
    assert!(frames(&inbox).is_empty());
    assert_eq!(h.api_events(), 0);
}

#[tokio::test]
async fn send_to_user_publishes_on_the_server_to_user_channel() {
    let h = Harness::start().await;
    let (_, inbox) = h.subscriber(1, &["#server-to-user-u1"]);

    let reply = h
        .post(
            "events",
            &json!({ "name": "notice", "channels": ["#server-to-user-u1"], "data": "{}" }),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        frames(&inbox),
        vec![event_frame("notice", "#server-to-user-u1", "{}")]
    );
}

#[tokio::test]
async fn data_over_the_payload_limit_is_413() {
    let h = Harness::start().await;
    let (_, inbox) = h.subscriber(1, &["news"]);
    let max = "x".repeat(10_240);

    let reply = h
        .post(
            "events",
            &json!({ "name": "e", "channels": ["news"], "data": max }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(frames(&inbox), vec![event_frame("e", "news", &max)]);

    let over = "x".repeat(10_241);
    let reply = h
        .post(
            "events",
            &json!({ "name": "e", "channels": ["news"], "data": over }),
        )
        .await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "10241 bytes");
    let reply = h
        .post(
            "batch_events",
            &json!({ "batch": [{ "name": "e", "channel": "news", "data": over }] }),
        )
        .await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "batch event 0");
    assert!(frames(&inbox).is_empty());
    assert_eq!(h.error_count("api_payload_too_large"), 2);
}

#[tokio::test]
async fn trigger_info_reports_counts_per_channel() {
    let h = Harness::start().await;
    h.member(1, "presence-room", "u1");
    h.member(2, "presence-room", "u1");
    h.member(3, "presence-room", "u2");
    h.subscriber(4, &["news"]);

    let reply = h
        .post(
            "events",
            &json!({
                "name": "e",
                "channels": ["presence-room", "news", "empty"],
                "data": "x",
                "info": "user_count,subscription_count",
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json,
        json!({ "channels": {
            "presence-room": { "user_count": 2, "subscription_count": 3 },
            "news": { "subscription_count": 1 },
            "empty": { "subscription_count": 0 },
        }})
    );

    let reply = h
        .post(
            "events",
            &json!({ "name": "e", "channels": ["presence-room", "news"], "data": "x", "info": "user_count" }),
        )
        .await;
    assert_eq!(
        reply.json,
        json!({ "channels": { "presence-room": { "user_count": 2 }, "news": {} } })
    );
}

#[tokio::test]
async fn batch_publishes_every_event_and_reports_info() {
    let h = Harness::start().await;
    let (sender, sender_inbox) = h.subscriber(1, &["news", "sport"]);
    let (_, other) = h.subscriber(2, &["news"]);

    let reply = h
        .post(
            "batch_events",
            &json!({ "batch": [
                { "channel": "news", "name": "a", "data": "1" },
                { "channel": "sport", "name": "b", "data": { "k": true } },
                { "channel": "news", "name": "c", "data": "3", "socket_id": sender.as_str() },
            ]}),
        )
        .await;
    assert_eq!((reply.status, reply.json), (StatusCode::OK, json!({})));
    assert_eq!(
        frames(&sender_inbox),
        vec![
            event_frame("a", "news", "1"),
            event_frame("b", "sport", r#"{"k":true}"#)
        ]
    );
    assert_eq!(
        frames(&other),
        vec![event_frame("a", "news", "1"), event_frame("c", "news", "3")]
    );
    assert_eq!(h.api_events(), 3);

    let reply = h
        .post(
            "batch_events",
            &json!({ "batch": [
                { "channel": "news", "name": "a", "data": "1", "info": "subscription_count" },
                { "channel": "sport", "name": "b", "data": "2" },
            ]}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.json),
        (
            StatusCode::OK,
            json!({ "batch": [{ "subscription_count": 2 }, {}] })
        )
    );
}

#[tokio::test]
async fn batch_limit_and_all_or_nothing() {
    let h = Harness::start().await;
    let (_, inbox) = h.subscriber(1, &["news"]);
    let event = json!({ "channel": "news", "name": "e", "data": "x" });

    let ten = vec![event.clone(); 10];
    let reply = h.post("batch_events", &json!({ "batch": ten })).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(frames(&inbox).len(), 10);

    let eleven = vec![event.clone(); 11];
    let reply = h.post("batch_events", &json!({ "batch": eleven })).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "at most 10 events");
    assert!(frames(&inbox).is_empty());

    let bad_second = [
        json!({ "channel": "bad channel", "name": "e", "data": "x" }),
        json!({ "channel": "news", "name": "", "data": "x" }),
        json!({ "channel": "news", "name": "e", "data": "x", "socket_id": "nope" }),
        json!({ "channel": "news", "name": "e" }),
    ];
    for bad in bad_second {
        let reply = h
            .post("batch_events", &json!({ "batch": [event.clone(), bad] }))
            .await;
        reply.assert_error(StatusCode::BAD_REQUEST, "batch event 1: ");
    }
    assert!(frames(&inbox).is_empty());
    assert_eq!(h.api_events(), 10);
    assert_eq!(h.error_count("api_too_many_batch_events"), 1);
}
