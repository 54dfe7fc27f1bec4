//! The gateway's configuration: the server (address, TLS, timeouts) and its apps.
//!
//! Three sources: built-in defaults with one dev app ([`ServerConfig::dev`]), the
//! single-app environment variables `DOMVIA_APP_ID`, `DOMVIA_APP_KEY` and
//! `DOMVIA_APP_SECRET`, with `DOMVIA_APP_CIPHERTEXT_ONLY` (whitespace-separated
//! patterns; empty turns the check off) for the env or dev app
//! ([`ServerConfig::from_env_and_defaults`]), and a TOML file for real
//! deployments ([`ServerConfig::from_toml`], [`ServerConfig::load`]). Every value is
//! checked when loaded, and a bad one is reported with its path, for example
//! `apps[1].limits.max_payload_bytes: must be between 1 and 1048576` ([`ConfigError`]).
//!
//! # The TOML file
//!
//! Every key is optional except those marked *required*; unknown keys are errors.
//! `examples/domvia.toml` is a commented copy of this layout.
//!
//! | key | meaning (default) |
//! |---|---|
//! | `host` | IP address to listen on (`127.0.0.1`; `0.0.0.0` for all interfaces) |
//! | `port` | TCP port (`6001`; `0` picks a free one) |
//! | `activity_timeout_secs` | client ping interval, 1–3600 (`120`) |
//! | `pong_timeout_secs` | wait for a pong before closing with 4201, 1–600 (`30`) |
//! | `shutdown_grace_secs` | wait for connections on shutdown, 0–3600 (`10`) |
//! | `[tls]` `cert`, `key` | PEM certificate chain and private key, both *required* in the table; relative paths are relative to the config file. Without `[tls]`, plain HTTP/WS |
//! | `[webhooks]` `debounce_ms` | delay for `channel_vacated`/`member_removed`, 0–60000 (`3000`) |
//! | `[webhooks]` `max_attempts` | attempts per batch, 1–100 (`5`) |
//! | `[webhooks]` `initial_backoff_ms` | first retry delay, doubled each time, 1–60000 (`500`) |
//! | `[webhooks]` `timeout_ms` | per-request timeout, 1–120000 (`5000`) |
//! | `[[apps]]` `id` | *required*; 1–64 of `A-Z a-z 0-9 - _ .`; unique |
//! | `[[apps]]` `key` | *required*; visible ASCII without `:` `/` `?` `#` `%`; unique |
//! | `[[apps]]` `secret` | *required*; non-empty; never printed or logged |
//! | `[[apps]]` `enabled` | `false` refuses connections (4003) and API calls (403) (`true`) |
//! | `[[apps]]` `allowed_origins` | `["*"]` or `["https://host[:port]", ...]`; empty: any (`[]`) |
//! | `[[apps]]` `client_events` | allow `client-` events (`true`) |
//! | `[[apps]]` `user_authentication` | accept `pusher:signin` (`true`) |
//! | `[[apps]]` `ciphertext_only` | channel patterns (`"private-e2ee-*"`, or an exact name) whose events must be end-to-end encrypted envelopes, `spec/ciphertext-only-channels.md`; each begins with `private-` or `presence-` and cannot match `private-encrypted-`; `[]` disables (`["private-e2ee-*", "presence-e2ee-*"]`) |
//! | `[apps.limits]` | see below; Pusher's defaults |
//! | `[[apps.webhooks]]` `url` | *required*; `http://` or `https://` |
//! | `[[apps.webhooks]]` `events` | some of `channel_occupied`, `channel_vacated`, `member_added`, `member_removed`, `client_event`; empty: all (`[]`) |
//!
//! `[apps.limits]`, each a positive integer with the range given: `max_connections`
//! (1–10 000 000; absent: unlimited), `max_client_events_per_second` (1–10 000; 10),
//! `max_messages_per_second` (1–1 000 000; absent: unlimited),
//! `max_channels_per_connection` (1–10 000; 100), `max_payload_bytes` (1–1 048 576;
//! 10 240), `max_presence_members` (1–100 000; 100), `max_presence_user_info_bytes`
//! (1–65 536; 1 024), `max_event_channels` (1–1 000; 100), `max_batch_events` (1–1 000;
//! 10), `outbound_queue` (1–1 048 576; 1 024).
//!
//! ```
//! use domvia_server::ServerConfig;
//!
//! let config = ServerConfig::from_toml(
//!     r#"
//!     host = "0.0.0.0"
//!     port = 6001
//!
//!     [[apps]]
//!     id = "chat"
//!     key = "chat-key"
//!     secret = "a long random secret"
//!     allowed_origins = ["https://chat.example.com"]
//!
//!     [apps.limits]
//!     max_connections = 10000
//!     "#,
//! )?;
//! assert_eq!(config.listen.to_string(), "0.0.0.0:6001");
//! assert_eq!(config.apps[0].limits.max_connections, Some(10_000));
//!
//! let error = ServerConfig::from_toml(
//!     "[[apps]]\nid = \"a\"\nkey = \"a:b\"\nsecret = \"s\"\n",
//! )
//! .unwrap_err();
//! assert_eq!(error.to_string(), "apps[0].key: must not contain ':'");
//! assert_eq!(error.code(), "config_invalid");
//! # Ok::<(), domvia_server::config::ConfigError>(())
//! ```

