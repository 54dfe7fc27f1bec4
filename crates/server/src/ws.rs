//! The WebSocket side of protocol 7: admission, then one task per connection.
//!
//! # Admission
//! `GET /app/{key}?protocol=7&client=…&version=…` with a WebSocket upgrade. Refusals are
//! sent the way pusher-js can see them: the upgrade is accepted, then a `pusher:error`
//! frame carries the code and the connection is closed with the same code (4001 unknown
//! app, 4003 disabled app, 4004 over the connection quota, 4005 wrong path, 4006/4007/4008
//! for the protocol version, 4009 for an origin that is not trusted).
//!
//! # The connection task
//! One task owns the socket and a bounded outbound queue. It reads client frames, writes
//! queued frames (draining what is queued into one flush), and keeps the activity timer:
//! after `activity_timeout` of silence it sends `pusher:ping` and a WebSocket ping, and
//! closes with 4201 when nothing (a frame or a WebSocket pong) comes back within
//! `pong_timeout`.
//!
//! # Slow consumers
//! Fan-out never waits for a connection: the broker only `try_send`s into the bounded queue
//! (`limits.outbound_queue` frames). A connection whose queue is full loses that frame and
//! is closed with 4100 (over capacity: pusher-js backs off, then reconnects and
//! resubscribes). A write that makes no progress for [`WRITE_TIMEOUT`] also ends the
//! connection, so a stalled socket holds at most its queue.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use domvia_protocol::{
    AuthError, ChannelKind, ChannelName, ClientEventName, ClientFrame, CloseCode, PresenceMember,
    ServerFrame, SocketId, UserData, UserId, verify_channel, verify_presence_as_signed_in,
    verify_user,
};
use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use crate::app::{App, ConnHandle, RegisterError};
use crate::broker::{Delivery, Frame, Joined, Outbox};
use crate::gateway::Gateway;
use crate::http::{Body, json_error};
use crate::metrics::EventSource;
use crate::webhook::WebhookEvent;

/// The protocol versions accepted in `?protocol=`.
const PROTOCOLS: std::ops::RangeInclusive<u32> = 5..=7;

/// How long one write may stall before the connection is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Frames drained from the queue into one flush.
const MAX_BATCH: usize = 64;

/// The largest WebSocket message accepted from a client. Event data is checked against the
/// app's (smaller) `max_payload_bytes`; this bounds what is buffered before that check.
const MAX_CLIENT_MESSAGE: usize = 256 * 1024;

/// A connection that sends more than this many times its client-event rate within one
/// second is closed with 4301 instead of being answered error by error.
const ABUSE_FACTOR: u32 = 5;

type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Answers a request to `/app/{key}`: a `101 Switching Protocols` and a spawned connection
/// task, or a JSON error for requests that are not WebSocket upgrades.
pub fn upgrade(
    gateway: Arc<Gateway>,
    mut request: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Body> {
    let Some(accept) = handshake_accept(&request) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "expected a WebSocket upgrade (GET with Upgrade: websocket, Sec-WebSocket-Version: 13)",
        );
    };
    let admission = admit(&gateway, &request);
    let on_upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                tracing::debug!(%peer, %error, "WebSocket upgrade failed");
                return;
            }
        };
        let config = ws_config();
        let socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        match admission {
            Ok(app) => Connection::run(gateway, app, socket).await,
            Err(refusal) => refuse(&gateway, socket, refusal).await,
        }
    });
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    response
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .max_write_buffer_size(8 * 1024 * 1024)
        .max_message_size(Some(MAX_CLIENT_MESSAGE))
        .max_frame_size(Some(MAX_CLIENT_MESSAGE))
}

/// The `Sec-WebSocket-Accept` value, when the request is a valid upgrade.
fn handshake_accept(request: &Request<Incoming>) -> Option<HeaderValue> {
    let headers = request.headers();
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value
                .to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if request.method() != Method::GET
        || !has_token(header::UPGRADE, "websocket")
        || !has_token(header::CONNECTION, "upgrade")
        || headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .map(HeaderValue::as_bytes)
            != Some(b"13")
    {
        return None;
    }
    let key = headers.get(header::SEC_WEBSOCKET_KEY)?;
    HeaderValue::from_str(&derive_accept_key(key.as_bytes())).ok()
}

