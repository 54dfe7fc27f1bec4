//! Channel authorization and user authentication signatures, and the JSON they sign.
//!
//! Rules implemented ("Authentication and authorization signatures" in Pusher's library auth
//! reference, and pusher-http-node `lib/auth.js`):
//! - channel authorization: `auth = "{app_key}:{hex(HMAC-SHA256(secret, string_to_sign))}"`
//!   with `string_to_sign = "{socket_id}:{channel_name}"`, or
//!   `"{socket_id}:{channel_name}:{channel_data}"` whenever `channel_data` is sent (always
//!   for presence channels; pusher-http-node signs it for any channel it is given for);
//! - user authentication (`pusher:signin`): the same form over
//!   `"{socket_id}::user::{user_data}"`;
//! - webhooks: `X-Pusher-Signature = hex(HMAC-SHA256(secret, body))` over the exact body
//!   bytes POSTed ("Webhooks", Pusher's server API reference);
//! - the signed `channel_data` and `user_data` documents are parsed in [`crate::member`].
//!
//! `channel_data` and `user_data` are signed as the exact strings the client sends; they are
//! never re-serialized before verification. The `shared_secret` of `private-encrypted-`
//! channels is derived by the application's server from its own master key; the gateway
//! never sees it, so it is not computed here.
//!
//! Verification compares the signature in constant time (`subtle`) and refuses a token
//! whose key is not the app's key.
//!
//! ```
//! use domvia_protocol::{AppKey, AppSecret, SocketId, sign_user, verify_user};
//!
//! // pusher-http-node's test vector (tests/integration/pusher/authenticate.js).
//! let key: AppKey = "1234".parse()?;
//! let secret = AppSecret::new("tofu")?;
//! let socket_id: SocketId = "123.456".parse()?;
//! let user_data = r#"{"id":"45678"}"#;
//!
//! let auth = sign_user(&key, &secret, &socket_id, user_data);
//! assert_eq!(auth, "1234:f4b1fdeea7c93e32648c7230e32b172057c5623cace6cfce791c6e7035e0babd");
//! let user = verify_user(&auth, &key, &secret, &socket_id, user_data)?;
//! assert_eq!(user.id().as_str(), "45678");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::channel::ChannelName;
use crate::event::SocketId;
use crate::member::UserData;
use crate::user::UserIdError;

/// Length of a hex-encoded HMAC-SHA256 signature.
const SIGNATURE_HEX_LEN: usize = 64;

/// Why a token, secret or signed JSON document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The app key is empty, or holds `:` or a control character.
    #[error("invalid app key")]
    InvalidAppKey,
    /// The app secret is empty.
    #[error("app secret is empty")]
    EmptySecret,
    /// The token is not `"{key}:{64 hex digits}"`.
    #[error("auth must be of the form 'key:signature'")]
    MalformedToken,
    /// The token's key is not this app's key.
    #[error("auth key does not match the app key")]
    WrongKey,
    /// The signature does not match.
    #[error("invalid signature")]
    BadSignature,
    /// A presence subscription came without `channel_data`.
    #[error("presence channels require channel_data")]
    MissingChannelData,
    /// `channel_data` or `user_data` is not a JSON object.
    #[error("{field} must be a JSON object")]
    NotAnObject {
        /// `"channel_data"` or `"user_data"`.
        field: &'static str,
    },
    /// `channel_data.user_id` or `user_data.id` is missing.
    #[error("{field} is missing")]
    MissingUserId {
        /// `"user_id"` or `"id"`.
        field: &'static str,
    },
    /// The user id has the wrong JSON type (`user_id`: string or integer; `id`: string).
    #[error("{field} has the wrong type")]
    UserIdType {
        /// `"user_id"` or `"id"`.
        field: &'static str,
    },
    /// The user id is not a valid [`UserId`].
    #[error("invalid user id: {source}")]
    InvalidUserId {
        /// Why the id was refused.
        #[source]
        source: UserIdError,
    },
}

impl AuthError {
    /// A stable machine-readable code for the wire and the bindings.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidAppKey => "auth_invalid_app_key",
            Self::EmptySecret => "auth_empty_secret",
            Self::MalformedToken => "auth_malformed_token",
            Self::WrongKey => "auth_wrong_key",
            Self::BadSignature => "auth_bad_signature",
            Self::MissingChannelData => "auth_missing_channel_data",
            Self::NotAnObject { .. } => "auth_not_an_object",
            Self::MissingUserId { .. } => "auth_missing_user_id",
            Self::UserIdType { .. } => "auth_user_id_type",
            Self::InvalidUserId { .. } => "auth_invalid_user_id",
        }
    }
}

/// An app's public key: the first half of every token and the `auth_key` of HTTP requests.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct AppKey(String);

impl AppKey {
    /// The key as sent on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AppKey {
    type Err = AuthError;

