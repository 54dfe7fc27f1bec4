//! Refusals: authentication, unknown apps and paths, methods, malformed and oversize
//! bodies, and the message budget.

use std::time::Duration;

use domvia_protocol::{AppKey, AppSecret};
use http::{Method, StatusCode, header};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::harness::*;

#[tokio::test]
async fn bad_json_is_400() {
    let h = Harness::start().await;
    let path = format!("/apps/{APP_ID}/events");
    let bodies: [&[u8]; 6] = [
        b"not json",
        b"{\"name\":\"e\",",
        br#"{"name":"e","channels":"news","data":"x"}"#,
        br#"{"name":5,"channels":["news"],"data":"x"}"#,
        br#"{"channels":["news"],"data":"x"}"#,
        br#"[1,2]"#,
    ];
    for body in bodies {
        let reply = h.signed(Method::POST, &path, &[], body).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid JSON body");
    }
    let batch_path = format!("/apps/{APP_ID}/batch_events");
    for body in [
        &br#"{"batch":{}}"#[..],
        br#"{"batch":[{"name":"e","data":"x"}]}"#,
        br#"{}"#,
    ] {
        let reply = h.signed(Method::POST, &batch_path, &[], body).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid JSON body");
    }
    assert_eq!(h.error_count("api_invalid_json"), 9);
}

#[tokio::test]
async fn a_body_over_the_request_limit_is_413() {
    let mut config = app_config();
    config.limits.max_payload_bytes = 100;
    let h = Harness::with(config).await;
    let path = format!("/apps/{APP_ID}/events");
    // The limit is max(2 * 100 * 10, 64 KiB) = 64 KiB.
    let body = format!(
        r#"{{"name":"e","channels":["news"],"data":"{}"}}"#,
        "x".repeat(64 * 1024)
    );

    let reply = h.signed(Method::POST, &path, &[], body.as_bytes()).await;
    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "larger than 65536 bytes");

    // A body without Content-Length is cut off while reading.
    let mut stream = TcpStream::connect(h.addr()).await.unwrap();
    let query = sign(
        "POST",
        &path,
        &[],
        body.as_bytes(),
        &key(),
        &secret(),
        now(),
    );
    let head = format!(
        "POST {path}?{query} HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.as_bytes().chunks(8 * 1024) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        stream.write_all(&framed).await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "{}",
        &response[..response.len().min(200)]
    );
    assert_eq!(h.error_count("api_body_too_large"), 2);
}

#[tokio::test]
async fn authentication_failures_are_401() {
    let h = Harness::start().await;
    let (_, inbox) = h.subscriber(1, &["news"]);
    let path = format!("/apps/{APP_ID}/events");
    let body = json!({ "name": "e", "channels": ["news"], "data": "x" }).to_string();
    let body = body.as_bytes();
    let other_key: AppKey = "other-key".parse().unwrap();
    let other_secret = AppSecret::new("other-secret").unwrap();
    let t = now();

    let cases: Vec<(String, &[u8], &str, &str)> = vec![
        (
            sign("POST", &path, &[], body, &key(), &other_secret, t),
            body,
            "invalid auth_signature",
            "http_bad_signature",
        ),
        (
            sign("POST", &path, &[], body, &other_key, &secret(), t),
            body,
            "auth_key",
            "http_wrong_key",
        ),
        (
            sign("POST", &path, &[], body, &key(), &secret(), t - 601),
            body,
            "auth_timestamp",
            "http_expired_timestamp",
        ),
        (
            sign("POST", &path, &[], body, &key(), &secret(), t + 601),
            body,
            "auth_timestamp",
            "http_expired_timestamp",
        ),
        (
            sign(
                "POST",
                &path,
                &[],
                br#"{"name":"e","channels":["news"],"data":"y"}"#,
                &key(),
                &secret(),
                t,
            ),
            body,
            "body_md5",
            "http_body_md5_mismatch",
        ),
        (
            // Signed for a GET: the method is part of the signature.
            sign("GET", &path, &[], body, &key(), &secret(), t),
            body,
            "invalid auth_signature",
            "http_bad_signature",
        ),
        (String::new(), body, "missing", "http_missing_param"),
        (
            sign("POST", &path, &[], body, &key(), &secret(), t)
                .split("&auth_signature=")
                .next()
                .unwrap()
                .to_owned(),
            body,
            "auth_signature",
            "http_missing_param",
        ),
        (
            sign("POST", &path, &[], b"", &key(), &secret(), t),
            body,
            "body_md5",
            "http_missing_param",
        ),
        (
            sign("POST", &path, &[], body, &key(), &secret(), t)
                .replace("auth_version=1.0", "auth_version=2.0"),
            body,
            "auth_version",
            "http_unsupported_version",
        ),
        (
            // A parameter added after signing.
            format!(
                "{}&info=user_count",
                sign("POST", &path, &[], body, &key(), &secret(), t)
            ),
            body,
            "invalid auth_signature",
            "http_bad_signature",
        ),
    ];
    for (query, body, text, code) in cases {
        let before = h.error_count(code);
        let reply = h
            .raw(Method::POST, &format!("{path}?{query}"), body.to_vec())
            .await;
        reply.assert_error(StatusCode::UNAUTHORIZED, text);
        assert_eq!(h.error_count(code), before + 1, "{code}");
    }

    // A timestamp within the window is accepted.
    let query = sign("POST", &path, &[], body, &key(), &secret(), t - 500);
    let reply = h
        .raw(Method::POST, &format!("{path}?{query}"), body.to_vec())
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(frames(&inbox), vec![event_frame("e", "news", "x")]);

    // A malformed query is a 400.
    let query = format!(
        "{}&x=%zz",
        sign("POST", &path, &[], body, &key(), &secret(), t)
    );
    let reply = h
        .raw(Method::POST, &format!("{path}?{query}"), body.to_vec())
        .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "malformed query");
}

