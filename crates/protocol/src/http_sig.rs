//! HTTP API request signatures, as the official server SDKs compute them.
//!
//! Rules implemented (Pusher "HTTP API reference → Authentication", and
//! pusher-http-node `lib/requests.js` `createSignedQueryString` with `lib/util.js`):
//! - query parameters `auth_key`, `auth_timestamp` (Unix seconds), `auth_version=1.0`, and
//!   `body_md5` (lowercase hex MD5 of the body) for requests with a non-empty body;
//! - `auth_signature` = lowercase hex HMAC-SHA256 (app secret) of
//!   `"{METHOD}\n{path}\n{query}"`, where `query` is every parameter except
//!   `auth_signature`, keys lowercased, sorted by key, `key=value` joined by `&`, values
//!   exactly as sent (not re-encoded: pusher-http-node joins raw values);
//! - the server accepts a timestamp within [`MAX_TIMESTAMP_SKEW_SECS`] (600 s) of its clock;
//! - authentication failures answer `401 Unauthorized`, malformed requests
//!   `400 Bad Request` (HTTP API reference, "Response codes").
//!
//! The verifier percent-decodes keys and values of the raw query (`%2C` and `,` sign the
//! same) and leaves `+` as is, since no SDK form-encodes its query.
//!
//! ```
//! use domvia_protocol::{AppKey, AppSecret, RequestToSign, sign_request, verify_request};
//!
//! let key: AppKey = "f00d".parse()?;
//! let secret = AppSecret::new("beef")?;
//! let body = br#"{"name":"e","channels":["c"],"data":"{}"}"#;
//! let request = RequestToSign { method: "POST", path: "/apps/1/events", params: &[], body };
//! let query = sign_request(&request, &key, &secret, 1_700_000_000)?;
//!
//! verify_request("POST", "/apps/1/events", &query, body, &key, &secret, 1_700_000_030)?;
//! let late = verify_request("POST", "/apps/1/events", &query, body, &key, &secret, 1_700_000_601);
//! assert_eq!(late.map_err(|e| e.status()), Err(401));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use md5::{Digest, Md5};

use crate::auth::{AppKey, AppSecret};

/// How far `auth_timestamp` may be from the server's clock, in seconds, either way.
pub const MAX_TIMESTAMP_SKEW_SECS: u64 = 600;

/// The only `auth_version` there is.
const AUTH_VERSION: &str = "1.0";

/// Parameters the signer sets itself; a caller may not pass them
/// (pusher-http-node: "… is a required parameter and cannot be overidden").
const RESERVED: [&str; 5] = [
    "auth_key",
    "auth_timestamp",
    "auth_version",
    "auth_signature",
    "body_md5",
];

/// Why an HTTP API request was refused (or could not be signed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpAuthError {
    /// The query string is not valid percent-encoded UTF-8.
    #[error("malformed query string")]
    MalformedQuery,
    /// A parameter appears twice (names compare case-insensitively); the signer refuses
    /// such parameters too, since no query holding them verifies.
    #[error("duplicate query parameter {name:?}")]
    DuplicateParam {
        /// The parameter's (lowercased) name.
        name: String,
    },
    /// A required authentication parameter is missing.
    #[error("missing query parameter {name}")]
    MissingParam {
        /// The missing parameter.
        name: &'static str,
    },
    /// `auth_key` is not this app's key.
    #[error("auth_key does not match the app key")]
    WrongKey,
    /// `auth_version` is not `1.0`.
    #[error("unsupported auth_version")]
    UnsupportedVersion,
    /// `auth_timestamp` is not a decimal number of seconds.
    #[error("auth_timestamp is not a number")]
    InvalidTimestamp,
    /// `auth_timestamp` is more than [`MAX_TIMESTAMP_SKEW_SECS`] from the server's clock.
    #[error(
        "auth_timestamp is {skew_secs} s from the server's time (limit {MAX_TIMESTAMP_SKEW_SECS} s)"
    )]
    ExpiredTimestamp {
        /// The difference, in seconds.
        skew_secs: u64,
    },
    /// `body_md5` does not match the body.
    #[error("body_md5 does not match the body")]
    BodyMd5Mismatch,
    /// `auth_signature` does not match.
    #[error("invalid auth_signature")]
    BadSignature,
    /// Signing only: the caller passed a parameter the signer sets itself.
    #[error("{name} is set by the signer and cannot be overridden")]
    ReservedParam {
        /// The reserved parameter.
        name: &'static str,
    },
}

