//! Fuzzed tokens, socket ids, channels, `channel_data`, `user_data`, HTTP methods, paths,
//! query strings and bodies against a fixed app key and secret: `verify_channel`,
//! `verify_presence_as_signed_in`, `verify_user` and `verify_request` must never panic,
//! must accept a fuzzed token only if it is the genuine one, and must accept what the
//! matching `sign_*` function produces for the same inputs (and refuse it for others).
//!
//! Input layout (no `arbitrary` dependency): the first byte holds flags, the rest is split
//! on `0xFF` (a byte UTF-8 never uses) into fields, each converted to text lossily:
//! auth, socket id, channel, channel_data, user_data, method, path, query, params, body,
//! timestamp, skew. Missing fields are empty. See [`Input`].

#![no_main]

use std::sync::OnceLock;

use domvia_protocol::{
    AppKey, AppSecret, AuthError, ChannelName, HttpAuthError, MAX_TIMESTAMP_SKEW_SECS,
    RequestToSign, SocketId, UserData, sign_channel, sign_request, sign_user, verify_channel,
    verify_presence_as_signed_in, verify_request, verify_user,
};
use libfuzzer_sys::fuzz_target;

/// The app's key and secret (those of the crate's doc example).
fn app() -> &'static (AppKey, AppSecret) {
    static APP: OnceLock<(AppKey, AppSecret)> = OnceLock::new();
    APP.get_or_init(|| {
        let key = "278d425bdf160c739803".parse().expect("valid key");
        let secret = AppSecret::new("7ad3773142a6692b25b8").expect("valid secret");
        (key, secret)
    })
}

/// Flag: `channel_data` is sent.
const WITH_CHANNEL_DATA: u8 = 1;
/// Flag: the query is appended to a correctly signed one instead of standing alone.
const AFTER_SIGNED_QUERY: u8 = 2;

/// One input, split as the module docs say. `body` stays bytes; a `timestamp` that is not
/// a `u64` is 1 700 000 000, and a `skew` (added to it to make the server's clock) that is
/// not an `i64` is 0.
struct Input {
    flags: u8,
    auth: String,
    socket_id: String,
    channel: String,
    channel_data: String,
    user_data: String,
    method: String,
    path: String,
    query: String,
    params: String,
    body: Vec<u8>,
    timestamp: u64,
    skew: i64,
}