/// Why a connection is refused right after the upgrade.
#[derive(Debug)]
struct Refusal {
    code: CloseCode,
    message: String,
}

impl Refusal {
    fn new(code: CloseCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

fn admit(gateway: &Gateway, request: &Request<Incoming>) -> Result<Arc<App>, Refusal> {
    if gateway.is_shutting_down() {
        return Err(Refusal::new(
            CloseCode::ReconnectImmediately,
            "server is shutting down",
        ));
    }
    let path = request.uri().path();
    let key = path
        .strip_prefix("/app/")
        .filter(|key| !key.is_empty() && !key.contains('/'))
        .ok_or_else(|| {
            Refusal::new(
                CloseCode::PathNotFound,
                "path not found: expected /app/{key}",
            )
        })?;
    let protocol = request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("protocol="));
    match protocol {
        None | Some("") => {
            return Err(Refusal::new(
                CloseCode::NoProtocolVersion,
                "no protocol version supplied",
            ));
        }
        Some(version) => match version.parse::<u32>() {
            Err(_) => {
                return Err(Refusal::new(
                    CloseCode::InvalidVersionFormat,
                    "protocol version is not a number",
                ));
            }
            Ok(version) if !PROTOCOLS.contains(&version) => {
                return Err(Refusal::new(
                    CloseCode::UnsupportedProtocolVersion,
                    format!("protocol version {version} is not supported (use 7)"),
                ));
            }
            Ok(_) => {}
        },
    }
    let app = gateway
        .app_by_key(key)
        .ok_or_else(|| Refusal::new(CloseCode::AppDoesNotExist, "application does not exist"))?;
    let config = app.config();
    if !config.enabled {
        return Err(Refusal::new(
            CloseCode::AppDisabled,
            "application is disabled",
        ));
    }
    if !origin_allowed(
        &config.allowed_origins,
        request.headers().get(header::ORIGIN),
    ) {
        return Err(Refusal::new(CloseCode::Unauthorized, "origin not allowed"));
    }
    Ok(Arc::clone(app))
}

/// Whether `origin` may connect. An empty list allows every origin; otherwise the request
/// must carry an `Origin` equal (ASCII case-insensitively) to an entry, or the list holds `*`.
fn origin_allowed(allowed: &[String], origin: Option<&HeaderValue>) -> bool {
    if allowed.is_empty() || allowed.iter().any(|a| a == "*") {
        return true;
    }
    let Some(origin) = origin.and_then(|o| o.to_str().ok()) else {
        return false;
    };
    allowed.iter().any(|a| a.eq_ignore_ascii_case(origin))
}

async fn refuse(gateway: &Gateway, mut socket: Socket, refusal: Refusal) {
    let code = refusal_code(refusal.code);
    tracing::info!(close_code = refusal.code.code(), code, "connection refused");
    gateway.metrics().error(code);
    let frame = ServerFrame::Error {
        message: refusal.message.clone(),
        code: Some(refusal.code.code()),
    };
    let close = close_message(refusal.code, &refusal.message);
    let _ = tokio::time::timeout(WRITE_TIMEOUT, async {
        socket
            .feed(Message::Text(Utf8Bytes::from(frame.to_json())))
            .await?;
        socket.send(close).await
    })
    .await;
}

fn refusal_code(code: CloseCode) -> &'static str {
    match code {
        CloseCode::AppDoesNotExist => "ws_app_does_not_exist",
        CloseCode::AppDisabled => "ws_app_disabled",
        CloseCode::OverConnectionQuota => "ws_over_connection_quota",
        CloseCode::PathNotFound => "ws_path_not_found",
        CloseCode::Unauthorized => "ws_origin_not_allowed",
        CloseCode::ReconnectImmediately => "ws_shutting_down",
        _ => "ws_protocol_version",
    }
}

fn close_message(code: CloseCode, reason: &str) -> Message {
    // A close reason is at most 123 bytes; ours are short ASCII, cut on a char boundary.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    Message::Close(Some(CloseFrame {
        code: WsCloseCode::from(code.code()),
        reason: Utf8Bytes::from(reason.get(..end).unwrap_or("").to_owned()),
    }))
}

