//! Arbitrary text (bytes converted lossily) as each name and signed document a client
//! sends: `ChannelName`, `EventName`, `ClientEventName`, `SocketId`, `UserId`, presence
//! `channel_data` (`PresenceMember::from_channel_data`) and signin `user_data`
//! (`UserData::parse`). Parsing must never panic; it must accept exactly what the rules in
//! the crate's module docs accept (checked here by an independent model), classify a
//! channel by its longest prefix into exactly one kind, and whatever is accepted must
//! round-trip through `Display`/`as_str`.

#![no_main]

use domvia_protocol::channel::{
    PRESENCE_PREFIX, PRIVATE_ENCRYPTED_PREFIX, PRIVATE_PREFIX, SERVER_TO_USER_PREFIX,
};
use domvia_protocol::event::{CLIENT_EVENT_PREFIX, PUSHER_INTERNAL_PREFIX, PUSHER_PREFIX};
use domvia_protocol::user::MAX_USER_ID_LEN;
use domvia_protocol::{
    ChannelKind, ChannelName, ChannelNameError, ClientEventName, EventError, EventName,
    MAX_CHANNEL_NAME_LEN, MAX_EVENT_NAME_LEN, PresenceMember, SocketId, UserData, UserId,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-=@,.;".contains(c)
}

fn valid_user_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_USER_ID_LEN && !s.chars().any(char::is_control)
}

/// The kind the module docs give `s`, or `None` if it is not a valid name.
fn model_kind(s: &str) -> Option<ChannelKind> {
    if s.is_empty() || s.chars().count() > MAX_CHANNEL_NAME_LEN {
        return None;
    }
    if let Some(user) = s.strip_prefix(SERVER_TO_USER_PREFIX) {
        return valid_user_id(user).then_some(ChannelKind::ServerToUser);
    }
    if s.starts_with('#') || !s.chars().all(allowed) {
        return None;
    }
    let prefixes = [
        (PRIVATE_ENCRYPTED_PREFIX, ChannelKind::PrivateEncrypted),
        (PRIVATE_PREFIX, ChannelKind::Private),
        (PRESENCE_PREFIX, ChannelKind::Presence),
    ];
    Some(
        prefixes
            .into_iter()
            .find(|(prefix, _)| s.starts_with(prefix))
            .map_or(ChannelKind::Public, |(_, kind)| kind),
    )
}

fn channel_name(s: &str) {
    let parsed = s.parse::<ChannelName>();
    let model = model_kind(s);
    let channel = match parsed {
        Err(error) => {
            assert_eq!(model, None, "{s:?} refused ({error:?}) but valid");
            match error {
                ChannelNameError::Empty => assert!(s.is_empty()),
                ChannelNameError::TooLong { len, max } => {
                    assert_eq!((len, max), (s.chars().count(), MAX_CHANNEL_NAME_LEN));
                    assert!(len > max);
                }
                ChannelNameError::InvalidCharacter { character, index } => {
                    assert_eq!(s.chars().nth(index), Some(character));
                    assert!(!allowed(character));
                    assert!(s.chars().take(index).all(allowed));
                }
                ChannelNameError::ReservedPrefix => {
                    assert!(s.starts_with('#') && !s.starts_with(SERVER_TO_USER_PREFIX));
                }
                ChannelNameError::InvalidUserId { .. } => {
                    assert!(s.starts_with(SERVER_TO_USER_PREFIX));
                }
                _ => {}
            }
            return;
        }
        Ok(channel) => channel,
    };
    assert!(
        s.chars().count() <= MAX_CHANNEL_NAME_LEN,
        "accepted a name of {} characters",
        s.chars().count()
    );
    assert_eq!(Some(channel.kind()), model, "{s:?} misclassified");
    assert_eq!(channel.as_str(), s);
    assert_eq!(channel.to_string(), s);
    assert_eq!(
        channel.to_string().parse::<ChannelName>().as_ref(),
        Ok(&channel)
    );

    // The predicates agree with the one kind.
    let kind = channel.kind();
    let expected = match kind {
        ChannelKind::Public => (false, false, false),
        ChannelKind::Private => (true, false, true),
        ChannelKind::PrivateEncrypted => (true, false, false),
        ChannelKind::Presence => (true, true, true),
        ChannelKind::ServerToUser => (false, false, false),
        _ => panic!("a kind the target does not know: {kind:?}"),
    };
    assert_eq!(
        (
            channel.requires_auth(),
            channel.is_presence(),
            channel.accepts_client_events()
        ),
        expected,
        "{kind:?}"
    );
    match channel.server_to_user_id() {
        Some(user) => {
            assert_eq!(kind, ChannelKind::ServerToUser);
            assert_eq!(Some(user.as_str()), s.strip_prefix(SERVER_TO_USER_PREFIX));
            assert_eq!(ChannelName::server_to_user(user).as_ref(), Ok(&channel));
        }
        None => assert_ne!(kind, ChannelKind::ServerToUser),
    }
}

