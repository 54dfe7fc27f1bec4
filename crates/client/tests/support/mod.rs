//! Shared test fixtures: a real gateway on 127.0.0.1:0, clients with short timeouts, and
//! a small HTTP auth endpoint signing with domvia-protocol, like an app's server would.
#![allow(dead_code, reason = "each test binary uses part of it")]

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use domvia_client::{Backoff, Binding, Client, ClientBuilder, Event, SecretAuthorizer};
use domvia_protocol::{AppKey, AppSecret, ChannelName, SocketId, sign_channel, sign_user};
use domvia_server::{AppConfig, Server, ServerConfig};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;

pub(crate) const KEY: &str = "test-key";
pub(crate) const SECRET: &str = "test-secret";
pub(crate) const WAIT: Duration = Duration::from_secs(5);

pub(crate) fn key() -> AppKey {
    KEY.parse().unwrap()
}

pub(crate) fn secret() -> AppSecret {
    AppSecret::new(SECRET).unwrap()
}

pub(crate) fn config_on(listen: std::net::SocketAddr) -> ServerConfig {
    let app = AppConfig::new("test-app", key(), secret());
    let mut config = ServerConfig::new(listen, vec![app]);
    config.shutdown_grace = Duration::from_millis(500);
    config
}

pub(crate) async fn server_with(configure: impl FnOnce(&mut ServerConfig)) -> Server {
    let mut config = config_on("127.0.0.1:0".parse().unwrap());
    configure(&mut config);
    Server::bind(config).await.unwrap()
}

pub(crate) async fn server() -> Server {
    server_with(|_| {}).await
}

pub(crate) fn url(server: &Server) -> String {
    format!("ws://{}", server.local_addr())
}

/// A builder with short timeouts and a fast backoff, authorizing in-process as `user`.
pub(crate) fn builder(server: &Server, user: &str) -> ClientBuilder {
    let authorizer = SecretAuthorizer::new(key(), secret())
        .with_presence_member(user, Some(json!({ "name": user })))
        .with_user_data(&json!({ "id": user }));
    Client::builder(url(server), key())
        .authorizer(Arc::new(authorizer))
        .backoff(Backoff::new(
            Duration::from_millis(50),
            Duration::from_millis(200),
        ))
        .subscribe_timeout(WAIT)
        .connect_timeout(WAIT)
}

/// A connected client authorizing in-process as `user`.
pub(crate) async fn client(server: &Server, user: &str) -> Client {
    let client = builder(server, user).connect().unwrap();
    within(client.connected()).await.unwrap();
    client
}

/// `future`, or a panic after [`WAIT`].
/// Publishes `event` on `channel` through the gateway, as its HTTP API would.
pub(crate) fn publish(server: &Server, channel: &str, event: &str, data: &serde_json::Value) {
    let channel: ChannelName = channel.parse().unwrap();
    let frame = domvia_protocol::ServerFrame::Event {
        event: event.parse().unwrap(),
        channel: channel.clone(),
        data: data.to_string(),
        user_id: None,
    };
    let app = server.gateway().app_by_key(KEY).unwrap();
    let report = app
        .broker()
        .publish(&channel, Arc::from(frame.to_json()), None);
    assert!(report.delivered > 0);
}

pub(crate) async fn within<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future).await.expect("timed out")
}

/// The binding's next event.
pub(crate) async fn next(binding: &mut Binding) -> Event {
    within(binding.recv()).await.expect("binding ended")
}

/// Asserts nothing arrives on `binding` for a short while.
pub(crate) async fn nothing(binding: &mut Binding) {
    let got = tokio::time::timeout(Duration::from_millis(300), binding.recv()).await;
    assert!(got.is_err(), "unexpected event {got:?}");
}

/// An HTTP auth endpoint like an app's server: form-encoded `socket_id` and
/// `channel_name` in, `{"auth", "channel_data"?}` out. It requires the header
/// `authorization: Bearer let-me-in`, refuses channels containing `forbidden` with 403,
/// answers channels containing `garbage` with a body that is not JSON, `numeric` with a
/// number for `auth`, `empty` with no `auth` at all, and signs presence
/// members as the form's `user` parameter. Under `…/user` it signs users in as `user`.
pub(crate) struct AuthEndpoint {
    pub(crate) url: String,
    pub(crate) requests: Arc<AtomicUsize>,
}

pub(crate) async fn auth_endpoint() -> AuthEndpoint {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/pusher/auth", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let counter = Arc::clone(&counter);
            let service = service_fn(move |request: Request<Incoming>| {
                let counter = Arc::clone(&counter);
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, Infallible>(answer(request).await)
                }
            });
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    AuthEndpoint { url, requests }
}

fn respond(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

async fn answer(request: Request<Incoming>) -> Response<Full<Bytes>> {
    let user_endpoint = request.uri().path().ends_with("/user");
    let allowed = request
        .headers()
        .get("authorization")
        .is_some_and(|v| v == "Bearer let-me-in");
    let form_ok = request
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/x-www-form-urlencoded");
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    if !allowed {
        return respond(StatusCode::UNAUTHORIZED, "{}".into());
    }
    if let (true, Some(socket_id)) = (user_endpoint, form.get("socket_id")) {
        let socket_id: SocketId = socket_id.parse().unwrap();
        let user = form
            .get("user")
            .cloned()
            .unwrap_or_else(|| "anonymous".into());
        let user_data = json!({ "id": user }).to_string();
        let auth = sign_user(&key(), &secret(), &socket_id, &user_data);
        return respond(
            StatusCode::OK,
            json!({ "auth": auth, "user_data": user_data }).to_string(),
        );
    }
    let (Some(socket_id), Some(channel), true) =
        (form.get("socket_id"), form.get("channel_name"), form_ok)
    else {
        return respond(StatusCode::BAD_REQUEST, "{}".into());
    };
    let socket_id: SocketId = socket_id.parse().unwrap();
    let channel: ChannelName = channel.parse().unwrap();
    if channel.as_str().contains("forbidden") {
        return respond(StatusCode::FORBIDDEN, "{}".into());
    }
    if channel.as_str().contains("garbage") {
        return respond(StatusCode::OK, "<html>".into());
    }
    if channel.as_str().contains("numeric") {
        return respond(StatusCode::OK, json!({ "auth": 1 }).to_string());
    }
    if channel.as_str().contains("empty") {
        return respond(StatusCode::OK, "{}".into());
    }
    let channel_data = channel.is_presence().then(|| {
        let user = form
            .get("user")
            .cloned()
            .unwrap_or_else(|| "anonymous".into());
        json!({ "user_id": user, "user_info": { "via": "http" } }).to_string()
    });
    let auth = sign_channel(
        &key(),
        &secret(),
        &socket_id,
        &channel,
        channel_data.as_deref(),
    );
    let mut body = json!({ "auth": auth });
    if let Some(data) = channel_data {
        body["channel_data"] = json!(data);
    }
    respond(StatusCode::OK, body.to_string())
}
