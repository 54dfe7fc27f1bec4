//! The connection task: connects, keeps the connection alive, reconnects with backoff and
//! resubscribes every channel the application wants.
//!
//! One task per client owns the WebSocket. Handles talk to it through [`Command`]s; slow
//! work (authorizing a subscription over HTTP) runs in spawned tasks that report back on a
//! per-connection channel, so a result meant for an old socket id is dropped with it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use domvia_protocol::{ChannelName, PresenceMember, Reconnect, ServerFrame, SocketId, UserData};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until};
use tokio_rustls::rustls::ClientConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::auth::{Authorizer, ChannelAuth, UserAuth};
use crate::backoff::Backoff;
use crate::error::ClientError;
use crate::frame;
use crate::presence;
use crate::state::{ChannelStatus, ConnectionState, Shared};
use crate::transport::{Endpoint, Socket};

/// What handles ask of the connection task.
#[derive(Debug)]
pub(crate) enum Command {
    /// Subscribe to a channel that was just added to the table.
    Subscribe(ChannelName),
    /// Unsubscribe from a channel just removed from the table.
    Unsubscribe(ChannelName),
    /// Send a frame now; fails unless connected.
    Send {
        text: String,
        done: oneshot::Sender<Result<(), ClientError>>,
    },
    /// Close for good.
    Disconnect,
}

/// The client's settings, fixed when it is built.
pub(crate) struct Config {
    pub(crate) endpoint: Endpoint,
    pub(crate) authorizer: Option<Arc<dyn Authorizer>>,
    pub(crate) sign_in: bool,
    pub(crate) activity_timeout: Duration,
    pub(crate) pong_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) tls: Option<Arc<ClientConfig>>,
}

/// The longest a single write may take before the connection is given up.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How a connection ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Reconnect, after a backoff unless `immediately`.
    Retry { immediately: bool },
    /// Stop for good.
    Stop { close_code: Option<u16> },
}

/// What spawned authorization tasks report.
enum Authorized {
    Channel(ChannelName, Result<ChannelAuth, ClientError>),
    User(Result<UserAuth, ClientError>),
}

/// Runs until the client is closed for good.
pub(crate) async fn run(
    shared: Arc<Shared>,
    config: Config,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut attempt: u32 = 0;
    loop {
        shared.state.send_replace(ConnectionState::Connecting);
        let connecting = config
            .endpoint
            .connect(config.tls.as_ref(), config.connect_timeout);
        tokio::pin!(connecting);
        // Commands are answered while connecting too: a disconnect must not wait for the
        // handshake to time out.
        let opened = loop {
            tokio::select! {
                opened = &mut connecting => break opened,
                command = commands.recv() => if !refuse_while_disconnected(command) {
                    return finish(&shared, None);
                },
            }
        };
        let outcome = match opened {
            Ok(socket) => {
                let mut session = Session::new(&shared, &config, socket);
                let outcome = session.run(&mut commands).await;
                if session.established {
                    attempt = 0;
                }
                outcome
            }
            Err(reason) => {
                tracing::debug!(url = config.endpoint.url(), %reason, "connecting failed");
                Outcome::Retry { immediately: false }
            }
        };
        let wait = match outcome {
            Outcome::Stop { close_code } => return finish(&shared, close_code),
            Outcome::Retry { immediately: true } => Duration::ZERO,
            Outcome::Retry { immediately: false } => {
                let delay = config.backoff.delay(attempt);
                attempt = attempt.saturating_add(1);
                delay
            }
        };
        shared.state.send_replace(ConnectionState::Unavailable);
        // Subscriptions died with the connection; they are renewed on the next one.
        for slot in shared.channels().values() {
            slot.status.send_replace(ChannelStatus::Pending);
        }
        tracing::debug!(?wait, "reconnecting");
        if !idle(&mut commands, wait).await {
            return finish(&shared, None);
        }
    }
}