mod env;
mod error;
mod parse;
mod reader;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::time::Duration;

use domvia_protocol::{AppKey, AppSecret, ChannelName, ChannelPattern};
use zeroize::Zeroizing;

pub use env::{ENV_APP_CIPHERTEXT_ONLY, ENV_APP_ID, ENV_APP_KEY, ENV_APP_SECRET};
pub use error::ConfigError;

/// Where the server listens unless told otherwise: `127.0.0.1:6001`.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 6001));

/// The webhook event names an app's `[[apps.webhooks]] events` may list.
pub const WEBHOOK_EVENTS: [&str; 5] = [
    "channel_occupied",
    "channel_vacated",
    "member_added",
    "member_removed",
    "client_event",
];

/// The channel patterns that are ciphertext-only unless an app says otherwise.
pub const DEFAULT_CIPHERTEXT_ONLY: [&str; 2] = ["private-e2ee-*", "presence-e2ee-*"];

/// The whole server's configuration.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The address to listen on (default `127.0.0.1:6001`).
    pub listen: SocketAddr,
    /// TLS: when set, the listener speaks only TLS (WSS and HTTPS).
    pub tls: Option<TlsConfig>,
    /// Seconds of silence after which clients ping (sent in `connection_established`), and
    /// after which the server pings a silent client (default 120, Pusher's value).
    pub activity_timeout: Duration,
    /// How long the server waits for a pong before closing with 4201 (default 30 s).
    pub pong_timeout: Duration,
    /// How long a graceful shutdown waits for connections to close (default 10 s).
    pub shutdown_grace: Duration,
    /// The apps this server hosts; never empty.
    pub apps: Vec<AppConfig>,
    /// Webhook delivery settings shared by all apps.
    pub webhooks: WebhookSettings,
}

/// A certificate chain and private key, both PEM files.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsConfig {
    /// The PEM certificate chain, leaf first.
    pub cert_path: PathBuf,
    /// The PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_path: PathBuf,
}

impl TlsConfig {
    /// The certificate chain at `cert_path` and the key at `key_path`.
    #[must_use]
    pub fn new(cert_path: impl Into<PathBuf>, key_path: impl Into<PathBuf>) -> Self {
        Self {
            cert_path: cert_path.into(),
            key_path: key_path.into(),
        }
    }
}

/// One app: its credentials, what its clients may do, its limits and its webhooks.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AppConfig {
    /// The app id used in HTTP API paths (`/apps/{id}/…`).
    pub id: String,
    /// The public key clients connect with (`/app/{key}`).
    pub key: AppKey,
    /// The secret that signs channel auth, user auth and HTTP API requests.
    pub secret: AppSecret,
    /// A disabled app refuses connections with 4003 and HTTP API calls with 403.
    pub enabled: bool,
    /// Allowed WebSocket `Origin`s (exact `scheme://host[:port]`, or `*` for any). Empty
    /// means any origin.
    pub allowed_origins: Vec<String>,
    /// Whether clients may send `client-` events.
    pub client_events: bool,
    /// Whether `pusher:signin` is accepted.
    pub user_authentication: bool,
    /// Channels on which only end-to-end encrypted envelopes are relayed
    /// (`spec/ciphertext-only-channels.md`); default [`DEFAULT_CIPHERTEXT_ONLY`], empty
    /// for none.
    pub ciphertext_only: Vec<ChannelPattern>,
    /// Usage limits.
    pub limits: Limits,
    /// Where this app's webhooks go.
    pub webhooks: Vec<WebhookTarget>,
}

/// Per-app usage limits. The defaults are Pusher's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Concurrent connections (`None`: unlimited). Over it: close 4004.
    pub max_connections: Option<u32>,
    /// Client events per connection per second (default 10). Over it: close 4301.
    pub max_client_events_per_second: u32,
    /// Messages per second the app may publish, through the HTTP API and client events
    /// together (`None`: unlimited). Over it: HTTP 429 / `pusher:error`.
    pub max_messages_per_second: Option<u32>,
    /// Channels one connection may be subscribed to at once (default 100).
    pub max_channels_per_connection: u32,
    /// The largest event `data`, in bytes (default 10 240).
    pub max_payload_bytes: usize,
    /// Members (distinct users) of one presence channel (default 100).
    pub max_presence_members: usize,
    /// The largest presence `user_info`, in bytes of JSON (default 1 024).
    pub max_presence_user_info_bytes: usize,
    /// Channels one HTTP `events` call may name (default 100).
    pub max_event_channels: usize,
    /// Events one `batch_events` call may hold (default 10).
    pub max_batch_events: usize,
    /// Frames queued for one connection before it counts as a slow consumer (default 1 024).
    pub outbound_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: None,
            max_client_events_per_second: 10,
            max_messages_per_second: None,
            max_channels_per_connection: 100,
            max_payload_bytes: 10_240,
            max_presence_members: crate::presence::DEFAULT_MAX_MEMBERS,
            max_presence_user_info_bytes: crate::presence::DEFAULT_MAX_USER_INFO_BYTES,
            max_event_channels: 100,
            max_batch_events: 10,
            outbound_queue: 1_024,
        }
    }
}

