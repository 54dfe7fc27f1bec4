//! Signatures against published vectors: the Pusher docs' worked examples and the
//! pusher-http-node test suite, and every HTTP authentication error with its status.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed assumption should stop the test loudly"
)]

use domvia_protocol::{
    AppKey, AppSecret, AuthError, ChannelName, HttpAuthError, RequestToSign, sign_channel,
    sign_request, verify_channel, verify_request,
};

fn chan(s: &str) -> ChannelName {
    s.parse().unwrap()
}

fn key(s: &str) -> AppKey {
    s.parse().unwrap()
}

#[test]
fn http_api_reference_worked_example() {
    // Pusher "HTTP API reference → Worked authentication example": app 3, key
    // 278d425bdf160c739803, secret 7ad3773142a6692b25b8, timestamp 1353088179.
    let body = br#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
    let secret = AppSecret::new("7ad3773142a6692b25b8").unwrap();
    let request = RequestToSign {
        method: "POST",
        path: "/apps/3/events",
        params: &[],
        body,
    };
    let query = sign_request(
        &request,
        &key("278d425bdf160c739803"),
        &secret,
        1_353_088_179,
    )
    .unwrap();
    assert_eq!(
        query,
        "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0\
         &body_md5=ec365a775a4cd0599faeb73354201b6f\
         &auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
    );
    verify_request(
        "POST",
        "/apps/3/events",
        &query,
        body,
        &key("278d425bdf160c739803"),
        &secret,
        1_353_088_179,
    )
    .unwrap();
}

#[test]
fn pusher_http_node_signed_query_vectors() {
    // tests/integration/pusher/create_signed_query_string.js (current version): key f00d,
    // secret tofu, Date.now mocked to 1234567890000.
    let secret = AppSecret::new("tofu").unwrap();
    let with_body = RequestToSign {
        method: "GET",
        path: "/event",
        params: &[],
        body: b"example body",
    };
    let query = sign_request(&with_body, &key("f00d"), &secret, 1_234_567_890).unwrap();
    assert!(query.contains("body_md5=165d5e6d7ca8f73b3853ce45addf42fc"));
    assert!(query.ends_with(
        "&auth_signature=a650196dc427ebe837226f8565ca9232198c6d1b9455eaa72374a9dc0b620e7b"
    ));
    verify_request(
        "GET",
        "/event",
        &query,
        b"example body",
        &key("f00d"),
        &secret,
        1_234_567_890,
    )
    .unwrap();

    let params = [("foo", "bar"), ("baz", "123454321")];
    let with_params = RequestToSign {
        method: "GET",
        path: "/event",
        params: &params,
        body: b"",
    };
    let query = sign_request(&with_params, &key("f00d"), &secret, 1_234_567_890).unwrap();
    assert!(!query.contains("body_md5"));
    assert!(query.ends_with(
        "&auth_signature=d8bdbd31911fb7400a14fbd36fd7de053494725b64400ae5856deafe304b34a9"
    ));
    verify_request(
        "GET",
        "/event",
        &query,
        b"",
        &key("f00d"),
        &secret,
        1_234_567_890,
    )
    .unwrap();
    // Order and percent-encoding of the received query do not matter; case of the method
    // does not either.
    let reordered = query.replace("foo=bar", "foo=%62ar");
    let mut pairs: Vec<&str> = reordered.split('&').collect();
    pairs.reverse();
    verify_request(
        "get",
        "/event",
        &pairs.join("&"),
        b"",
        &key("f00d"),
        &secret,
        1_234_567_890,
    )
    .unwrap();

    // Older pusher-http-node releases sorted with a boolean comparator, which left extra
    // parameters in insertion order: their published vector for the same request (secret
    // beef) signs "...&auth_version=1.0&foo=bar&baz=123454321". The protocol says sorted,
    // so such a signature is refused.
    let old = "auth_key=f00d&auth_timestamp=1234567890&auth_version=1.0&foo=bar&baz=123454321\
               &auth_signature=3dd3a21ed3ae81a7ef9733e520ea3c0d8e9973b2eae979ad4efab821933798ab";
    let beef = AppSecret::new("beef").unwrap();
    assert_eq!(
        verify_request(
            "GET",
            "/event",
            old,
            b"",
            &key("f00d"),
            &beef,
            1_234_567_890
        ),
        Err(HttpAuthError::BadSignature)
    );
    // Their body-only vector has no extra parameters, so it still verifies.
    let old_body = "auth_key=f00d&auth_timestamp=1234567890&auth_version=1.0\
                    &body_md5=165d5e6d7ca8f73b3853ce45addf42fc\
                    &auth_signature=89323a7f200fdefaa992e73e0953534dbb94c4dd2450514bcb4721b28b14fb26";
    verify_request(
        "GET",
        "/event",
        old_body,
        b"example body",
        &key("f00d"),
        &beef,
        1_234_567_890,
    )
    .unwrap();
}