impl Input {
    fn split(data: &[u8]) -> Option<Self> {
        let (&flags, rest) = data.split_first()?;
        let fields: Vec<&[u8]> = rest.split(|&b| b == 0xFF).collect();
        let bytes = |i: usize| fields.get(i).copied().unwrap_or_default();
        let text = |i: usize| String::from_utf8_lossy(bytes(i)).into_owned();
        Some(Self {
            flags,
            auth: text(0),
            socket_id: text(1),
            channel: text(2),
            channel_data: text(3),
            user_data: text(4),
            method: text(5),
            path: text(6),
            query: text(7),
            params: text(8),
            body: bytes(9).to_vec(),
            timestamp: text(10).parse().unwrap_or(1_700_000_000),
            skew: text(11).parse().unwrap_or(0),
        })
    }

    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Whether `auth` is exactly `token`, up to the case of the signature's hex digits (which
/// the verifiers accept either way).
fn same_token(auth: &str, token: &str) -> bool {
    match (auth.split_once(':'), token.split_once(':')) {
        (Some((k1, s1)), Some((k2, s2))) => k1 == k2 && s1.eq_ignore_ascii_case(s2),
        _ => false,
    }
}

fn channel_auth(input: &Input, socket_id: &SocketId, channel: &ChannelName) {
    let (key, secret) = app();
    let data = input
        .has(WITH_CHANNEL_DATA)
        .then_some(input.channel_data.as_str());
    let token = sign_channel(key, secret, socket_id, channel, data);
    let verify = |auth: &str, data: Option<&str>| {
        verify_channel(auth, key, secret, socket_id, channel, data)
    };

    // The fuzzed token verifies only if it is the genuine one.
    let fuzzed = verify(&input.auth, data);
    if fuzzed.is_ok() {
        assert!(same_token(&input.auth, &token), "forged {:?}", input.auth);
    }
    // The genuine token verifies, in either case of hex digits.
    let expected = if channel.is_presence() && data.is_none() {
        Err(AuthError::MissingChannelData)
    } else {
        Ok(())
    };
    assert_eq!(verify(&token, data), expected);
    let upper = format!(
        "{key}:{}",
        token[key.as_str().len() + 1..].to_ascii_uppercase()
    );
    assert_eq!(verify(&upper, data), expected);
    // ... and for these inputs only.
    if let Some(data) = data {
        let other = format!("{data} ");
        assert_eq!(verify(&token, Some(&other)), Err(AuthError::BadSignature));
        if !channel.is_presence() {
            assert_eq!(verify(&token, None), Err(AuthError::BadSignature));
        }
    }

    // A signed-in presence subscription: the token signs `socket_id:channel` only.
    let plain = sign_channel(key, secret, socket_id, channel, None);
    let signed_in =
        |auth: &str| verify_presence_as_signed_in(auth, key, secret, socket_id, channel);
    assert_eq!(signed_in(&plain), Ok(()));
    if signed_in(&input.auth).is_ok() {
        assert!(same_token(&input.auth, &plain), "forged {:?}", input.auth);
    }
    if let Some(data) = data {
        assert_eq!(signed_in(&token), Err(AuthError::BadSignature), "{data:?}");
    }
}

fn user_auth(input: &Input, socket_id: &SocketId) {
    let (key, secret) = app();
    let user_data = input.user_data.as_str();
    let token = sign_user(key, secret, socket_id, user_data);
    let verify = |auth: &str, user_data: &str| verify_user(auth, key, secret, socket_id, user_data);

    if verify(&input.auth, user_data).is_ok() {
        assert!(same_token(&input.auth, &token), "forged {:?}", input.auth);
    }
    // The genuine token passes the signature check; then `user_data` is parsed as signed.
    let verified = verify(&token, user_data);
    assert_eq!(verified, UserData::parse(user_data));
    if let Ok(user) = verified {
        assert_eq!(user.as_str(), user_data);
    }
    assert_eq!(
        verify(&token, &format!("{user_data} ")),
        Err(AuthError::BadSignature)
    );
}

/// The caller's own parameters, `name=value&…`, keeping only pairs that need no
/// percent-encoding (`sign_request` does not encode, exactly as pusher-http-node).
fn params(text: &str) -> Vec<(&str, &str)> {
    text.split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .filter(|(name, value)| !name.contains('%') && !value.contains('%'))
        .collect()
}

fn http_request(input: &Input) {
    let (key, secret) = app();
    let (method, path, body) = (input.method.as_str(), input.path.as_str(), &input.body[..]);
    let timestamp = input.timestamp;
    let now = timestamp.saturating_add_signed(input.skew);
    let verify = |query: &str, method: &str, body: &[u8], now: u64| {
        verify_request(method, path, query, body, key, secret, now)
    };

    // A fuzzed query alone: never panics; a malformed one is a 400, the rest 401.
    if !input.has(AFTER_SIGNED_QUERY) {
        let fuzzed = verify(&input.query, method, body, now);
        if let Err(e) = &fuzzed {
            assert!(matches!(e.status(), 400 | 401), "{e:?}");
        }
        if fuzzed.is_ok() {
            // Only a genuine signature verifies; it would not for another method or body.
            assert!(verify(&input.query, &format!("{method}X"), body, now).is_err());
            assert!(verify(&input.query, method, &[body, b"x"].concat(), now).is_err());
        }
    }

    // What `sign_request` writes verifies at any time within the allowed skew.
    let params = params(&input.params);
    let request = RequestToSign {
        method,
        path,
        params: &params,
        body,
    };
    let query = match sign_request(&request, key, secret, timestamp) {
        Ok(query) => query,
        Err(HttpAuthError::ReservedParam { name }) => {
            assert!(
                params.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)),
                "{name} refused but not passed"
            );
            return;
        }
        Err(HttpAuthError::DuplicateParam { name }) => {
            let count = params
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(&name))
                .count();
            assert!(
                count > 1,
                "{name:?} refused as a duplicate but passed {count} times"
            );
            return;
        }
        Err(e) => panic!("sign_request failed: {e:?}"),
    };
    let skew = now.abs_diff(timestamp);
    let expected = if skew > MAX_TIMESTAMP_SKEW_SECS {
        Err(HttpAuthError::ExpiredTimestamp { skew_secs: skew })
    } else {
        Ok(())
    };
    assert_eq!(verify(&query, method, body, now), expected, "{query:?}");
    assert_eq!(
        verify(&query, &method.to_ascii_lowercase(), body, now),
        expected
    );
    if expected.is_ok() {
        assert_eq!(
            verify(&query, method, &[body, b"x"].concat(), now),
            Err(if body.is_empty() {
                HttpAuthError::MissingParam { name: "body_md5" }
            } else {
                HttpAuthError::BodyMd5Mismatch
            })
        );
        assert_eq!(
            verify(&query, &format!("{method}X"), body, now),
            Err(HttpAuthError::BadSignature)
        );
        if let Some(late) = timestamp.checked_add(MAX_TIMESTAMP_SKEW_SECS + 1) {
            assert_eq!(
                verify(&query, method, body, late),
                Err(HttpAuthError::ExpiredTimestamp {
                    skew_secs: MAX_TIMESTAMP_SKEW_SECS + 1
                })
            );
        }
    }

    // The fuzzed query after a signed one: accepted only if it adds no parameter.
    if input.has(AFTER_SIGNED_QUERY) {
        let extended = format!("{query}&{}", input.query);
        let result = verify(&extended, method, body, now);
        if result.is_ok() {
            assert!(
                input.query.split('&').all(str::is_empty),
                "extra parameters {:?} accepted",
                input.query
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::split(data) else {
        return;
    };
    // Invalid ids and names fall back to fixed ones, so every input reaches the verifiers.
    let socket_id = input
        .socket_id
        .parse()
        .unwrap_or_else(|_| SocketId::from_parts(123, 456));
    let channel = input
        .channel
        .parse()
        .unwrap_or_else(|_| "private-fuzz".parse().expect("valid channel"));
    channel_auth(&input, &socket_id, &channel);
    user_auth(&input, &socket_id);
    http_request(&input);
});