/// One webhook endpoint and the events it wants.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookTarget {
    /// `http://` or `https://` URL that receives the POSTs.
    pub url: String,
    /// The event names it wants (`channel_occupied`, …); empty means all.
    pub events: Vec<String>,
}

/// How webhooks are delivered, for all apps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookSettings {
    /// Delay before `channel_vacated` / `member_removed` are sent; a matching
    /// `channel_occupied` / `member_added` inside it cancels both (default 3 s).
    pub debounce: Duration,
    /// Attempts per batch before it is dropped and counted as failed (default 5).
    pub max_attempts: u32,
    /// The first retry delay; doubled each attempt (default 500 ms).
    pub initial_backoff: Duration,
    /// Per-request timeout (default 5 s).
    pub timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            debounce: Duration::from_secs(3),
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(5),
        }
    }
}

/// The dev app's credentials, printed by `domvia serve` at start.
pub const DEV_APP_ID: &str = "domvia-dev";
/// The dev app's key.
pub const DEV_APP_KEY: &str = "domvia-dev-key";
/// The dev app's secret: for local development only.
pub const DEV_APP_SECRET: &str = "domvia-dev-secret";

impl WebhookTarget {
    /// An endpoint receiving the events named in `events` (empty: all of them).
    #[must_use]
    pub fn new(url: impl Into<String>, events: Vec<String>) -> Self {
        Self {
            url: url.into(),
            events,
        }
    }
}

impl AppConfig {
    /// An app with Pusher's defaults: any origin, client events and user authentication
    /// on, default limits, no webhooks; and the default ciphertext-only channels
    /// ([`DEFAULT_CIPHERTEXT_ONLY`]).
    #[must_use]
    pub fn new(id: impl Into<String>, key: AppKey, secret: AppSecret) -> Self {
        Self {
            id: id.into(),
            key,
            secret,
            enabled: true,
            allowed_origins: Vec::new(),
            client_events: true,
            user_authentication: true,
            ciphertext_only: DEFAULT_CIPHERTEXT_ONLY
                .iter()
                .filter_map(|pattern| pattern.parse().ok())
                .collect(),
            limits: Limits::default(),
            webhooks: Vec::new(),
        }
    }

    /// Whether `channel` is ciphertext-only for this app: it matches one of
    /// [`AppConfig::ciphertext_only`].
    #[must_use]
    pub fn is_ciphertext_only(&self, channel: &ChannelName) -> bool {
        self.ciphertext_only
            .iter()
            .any(|pattern| pattern.matches(channel))
    }
}

impl ServerConfig {
    /// A server on `listen` hosting `apps`, with default timeouts, no TLS.
    #[must_use]
    pub fn new(listen: SocketAddr, apps: Vec<AppConfig>) -> Self {
        Self {
            listen,
            tls: None,
            activity_timeout: Duration::from_secs(120),
            pong_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            apps,
            webhooks: WebhookSettings::default(),
        }
    }

    /// The zero-config server: `127.0.0.1:6001` with the dev app.
    ///
    /// # Errors
    /// Never in practice: the dev credentials are valid constants.
    pub fn dev() -> Result<Self, domvia_protocol::AuthError> {
        let app = AppConfig::new(
            DEV_APP_ID,
            DEV_APP_KEY.parse()?,
            AppSecret::new(DEV_APP_SECRET)?,
        );
        Ok(Self::new(DEFAULT_LISTEN, vec![app]))
    }

    /// Parses a TOML config (the layout is in the [module docs](self)). Relative TLS paths
    /// are kept as written; [`ServerConfig::load`] resolves them against the file's
    /// directory.
    ///
    /// # Errors
    /// [`ConfigError::Syntax`] for text that is not TOML, otherwise the first value
    /// refused, named by its path.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        parse::server(text)
    }

    /// Reads and parses the TOML file at `path`. Relative `[tls]` paths are taken
    /// relative to the file's directory, so the server can be started from anywhere.
    ///
    /// # Errors
    /// [`ConfigError::Read`] when the file cannot be read, otherwise as
    /// [`ServerConfig::from_toml`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        // The text holds the app secrets: wiped when dropped.
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?,
            );
        let mut config = Self::from_toml(&text)?;
        if let (Some(tls), Some(dir)) = (&mut config.tls, path.parent()) {
            tls.cert_path = dir.join(&tls.cert_path);
            tls.key_path = dir.join(&tls.key_path);
        }
        Ok(config)
    }
}