/// The outbox the broker fills: a bounded queue the connection task drains.
#[derive(Debug)]
struct QueueOutbox(mpsc::Sender<Frame>);

impl Outbox for QueueOutbox {
    fn try_deliver(&self, frame: Frame) -> Delivery {
        match self.0.try_send(frame) {
            Ok(()) => Delivery::Queued,
            Err(mpsc::error::TrySendError::Full(_)) => Delivery::Full,
            Err(mpsc::error::TrySendError::Closed(_)) => Delivery::Closed,
        }
    }
}

/// What this connection is subscribed to, and as whom on presence channels.
type Subscriptions = HashMap<ChannelName, Option<UserId>>;

/// One connection's state, owned by its task.
struct Connection {
    gateway: Arc<Gateway>,
    app: Arc<App>,
    handle: Arc<ConnHandle>,
    socket_id: SocketId,
    subscriptions: Subscriptions,
    user: Option<UserData>,
    /// Client events in the current one-second window.
    client_events: (Instant, u32),
}

/// Why the connection loop ended.
enum End {
    /// Close with this code.
    Close(CloseCode),
    /// The client closed or the socket failed: nothing more to send.
    Gone,
}

impl Connection {
    async fn run(gateway: Arc<Gateway>, app: Arc<App>, mut socket: Socket) {
        let socket_id = gateway.next_socket_id();
        let handle = Arc::new(ConnHandle::new(socket_id.clone()));
        if let Err(error) = app.register(Arc::clone(&handle)) {
            let refusal = match error {
                RegisterError::OverConnectionQuota => {
                    Refusal::new(CloseCode::OverConnectionQuota, "over the connection quota")
                }
                _ => Refusal::new(CloseCode::OverCapacity, "could not register the connection"),
            };
            refuse(&gateway, socket, refusal).await;
            return;
        }
        let (sender, receiver) = mpsc::channel(app.config().limits.outbound_queue.max(1));
        if app
            .broker()
            .connect(socket_id.clone(), Arc::new(QueueOutbox(sender)))
            .is_err()
        {
            app.unregister(&socket_id, None);
            refuse(
                &gateway,
                socket,
                Refusal::new(CloseCode::OverCapacity, "duplicate socket id"),
            )
            .await;
            return;
        }
        let metrics = Arc::clone(gateway.metrics());
        metrics.connections.fetch_add(1, Ordering::Relaxed);
        metrics.connections_total.fetch_add(1, Ordering::Relaxed);
        let mut connection = Self {
            gateway,
            app,
            handle,
            socket_id,
            subscriptions: HashMap::new(),
            user: None,
            client_events: (Instant::now(), 0),
        };
        tracing::debug!(app = %connection.app.config().id, socket_id = %connection.socket_id, "connection opened");
        let end = connection.serve(&mut socket, receiver).await;
        let close_code = match end {
            End::Close(code) => Some(code.code()),
            End::Gone => None,
        };
        tracing::debug!(
            app = %connection.app.config().id,
            socket_id = %connection.socket_id,
            close_code,
            channels = connection.subscriptions.len(),
            "connection closed"
        );
        if let End::Close(code) = end {
            let _ = tokio::time::timeout(
                WRITE_TIMEOUT,
                socket.send(close_message(code, code.reason())),
            )
            .await;
        }
        let user = connection.user.as_ref().map(UserData::id);
        connection.app.unregister(&connection.socket_id, user);
        metrics.connections.fetch_sub(1, Ordering::Relaxed);
    }