    /// # Errors
    /// [`AuthError::InvalidAppKey`] when the key is empty or holds `:` or a control
    /// character (either would make `key:signature` ambiguous).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.contains(':') || s.chars().any(char::is_control) {
            return Err(AuthError::InvalidAppKey);
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An app's secret, held only as a keyed HMAC-SHA256 state (zeroized on drop by `hmac`'s
/// `zeroize` feature). Its `Debug` output never shows the secret.
#[derive(Clone)]
pub struct AppSecret {
    mac: Hmac<Sha256>,
}

impl AppSecret {
    /// Keys HMAC-SHA256 with `secret`'s UTF-8 bytes, as the server SDKs do.
    ///
    /// # Errors
    /// [`AuthError::EmptySecret`] for an empty secret.
    pub fn new(secret: &str) -> Result<Self, AuthError> {
        if secret.is_empty() {
            return Err(AuthError::EmptySecret);
        }
        // HMAC accepts keys of any length, so this cannot fail; mapped all the same.
        let mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .map_err(|_| AuthError::EmptySecret)?;
        Ok(Self { mac })
    }

    /// HMAC-SHA256 of `parts`, concatenated.
    pub(crate) fn hmac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Lowercase hex of HMAC-SHA256 over `parts`, concatenated.
    pub(crate) fn hex_hmac(&self, parts: &[&[u8]]) -> String {
        hex::encode(self.hmac(parts))
    }

    /// Whether `hex_signature` (64 hex digits, either case) is the HMAC of `parts`,
    /// compared in constant time.
    pub(crate) fn verify_hex(&self, hex_signature: &str, parts: &[&[u8]]) -> bool {
        let mut given = [0_u8; 32];
        if hex_signature.len() != SIGNATURE_HEX_LEN
            || hex::decode_to_slice(hex_signature, &mut given).is_err()
        {
            return false;
        }
        bool::from(self.hmac(parts).ct_eq(&given))
    }
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppSecret(<redacted>)")
    }
}

/// `"{socket_id}:{channel}"` or `"{socket_id}:{channel}:{channel_data}"`, in parts.
fn channel_parts<'a>(
    socket_id: &'a SocketId,
    channel: &'a ChannelName,
    channel_data: Option<&'a str>,
) -> Vec<&'a [u8]> {
    let mut parts = vec![
        socket_id.as_str().as_bytes(),
        b":",
        channel.as_str().as_bytes(),
    ];
    if let Some(data) = channel_data {
        parts.push(b":");
        parts.push(data.as_bytes());
    }
    parts
}

/// The `auth` token authorizing `socket_id` on `channel`, as an app's auth endpoint returns it.
#[must_use]
pub fn sign_channel(
    key: &AppKey,
    secret: &AppSecret,
    socket_id: &SocketId,
    channel: &ChannelName,
    channel_data: Option<&str>,
) -> String {
    let signature = secret.hex_hmac(&channel_parts(socket_id, channel, channel_data));
    format!("{key}:{signature}")
}

/// Splits `auth` into its signature after checking the key, strictly:
/// exactly `"{app_key}:{64 hex digits}"`.
fn token_signature<'a>(auth: &'a str, key: &AppKey) -> Result<&'a str, AuthError> {
    let (given_key, signature) = auth.split_once(':').ok_or(AuthError::MalformedToken)?;
    if given_key.is_empty()
        || signature.len() != SIGNATURE_HEX_LEN
        || !signature.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(AuthError::MalformedToken);
    }
    if given_key != key.as_str() {
        return Err(AuthError::WrongKey);
    }
    Ok(signature)
}

/// Checks the `auth` of a `pusher:subscribe` to `channel`.
///
/// `channel_data` is the exact string the client sent. Presence channels require it.
///
/// # Errors
/// [`AuthError::MissingChannelData`] for a presence channel without `channel_data`,
/// [`AuthError::MalformedToken`], [`AuthError::WrongKey`] or [`AuthError::BadSignature`].
pub fn verify_channel(
    auth: &str,
    key: &AppKey,
    secret: &AppSecret,
    socket_id: &SocketId,
    channel: &ChannelName,
    channel_data: Option<&str>,
) -> Result<(), AuthError> {
    if channel.is_presence() && channel_data.is_none() {
        return Err(AuthError::MissingChannelData);
    }
    let signature = token_signature(auth, key)?;
    if secret.verify_hex(signature, &channel_parts(socket_id, channel, channel_data)) {
        Ok(())
    } else {
        Err(AuthError::BadSignature)
    }
}