impl HttpAuthError {
    /// A stable machine-readable code for logs, the bindings and response bodies.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedQuery => "http_malformed_query",
            Self::DuplicateParam { .. } => "http_duplicate_param",
            Self::MissingParam { .. } => "http_missing_param",
            Self::WrongKey => "http_wrong_key",
            Self::UnsupportedVersion => "http_unsupported_version",
            Self::InvalidTimestamp => "http_invalid_timestamp",
            Self::ExpiredTimestamp { .. } => "http_expired_timestamp",
            Self::BodyMd5Mismatch => "http_body_md5_mismatch",
            Self::BadSignature => "http_bad_signature",
            Self::ReservedParam { .. } => "http_reserved_param",
        }
    }

    /// The HTTP status the gateway answers with: 400 for a malformed request, 401 for
    /// every authentication failure.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::MalformedQuery | Self::DuplicateParam { .. } | Self::ReservedParam { .. } => 400,
            Self::MissingParam { .. }
            | Self::WrongKey
            | Self::UnsupportedVersion
            | Self::InvalidTimestamp
            | Self::ExpiredTimestamp { .. }
            | Self::BodyMd5Mismatch
            | Self::BadSignature => 401,
        }
    }
}

/// A request to sign: the caller's own parameters, without the `auth_*` ones.
#[derive(Clone, Copy, Debug)]
pub struct RequestToSign<'a> {
    /// HTTP method; uppercased for signing.
    pub method: &'a str,
    /// Path, e.g. `/apps/3/events`.
    pub path: &'a str,
    /// Extra query parameters, e.g. `("info", "user_count")`.
    pub params: &'a [(&'a str, &'a str)],
    /// The body; `body_md5` is added when it is non-empty.
    pub body: &'a [u8],
}

/// Lowercase hex MD5 of `body`.
#[must_use]
pub fn body_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// `"{METHOD}\n{path}\n{k=v&…}"` over `params`, sorted by key.
fn string_to_sign(method: &str, path: &str, params: &mut [(String, String)]) -> String {
    params.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{}\n{path}\n{}",
        method.to_ascii_uppercase(),
        query.join("&")
    )
}

/// The signed query string for `request` at `timestamp` (Unix seconds), in
/// pusher-http-node's form: sorted `key=value` pairs, then `&auth_signature=…`.
///
/// Values are not percent-encoded, exactly as the SDK does; pass values that need no
/// encoding (channel names, numbers, `user_count,subscription_count`).
///
/// # Errors
/// [`HttpAuthError::ReservedParam`] when `request.params` holds an `auth_*` or `body_md5`
/// parameter; [`HttpAuthError::DuplicateParam`] when it holds two parameters of the same
/// name, ignoring ASCII case (the verifier refuses such a query).
pub fn sign_request(
    request: &RequestToSign<'_>,
    key: &AppKey,
    secret: &AppSecret,
    timestamp: u64,
) -> Result<String, HttpAuthError> {
    let mut params = vec![
        ("auth_key".to_owned(), key.as_str().to_owned()),
        ("auth_timestamp".to_owned(), timestamp.to_string()),
        ("auth_version".to_owned(), AUTH_VERSION.to_owned()),
    ];
    if !request.body.is_empty() {
        params.push(("body_md5".to_owned(), body_md5(request.body)));
    }
    for &(name, value) in request.params {
        let lower = name.to_ascii_lowercase();
        if let Some(reserved) = RESERVED.iter().find(|r| **r == lower) {
            return Err(HttpAuthError::ReservedParam { name: reserved });
        }
        if params.iter().any(|(existing, _)| *existing == lower) {
            return Err(HttpAuthError::DuplicateParam { name: lower });
        }
        params.push((lower, value.to_owned()));
    }
    let signed = string_to_sign(request.method, request.path, &mut params);
    let signature = secret.hex_hmac(&[signed.as_bytes()]);
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    Ok(format!("{}&auth_signature={signature}", query.join("&")))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(b.wrapping_sub(b'a').wrapping_add(10)),
        b'A'..=b'F' => Some(b.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

/// Percent-decodes `s` (no `+` → space), as UTF-8.
fn percent_decode(s: &str) -> Result<String, HttpAuthError> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let high = bytes.next().and_then(hex_value);
            let low = bytes.next().and_then(hex_value);
            match (high, low) {
                (Some(h), Some(l)) => out.push(h.wrapping_mul(16) | l),
                _ => return Err(HttpAuthError::MalformedQuery),
            }
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).map_err(|_| HttpAuthError::MalformedQuery)
}

/// The query's parameters, decoded, keys lowercased, duplicates refused.
fn parse_query(raw_query: &str) -> Result<Vec<(String, String)>, HttpAuthError> {
    let mut params: Vec<(String, String)> = Vec::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(k)?.to_ascii_lowercase();
        if params.iter().any(|(existing, _)| *existing == key) {
            return Err(HttpAuthError::DuplicateParam { name: key });
        }
        params.push((key, percent_decode(v)?));
    }
    Ok(params)
}

fn param<'a>(params: &'a [(String, String)], name: &'static str) -> Result<&'a str, HttpAuthError> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .ok_or(HttpAuthError::MissingParam { name })
}

