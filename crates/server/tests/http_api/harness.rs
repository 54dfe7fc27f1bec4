//! The test harness: a real server on 127.0.0.1:0, a signing HTTP client, and fake
//! connections registered directly with the app's broker.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use domvia_protocol::{
    AppKey, AppSecret, ChannelName, PresenceMember, RequestToSign, SocketId, sign_request,
};
use domvia_server::{App, AppConfig, Inbox, OutboundQueue, Server, ServerConfig};
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;

pub(crate) const APP_ID: &str = "42";
const KEY: &str = "test-key";
const SECRET: &str = "test-secret";

pub(crate) fn key() -> AppKey {
    KEY.parse().unwrap()
}

pub(crate) fn secret() -> AppSecret {
    AppSecret::new(SECRET).unwrap()
}

pub(crate) fn app_config() -> AppConfig {
    AppConfig::new(APP_ID, key(), secret())
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub(crate) fn channel(name: &str) -> ChannelName {
    name.parse().unwrap()
}

/// The signed query for a request, as pusher-http-node builds it.
pub(crate) fn sign(
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: &[u8],
    key: &AppKey,
    secret: &AppSecret,
    timestamp: u64,
) -> String {
    let request = RequestToSign {
        method,
        path,
        params,
        body,
    };
    sign_request(&request, key, secret, timestamp).unwrap()
}

/// An HTTP response, its body parsed as JSON.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) json: Value,
}

impl Reply {
    /// Asserts an error response: `status`, a JSON `{"error": "…"}` containing `text`.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: StatusCode, text: &str) {
        assert_eq!(self.status, status, "{:?}", self.json);
        assert_eq!(self.json.as_object().map(serde_json::Map::len), Some(1));
        let message = self.json["error"].as_str().unwrap();
        assert!(message.contains(text), "{message:?} lacks {text:?}");
    }
}

pub(crate) struct Harness {
    server: Server,
}

impl Harness {
    pub(crate) async fn start() -> Self {
        Self::with(app_config()).await
    }

    pub(crate) async fn with(app: AppConfig) -> Self {
        let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), vec![app]);
        Self {
            server: Server::bind(config).await.unwrap(),
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub(crate) fn app(&self) -> &Arc<App> {
        self.server.gateway().app_by_id(APP_ID).unwrap()
    }

    pub(crate) fn error_count(&self, code: &str) -> u64 {
        self.server.gateway().metrics().error_count(code)
    }

    pub(crate) fn api_events(&self) -> u64 {
        self.server
            .gateway()
            .metrics()
            .api_events
            .load(Ordering::Relaxed)
    }

    /// Sends `body` to `path_and_query` exactly as given.
    pub(crate) async fn raw(&self, method: Method, path_and_query: &str, body: Vec<u8>) -> Reply {
        let stream = TcpStream::connect(self.addr()).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let request = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap();
        Reply {
            status,
            headers,
            json,
        }
    }

    /// Signs with the app's credentials, now, and sends.
    pub(crate) async fn signed(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let query = sign(
            method.as_str(),
            path,
            params,
            body,
            &key(),
            &secret(),
            now(),
        );
        self.raw(method, &format!("{path}?{query}"), body.to_vec())
            .await
    }

    pub(crate) async fn post(&self, endpoint: &str, body: &Value) -> Reply {
        let path = format!("/apps/{APP_ID}/{endpoint}");
        self.signed(Method::POST, &path, &[], body.to_string().as_bytes())
            .await
    }

    pub(crate) async fn get(&self, endpoint: &str, params: &[(&str, &str)]) -> Reply {
        let path = format!("/apps/{APP_ID}/{endpoint}");
        self.signed(Method::GET, &path, params, b"").await
    }

    /// A fake connection with its inbox.
    pub(crate) fn connect(&self, n: u64) -> (SocketId, Inbox) {
        let socket_id = SocketId::from_parts(n, n);
        let (out, inbox) = OutboundQueue::bounded(256);
        self.app()
            .broker()
            .connect(socket_id.clone(), Arc::new(out))
            .unwrap();
        (socket_id, inbox)
    }

    /// A fake connection subscribed to `channels`.
    pub(crate) fn subscriber(&self, n: u64, channels: &[&str]) -> (SocketId, Inbox) {
        let (socket_id, inbox) = self.connect(n);
        for name in channels {
            self.app()
                .broker()
                .subscribe(&socket_id, &channel(name))
                .unwrap();
        }
        (socket_id, inbox)
    }

    /// A fake connection in presence channel `name` as `user`.
    pub(crate) fn member(&self, n: u64, name: &str, user: &str) -> (SocketId, Inbox) {
        let (socket_id, inbox) = self.connect(n);
        let member =
            PresenceMember::from_channel_data(&json!({ "user_id": user }).to_string()).unwrap();
        self.app()
            .broker()
            .join_presence(&socket_id, &channel(name), member)
            .unwrap();
        (socket_id, inbox)
    }
}

/// Every frame queued in `inbox`, parsed.
pub(crate) fn frames(inbox: &Inbox) -> Vec<Value> {
    inbox
        .drain()
        .iter()
        .map(|frame| serde_json::from_str(frame).unwrap())
        .collect()
}

pub(crate) fn event_frame(event: &str, channel: &str, data: &str) -> Value {
    json!({ "event": event, "channel": channel, "data": data })
}
