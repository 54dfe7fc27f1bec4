//! Arbitrary bytes (lossily UTF-8) as the event data of a ciphertext-only channel
//! (`check_ciphertext`) and as a channel pattern (`ChannelPattern`). Neither may panic.
//! Accepted data is a JSON object, its shape follows from its members as the spec says,
//! and it is accepted with the same shape whatever the order of its members (checked by
//! re-encoding it with sorted keys). A refusal's message is short, printable ASCII, and
//! its code is one of the spec's. A pattern that parses matches only private and presence
//! channels, never a `private-encrypted-` one.

#![no_main]

use domvia_protocol::ciphertext::{ChannelPattern, Shape, check_ciphertext};
use domvia_protocol::{ChannelKind, ChannelName};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const CODES: [&str; 8] = [
    "not_json",
    "not_an_object",
    "unknown_shape",
    "unsupported_version",
    "missing_member",
    "unknown_member",
    "duplicate_member",
    "bad_member",
];

const FORMATS: [Shape; 6] = [
    Shape::SignedEnvelope,
    Shape::KeyShare,
    Shape::DeviceBundle,
    Shape::KeyRequest,
    Shape::KeyResponse,
    Shape::Revocation,
];

fn data(s: &str) {
    match check_ciphertext(s) {
        Ok(shape) => {
            let value: Value = serde_json::from_str(s).expect("accepted data is JSON");
            let object = value.as_object().expect("accepted data is an object");
            let expected = match object.get("format").and_then(Value::as_str) {
                Some(format) => FORMATS
                    .into_iter()
                    .find(|shape| shape.format() == Some(format)),
                None if object.contains_key("envelope") => Some(Shape::IdentifiedEnvelope),
                None => Some(Shape::Envelope),
            };
            assert_eq!(Some(shape), expected, "{s:?}");
            if shape != Shape::IdentifiedEnvelope {
                assert_eq!(object.get("v").and_then(Value::as_u64), Some(1));
            }
            // serde_json's map sorts the members: the order must not matter.
            assert_eq!(check_ciphertext(&value.to_string()), Ok(shape), "{s:?}");
        }
        Err(error) => {
            assert!(CODES.contains(&error.code()), "{error:?}");
            let message = error.to_string();
            assert!(message.len() <= 120, "{message}");
            assert!(message.bytes().all(|b| (0x20..0x7f).contains(&b)), "{message}");
        }
    }
}

fn pattern(s: &str) {
    let Ok(pattern) = s.parse::<ChannelPattern>() else {
        return;
    };
    assert_eq!(pattern.to_string(), s);
    let base = s.trim_end_matches('*');
    for name in [
        base.to_owned(),
        format!("{base}x"),
        format!("private-encrypted-{base}"),
        format!("private-encrypted-{}", base.trim_start_matches("private-")),
    ] {
        let Ok(channel) = name.parse::<ChannelName>() else {
            continue;
        };
        if pattern.matches(&channel) {
            assert!(
                matches!(channel.kind(), ChannelKind::Private | ChannelKind::Presence),
                "{s:?} matches {name:?}"
            );
        }
    }
    let exact = s.parse::<ChannelName>();
    if let (false, Ok(channel)) = (pattern.is_prefix(), exact) {
        assert!(pattern.matches(&channel), "{s:?} does not match itself");
    }
}

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    data(&text);
    pattern(&text);
});
