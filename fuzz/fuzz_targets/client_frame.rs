//! Arbitrary bytes as a client's WebSocket text frame (protocol 7, client → server), as
//! `ClientFrame::parse` gets them from the gateway: the text itself when it is UTF-8, and
//! its lossy conversion. Parsing must never panic, must depend only on the JSON value
//! (not on its spelling), and whatever parses must read back equal from the frame's
//! canonical JSON, with `data` both as an object and as a JSON string where the protocol
//! allows it. A relayed client event must carry the same event, channel and data.

#![no_main]

use domvia_protocol::{ChannelName, ClientFrame, ServerFrame};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

/// `data` of a protocol event, once as an object and once as a JSON string holding it.
fn both_forms(event: &str, data: &Map<String, Value>) -> [String; 2] {
    let object = Value::Object(data.clone());
    [
        json!({ "event": event, "data": object }).to_string(),
        json!({ "event": event, "data": object.to_string() }).to_string(),
    ]
}

fn channel_round_trips(channel: &ChannelName) {
    let again: ChannelName = channel
        .as_str()
        .parse()
        .expect("an accepted channel name parses again");
    assert_eq!(&again, channel, "channel name does not round-trip");
    assert_eq!(channel.to_string(), channel.as_str());
}

/// The canonical texts of `frame`; each must parse back to `frame`.
fn canonical(frame: &ClientFrame) -> Vec<String> {
    match frame {
        ClientFrame::Subscribe {
            channel,
            auth,
            channel_data,
        } => {
            channel_round_trips(channel);
            let mut data = Map::new();
            data.insert("channel".into(), channel.as_str().into());
            if let Some(auth) = auth {
                data.insert("auth".into(), auth.as_str().into());
            }
            // `null` is read as absent: write it so for one of the forms.
            data.insert(
                "channel_data".into(),
                channel_data.as_deref().map_or(Value::Null, Value::from),
            );
            both_forms("pusher:subscribe", &data).into()
        }
        ClientFrame::Unsubscribe { channel } => {
            channel_round_trips(channel);
            let mut data = Map::new();
            data.insert("channel".into(), channel.as_str().into());
            both_forms("pusher:unsubscribe", &data).into()
        }
        ClientFrame::Signin { auth, user_data } => {
            let mut data = Map::new();
            data.insert("auth".into(), auth.as_str().into());
            data.insert("user_data".into(), user_data.as_str().into());
            both_forms("pusher:signin", &data).into()
        }
        ClientFrame::Ping => vec![r#"{"event":"pusher:ping","data":{}}"#.to_owned()],
        ClientFrame::Pong => vec![r#"{"event":"pusher:pong"}"#.to_owned()],
        ClientFrame::ClientEvent {
            event,
            channel,
            data,
        } => {
            channel_round_trips(channel);
            assert!(event.as_str().starts_with("client-"));
            assert_eq!(event.to_string(), event.as_str());
            assert_eq!(event.as_event_name().as_str(), event.as_str());
            relayed(event, channel, data);
            vec![
                json!({ "event": event.as_str(), "channel": channel.as_str(), "data": data })
                    .to_string(),
            ]
        }
        _ => Vec::new(),
    }
}

/// What the gateway sends the channel's other members for a client event.
fn relayed(event: &domvia_protocol::ClientEventName, channel: &ChannelName, data: &Value) {
    let frame = ServerFrame::client_event(event, channel.clone(), data, None).to_json();
    let sent: Value = serde_json::from_str(&frame).expect("a server frame is JSON");
    assert_eq!(sent["event"], event.as_str());
    assert_eq!(sent["channel"], channel.as_str());
    let text = sent["data"].as_str().expect("relayed data is a string");
    match data {
        Value::String(s) => assert_eq!(text, s),
        other => {
            let decoded: Value = serde_json::from_str(text).expect("relayed data is JSON");
            assert_eq!(
                &decoded, other,
                "relayed data does not decode to the sent value"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = ClientFrame::parse(&text);

    // The frame is a function of its JSON value: the same value, written compactly,
    // parses to the same frame or the same error.
    if let Ok(value) = serde_json::from_str::<Value>(&text) {
        assert_eq!(
            ClientFrame::parse(&value.to_string()),
            parsed,
            "the parse depends on the spelling of the JSON"
        );
    }

    let Ok(frame) = parsed else { return };
    for again in canonical(&frame) {
        assert_eq!(
            ClientFrame::parse(&again).as_ref(),
            Ok(&frame),
            "the canonical form {again:?} does not read back"
        );
    }
});