/// Waits `wait` while disconnected, answering commands; `false` on [`Command::Disconnect`].
async fn idle(commands: &mut mpsc::UnboundedReceiver<Command>, wait: Duration) -> bool {
    let deadline = later(Instant::now(), wait);
    loop {
        tokio::select! {
            () = sleep_until(deadline) => return true,
            command = commands.recv() => if !refuse_while_disconnected(command) {
                return false;
            },
        }
    }
}

/// Answers a command while there is no connection; `false` for a disconnect.
fn refuse_while_disconnected(command: Option<Command>) -> bool {
    match command {
        None | Some(Command::Disconnect) => false,
        // Subscribed on the next connection; nothing to tell the gateway now.
        Some(Command::Subscribe(_) | Command::Unsubscribe(_)) => true,
        Some(Command::Send { done, .. }) => {
            let _ = done.send(Err(ClientError::NotConnected));
            true
        }
    }
}

/// Closed for good: every subscription fails, every binding ends.
fn finish(shared: &Shared, close_code: Option<u16>) {
    let mut channels = shared.channels();
    for slot in channels.values() {
        slot.status
            .send_replace(ChannelStatus::Failed(ClientError::Closed { close_code }));
    }
    channels.clear();
    drop(channels);
    shared
        .state
        .send_replace(ConnectionState::Disconnected { close_code });
}

/// One WebSocket connection.
struct Session<'a> {
    shared: &'a Arc<Shared>,
    config: &'a Config,
    socket: Socket,
    socket_id: Option<SocketId>,
    established: bool,
    /// While a sign-in is in flight, subscriptions wait here: a presence subscription
    /// without `channel_data` needs the gateway to know the user first.
    deferred: Option<Vec<ChannelName>>,
    /// Channels subscribed (or being authorized) on this connection: a channel added just
    /// as the connection is established is asked for once, not twice.
    requested: HashSet<ChannelName>,
    authorized_tx: mpsc::UnboundedSender<Authorized>,
    authorized_rx: mpsc::UnboundedReceiver<Authorized>,
}

impl<'a> Session<'a> {
    fn new(shared: &'a Arc<Shared>, config: &'a Config, socket: Socket) -> Self {
        let (authorized_tx, authorized_rx) = mpsc::unbounded_channel();
        Self {
            shared,
            config,
            socket,
            socket_id: None,
            established: false,
            deferred: None,
            requested: HashSet::new(),
            authorized_tx,
            authorized_rx,
        }
    }