/// Verifies a presence subscription that carries no `channel_data` because the connection is
/// signed in: the token signs `socket_id:channel`, and the member is the signed-in user.
///
/// # Errors
/// As [`verify_channel`], without the missing-`channel_data` case.
pub fn verify_presence_as_signed_in(
    auth: &str,
    key: &AppKey,
    secret: &AppSecret,
    socket_id: &SocketId,
    channel: &ChannelName,
) -> Result<(), AuthError> {
    let signature = token_signature(auth, key)?;
    if secret.verify_hex(signature, &channel_parts(socket_id, channel, None)) {
        Ok(())
    } else {
        Err(AuthError::BadSignature)
    }
}

fn user_parts<'a>(socket_id: &'a SocketId, user_data: &'a str) -> [&'a [u8]; 3] {
    [
        socket_id.as_str().as_bytes(),
        b"::user::",
        user_data.as_bytes(),
    ]
}

/// The `auth` token signing in `socket_id` with `user_data` (for `pusher:signin`).
#[must_use]
pub fn sign_user(
    key: &AppKey,
    secret: &AppSecret,
    socket_id: &SocketId,
    user_data: &str,
) -> String {
    let signature = secret.hex_hmac(&user_parts(socket_id, user_data));
    format!("{key}:{signature}")
}

/// Checks the `auth` of a `pusher:signin`, then parses its `user_data`.
///
/// # Errors
/// [`AuthError::MalformedToken`], [`AuthError::WrongKey`] or [`AuthError::BadSignature`];
/// then the [`UserData::parse`] errors.
pub fn verify_user(
    auth: &str,
    key: &AppKey,
    secret: &AppSecret,
    socket_id: &SocketId,
    user_data: &str,
) -> Result<UserData, AuthError> {
    let signature = token_signature(auth, key)?;
    if !secret.verify_hex(signature, &user_parts(socket_id, user_data)) {
        return Err(AuthError::BadSignature);
    }
    UserData::parse(user_data)
}

/// The `X-Pusher-Signature` of a webhook: lowercase hex of HMAC-SHA256 over the exact
/// `body` bytes that are POSTed.
#[must_use]
pub fn sign_webhook(secret: &AppSecret, body: &[u8]) -> String {
    secret.hex_hmac(&[body])
}

