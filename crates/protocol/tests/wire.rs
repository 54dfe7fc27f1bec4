//! Frames exactly as pusher-js sends and expects them, every frame error, and properties
//! (the parsers never panic; channel names round-trip). Signatures are in `signatures.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed assumption should stop the test loudly"
)]

use domvia_protocol::{
    AppKey, AppSecret, ChannelKind, ChannelName, ClientFrame, CloseCode, FrameError,
    PresenceMember, PresenceSnapshot, ServerFrame, SocketId, verify_channel, verify_request,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// A server frame as pusher-js sees it after `decodeMessage`: `data` JSON-parsed when it is
/// a string. Comparing values keeps the tests independent of key order.
fn decoded(frame: &ServerFrame) -> (Value, Option<Value>) {
    let outer: Value = serde_json::from_str(&frame.to_json()).unwrap();
    let inner = outer["data"]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok());
    (outer, inner)
}

fn chan(s: &str) -> ChannelName {
    s.parse().unwrap()
}

// ---- client → server, as pusher-js `send_event` writes them ----

#[test]
fn pusher_js_subscribe_frames() {
    // Public channel: pusher-js's Channel.subscribe sends auth/channel_data undefined,
    // which JSON.stringify drops.
    let frame =
        ClientFrame::parse(r#"{"event":"pusher:subscribe","data":{"channel":"my-channel"}}"#)
            .unwrap();
    assert_eq!(
        frame,
        ClientFrame::Subscribe {
            channel: chan("my-channel"),
            auth: None,
            channel_data: None
        }
    );

    let frame = ClientFrame::parse(
        r#"{"event":"pusher:subscribe","data":{"auth":"278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4","channel":"private-foobar"}}"#,
    )
    .unwrap();
    let ClientFrame::Subscribe {
        channel,
        auth,
        channel_data,
    } = frame
    else {
        panic!()
    };
    assert_eq!(channel.kind(), ChannelKind::Private);
    assert_eq!(channel_data, None);
    let key: AppKey = "278d425bdf160c739803".parse().unwrap();
    let secret = AppSecret::new("7ad3773142a6692b25b8").unwrap();
    let socket: SocketId = "1234.1234".parse().unwrap();
    verify_channel(&auth.unwrap(), &key, &secret, &socket, &channel, None).unwrap();

    // Presence: channel_data is a JSON *string*, signed verbatim.
    let frame = ClientFrame::parse(
        r#"{"event":"pusher:subscribe","data":{"auth":"k:s","channel_data":"{\"user_id\":10,\"user_info\":{\"name\":\"Mr. Channels\"}}","channel":"presence-foobar"}}"#,
    )
    .unwrap();
    let ClientFrame::Subscribe { channel_data, .. } = frame else {
        panic!()
    };
    let member = PresenceMember::from_channel_data(&channel_data.unwrap()).unwrap();
    assert_eq!(member.user_id.as_str(), "10");
}

#[test]
fn pusher_js_other_client_frames() {
    assert_eq!(
        ClientFrame::parse(r#"{"event":"pusher:unsubscribe","data":{"channel":"my-channel"}}"#)
            .unwrap(),
        ClientFrame::Unsubscribe {
            channel: chan("my-channel")
        }
    );
    assert_eq!(
        ClientFrame::parse(r#"{"event":"pusher:ping","data":{}}"#).unwrap(),
        ClientFrame::Ping
    );
    assert_eq!(
        ClientFrame::parse(r#"{"event":"pusher:pong","data":{}}"#).unwrap(),
        ClientFrame::Pong
    );
    assert_eq!(
        ClientFrame::parse(r#"{"event":"pusher:ping"}"#).unwrap(),
        ClientFrame::Ping
    );
    // UserFacade._onAuthorize: send_event('pusher:signin', {auth, user_data}).
    assert_eq!(
        ClientFrame::parse(
            r#"{"event":"pusher:signin","data":{"auth":"1234:f4b1","user_data":"{\"id\":\"45678\"}"}}"#
        )
        .unwrap(),
        ClientFrame::Signin { auth: "1234:f4b1".into(), user_data: r#"{"id":"45678"}"#.into() }
    );
    // Channel.trigger: send_event(event, data, this.name) with data as given.
    let frame = ClientFrame::parse(
        r#"{"event":"client-typing","data":{"user":"alice"},"channel":"private-chat"}"#,
    )
    .unwrap();
    let ClientFrame::ClientEvent {
        event,
        channel,
        data,
    } = frame
    else {
        panic!()
    };
    assert_eq!(
        (event.as_str(), channel.as_str()),
        ("client-typing", "private-chat")
    );
    assert_eq!(data, json!({"user": "alice"}));
    // The server subscribes the signed-in user to its inbox channel without auth.
    let frame = ClientFrame::parse(
        r##"{"event":"pusher:subscribe","data":{"channel":"#server-to-user-45678"}}"##,
    )
    .unwrap();
    let ClientFrame::Subscribe {
        channel,
        auth: None,
        ..
    } = frame
    else {
        panic!()
    };
    assert_eq!(channel.server_to_user_id().unwrap().as_str(), "45678");
}

#[test]
fn every_frame_error() {
    let err = |s: &str| ClientFrame::parse(s).unwrap_err();
    let cases: [(&str, &str); 14] = [
        ("", "frame_not_json"),
        ("{", "frame_not_json"),
        ("null", "frame_not_an_object"),
        (r#""pusher:ping""#, "frame_not_an_object"),
        (r#"{"data":{}}"#, "frame_missing_field"),
        (r#"{"event":null}"#, "frame_wrong_type"),
        (r#"{"event":"pusher:unsubscribe","data":7}"#, "frame_not_an_object"),
        (r#"{"event":"pusher:unsubscribe","data":{}}"#, "frame_missing_field"),
        (r#"{"event":"pusher:unsubscribe","data":{"channel":""}}"#, "frame_invalid_channel"),
        (r#"{"event":"pusher:signin","data":{"auth":"a"}}"#, "frame_missing_field"),
        (r#"{"event":"pusher:signin","data":{"auth":"a","user_data":{}}}"#, "frame_wrong_type"),
        (r#"{"event":"pusher:connection_established","data":"{}"}"#, "frame_unexpected_event"),
        (r#"{"event":"client-x","data":{}}"#, "frame_missing_field"),
        (r#"{"event":"client-x","channel":"x","data":{}}"#.replace("client-x", &format!("client-{}", "x".repeat(200))).leak(), "frame_invalid_event"),
    ];
    for (input, code) in cases {
        assert_eq!(err(input).code(), code, "{input}");
    }
    assert_eq!(
        err(r##"{"event":"pusher:subscribe","data":{"channel":"#other"}}"##),
        FrameError::InvalidChannel {
            source: domvia_protocol::ChannelNameError::ReservedPrefix
        }
    );
}

// ---- server → client, as pusher-js decodes them ----

#[test]
fn connection_established_data_is_a_string() {
    let frame = ServerFrame::ConnectionEstablished {
        socket_id: SocketId::from_parts(123, 456),
        activity_timeout: 120,
    };
    let (outer, inner) = decoded(&frame);
    assert_eq!(outer["event"], "pusher:connection_established");
    assert!(
        outer["data"].is_string(),
        "protocol: data is a JSON-encoded string"
    );
    // pusher-js processHandshake reads data.socket_id and data.activity_timeout.
    assert_eq!(
        inner.unwrap(),
        json!({"socket_id": "123.456", "activity_timeout": 120})
    );
}

#[test]
fn error_frames_data_is_an_object() {
    let close = CloseCode::OverConnectionQuota;
    let frame = ServerFrame::Error {
        message: close.reason().into(),
        code: Some(close.code()),
    };
    let (outer, _) = decoded(&frame);
    assert_eq!(
        outer,
        json!({"event": "pusher:error", "data": {"message": "Application is over connection quota", "code": 4004}})
    );
    let (outer, _) = decoded(&ServerFrame::Error {
        message: "x".into(),
        code: None,
    });
    assert_eq!(outer["data"]["code"], Value::Null);

    let frame = ServerFrame::SubscriptionError {
        channel: chan("private-a"),
        kind: "AuthError".into(),
        error: "Invalid signature".into(),
        status: 401,
    };
    let (outer, _) = decoded(&frame);
    assert_eq!(
        outer,
        json!({"event": "pusher:subscription_error", "channel": "private-a",
               "data": {"type": "AuthError", "error": "Invalid signature", "status": 401}})
    );
}

#[test]
fn subscription_succeeded_and_members() {
    let (outer, inner) = decoded(&ServerFrame::SubscriptionSucceeded {
        channel: chan("private-a"),
        presence: None,
    });
    assert_eq!(outer["event"], "pusher_internal:subscription_succeeded");
    assert_eq!(outer["channel"], "private-a");
    assert_eq!(inner.unwrap(), json!({}));

    let snapshot = PresenceSnapshot {
        members: vec![
            ("1".parse().unwrap(), json!({"name": "Ann"})),
            ("2".parse().unwrap(), Value::Null),
        ],
    };
    let (_, inner) = decoded(&ServerFrame::SubscriptionSucceeded {
        channel: chan("presence-a"),
        presence: Some(snapshot),
    });
    // pusher-js Members.onSubscription reads presence.hash and presence.count.
    assert_eq!(
        inner.unwrap(),
        json!({"presence": {"ids": ["1", "2"], "hash": {"1": {"name": "Ann"}, "2": null}, "count": 2}})
    );

    let (outer, inner) = decoded(&ServerFrame::MemberAdded {
        channel: chan("presence-a"),
        user_id: "3".parse().unwrap(),
        user_info: Some(json!({"name": "Cy"})),
    });
    assert_eq!(outer["event"], "pusher_internal:member_added");
    assert_eq!(
        inner.unwrap(),
        json!({"user_id": "3", "user_info": {"name": "Cy"}})
    );
    let (outer, inner) = decoded(&ServerFrame::MemberRemoved {
        channel: chan("presence-a"),
        user_id: "3".parse().unwrap(),
    });
    assert_eq!(outer["event"], "pusher_internal:member_removed");
    assert_eq!(inner.unwrap(), json!({"user_id": "3"}));
}

#[test]
fn signin_ping_pong_and_events() {
    let (outer, _) = decoded(&ServerFrame::SigninSuccess {
        user_data: r#"{"id":"7"}"#.into(),
    });
    // UserFacade._onSigninSuccess JSON-parses data.user_data.
    assert_eq!(
        outer,
        json!({"event": "pusher:signin_success", "data": {"user_data": "{\"id\":\"7\"}"}})
    );
    assert_eq!(
        decoded(&ServerFrame::Ping).0,
        json!({"event": "pusher:ping", "data": {}})
    );
    assert_eq!(
        decoded(&ServerFrame::Pong).0,
        json!({"event": "pusher:pong", "data": {}})
    );

    let event = ServerFrame::Event {
        event: "my-event".parse().unwrap(),
        channel: chan("my-channel"),
        data: r#"{"message":"hello world"}"#.into(),
        user_id: None,
    };
    let (outer, inner) = decoded(&event);
    assert_eq!(outer["event"], "my-event");
    assert!(outer.get("user_id").is_none());
    assert_eq!(inner.unwrap(), json!({"message": "hello world"}));

    // A relayed client event on a presence channel carries the sender's user_id
    // (pusher-js PresenceChannel.handleEvent passes it as metadata).
    let relayed = ServerFrame::client_event(
        &"client-typing".parse().unwrap(),
        chan("presence-a"),
        &json!({"x": 1}),
        Some("7".parse().unwrap()),
    );
    let (outer, inner) = decoded(&relayed);
    assert_eq!(outer["user_id"], "7");
    assert_eq!(inner.unwrap(), json!({"x": 1}));
    // A string payload is relayed as the same string.
    let relayed = ServerFrame::client_event(
        &"client-typing".parse().unwrap(),
        chan("private-a"),
        &json!("hi"),
        None,
    );
    assert_eq!(decoded(&relayed).0["data"], "hi");
}

// ---- properties ----

fn channel_name_strategy() -> impl Strategy<Value = String> {
    let body = "[A-Za-z0-9_=@,.;-]{1,100}";
    prop_oneof![
        body.prop_map(|s| s),
        body.prop_map(|s| format!("private-{s}")),
        body.prop_map(|s| format!("private-encrypted-{s}")),
        body.prop_map(|s| format!("presence-{s}")),
        "[^\\p{Cc}]{1,40}".prop_map(|s| format!("#server-to-user-{s}")),
    ]
}

proptest! {
    #[test]
    fn frame_parser_never_panics(input in "\\PC{0,200}") {
        let _ = ClientFrame::parse(&input);
    }

    #[test]
    fn frame_parser_never_panics_on_json_shaped_input(
        event in prop_oneof![
            Just("pusher:subscribe".to_owned()), Just("pusher:signin".to_owned()),
            Just("pusher:unsubscribe".to_owned()), Just("client-x".to_owned()), "\\PC{0,20}",
        ],
        data in prop_oneof![
            Just("{}".to_owned()), Just("null".to_owned()), Just("\"{\\\"channel\\\":1}\"".to_owned()),
            "\\PC{0,30}".prop_map(|s| Value::from(s).to_string()),
            "\\PC{0,30}".prop_map(|s| json!({"channel": s, "auth": s, "user_data": s}).to_string()),
        ],
    ) {
        let text = format!(r#"{{"event":{},"channel":"a","data":{data}}}"#, Value::from(event));
        let _ = ClientFrame::parse(&text);
    }

    #[test]
    fn deeply_nested_json_is_an_error_not_a_crash(depth in 100_usize..5_000) {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        prop_assert!(ClientFrame::parse(&text).is_err());
    }

    #[test]
    fn channel_names_round_trip(name in channel_name_strategy()) {
        match name.parse::<ChannelName>() {
            Ok(parsed) => {
                prop_assert_eq!(parsed.as_str(), name.as_str());
                let again: ChannelName = parsed.to_string().parse().unwrap();
                prop_assert_eq!(again, parsed);
            }
            // Only the length limit may refuse a generated name.
            Err(e) => prop_assert_eq!(e.code(), "channel_name_too_long"),
        }
    }

    #[test]
    fn channel_parse_never_panics(input in "\\PC{0,200}") {
        let _ = input.parse::<ChannelName>();
    }

    #[test]
    fn verify_request_never_panics(query in "\\PC{0,200}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let secret = AppSecret::new("s").unwrap();
        let _ = verify_request("POST", "/", &query, &body, &"k".parse::<AppKey>().unwrap(), &secret, 0);
    }
}
