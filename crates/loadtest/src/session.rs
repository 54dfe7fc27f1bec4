//! One client connection speaking protocol 7: connect, wait for
//! `pusher:connection_established`, subscribe to a public channel and wait for
//! `pusher_internal:subscription_succeeded`, answer `pusher:ping`.
//!
//! Only the rare protocol frames are parsed as JSON; bench events are left to
//! [`crate::payload::Stamp::find`]. WebSocket buffers are kept small (8 KiB read, writes
//! sent at once) because the idle scenario holds 10 000 of these in one process.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use domvia_protocol::ChannelName;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};

use crate::endpoint::connect_tcp;

/// Why a connection failed or ended. [`SessionError::code`] names the kind in reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The TCP connection could not be opened.
    #[error("TCP connect failed: {source}")]
    Tcp {
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The WebSocket upgrade failed.
    #[error("WebSocket handshake failed: {source}")]
    Handshake {
        /// tungstenite's reason.
        source: Box<tungstenite::Error>,
    },
    /// Reading or writing the open WebSocket failed.
    #[error("WebSocket error: {source}")]
    Ws {
        /// tungstenite's reason.
        source: Box<tungstenite::Error>,
    },
    /// The server closed the connection.
    #[error("server closed the connection")]
    Closed,
    /// Nothing arrived in time.
    #[error("timed out waiting for {waiting_for}")]
    Timeout {
        /// The frame expected.
        waiting_for: &'static str,
    },
    /// The server sent `pusher:error`.
    #[error("pusher:error {code:?}: {message}")]
    PusherError {
        /// Its close code, if any.
        code: Option<u64>,
        /// Its text.
        message: String,
    },
    /// The server refused the subscription.
    #[error("pusher:subscription_error (status {status:?})")]
    SubscriptionRefused {
        /// The status it gave, if any.
        status: Option<u64>,
    },
    /// A frame that is not what the protocol allows at this point.
    #[error("unexpected frame while waiting for {waiting_for}")]
    Unexpected {
        /// The frame expected.
        waiting_for: &'static str,
    },
}

impl SessionError {
    /// A stable name for reports.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Tcp { .. } => "tcp_connect",
            Self::Handshake { .. } => "ws_handshake",
            Self::Ws { .. } => "ws_io",
            Self::Closed => "closed_by_server",
            Self::Timeout { .. } => "timeout",
            Self::PusherError { .. } => "pusher_error",
            Self::SubscriptionRefused { .. } => "subscription_refused",
            Self::Unexpected { .. } => "unexpected_frame",
        }
    }
}

/// Where and how to connect: resolved once, shared by every connection.
#[derive(Clone, Debug)]
pub struct SessionTarget {
    /// The server's address.
    pub addr: SocketAddr,
    /// The full URL, `ws://host:port/app/{key}?protocol=7&…`.
    pub url: String,
    /// How long to wait for each protocol step.
    pub step_timeout: Duration,
}

/// An open protocol 7 connection.
#[derive(Debug)]
pub struct Session {
    ws: WebSocketStream<TcpStream>,
    /// Seconds of silence after which the client should ping, from the server.
    pub activity_timeout: Duration,
}

/// A protocol frame other than a bench event.
#[derive(Debug, PartialEq)]
enum Control {
    Established { activity_timeout: Option<u64> },
    Subscribed,
    Ping,
    Other,
}

impl Session {
    /// Connects, upgrades and waits for `pusher:connection_established`.
    ///
    /// # Errors
    /// [`SessionError::Tcp`], [`SessionError::Handshake`], then any error of the first frame.
    pub async fn open(
        target: &SessionTarget,
        source: Option<IpAddr>,
    ) -> Result<Self, SessionError> {
        let tcp = tokio::time::timeout(target.step_timeout, connect_tcp(target.addr, source))
            .await
            .map_err(|_| SessionError::Timeout {
                waiting_for: "TCP connect",
            })?
            .map_err(|source| SessionError::Tcp { source })?;
        let config = WebSocketConfig::default()
            .read_buffer_size(8 * 1024)
            .write_buffer_size(0);
        let handshake =
            tokio_tungstenite::client_async_with_config(target.url.as_str(), tcp, Some(config));
        let (ws, _response) = tokio::time::timeout(target.step_timeout, handshake)
            .await
            .map_err(|_| SessionError::Timeout {
                waiting_for: "WebSocket handshake",
            })?
            .map_err(|source| SessionError::Handshake {
                source: Box::new(source),
            })?;
        let mut session = Self {
            ws,
            activity_timeout: Duration::from_secs(120),
        };
        const WAITING: &str = "pusher:connection_established";
        let text = session
            .next_text_within(target.step_timeout, WAITING)
            .await?;
        match session.on_control(&text).await? {
            Control::Established { activity_timeout } => {
                if let Some(secs) = activity_timeout.filter(|s| *s > 0) {
                    session.activity_timeout = Duration::from_secs(secs);
                }
                Ok(session)
            }
            Control::Subscribed | Control::Ping | Control::Other => Err(SessionError::Unexpected {
                waiting_for: WAITING,
            }),
        }
    }

