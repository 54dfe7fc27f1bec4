//! Reading an HTTP API request: its route, its query, its body and its signature.

use bytes::Bytes;
use domvia_protocol::{HttpAuthError, verify_request};
use http::{HeaderMap, Method, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;

use super::ApiError;
use crate::app::App;
use crate::config::Limits;

/// The smallest body limit, whatever the app's limits: room for 100 channel names.
const MIN_BODY_LIMIT: usize = 64 * 1024;

/// An endpoint, with its decoded path parameters.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Route {
    /// `POST /apps/{id}/events`
    Events,
    /// `POST /apps/{id}/batch_events`
    BatchEvents,
    /// `GET /apps/{id}/channels`
    Channels,
    /// `GET /apps/{id}/channels/{channel}`
    Channel(String),
    /// `GET /apps/{id}/channels/{channel}/users`
    ChannelUsers(String),
    /// `POST /apps/{id}/users/{user}/terminate_connections`
    TerminateUser(String),
}

impl Route {
    /// The endpoint at `segments` (the path after `/apps/{id}/`, split on `/` before
    /// decoding, so an encoded `%2F` stays inside its segment).
    ///
    /// # Errors
    /// [`ApiError::NotFound`], [`ApiError::MethodNotAllowed`], or
    /// [`ApiError::MalformedPath`] for a segment that does not decode.
    pub(super) fn parse(method: &Method, segments: &[&str]) -> Result<Self, ApiError> {
        let (route, allowed) = match segments {
            ["events"] => (Self::Events, Method::POST),
            ["batch_events"] => (Self::BatchEvents, Method::POST),
            ["channels"] => (Self::Channels, Method::GET),
            ["channels", channel] => (Self::Channel(decode_segment(channel)?), Method::GET),
            ["channels", channel, "users"] => {
                (Self::ChannelUsers(decode_segment(channel)?), Method::GET)
            }
            ["users", user, "terminate_connections"] => {
                (Self::TerminateUser(decode_segment(user)?), Method::POST)
            }
            _ => return Err(ApiError::NotFound),
        };
        if *method == allowed {
            Ok(route)
        } else {
            Err(ApiError::MethodNotAllowed { allowed })
        }
    }
}

/// The app id and the rest of `/apps/{id}/…`, split on `/`.
///
/// # Errors
/// [`ApiError::NotFound`] for a path without an endpoint after the app id.
pub(super) fn split_path(path: &str) -> Result<(String, Vec<&str>), ApiError> {
    let rest = path.strip_prefix("/apps/").ok_or(ApiError::NotFound)?;
    let (app_id, endpoint) = rest.split_once('/').ok_or(ApiError::NotFound)?;
    Ok((decode_segment(app_id)?, endpoint.split('/').collect()))
}