fn event_names(s: &str) {
    let valid = !s.is_empty() && s.chars().count() <= MAX_EVENT_NAME_LEN;
    let event = s.parse::<EventName>();
    assert_eq!(event.is_ok(), valid, "{s:?}: {event:?}");
    let client = s.parse::<ClientEventName>();
    match &event {
        Ok(name) => {
            assert_eq!(name.as_str(), s);
            assert_eq!(name.to_string(), s);
            assert_eq!(
                name.is_reserved(),
                s.starts_with(PUSHER_PREFIX) || s.starts_with(PUSHER_INTERNAL_PREFIX)
            );
            assert_eq!(name.is_client_event(), s.starts_with(CLIENT_EVENT_PREFIX));
            match &client {
                Ok(client) => {
                    assert!(name.is_client_event() && !name.is_reserved());
                    assert_eq!(client.as_event_name(), name);
                    assert_eq!(client.to_string(), s);
                }
                Err(e) => {
                    assert_eq!(e, &EventError::NotClientEvent);
                    assert!(!name.is_client_event());
                }
            }
        }
        Err(e) => assert_eq!(client.as_ref().err(), Some(e)),
    }
}

fn socket_id(s: &str) {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let valid = s
        .split_once('.')
        .is_some_and(|(high, low)| digits(high) && digits(low));
    match s.parse::<SocketId>() {
        Ok(id) => {
            assert!(valid, "{s:?} accepted");
            assert_eq!(id.as_str(), s);
            assert_eq!(id.to_string(), s);
            // Numbers that fit in a u64 are what `from_parts` writes, unless zero-padded.
            if let Some((high, low)) = s.split_once('.')
                && let (Ok(h), Ok(l)) = (high.parse::<u64>(), low.parse::<u64>())
            {
                let made = SocketId::from_parts(h, l);
                assert_eq!(made.as_str().parse::<SocketId>().as_ref(), Ok(&made));
                let unpadded = |p: &str| p == "0" || !p.starts_with('0');
                assert_eq!(made == id, unpadded(high) && unpadded(low), "{s:?}");
            }
        }
        Err(e) => {
            assert!(!valid, "{s:?} refused");
            assert_eq!(e, EventError::InvalidSocketId);
        }
    }
}

fn user_id(s: &str) {
    match s.parse::<UserId>() {
        Ok(id) => {
            assert!(valid_user_id(s), "{s:?} accepted");
            assert_eq!(id.as_str(), s);
            assert_eq!(id.to_string().parse::<UserId>().as_ref(), Ok(&id));
            // Its server-to-user channel fits the channel-name limit or is refused as long.
            let fits = SERVER_TO_USER_PREFIX.len() + s.chars().count() <= MAX_CHANNEL_NAME_LEN;
            match ChannelName::server_to_user(&id) {
                Ok(channel) => {
                    assert!(fits);
                    assert_eq!(channel.kind(), ChannelKind::ServerToUser);
                    assert_eq!(channel.server_to_user_id(), Some(&id));
                }
                Err(e) => {
                    assert!(!fits, "{e:?}");
                    assert_eq!(e.code(), "channel_name_too_long");
                }
            }
        }
        Err(e) => assert!(!valid_user_id(s), "{s:?} refused: {e:?}"),
    }
}

fn channel_data(s: &str) {
    let Ok(member) = PresenceMember::from_channel_data(s) else {
        return;
    };
    let value: Value = serde_json::from_str(s).expect("accepted channel_data is JSON");
    let expected = match &value["user_id"] {
        Value::String(id) => id.clone(),
        Value::Number(n) => {
            assert!(
                n.is_i64() || n.is_u64(),
                "a fractional user_id was accepted"
            );
            n.to_string()
        }
        other => panic!("accepted a user_id of {other:?}"),
    };
    assert_eq!(member.user_id.as_str(), expected);
    assert_eq!(member.user_info.as_ref(), value.get("user_info"));
    // What the gateway would sign and store for this member reads back the same.
    let mut again = json!({ "user_id": member.user_id.as_str() });
    if let (Some(info), Value::Object(map)) = (&member.user_info, &mut again) {
        map.insert("user_info".into(), info.clone());
    }
    assert_eq!(
        PresenceMember::from_channel_data(&again.to_string()).as_ref(),
        Ok(&member)
    );
}

fn user_data(s: &str) {
    let Ok(user) = UserData::parse(s) else { return };
    assert_eq!(user.as_str(), s, "user_data is not kept as signed");
    let value: Value = serde_json::from_str(s).expect("accepted user_data is JSON");
    assert_eq!(value["id"].as_str(), Some(user.id().as_str()));
    assert_eq!(user.user_info(), value.get("user_info"));
    assert_eq!(user.watchlist(), value.get("watchlist"));
    assert_eq!(UserData::parse(user.as_str()).as_ref(), Ok(&user));
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let s: &str = &text;
    channel_name(s);
    event_names(s);
    socket_id(s);
    user_id(s);
    channel_data(s);
    user_data(s);
});