    /// Sends one frame. A write the peer does not take within [`WRITE_TIMEOUT`] counts
    /// as a lost connection (the select loop would otherwise stall behind it).
    async fn send(&mut self, text: String) -> Result<(), ClientError> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.socket.send(Message::text(text))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) | Err(_) => Err(ClientError::NotConnected),
        }
    }

    async fn run(&mut self, commands: &mut mpsc::UnboundedReceiver<Command>) -> Outcome {
        let connect_deadline = later(Instant::now(), self.config.connect_timeout);
        let mut activity = self.config.activity_timeout;
        let mut last_seen = Instant::now();
        let mut ping_sent: Option<Instant> = None;
        loop {
            let deadline = match (&self.socket_id, ping_sent) {
                (None, _) => connect_deadline,
                (Some(_), Some(sent)) => later(sent, self.config.pong_timeout),
                (Some(_), None) => later(last_seen, activity),
            };
            tokio::select! {
                message = self.socket.next() => {
                    let message = match message {
                        Some(Ok(message)) => message,
                        Some(Err(e)) => {
                            tracing::debug!(error = %e, "connection lost");
                            return Outcome::Retry { immediately: false };
                        }
                        None => return Outcome::Retry { immediately: false },
                    };
                    last_seen = Instant::now();
                    ping_sent = None;
                    match message {
                        Message::Text(text) => {
                            if let Some(timeout) = self.on_text(&text).await {
                                activity = activity.min(timeout);
                            }
                        }
                        Message::Close(close) => {
                            return close_outcome(close.map(|c| u16::from(c.code)));
                        }
                        _ => {}
                    }
                }
                command = commands.recv() => match command {
                    None | Some(Command::Disconnect) => {
                        let _ = tokio::time::timeout(WRITE_TIMEOUT, self.socket.close(None)).await;
                        return Outcome::Stop { close_code: None };
                    }
                    Some(Command::Subscribe(channel)) => self.subscribe(channel).await,
                    Some(Command::Unsubscribe(channel)) => {
                        self.requested.remove(&channel);
                        if self.socket_id.is_some() {
                            let _ = self.send(frame::unsubscribe(&channel)).await;
                        }
                    }
                    Some(Command::Send { text, done }) => {
                        let result = if self.socket_id.is_some() {
                            self.send(text).await
                        } else {
                            Err(ClientError::NotConnected)
                        };
                        let _ = done.send(result);
                    }
                },
                Some(authorized) = self.authorized_rx.recv() => self.on_authorized(authorized).await,
                () = sleep_until(deadline) => {
                    if self.socket_id.is_none() || ping_sent.is_some() {
                        tracing::debug!("the gateway did not answer in time");
                        return Outcome::Retry { immediately: false };
                    }
                    if self.send(frame::ping()).await.is_err() {
                        return Outcome::Retry { immediately: false };
                    }
                    ping_sent = Some(Instant::now());
                }
            }
        }
    }

    /// Handles one text frame; returns the gateway's activity timeout when connected.
    async fn on_text(&mut self, text: &str) -> Option<Duration> {
        let frame = match frame::read(text) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::debug!(error = %e, "unreadable frame skipped");
                return None;
            }
        };
        match frame {
            ServerFrame::ConnectionEstablished {
                socket_id,
                activity_timeout,
            } => {
                if self.socket_id.is_some() {
                    return None;
                }
                self.on_established(socket_id).await;
                return Some(Duration::from_secs(u64::from(activity_timeout.max(1))));
            }
            ServerFrame::Ping => {
                let _ = self.send(frame::pong()).await;
            }
            ServerFrame::Error { message, code } => {
                tracing::debug!(?code, %message, "pusher:error");
                let _ = self
                    .shared
                    .gateway_errors
                    .send(ClientError::Gateway { code, message });
                // A refused sign-in (an app without user authentication) must not hold
                // the subscriptions back.
                if self.deferred.is_some() {
                    self.resume_subscriptions().await;
                }
            }
            ServerFrame::SigninSuccess { user_data } => {
                let user = UserData::parse(&user_data).ok().map(|u| u.id().clone());
                self.shared.set_signed_in(user);
                self.resume_subscriptions().await;
            }
            other => {
                if let ServerFrame::SubscriptionError { channel, .. } = &other {
                    self.requested.remove(channel);
                }
                presence::apply(self.shared, other);
            }
        }
        None
    }

    async fn on_established(&mut self, socket_id: SocketId) {
        self.socket_id = Some(socket_id.clone());
        self.established = true;
        self.shared.set_signed_in(None);
        self.shared
            .state
            .send_replace(ConnectionState::Connected(socket_id.clone()));
        if self.config.sign_in
            && let Some(authorizer) = self.config.authorizer.clone()
        {
            let tx = self.authorized_tx.clone();
            let id = socket_id.clone();
            self.deferred = Some(Vec::new());
            tokio::spawn(async move {
                let result = authorizer.authenticate_user(&id).await;
                let _ = tx.send(Authorized::User(result));
            });
        }
        let wanted: Vec<ChannelName> = {
            let channels = self.shared.channels();
            for slot in channels.values() {
                slot.status.send_replace(ChannelStatus::Pending);
            }
            channels.keys().cloned().collect()
        };
        for channel in wanted {
            self.subscribe(channel).await;
        }
    }

    /// Subscribes now (public channels) or once authorized.
    async fn subscribe(&mut self, channel: ChannelName) {
        let Some(socket_id) = self.socket_id.clone() else {
            return; // subscribed once connected
        };
        if let Some(deferred) = &mut self.deferred {
            deferred.push(channel);
            return;
        }
        if !self.requested.insert(channel.clone()) {
            return;
        }
        if !channel.requires_auth() {
            let _ = self.send(frame::subscribe(&channel, None, None)).await;
            return;
        }
        let Some(authorizer) = self.config.authorizer.clone() else {
            let error = ClientError::Authorization {
                reason: format!("{channel} needs an authorizer: see ClientBuilder::authorizer"),
                status: None,
            };
            self.shared.with_slot(&channel, |slot| {
                slot.status.send_replace(ChannelStatus::Failed(error));
            });
            return;
        };
        let tx = self.authorized_tx.clone();
        tokio::spawn(async move {
            let result = authorizer.authorize_channel(&socket_id, &channel).await;
            let _ = tx.send(Authorized::Channel(channel, result));
        });
    }

    async fn on_authorized(&mut self, authorized: Authorized) {
        match authorized {
            Authorized::Channel(channel, Ok(auth)) => {
                let me = match &auth.channel_data {
                    Some(data) => PresenceMember::from_channel_data(data)
                        .ok()
                        .map(|m| m.user_id),
                    None => self.shared.signed_in(),
                };
                let mut wanted = false;
                self.shared.with_slot(&channel, |slot| {
                    slot.me = me;
                    wanted = true;
                });
                if wanted {
                    let text =
                        frame::subscribe(&channel, Some(&auth.auth), auth.channel_data.as_deref());
                    let _ = self.send(text).await;
                }
            }
            Authorized::Channel(channel, Err(error)) => {
                self.requested.remove(&channel);
                self.shared.with_slot(&channel, |slot| {
                    slot.status.send_replace(ChannelStatus::Failed(error));
                });
            }
            Authorized::User(Ok(user)) => {
                let _ = self.send(frame::signin(&user.auth, &user.user_data)).await;
            }
            Authorized::User(Err(error)) => {
                tracing::debug!(%error, "sign-in not authorized");
                let _ = self.shared.gateway_errors.send(error);
                self.resume_subscriptions().await;
            }
        }
    }

    /// Sends the subscriptions held back while signing in.
    async fn resume_subscriptions(&mut self) {
        for channel in self.deferred.take().unwrap_or_default() {
            self.subscribe(channel).await;
        }
    }
}