    /// Subscribes to public `channel` and waits for the server's confirmation.
    ///
    /// # Errors
    /// [`SessionError::SubscriptionRefused`], [`SessionError::PusherError`], a timeout or
    /// a transport error.
    pub async fn subscribe(
        &mut self,
        channel: &ChannelName,
        step_timeout: Duration,
    ) -> Result<(), SessionError> {
        let frame = serde_json::json!({
            "event": "pusher:subscribe",
            "data": { "channel": channel.as_str() },
        });
        self.send(frame.to_string()).await?;
        loop {
            let text = self
                .next_text_within(step_timeout, "pusher_internal:subscription_succeeded")
                .await?;
            if self.on_control(&text).await? == Control::Subscribed {
                return Ok(());
            }
        }
    }

    /// The next text frame. WebSocket pings are answered by tungstenite as it reads.
    ///
    /// # Errors
    /// [`SessionError::Closed`] when the server closes, [`SessionError::Ws`] on a
    /// transport error. Cancel-safe: nothing is lost if the future is dropped.
    pub async fn next_text(&mut self) -> Result<Utf8Bytes, SessionError> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => return Ok(text),
                Some(Ok(Message::Close(_))) | None => return Err(SessionError::Closed),
                Some(Ok(
                    Message::Binary(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_),
                )) => {}
                Some(Err(source)) => return Err(ws_error(source)),
            }
        }
    }

    async fn next_text_within(
        &mut self,
        timeout: Duration,
        waiting_for: &'static str,
    ) -> Result<Utf8Bytes, SessionError> {
        tokio::time::timeout(timeout, self.next_text())
            .await
            .map_err(|_| SessionError::Timeout { waiting_for })?
    }

    /// Handles a frame that is not a bench event: answers `pusher:ping`, turns
    /// `pusher:error` and `pusher:subscription_error` into errors, ignores the rest.
    ///
    /// # Errors
    /// [`SessionError::PusherError`], [`SessionError::SubscriptionRefused`], or a
    /// transport error while answering a ping.
    pub async fn handle_frame(&mut self, text: &str) -> Result<(), SessionError> {
        self.on_control(text).await.map(drop)
    }

    /// Sends `pusher:ping`, as a client does after `activity_timeout` of silence.
    ///
    /// # Errors
    /// A transport error.
    pub async fn ping(&mut self) -> Result<(), SessionError> {
        self.send(r#"{"event":"pusher:ping","data":{}}"#.to_owned())
            .await
    }

    /// Closes the connection politely (errors ignored: the run is over).
    pub async fn close(mut self) {
        drop(self.ws.close(None).await);
    }

    async fn send(&mut self, text: String) -> Result<(), SessionError> {
        self.ws.send(Message::text(text)).await.map_err(ws_error)
    }

    async fn on_control(&mut self, text: &str) -> Result<Control, SessionError> {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            return Ok(Control::Other);
        };
        let event = frame.get("event").and_then(Value::as_str).unwrap_or("");
        let data = frame.get("data").map(decode_data).unwrap_or(Value::Null);
        match event {
            "pusher:connection_established" => Ok(Control::Established {
                activity_timeout: data.get("activity_timeout").and_then(Value::as_u64),
            }),
            "pusher_internal:subscription_succeeded" => Ok(Control::Subscribed),
            "pusher:ping" => {
                self.send(r#"{"event":"pusher:pong","data":{}}"#.to_owned())
                    .await?;
                Ok(Control::Ping)
            }
            "pusher:error" => Err(SessionError::PusherError {
                code: data.get("code").and_then(Value::as_u64),
                message: data
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            }),
            "pusher:subscription_error" => Err(SessionError::SubscriptionRefused {
                status: data.get("status").and_then(Value::as_u64),
            }),
            _ => Ok(Control::Other),
        }
    }
}

/// A frame's `data`: protocol events send it as a JSON string holding an object.
fn decode_data(data: &Value) -> Value {
    match data {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    }
}

fn ws_error(source: tungstenite::Error) -> SessionError {
    match source {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            SessionError::Closed
        }
        other => SessionError::Ws {
            source: Box::new(other),
        },
    }
}