/// Verifies an HTTP API request's signature. `raw_query` is the query string without `?`;
/// `now` is the server's clock in Unix seconds.
///
/// Checks, in order: the query parses; `auth_key`, `auth_timestamp`, `auth_version` and
/// `auth_signature` are present; the key is this app's; the version is `1.0`; the
/// timestamp is within [`MAX_TIMESTAMP_SKEW_SECS`]; `body_md5` is present for a non-empty
/// body and, when present, matches; the signature matches (constant-time comparison).
///
/// # Errors
/// The first failed check, as an [`HttpAuthError`]; [`HttpAuthError::status`] gives the
/// HTTP status to answer with.
pub fn verify_request(
    method: &str,
    path: &str,
    raw_query: &str,
    body: &[u8],
    app_key: &AppKey,
    app_secret: &AppSecret,
    now: u64,
) -> Result<(), HttpAuthError> {
    let mut params = parse_query(raw_query)?;
    let given_key = param(&params, "auth_key")?;
    let timestamp = param(&params, "auth_timestamp")?;
    let version = param(&params, "auth_version")?;
    let signature = param(&params, "auth_signature")?.to_owned();
    if given_key != app_key.as_str() {
        return Err(HttpAuthError::WrongKey);
    }
    if version != AUTH_VERSION {
        return Err(HttpAuthError::UnsupportedVersion);
    }
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HttpAuthError::InvalidTimestamp);
    }
    let timestamp: u64 = timestamp
        .parse()
        .map_err(|_| HttpAuthError::InvalidTimestamp)?;
    let skew_secs = now.abs_diff(timestamp);
    if skew_secs > MAX_TIMESTAMP_SKEW_SECS {
        return Err(HttpAuthError::ExpiredTimestamp { skew_secs });
    }
    match param(&params, "body_md5") {
        Ok(md5) if !md5.eq_ignore_ascii_case(&body_md5(body)) => {
            return Err(HttpAuthError::BodyMd5Mismatch);
        }
        Ok(_) => {}
        Err(missing) if !body.is_empty() => return Err(missing),
        Err(_) => {}
    }
    params.retain(|(k, _)| k != "auth_signature");
    let signed = string_to_sign(method, path, &mut params);
    if app_secret.verify_hex(&signature, &[signed.as_bytes()]) {
        Ok(())
    } else {
        Err(HttpAuthError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Cb%2c").unwrap(), "a,b,");
        assert_eq!(percent_decode("a+b").unwrap(), "a+b");
        assert_eq!(percent_decode("%C4%85").unwrap(), "ą");
        for bad in ["%", "%2", "%zz", "%FF"] {
            assert_eq!(
                percent_decode(bad),
                Err(HttpAuthError::MalformedQuery),
                "{bad}"
            );
        }
    }

    #[test]
    fn query_parsing() {
        let p = parse_query("B=1&&a=&c").unwrap();
        assert_eq!(
            p,
            vec![
                ("b".into(), "1".into()),
                ("a".into(), String::new()),
                ("c".into(), String::new())
            ]
        );
        assert_eq!(
            parse_query("a=1&A=2"),
            Err(HttpAuthError::DuplicateParam { name: "a".into() })
        );
    }

    #[test]
    fn signing_refuses_reserved_params() {
        let key: AppKey = "k".parse().unwrap();
        let secret = AppSecret::new("s").unwrap();
        for name in RESERVED {
            let params = [(name, "x")];
            let request = RequestToSign {
                method: "GET",
                path: "/",
                params: &params,
                body: b"",
            };
            assert_eq!(
                sign_request(&request, &key, &secret, 1),
                Err(HttpAuthError::ReservedParam { name })
            );
        }
    }

    /// Found by the `auth_verify` fuzz target: `sign_request` signed a query with a
    /// repeated parameter, which `verify_request` then refused as a duplicate.
    #[test]
    fn signing_refuses_duplicate_params() {
        let key: AppKey = "k".parse().unwrap();
        let secret = AppSecret::new("s").unwrap();
        for params in [
            [("info", "user_count"), ("info", "subscription_count")],
            [("info", "user_count"), ("INFO", "user_count")],
        ] {
            let request = RequestToSign {
                method: "GET",
                path: "/apps/1/channels",
                params: &params,
                body: b"",
            };
            assert_eq!(
                sign_request(&request, &key, &secret, 1),
                Err(HttpAuthError::DuplicateParam {
                    name: "info".into()
                })
            );
        }
        // Distinct names still sign, and what is signed verifies.
        let params = [("info", "user_count"), ("filter_by_prefix", "presence-")];
        let request = RequestToSign {
            method: "GET",
            path: "/apps/1/channels",
            params: &params,
            body: b"",
        };
        let query = sign_request(&request, &key, &secret, 1).unwrap();
        assert_eq!(
            verify_request("GET", "/apps/1/channels", &query, b"", &key, &secret, 1),
            Ok(())
        );
    }

    #[test]
    fn md5_of_empty_and_known() {
        assert_eq!(body_md5(b""), "d41d8cd98f00b204e9800998ecf8427e");
        // pusher-http-node tests/integration/pusher/create_signed_query_string.js
        assert_eq!(
            body_md5(b"example body"),
            "165d5e6d7ca8f73b3853ce45addf42fc"
        );
    }
}