#[tokio::test]
async fn every_endpoint_requires_a_signature() {
    let h = Harness::start().await;
    let endpoints = [
        (Method::POST, "events"),
        (Method::POST, "batch_events"),
        (Method::GET, "channels"),
        (Method::GET, "channels/news"),
        (Method::GET, "channels/presence-room/users"),
        (Method::POST, "users/u1/terminate_connections"),
    ];
    for (method, endpoint) in endpoints {
        let path = format!("/apps/{APP_ID}/{endpoint}");
        let reply = h.raw(method.clone(), &path, vec![]).await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "missing");
        let query = sign(
            method.as_str(),
            &path,
            &[],
            b"",
            &key(),
            &AppSecret::new("wrong").unwrap(),
            now(),
        );
        let reply = h.raw(method, &format!("{path}?{query}"), vec![]).await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "invalid auth_signature");
    }
}

#[tokio::test]
async fn unknown_app_is_404_and_disabled_app_is_403() {
    let mut config = app_config();
    config.enabled = false;
    let h = Harness::with(config).await;
    let (_, inbox) = h.subscriber(1, &["news"]);

    let reply = h
        .post(
            "events",
            &json!({ "name": "e", "channels": ["news"], "data": "x" }),
        )
        .await;
    reply.assert_error(StatusCode::FORBIDDEN, "disabled");
    let reply = h.get("channels", &[]).await;
    reply.assert_error(StatusCode::FORBIDDEN, "disabled");
    assert!(frames(&inbox).is_empty());
    assert_eq!(h.error_count("api_app_disabled"), 2);

    // A disabled app still answers 401 to an unsigned request.
    let reply = h
        .raw(Method::GET, &format!("/apps/{APP_ID}/channels"), vec![])
        .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "missing");

    let path = "/apps/7/channels";
    let query = sign("GET", path, &[], b"", &key(), &secret(), now());
    let reply = h.raw(Method::GET, &format!("{path}?{query}"), vec![]).await;
    reply.assert_error(StatusCode::NOT_FOUND, "unknown app");
    assert_eq!(h.error_count("api_unknown_app"), 1);
}

#[tokio::test]
async fn wrong_method_is_405_and_unknown_paths_are_404() {
    let h = Harness::start().await;
    for (method, endpoint, allowed) in [
        (Method::GET, "events", "POST"),
        (Method::PUT, "batch_events", "POST"),
        (Method::POST, "channels", "GET"),
        (Method::DELETE, "channels/news", "GET"),
        (Method::POST, "channels/presence-room/users", "GET"),
    ] {
        let reply = h
            .signed(method, &format!("/apps/{APP_ID}/{endpoint}"), &[], b"")
            .await;
        reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, allowed);
        assert_eq!(reply.headers[header::ALLOW].to_str().unwrap(), allowed);
    }
    assert_eq!(h.error_count("api_method_not_allowed"), 5);

    for endpoint in ["", "event", "events/", "channels/news/members", "users/u1"] {
        let reply = h
            .signed(Method::GET, &format!("/apps/{APP_ID}/{endpoint}"), &[], b"")
            .await;
        reply.assert_error(StatusCode::NOT_FOUND, "not found");
    }
    assert_eq!(h.error_count("api_not_found"), 5);
}

#[tokio::test]
async fn over_the_message_budget_is_429() {
    let mut config = app_config();
    config.limits.max_messages_per_second = Some(2);
    let h = Harness::with(config).await;
    let (_, inbox) = h.subscriber(1, &["a", "b", "c"]);
    let event = |channels: &[&str]| json!({ "name": "e", "channels": channels, "data": "x" });

    // Three channels cost three messages: over a budget of two, whatever the window.
    let reply = h.post("events", &event(&["a", "b", "c"])).await;
    reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate limit");
    assert!(frames(&inbox).is_empty());

    // Wait for a fresh one-second window, spend it, and be refused within it.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let reply = h.post("events", &event(&["a", "b"])).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = h.post("events", &event(&["c"])).await;
    reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate limit");
    let batch = json!({ "batch": [{ "channel": "c", "name": "e", "data": "x" }] });
    let reply = h.post("batch_events", &batch).await;
    reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate limit");
    assert_eq!(frames(&inbox).len(), 2);
    assert_eq!(h.api_events(), 2);
    assert_eq!(h.error_count("api_over_quota"), 3);

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let reply = h.post("batch_events", &batch).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(frames(&inbox), vec![event_frame("e", "c", "x")]);
}
