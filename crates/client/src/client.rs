//! [`Client`] and its [`ClientBuilder`].

use std::sync::Arc;
use std::time::Duration;

use domvia_protocol::channel::SERVER_TO_USER_PREFIX;
use domvia_protocol::{AppKey, ChannelName, SocketId, UserId};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_rustls::rustls::ClientConfig;

use crate::auth::{Authorizer, HttpAuthorizer};
use crate::backoff::Backoff;
use crate::channel::Channel;
use crate::connection::{self, Command, Config};
use crate::error::ClientError;
use crate::state::{ChannelStatus, ConnectionState, Shared, Slot};
use crate::transport::Endpoint;

/// Settings for a [`Client`]; start with [`Client::builder`].
pub struct ClientBuilder {
    url: String,
    key: AppKey,
    authorizer: Option<Arc<dyn Authorizer>>,
    sign_in: bool,
    activity_timeout: Duration,
    pong_timeout: Duration,
    connect_timeout: Duration,
    subscribe_timeout: Duration,
    backoff: Backoff,
    tls: Option<Arc<ClientConfig>>,
}

impl ClientBuilder {
    /// Authorizes private and presence subscriptions (and sign-ins) with `authorizer`.
    #[must_use]
    pub fn authorizer(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    /// Authorizes subscriptions by POSTing to `url` (see [`HttpAuthorizer`]; build one
    /// yourself for headers, parameters or a user endpoint).
    #[must_use]
    pub fn auth_endpoint(self, url: impl Into<String>) -> Self {
        self.authorizer(Arc::new(HttpAuthorizer::new(url)))
    }

    /// Signs the user in (`pusher:signin`) on every connection, with
    /// [`Authorizer::authenticate_user`]. Off by default.
    #[must_use]
    pub fn sign_in(mut self, sign_in: bool) -> Self {
        self.sign_in = sign_in;
        self
    }

    /// Sends `pusher:ping` after this long without a message (default 120 s; the
    /// gateway's own `activity_timeout` applies when shorter).
    #[must_use]
    pub fn activity_timeout(mut self, timeout: Duration) -> Self {
        self.activity_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Reconnects when a ping gets no answer within this (default 30 s, as pusher-js).
    #[must_use]
    pub fn pong_timeout(mut self, timeout: Duration) -> Self {
        self.pong_timeout = timeout;
        self
    }

    /// Gives up on one connection attempt after this (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long [`Client::subscribe`] waits for the gateway's answer (default 30 s).
    #[must_use]
    pub fn subscribe_timeout(mut self, timeout: Duration) -> Self {
        self.subscribe_timeout = timeout;
        self
    }

    /// The reconnect backoff (default 1 s doubling to 30 s, with jitter).
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The rustls configuration for `wss://` (its root certificates decide which gateways
    /// are trusted). Without it, `wss://` trusts the public web's roots (Mozilla's, from
    /// `webpki-roots`), as a browser would; set one for a private CA or pinned roots.
    #[must_use]
    pub fn tls_config(mut self, config: Arc<ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Starts the client: the connection task connects in the background, and reconnects
    /// until [`Client::disconnect`] or a close code that forbids it. Call within a Tokio
    /// runtime.
    ///
    /// # Errors
    /// [`ClientError::InvalidUrl`], or [`ClientError::TlsNotConfigured`] if the default
    /// TLS configuration cannot be built.
    pub fn connect(self) -> Result<Client, ClientError> {
        let endpoint = Endpoint::parse(&self.url, &self.key)?;
        let tls = match self.tls {
            None if endpoint.is_tls() => Some(public_web_roots()?),
            tls => tls,
        };
        let shared = Arc::new(Shared::new());
        let (commands, receiver) = mpsc::unbounded_channel();
        let config = Config {
            endpoint,
            authorizer: self.authorizer,
            sign_in: self.sign_in,
            activity_timeout: self.activity_timeout,
            pong_timeout: self.pong_timeout,
            connect_timeout: self.connect_timeout,
            backoff: self.backoff,
            tls,
        };
        tokio::spawn(connection::run(Arc::clone(&shared), config, receiver));
        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                commands,
                subscribe_timeout: self.subscribe_timeout,
                sign_in: self.sign_in,
            }),
        })
    }
}

/// The default for `wss://`: the public web's roots, TLS 1.2 and 1.3 on aws-lc-rs.
fn public_web_roots() -> Result<Arc<ClientConfig>, ClientError> {
    let roots = tokio_rustls::rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| ClientError::TlsNotConfigured)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A connection to the gateway. Cheap to clone; the connection closes when the last clone
/// and the last [`Channel`] are dropped, or on [`Client::disconnect`].
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    subscribe_timeout: Duration,
    sign_in: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("state", &*self.inner.shared.state.borrow())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("url", &self.url)
            .field("key", &self.key)
            .field("has_authorizer", &self.authorizer.is_some())
            .field("sign_in", &self.sign_in)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Disconnect);
    }
}

impl Client {
    /// Settings for a client of app `key` at `url` (`ws://host:port`, or `wss://…` with
    /// [`ClientBuilder::tls_config`]).
    #[must_use]
    pub fn builder(url: impl Into<String>, key: AppKey) -> ClientBuilder {
        ClientBuilder {
            url: url.into(),
            key,
            authorizer: None,
            sign_in: false,
            activity_timeout: Duration::from_secs(120),
            pong_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            subscribe_timeout: Duration::from_secs(30),
            backoff: Backoff::default(),
            tls: None,
        }
    }