#[test]
fn every_http_auth_error() {
    let secret = AppSecret::new("beef").unwrap();
    let k = key("f00d");
    let body: &[u8] = br#"{"name":"e"}"#;
    let request = RequestToSign {
        method: "POST",
        path: "/apps/1/events",
        params: &[],
        body,
    };
    let now = 1_700_000_000;
    let good = sign_request(&request, &k, &secret, now).unwrap();
    let verify = |q: &str, body: &[u8], now: u64| {
        verify_request("POST", "/apps/1/events", q, body, &k, &secret, now)
    };
    assert_eq!(verify(&good, body, now), Ok(()));
    assert_eq!(verify(&good, body, now + 600), Ok(()));
    assert_eq!(verify(&good, body, now - 600), Ok(()));

    let drop_param = |name: &str| {
        good.split('&')
            .filter(|p| !p.starts_with(&format!("{name}=")))
            .collect::<Vec<_>>()
            .join("&")
    };
    let cases: Vec<(String, &[u8], u64, HttpAuthError, u16)> = vec![
        (
            format!("{good}&x=%zz"),
            body,
            now,
            HttpAuthError::MalformedQuery,
            400,
        ),
        (
            format!("{good}&auth_key=f00d"),
            body,
            now,
            HttpAuthError::DuplicateParam {
                name: "auth_key".into(),
            },
            400,
        ),
        (
            drop_param("auth_key"),
            body,
            now,
            HttpAuthError::MissingParam { name: "auth_key" },
            401,
        ),
        (
            drop_param("auth_timestamp"),
            body,
            now,
            HttpAuthError::MissingParam {
                name: "auth_timestamp",
            },
            401,
        ),
        (
            drop_param("auth_version"),
            body,
            now,
            HttpAuthError::MissingParam {
                name: "auth_version",
            },
            401,
        ),
        (
            drop_param("auth_signature"),
            body,
            now,
            HttpAuthError::MissingParam {
                name: "auth_signature",
            },
            401,
        ),
        (
            drop_param("body_md5"),
            body,
            now,
            HttpAuthError::MissingParam { name: "body_md5" },
            401,
        ),
        (
            good.replace("auth_key=f00d", "auth_key=feed"),
            body,
            now,
            HttpAuthError::WrongKey,
            401,
        ),
        (
            good.replace("auth_version=1.0", "auth_version=2.0"),
            body,
            now,
            HttpAuthError::UnsupportedVersion,
            401,
        ),
        (
            good.replace("auth_timestamp=1700000000", "auth_timestamp=-1"),
            body,
            now,
            HttpAuthError::InvalidTimestamp,
            401,
        ),
        (
            good.clone(),
            body,
            now + 601,
            HttpAuthError::ExpiredTimestamp { skew_secs: 601 },
            401,
        ),
        (
            good.clone(),
            body,
            now - 601,
            HttpAuthError::ExpiredTimestamp { skew_secs: 601 },
            401,
        ),
        (
            good.clone(),
            br#"{"name":"f"}"#,
            now,
            HttpAuthError::BodyMd5Mismatch,
            401,
        ),
        (
            format!("{good}&extra=1"),
            body,
            now,
            HttpAuthError::BadSignature,
            401,
        ),
    ];
    for (query, body, now, expected, status) in cases {
        let err = verify(&query, body, now).unwrap_err();
        assert_eq!(err, expected, "{query}");
        assert_eq!(err.status(), status, "{query}");
        assert!(err.code().starts_with("http_"));
    }
    // A tampered path or method fails the signature.
    assert_eq!(
        verify_request("POST", "/apps/2/events", &good, body, &k, &secret, now),
        Err(HttpAuthError::BadSignature)
    );
    assert_eq!(
        verify_request("PUT", "/apps/1/events", &good, body, &k, &secret, now),
        Err(HttpAuthError::BadSignature)
    );
}

#[test]
fn channel_auth_docs_example() {
    // "Authentication and authorization signatures": socket 1234.1234, private-foobar.
    let secret = AppSecret::new("7ad3773142a6692b25b8").unwrap();
    let auth = sign_channel(
        &key("278d425bdf160c739803"),
        &secret,
        &"1234.1234".parse().unwrap(),
        &chan("private-foobar"),
        None,
    );
    assert_eq!(
        auth,
        "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
    );
    assert_eq!(
        verify_channel(
            &auth,
            &key("other"),
            &secret,
            &"1234.1234".parse().unwrap(),
            &chan("private-foobar"),
            None
        ),
        Err(AuthError::WrongKey)
    );
}
