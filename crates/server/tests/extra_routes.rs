#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! Extra HTTP routes beside the gateway's own, through a real server on 127.0.0.1:0.

use std::sync::Arc;

use ::http::{Method, Request, Response, StatusCode};
use bytes::Bytes;
use domvia_protocol::AppSecret;
use domvia_server::http::{Body, EXTRA_BODY_LIMIT, ExtraRoutes, text};
use domvia_server::{AppConfig, Server, ServerConfig};

/// Serves `/page` and echoes POST bodies on `/echo`; claims every other path too (`/health`,
/// `/metrics`, `/app/...`) to prove the gateway never asks for those.
#[derive(Debug)]
struct Page;

impl ExtraRoutes for Page {
    fn respond(&self, request: &Request<Bytes>) -> Option<Response<Body>> {
        let path = request.uri().path();
        match (request.method(), path) {
            (&Method::GET, "/page") => Some(text(
                StatusCode::OK,
                "text/html; charset=utf-8",
                "<h1>page</h1>".to_owned(),
            )),
            (&Method::POST, "/echo") => Some(text(
                StatusCode::OK,
                "text/plain",
                String::from_utf8_lossy(request.body()).into_owned(),
            )),
            (_, "/declined") => None,
            _ => Some(text(StatusCode::OK, "text/plain", "hijacked".to_owned())),
        }
    }
}

async fn server(routes: Option<Arc<dyn ExtraRoutes>>) -> Server {
    let app = AppConfig::new(
        "test-app",
        "test-key".parse().unwrap(),
        AppSecret::new("test-secret").unwrap(),
    );
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), vec![app]);
    Server::bind_with_extra_routes(config, routes)
        .await
        .unwrap()
}

fn url(server: &Server, path: &str) -> String {
    format!("http://{}{path}", server.local_addr())
}

#[tokio::test]
async fn extra_routes_serve_paths_the_gateway_does_not_own() {
    let server = server(Some(Arc::new(Page))).await;
    let client = reqwest::Client::new();

    let page = client.get(url(&server, "/page")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.text().await.unwrap(), "<h1>page</h1>");

    let echo = client
        .post(url(&server, "/echo"))
        .body("socket_id=1.2&channel_name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(echo.text().await.unwrap(), "socket_id=1.2&channel_name=x");

    let declined = client.get(url(&server, "/declined")).send().await.unwrap();
    assert_eq!(declined.status(), 404);
    server.shutdown().await;
}

#[tokio::test]
async fn the_gateway_keeps_its_own_paths() {
    let server = server(Some(Arc::new(Page))).await;
    let client = reqwest::Client::new();
    let health = client.get(url(&server, "/health")).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), r#"{"ok":true}"#);
    let metrics = client.get(url(&server, "/metrics")).send().await.unwrap();
    assert_ne!(metrics.text().await.unwrap(), "hijacked");
    // Not a WebSocket upgrade: the gateway refuses it, the extra routes never see it.
    let app = client
        .get(url(&server, "/app/test-key"))
        .send()
        .await
        .unwrap();
    assert_ne!(app.text().await.unwrap(), "hijacked");
    let api = client
        .get(url(&server, "/apps/test-app/channels"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let server = server(Some(Arc::new(Page))).await;
    let response = reqwest::Client::new()
        .post(url(&server, "/echo"))
        .body(vec![b'a'; EXTRA_BODY_LIMIT + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    server.shutdown().await;
}

#[tokio::test]
async fn without_extra_routes_other_paths_are_not_found() {
    let server = server(None).await;
    let response = reqwest::get(url(&server, "/page")).await.unwrap();
    assert_eq!(response.status(), 404);
    server.shutdown().await;
}