/// What a close code asks for (domvia-protocol's [`Reconnect`] ranges); codes below 4000
/// (a plain WebSocket close) reconnect after a backoff, as pusher-js does.
fn close_outcome(code: Option<u16>) -> Outcome {
    let Some(code) = code else {
        return Outcome::Retry { immediately: false };
    };
    match Reconnect::for_code(code) {
        None | Some(Reconnect::AfterBackoff) => Outcome::Retry { immediately: false },
        Some(Reconnect::Immediately) => Outcome::Retry { immediately: true },
        // 4000 asks for TLS: the application chooses wss:// (and its roots) itself.
        Some(_) => Outcome::Stop {
            close_code: Some(code),
        },
    }
}

/// `at + after`, or about a century later if that overflows the clock (a huge timeout
/// means "never", not "now").
fn later(at: Instant, after: Duration) -> Instant {
    at.checked_add(after)
        .or_else(|| at.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_follow_the_protocol_ranges() {
        let backoff = Outcome::Retry { immediately: false };
        let at_once = Outcome::Retry { immediately: true };
        let stop = |code| Outcome::Stop {
            close_code: Some(code),
        };
        for (code, expected) in [
            (None, backoff),
            (Some(1000), Outcome::Retry { immediately: false }),
            (Some(1006), Outcome::Retry { immediately: false }),
            (Some(4000), stop(4000)),
            (Some(4001), stop(4001)),
            (Some(4009), stop(4009)),
            (Some(4099), stop(4099)),
            (Some(4100), Outcome::Retry { immediately: false }),
            (Some(4199), Outcome::Retry { immediately: false }),
            (Some(4200), at_once),
            (Some(4201), Outcome::Retry { immediately: true }),
            (Some(4299), Outcome::Retry { immediately: true }),
            (Some(4301), stop(4301)),
            (Some(u16::MAX), stop(u16::MAX)),
        ] {
            assert_eq!(close_outcome(code), expected, "{code:?}");
        }
    }

    #[test]
    fn later_never_overflows() {
        let now = Instant::now();
        assert_eq!(
            later(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
        assert!(later(now, Duration::MAX) > now);
    }
}