/// Whether `signature_hex` (64 hex digits, either case) is the `X-Pusher-Signature` of
/// `body`, compared in constant time. This is what a webhook receiver checks.
#[must_use]
pub fn verify_webhook(secret: &AppSecret, body: &[u8], signature_hex: &str) -> bool {
    secret.verify_hex(signature_hex, &[body])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> AppKey {
        s.parse().unwrap()
    }
    fn sid(s: &str) -> SocketId {
        s.parse().unwrap()
    }
    fn chan(s: &str) -> ChannelName {
        s.parse().unwrap()
    }

    #[test]
    fn pusher_http_node_channel_vectors() {
        // tests/integration/pusher/authenticate.js
        let secret = AppSecret::new("tofu").unwrap();
        let cases = [
            (
                "123.456",
                "test",
                None,
                "efa6cf7644a0b35cba36aa0f776f3cbf7bb60e95ea2696bde1dbe8403b61bd7c",
            ),
            (
                "321.654",
                "test",
                None,
                "f6ecb0a17d3e4f68aca28f1673197a7608587c09deb0208faa4b5519aee0a777",
            ),
            (
                "123.456",
                "test1",
                None,
                "d5ab857f805433cb50562da96afa41688d7742a3c3a021ed15a4d991a4d8cf94",
            ),
            (
                "123.456",
                "test2",
                None,
                "43affa6a09af1fb9ce1cadf176171346beaf7366673ec1e5920f68b3e97a466d",
            ),
            (
                "123.456",
                "test",
                Some(r#"{"foo":"bar"}"#),
                "f41faf9ead2ea76772cc6b1168363057459f02499ae4d92e88229dc7f4efa2d4",
            ),
            (
                "1.1",
                "test",
                Some("\"ą§¶™€łü€ß£\""),
                "2a229263e89d9c50524fd80c2e88be2843379f6931e28995e2cc214282c9db0c",
            ),
        ];
        for (socket, channel, data, sig) in cases {
            let auth = sign_channel(&key("aaaa"), &secret, &sid(socket), &chan(channel), data);
            assert_eq!(auth, format!("aaaa:{sig}"));
            verify_channel(
                &auth,
                &key("aaaa"),
                &secret,
                &sid(socket),
                &chan(channel),
                data,
            )
            .unwrap();
        }
        for (secret, sig) in [
            (
                "1",
                "584828bd6e80b2d177d2b28fde07b8e170abf87ccb5a791a50c933711fb8eb28",
            ),
            (
                "2",
                "269bbf3f7625db4e0d0525b617efa5915c3ae667fd222dc8e4cb94bc531f26f2",
            ),
        ] {
            let secret = AppSecret::new(secret).unwrap();
            let auth = sign_channel(&key("11111"), &secret, &sid("123.456"), &chan("test"), None);
            assert_eq!(auth, format!("11111:{sig}"));
        }
    }

    #[test]
    fn verification_failures() {
        let (k, s, id, c) = (
            key("aaaa"),
            AppSecret::new("tofu").unwrap(),
            sid("123.456"),
            chan("private-x"),
        );
        let good = sign_channel(&k, &s, &id, &c, None);
        let verify = |auth: &str| verify_channel(auth, &k, &s, &id, &c, None);
        assert_eq!(verify(&good), Ok(()));
        assert_eq!(
            verify(&good.to_uppercase().replacen("AAAA", "aaaa", 1)),
            Ok(())
        );
        assert_eq!(
            verify(&good.replacen("aaaa", "bbbb", 1)),
            Err(AuthError::WrongKey)
        );
        let (_, sig) = good.split_once(':').unwrap();
        let mut flipped = sig.to_owned();
        flipped.replace_range(0..1, if sig.starts_with('0') { "1" } else { "0" });
        assert_eq!(
            verify(&format!("aaaa:{flipped}")),
            Err(AuthError::BadSignature)
        );
        for bad in [
            "",
            "aaaa",
            "aaaa:",
            ":abc",
            "aaaa:zz",
            &format!("aaaa:{sig}0"),
            &format!("aaaa:{sig}:x"),
            &format!(":{sig}"),
        ] {
            assert_eq!(verify(bad), Err(AuthError::MalformedToken), "{bad:?}");
        }
        // Signed for another socket or channel.
        assert_eq!(
            verify_channel(&good, &k, &s, &sid("1.2"), &c, None),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            verify_channel(&good, &k, &s, &id, &chan("private-y"), None),
            Err(AuthError::BadSignature)
        );
        // Presence needs channel_data before anything else.
        let p = chan("presence-x");
        assert_eq!(
            verify_channel(&good, &k, &s, &id, &p, None),
            Err(AuthError::MissingChannelData)
        );
    }

    #[test]
    fn pusher_http_node_user_vectors() {
        let secret = AppSecret::new("tofu").unwrap();
        let cases = [
            (
                "123.456",
                r#"{"id":"45678"}"#,
                "f4b1fdeea7c93e32648c7230e32b172057c5623cace6cfce791c6e7035e0babd",
            ),
            (
                "123.456",
                r#"{"id":"55555","user_name":"test"}"#,
                "b8a9f173455903792ae2b788add0c4c78ad7372b3ae7fb5769479276a1993743",
            ),
            (
                "1.1",
                r#"{"id":"ą§¶™€łü€ß£"}"#,
                "620494cee53d6c568b49598313194088afda37218f0d059af03c0c898ed61ff4",
            ),
        ];
        for (socket, data, sig) in cases {
            let auth = sign_user(&key("aaaa"), &secret, &sid(socket), data);
            assert_eq!(auth, format!("aaaa:{sig}"));
            let user = verify_user(&auth, &key("aaaa"), &secret, &sid(socket), data).unwrap();
            assert_eq!(user.as_str(), data);
        }
        let auth = sign_user(&key("aaaa"), &secret, &sid("1.1"), r#"{"id":"1"}"#);
        assert_eq!(
            verify_user(&auth, &key("aaaa"), &secret, &sid("1.1"), r#"{"id":"2"}"#),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn keys_and_secrets() {
        for bad in ["", "a:b", "a\nb"] {
            assert_eq!(bad.parse::<AppKey>(), Err(AuthError::InvalidAppKey));
        }
        assert_eq!(AppSecret::new("").unwrap_err(), AuthError::EmptySecret);
        let secret = AppSecret::new("super-secret").unwrap();
        assert_eq!(format!("{secret:?}"), "AppSecret(<redacted>)");
        // Keys longer than SHA-256's block are hashed first, as HMAC specifies.
        assert!(AppSecret::new(&"k".repeat(200)).is_ok());
    }

    #[test]
    fn webhook_signatures() {
        // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
        let secret = AppSecret::new("Jefe").unwrap();
        let body = b"what do ya want for nothing?";
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(sign_webhook(&secret, body), expected);
        assert!(verify_webhook(&secret, body, expected));
        assert!(verify_webhook(&secret, body, &expected.to_uppercase()));
        // Another body, another secret, a flipped digit, or a malformed signature.
        assert!(!verify_webhook(
            &secret,
            b"what do ya want for nothing!",
            expected
        ));
        let other = AppSecret::new("Jeff").unwrap();
        assert!(!verify_webhook(&other, body, expected));
        let flipped = format!("4{}", &expected[1..]);
        assert!(!verify_webhook(&secret, body, &flipped));
        for bad in ["", "zz", &expected[..63], &format!("{expected}0")] {
            assert!(!verify_webhook(&secret, body, bad), "{bad:?}");
        }
    }
}