    async fn serve(&mut self, socket: &mut Socket, mut queue: mpsc::Receiver<Frame>) -> End {
        let config = self.gateway.config();
        let activity_timeout = config.activity_timeout;
        let pong_timeout = config.pong_timeout;
        let established = ServerFrame::ConnectionEstablished {
            socket_id: self.socket_id.clone(),
            activity_timeout: u32::try_from(activity_timeout.as_secs())
                .unwrap_or(u32::MAX)
                .max(1),
        };
        if send_now(socket, established.to_json()).await.is_err() {
            return End::Gone;
        }
        let mut shutdown = self.gateway.shutdown_signal();
        let stopping = async move {
            let _ = shutdown.wait_for(|stopping| *stopping).await;
        };
        tokio::pin!(stopping);
        let mut last_seen = Instant::now();
        let mut ping_sent: Option<Instant> = None;
        let timer = tokio::time::sleep(activity_timeout);
        tokio::pin!(timer);
        loop {
            tokio::select! {
                code = self.handle.closed() => return End::Close(code),
                () = &mut stopping => {
                    return End::Close(CloseCode::ReconnectImmediately);
                }
                frame = queue.recv() => {
                    let Some(frame) = frame else { return End::Gone };
                    if write_batch(socket, frame, &mut queue).await.is_err() {
                        return End::Gone;
                    }
                }
                message = socket.next() => {
                    let message = match message {
                        Some(Ok(message)) => message,
                        Some(Err(WsError::Capacity(_))) => {
                            // Over the frame-size bound: say so, then close with 1009.
                            self.gateway.metrics().error("ws_message_too_large");
                            let text = format!("message over {MAX_CLIENT_MESSAGE} bytes");
                            let _ = send_now(socket, error_frame(&text, None)).await;
                            let close = Message::Close(Some(CloseFrame {
                                code: WsCloseCode::Size,
                                reason: Utf8Bytes::from_static("message too large"),
                            }));
                            let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(close)).await;
                            return End::Gone;
                        }
                        Some(Err(_)) | None => return End::Gone,
                    };
                    last_seen = Instant::now();
                    ping_sent = None;
                    match message {
                        Message::Text(text) => {
                            self.gateway.metrics().messages_in.fetch_add(1, Ordering::Relaxed);
                            let replies = self.on_text(text.as_str());
                            for reply in replies {
                                match reply {
                                    Reply::Frame(frame) => {
                                        if send_now(socket, frame).await.is_err() {
                                            return End::Gone;
                                        }
                                    }
                                    Reply::Close(code) => return End::Close(code),
                                }
                            }
                        }
                        Message::Binary(_) => {
                            let frame = error_frame("binary frames are not supported", None);
                            if send_now(socket, frame).await.is_err() {
                                return End::Gone;
                            }
                        }
                        Message::Close(_) => return End::Gone,
                        // tungstenite answers pings itself; both count as activity.
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                    }
                }
                () = &mut timer => {
                    let now = Instant::now();
                    if let Some(sent) = ping_sent {
                        if now.duration_since(sent) >= pong_timeout {
                            return End::Close(CloseCode::PongNotReceived);
                        }
                        timer.as_mut().reset(later(sent, pong_timeout));
                    } else if now.duration_since(last_seen) >= activity_timeout {
                        // Both pings: pusher-js answers `pusher:ping`, and browsers answer
                        // WebSocket pings themselves even when a background tab's timers
                        // are throttled. Either answer counts.
                        let ping = async {
                            socket.feed(Message::Ping(bytes::Bytes::new())).await?;
                            socket.send(Message::Text(Utf8Bytes::from(ServerFrame::Ping.to_json()))).await
                        };
                        if !matches!(tokio::time::timeout(WRITE_TIMEOUT, ping).await, Ok(Ok(()))) {
                            return End::Gone;
                        }
                        ping_sent = Some(now);
                        timer.as_mut().reset(later(now, pong_timeout));
                    } else {
                        timer.as_mut().reset(later(last_seen, activity_timeout));
                    }
                }
            }
        }
    }

    fn on_text(&mut self, text: &str) -> Vec<Reply> {
        let frame = match ClientFrame::parse(text) {
            Ok(frame) => frame,
            Err(error) => {
                self.gateway.metrics().error(error.code());
                return vec![Reply::Frame(error_frame(&error.to_string(), None))];
            }
        };
        match frame {
            ClientFrame::Ping => vec![Reply::Frame(ServerFrame::Pong.to_json())],
            ClientFrame::Pong => Vec::new(),
            ClientFrame::Subscribe {
                channel,
                auth,
                channel_data,
            } => vec![Reply::Frame(self.subscribe(
                channel,
                auth.as_deref(),
                channel_data.as_deref(),
            ))],
            ClientFrame::Unsubscribe { channel } => {
                self.unsubscribe(&channel);
                Vec::new()
            }
            ClientFrame::Signin { auth, user_data } => self.signin(&auth, &user_data),
            ClientFrame::ClientEvent {
                event,
                channel,
                data,
            } => self.client_event(&event, channel, &data),
            _ => vec![Reply::Frame(error_frame("unsupported event", None))],
        }
    }

    fn subscription_error(
        &self,
        channel: ChannelName,
        kind: &str,
        error: String,
        status: u16,
        code: &'static str,
    ) -> String {
        self.gateway.metrics().error(code);
        tracing::debug!(socket_id = %self.socket_id, %channel, code, "subscription refused");
        ServerFrame::SubscriptionError {
            channel,
            kind: kind.to_owned(),
            error,
            status,
        }
        .to_json()
    }

    fn subscribe(
        &mut self,
        channel: ChannelName,
        auth: Option<&str>,
        channel_data: Option<&str>,
    ) -> String {
        if self.subscriptions.contains_key(&channel) {
            // Idempotent: a repeated subscribe (e.g. a client resubscribing) gets the
            // current state again, without a second join.
            let presence = if channel.is_presence() {
                self.app.presence_members(&channel).ok()
            } else {
                None
            };
            return ServerFrame::SubscriptionSucceeded { channel, presence }.to_json();
        }
        let limits = self.app.config().limits;
        if self.subscriptions.len()
            >= usize::try_from(limits.max_channels_per_connection).unwrap_or(usize::MAX)
        {
            let error = format!(
                "this connection is subscribed to {} channels, the limit",
                limits.max_channels_per_connection
            );
            return self.subscription_error(
                channel,
                "LimitReached",
                error,
                429,
                "subscribe_channel_limit",
            );
        }
        let config = self.app.config();
        let member = match channel.kind() {
            ChannelKind::Public => None,
            ChannelKind::ServerToUser => {
                let signed_in = self.user.as_ref().map(UserData::id);
                if signed_in.is_none() || signed_in != channel.server_to_user_id() {
                    return self.subscription_error(
                        channel,
                        "AuthError",
                        "server-to-user channels are only for the signed-in user".to_owned(),
                        403,
                        "subscribe_server_to_user_forbidden",
                    );
                }
                None
            }
            ChannelKind::Presence => {
                let Some(auth) = auth else {
                    return self.auth_error(channel, &AuthError::MalformedToken);
                };
                let checked = match (channel_data, &self.user) {
                    (None, Some(user)) => verify_presence_as_signed_in(
                        auth,
                        &config.key,
                        &config.secret,
                        &self.socket_id,
                        &channel,
                    )
                    .map(|()| PresenceMember {
                        user_id: user.id().clone(),
                        user_info: user.user_info().cloned(),
                    }),
                    (data, _) => verify_channel(
                        auth,
                        &config.key,
                        &config.secret,
                        &self.socket_id,
                        &channel,
                        data,
                    )
                    .and_then(|()| PresenceMember::from_channel_data(data.unwrap_or(""))),
                };
                match checked {
                    Ok(member) => Some(member),
                    Err(error) => return self.auth_error(channel, &error),
                }
            }
            // Private, private-encrypted and any kind added later: a signed token.
            _ => {
                let Some(auth) = auth else {
                    return self.auth_error(channel, &AuthError::MalformedToken);
                };
                if let Err(error) = verify_channel(
                    auth,
                    &config.key,
                    &config.secret,
                    &self.socket_id,
                    &channel,
                    channel_data,
                ) {
                    return self.auth_error(channel, &error);
                }
                None
            }
        };
        let user_id = member.as_ref().map(|m| m.user_id.clone());
        let joined = match member {
            Some(member) => self
                .app
                .broker()
                .join_presence(&self.socket_id, &channel, member),
            None => self.app.broker().subscribe(&self.socket_id, &channel),
        };
        match joined {
            Ok(joined) => {
                self.gateway
                    .metrics()
                    .subscriptions
                    .fetch_add(1, Ordering::Relaxed);
                self.subscriptions.insert(channel.clone(), user_id);
                self.announce_joined(&channel, &joined);
                ServerFrame::SubscriptionSucceeded {
                    channel,
                    presence: joined.presence,
                }
                .to_json()
            }
            Err(error) => {
                let status = if error.code() == "presence_member_cap_reached" {
                    403
                } else {
                    400
                };
                self.subscription_error(
                    channel,
                    "LimitReached",
                    error.to_string(),
                    status,
                    error.code(),
                )
            }
        }
    }

    fn auth_error(&self, channel: ChannelName, error: &AuthError) -> String {
        self.subscription_error(
            channel,
            "AuthError",
            format!("subscription refused: {error}"),
            401,
            error.code(),
        )
    }

    fn announce_joined(&self, channel: &ChannelName, joined: &Joined) {
        if joined.channel_occupied {
            self.app.webhook(WebhookEvent::ChannelOccupied {
                channel: channel.clone(),
            });
        }
        if let Some(member) = &joined.member_added {
            let frame = ServerFrame::MemberAdded {
                channel: channel.clone(),
                user_id: member.user_id.clone(),
                user_info: member.user_info.clone(),
            };
            self.app
                .publish_frame(channel, Frame::from(frame.to_json()), Some(&self.socket_id));
            self.app.webhook(WebhookEvent::MemberAdded {
                channel: channel.clone(),
                user_id: member.user_id.clone(),
            });
        }
    }

    fn unsubscribe(&mut self, channel: &ChannelName) {
        if self.subscriptions.remove(channel).is_none() {
            return;
        }
        if let Ok(left) = self.app.broker().unsubscribe(&self.socket_id, channel) {
            self.gateway
                .metrics()
                .subscriptions
                .fetch_sub(1, Ordering::Relaxed);
            self.app.announce_left(channel, &left);
        }
    }

    fn signin(&mut self, auth: &str, user_data: &str) -> Vec<Reply> {
        let config = self.app.config();
        if !config.user_authentication {
            self.gateway.metrics().error("signin_disabled");
            return vec![Reply::Frame(error_frame(
                "user authentication is disabled for this app",
                None,
            ))];
        }
        if self.user.is_some() {
            return vec![Reply::Frame(error_frame(
                "this connection is already signed in",
                None,
            ))];
        }
        match verify_user(
            auth,
            &config.key,
            &config.secret,
            &self.socket_id,
            user_data,
        ) {
            Ok(user) => {
                self.app.sign_in(&self.socket_id, user.id());
                self.user = Some(user);
                vec![Reply::Frame(
                    ServerFrame::SigninSuccess {
                        user_data: user_data.to_owned(),
                    }
                    .to_json(),
                )]
            }
            Err(error) => {
                self.gateway.metrics().error(error.code());
                let code = CloseCode::Unauthorized;
                vec![
                    Reply::Frame(error_frame(
                        &format!("sign-in refused: {error}"),
                        Some(code.code()),
                    )),
                    Reply::Close(code),
                ]
            }
        }
    }

    fn client_event(
        &mut self,
        event: &ClientEventName,
        channel: ChannelName,
        data: &Value,
    ) -> Vec<Reply> {
        let config = self.app.config();
        let limits = config.limits;
        let refuse = |gateway: &Gateway, message: String, code: &'static str| {
            gateway.metrics().error(code);
            vec![Reply::Frame(error_frame(&message, None))]
        };
        if !config.client_events {
            return refuse(
                &self.gateway,
                "client events are disabled for this app".to_owned(),
                "client_event_disabled",
            );
        }
        if !channel.accepts_client_events() {
            return refuse(
                &self.gateway,
                format!(
                    "client events are only allowed on private and presence channels, not {channel}"
                ),
                "client_event_channel_kind",
            );
        }
        let Some(user_id) = self.subscriptions.get(&channel).cloned() else {
            return refuse(
                &self.gateway,
                format!("not subscribed to {channel}: subscribe before sending client events"),
                "client_event_not_subscribed",
            );
        };
        // The per-connection rate limit, in one-second windows.
        let now = Instant::now();
        if now.duration_since(self.client_events.0) >= Duration::from_secs(1) {
            self.client_events = (now, 0);
        }
        self.client_events.1 = self.client_events.1.saturating_add(1);
        let per_second = limits.max_client_events_per_second;
        if self.client_events.1 > per_second {
            self.gateway.metrics().error("client_event_rate_limited");
            let code = CloseCode::ClientEventRateLimit;
            let frame = error_frame(
                &format!("client event rejected: over the limit of {per_second} per second"),
                Some(code.code()),
            );
            if self.client_events.1 > per_second.saturating_mul(ABUSE_FACTOR) {
                return vec![Reply::Frame(frame), Reply::Close(code)];
            }
            return vec![Reply::Frame(frame)];
        }
        let data = match data {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        if data.len() > limits.max_payload_bytes {
            return refuse(
                &self.gateway,
                format!(
                    "client event data is {} bytes, over the limit of {}",
                    data.len(),
                    limits.max_payload_bytes
                ),
                "client_event_too_large",
            );
        }
        if let Err(error) =
            self.app
                .check_ciphertext_only(&channel, &data, EventSource::ClientEvent)
        {
            self.gateway
                .metrics()
                .error("client_event_plaintext_refused");
            let code = CloseCode::PlaintextRefused;
            let message = format!(
                "client event refused: {channel} accepts only end-to-end encrypted envelopes; \
                 {error} ({})",
                error.code()
            );
            return vec![Reply::Frame(error_frame(&message, Some(code.code())))];
        }
        if !self.app.take_message_budget(1) {
            return refuse(
                &self.gateway,
                "the app is over its messages-per-second limit".to_owned(),
                "app_message_rate_limited",
            );
        }
        if !config.webhooks.is_empty() {
            self.app.webhook(WebhookEvent::ClientEvent {
                channel: channel.clone(),
                event: event.as_str().to_owned(),
                data: data.clone(),
                socket_id: self.socket_id.clone(),
                user_id: user_id.clone(),
            });
        }
        self.app.publish(
            &channel,
            event.as_event_name(),
            data,
            Some(&self.socket_id),
            user_id,
        );
        Vec::new()
    }
}