fn decode_segment(segment: &str) -> Result<String, ApiError> {
    percent_decode(segment).ok_or(ApiError::MalformedPath)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(b.wrapping_sub(b'a').wrapping_add(10)),
        b'A'..=b'F' => Some(b.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

/// Percent-decodes `s` as UTF-8, leaving `+` as is (no SDK form-encodes); `None` for a
/// truncated escape or invalid UTF-8. The same rule as the signature verifier's.
pub(super) fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let high = bytes.next().and_then(hex_value)?;
            let low = bytes.next().and_then(hex_value)?;
            out.push(high.wrapping_mul(16) | low);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// The decoded query parameters (names lowercased, as the signature verifier reads them).
#[derive(Debug, Default)]
pub(super) struct Query {
    params: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without `?`).
    ///
    /// # Errors
    /// [`ApiError::Auth`] with [`HttpAuthError::MalformedQuery`] for bad percent-encoding
    /// (the signature check refuses such queries first).
    pub(super) fn parse(raw: &str) -> Result<Self, ApiError> {
        let malformed = || ApiError::Auth {
            source: HttpAuthError::MalformedQuery,
        };
        let mut params = Vec::new();
        for pair in raw.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(name).ok_or_else(malformed)?;
            let value = percent_decode(value).ok_or_else(malformed)?;
            params.push((name.to_ascii_lowercase(), value));
        }
        Ok(Self { params })
    }

    /// The value of the parameter `name` (lowercase).
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The largest body an app accepts: a full batch of maximal events, twice over for JSON
/// escaping, and never under [`MIN_BODY_LIMIT`].
#[must_use]
pub(super) fn body_limit(limits: &Limits) -> usize {
    limits
        .max_payload_bytes
        .saturating_mul(2)
        .saturating_mul(limits.max_batch_events)
        .max(MIN_BODY_LIMIT)
}

/// Reads the whole body, refusing more than `limit` bytes (by `Content-Length` before
/// reading anything, and while reading for chunked bodies).
///
/// # Errors
/// [`ApiError::BodyTooLarge`] or [`ApiError::BodyUnreadable`].
pub(super) async fn read_body(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(ApiError::BodyTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(ApiError::BodyTooLarge { limit }),
        Err(_) => Err(ApiError::BodyUnreadable),
    }
}

/// Checks the request's signature with the app's key and secret at `now` (Unix seconds).
///
/// The signature is first checked over the path as received. Official SDKs sign the path
/// before their HTTP client percent-encodes it (pusher-http-node builds
/// `/users/${userId}/terminate_connections` and signs it as is), so a non-ASCII or spaced
/// user id arrives encoded but was signed decoded: on a mismatch, the decoded path is
/// tried too. Either form proves knowledge of the secret for this method, path and query.
///
/// # Errors
/// [`ApiError::Auth`] with the first failed check.
pub(super) fn authenticate(
    app: &App,
    method: &Method,
    raw_path: &str,
    raw_query: &str,
    body: &[u8],
    now: u64,
) -> Result<(), ApiError> {
    let config = app.config();
    let verify = |path: &str| {
        verify_request(
            method.as_str(),
            path,
            raw_query,
            body,
            &config.key,
            &config.secret,
            now,
        )
    };
    let result = match verify(raw_path) {
        Err(HttpAuthError::BadSignature) => match percent_decode(raw_path) {
            Some(decoded) if decoded != raw_path => verify(&decoded),
            Some(_) | None => Err(HttpAuthError::BadSignature),
        },
        other => other,
    };
    result.map_err(|source| ApiError::Auth { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_methods() {
        let route = |method: &Method, path: &str| {
            let (app, segments) = split_path(path)?;
            assert_eq!(app, "1");
            Route::parse(method, &segments)
        };
        assert_eq!(
            route(&Method::POST, "/apps/1/events").unwrap(),
            Route::Events
        );
        assert_eq!(
            route(&Method::GET, "/apps/1/channels/%23server-to-user-a").unwrap(),
            Route::Channel("#server-to-user-a".to_owned())
        );
        assert_eq!(
            route(&Method::POST, "/apps/1/users/a%2Fb/terminate_connections").unwrap(),
            Route::TerminateUser("a/b".to_owned())
        );
        assert!(matches!(
            route(&Method::GET, "/apps/1/events"),
            Err(ApiError::MethodNotAllowed { allowed }) if allowed == Method::POST
        ));
        for missing in [
            "/apps/1",
            "/apps/1/",
            "/apps/1/events/",
            "/apps/1/channels/a/b",
        ] {
            assert!(
                matches!(route(&Method::GET, missing), Err(ApiError::NotFound)),
                "{missing}"
            );
        }
        assert!(matches!(
            route(&Method::GET, "/apps/1/channels/%FF"),
            Err(ApiError::MalformedPath)
        ));
    }

    #[test]
    fn decoding_and_query() {
        assert_eq!(percent_decode("a%2Cb+c").as_deref(), Some("a,b+c"));
        assert_eq!(percent_decode("%C4%85").as_deref(), Some("ą"));
        for bad in ["%", "%2", "%zz", "%FF"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
        let query = Query::parse("INFO=user_count%2Csubscription_count&&flag").unwrap();
        assert_eq!(query.get("info"), Some("user_count,subscription_count"));
        assert_eq!(query.get("flag"), Some(""));
        assert_eq!(query.get("other"), None);
    }

    #[test]
    fn body_limit_has_a_floor() {
        let mut limits = Limits::default();
        assert_eq!(body_limit(&limits), 2 * 10_240 * 10);
        limits.max_payload_bytes = 10;
        assert_eq!(body_limit(&limits), MIN_BODY_LIMIT);
        limits.max_payload_bytes = usize::MAX;
        assert_eq!(body_limit(&limits), usize::MAX);
    }
}