    /// The connection's state, as it changes.
    #[must_use]
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.inner.shared.state.subscribe()
    }

    /// The socket id, while connected.
    #[must_use]
    pub fn socket_id(&self) -> Option<SocketId> {
        self.inner.shared.socket_id()
    }

    /// `pusher:error`s the gateway sends (a refused client event, a failed sign-in), as
    /// [`ClientError::Gateway`], plus sign-in authorization failures.
    #[must_use]
    pub fn gateway_errors(&self) -> broadcast::Receiver<ClientError> {
        self.inner.shared.gateway_errors.subscribe()
    }

    /// Waits until connected and returns the socket id.
    ///
    /// # Errors
    /// [`ClientError::Closed`] if the client closed for good first.
    pub async fn connected(&self) -> Result<SocketId, ClientError> {
        let mut state = self.state();
        let found = state
            .wait_for(|s| {
                matches!(
                    s,
                    ConnectionState::Connected(_) | ConnectionState::Disconnected { .. }
                )
            })
            .await
            .map_err(|_| ClientError::Closed { close_code: None })?
            .clone();
        match found {
            ConnectionState::Connected(id) => Ok(id),
            ConnectionState::Disconnected { close_code } => Err(ClientError::Closed { close_code }),
            ConnectionState::Connecting | ConnectionState::Unavailable => {
                Err(ClientError::Closed { close_code: None })
            }
        }
    }

    /// Subscribes to `channel` and waits for the gateway to confirm. Private and presence
    /// channels are authorized first. While disconnected, waits for the connection.
    /// Subscribing again to a subscribed channel returns another handle at once.
    ///
    /// # Errors
    /// [`ClientError::InvalidChannel`], [`ClientError::Authorization`],
    /// [`ClientError::SubscriptionRefused`], [`ClientError::Timeout`] or
    /// [`ClientError::Closed`].
    pub async fn subscribe(&self, channel: &str) -> Result<Channel, ClientError> {
        let name: ChannelName = channel.parse()?;
        if let ConnectionState::Disconnected { close_code } = *self.inner.shared.state.borrow() {
            return Err(ClientError::Closed { close_code });
        }
        let mut status = {
            let mut channels = self.inner.shared.channels();
            match channels.get(&name) {
                Some(slot) => slot.status.subscribe(),
                None => {
                    let slot = Slot::new();
                    let status = slot.status.subscribe();
                    channels.insert(name.clone(), slot);
                    drop(channels);
                    let _ = self.inner.commands.send(Command::Subscribe(name.clone()));
                    status
                }
            }
        };
        let outcome = tokio::time::timeout(
            self.inner.subscribe_timeout,
            status.wait_for(|s| !matches!(s, ChannelStatus::Pending)),
        )
        .await;
        let result = match outcome {
            Err(_) => Err(ClientError::Timeout {
                waiting_for: "the subscription to succeed",
            }),
            Ok(Err(_)) => Err(ClientError::Closed { close_code: None }),
            Ok(Ok(status)) => match &*status {
                ChannelStatus::Subscribed => Ok(()),
                ChannelStatus::Failed(error) => Err(error.clone()),
                ChannelStatus::Pending => Err(ClientError::Timeout {
                    waiting_for: "the subscription to succeed",
                }),
            },
        };
        match result {
            Ok(()) => Ok(Channel::new(self.clone(), name)),
            Err(error) => {
                // Forget the failed subscription, so a later call starts afresh. Only a
                // timed-out one may still succeed at the gateway: undo it there too.
                let removed = self.inner.shared.channels().remove(&name).is_some();
                if removed && matches!(error, ClientError::Timeout { .. }) {
                    let _ = self.inner.commands.send(Command::Unsubscribe(name));
                }
                Err(error)
            }
        }
    }

    /// The signed-in user, once `pusher:signin` succeeded on this connection.
    #[must_use]
    pub fn user(&self) -> Option<UserId> {
        self.inner.shared.signed_in()
    }

    /// The signed-in user's own channel, `#server-to-user-{id}`: where the app's server
    /// sends events to one user wherever they are connected (the server SDKs'
    /// `sendToUser`; pusher-js's `pusher.user.bind`). Waits for the sign-in (up to the
    /// subscribe timeout), then subscribes; after a reconnect it is subscribed again once
    /// the user is signed in again.
    ///
    /// # Errors
    /// [`ClientError::SignInNotEnabled`] without [`ClientBuilder::sign_in`],
    /// [`ClientError::Timeout`] when no sign-in succeeds in time, or as
    /// [`Client::subscribe`].
    pub async fn user_channel(&self) -> Result<Channel, ClientError> {
        if !self.inner.sign_in {
            return Err(ClientError::SignInNotEnabled);
        }
        let mut signed_in = self.inner.shared.watch_signed_in();
        let user = tokio::time::timeout(
            self.inner.subscribe_timeout,
            signed_in.wait_for(Option::is_some),
        )
        .await
        .map_err(|_| ClientError::Timeout {
            waiting_for: "the user to be signed in",
        })?
        .map_err(|_| ClientError::Closed { close_code: None })?
        .clone();
        let user = user.ok_or(ClientError::Closed { close_code: None })?;
        self.subscribe(&format!("{SERVER_TO_USER_PREFIX}{user}"))
            .await
    }

    /// Sends a frame, failing unless connected.
    pub(crate) async fn send(&self, text: String) -> Result<(), ClientError> {
        let (done, result) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Send { text, done })
            .map_err(|_| ClientError::Closed { close_code: None })?;
        result
            .await
            .map_err(|_| ClientError::Closed { close_code: None })?
    }

    /// Closes the connection for good: bindings end, subscriptions fail.
    pub fn disconnect(&self) {
        let _ = self.inner.commands.send(Command::Disconnect);
    }
}