/// What answering a client frame asks of the loop.
enum Reply {
    /// Send this frame.
    Frame(String),
    /// Close with this code (after the frames before it).
    Close(CloseCode),
}

/// `at + after` as a timer deadline, saturating far in the future.
fn later(at: Instant, after: Duration) -> tokio::time::Instant {
    let at = tokio::time::Instant::from_std(at);
    at.checked_add(after).unwrap_or(at)
}

fn error_frame(message: &str, code: Option<u16>) -> String {
    ServerFrame::Error {
        message: message.to_owned(),
        code,
    }
    .to_json()
}

async fn send_now(socket: &mut Socket, frame: String) -> Result<(), ()> {
    match tokio::time::timeout(
        WRITE_TIMEOUT,
        socket.send(Message::Text(Utf8Bytes::from(frame))),
    )
    .await
    {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// Writes `first` and whatever else is queued (up to [`MAX_BATCH`]) with one flush.
async fn write_batch(
    socket: &mut Socket,
    first: Frame,
    queue: &mut mpsc::Receiver<Frame>,
) -> Result<(), ()> {
    let write = async {
        socket
            .feed(Message::Text(Utf8Bytes::from(String::from(&*first))))
            .await?;
        for _ in 1..MAX_BATCH {
            let Ok(frame) = queue.try_recv() else { break };
            socket
                .feed(Message::Text(Utf8Bytes::from(String::from(&*frame))))
                .await?;
        }
        socket.flush().await
    };
    match tokio::time::timeout(WRITE_TIMEOUT, write).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_exactly_or_by_wildcard() {
        let allowed = vec!["https://app.example".to_owned()];
        let ok = HeaderValue::from_static("https://APP.example");
        let other = HeaderValue::from_static("https://evil.example");
        assert!(origin_allowed(&allowed, Some(&ok)));
        assert!(!origin_allowed(&allowed, Some(&other)));
        assert!(!origin_allowed(&allowed, None));
        assert!(origin_allowed(&[], None));
        assert!(origin_allowed(&["*".to_owned()], Some(&other)));
    }

    #[test]
    fn close_reasons_are_cut_to_the_frame_limit() {
        let long = "é".repeat(100);
        let Message::Close(Some(frame)) = close_message(CloseCode::OverCapacity, &long) else {
            panic!("not a close frame");
        };
        assert!(frame.reason.len() <= 123);
        assert_eq!(u16::from(frame.code), 4100);
    }
}
