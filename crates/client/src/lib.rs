//! An async Rust client for the Domvia gateway: Pusher Channels protocol 7 over
//! WebSocket, with end-to-end encrypted channels.
//!
//! - [`Client`] connects (built with [`Client::builder`]), answers and sends pings,
//!   reconnects with [`Backoff`] and resubscribes every channel, following the close-code
//!   ranges of [`domvia_protocol::Reconnect`];
//! - [`Client::subscribe`] returns a [`Channel`] once the gateway confirms; private and
//!   presence channels are authorized first by an [`Authorizer`] ([`HttpAuthorizer`] for an
//!   app's auth endpoint, [`SecretAuthorizer`] for a trusted process holding the secret);
//! - [`Channel::bind`] / [`Channel::bind_all`] give a [`Binding`] stream of [`Event`]s that
//!   keeps flowing across reconnects; [`Channel::trigger`] sends `client-` events;
//!   presence channels keep [`Channel::members`] up to date;
//! - [`EncryptedChannel`] seals payloads with a [`domvia_e2ee::Keyring`] on send and opens
//!   them on receive (the wire shapes of `private-e2ee-*` channels).
//!
//! ```no_run
//! use std::sync::Arc;
//! use domvia_client::{Client, SecretAuthorizer};
//! use domvia_protocol::AppSecret;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let key = "domvia-dev-key".parse()?;
//! let authorizer = SecretAuthorizer::new(key, AppSecret::new("domvia-dev-secret")?);
//! let client = Client::builder("ws://127.0.0.1:6001", "domvia-dev-key".parse()?)
//!     .authorizer(Arc::new(authorizer))
//!     .connect()?;
//! let channel = client.subscribe("private-orders").await?;
//! let mut shipped = channel.bind("client-shipped")?;
//! channel.trigger("client-shipped", &serde_json::json!({"order": 42})).await?;
//! while let Some(event) = shipped.recv().await {
//!     let data: serde_json::Value = event.json()?;
//!     println!("{data}");
//! }
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod auth;
mod backoff;
mod channel;
mod client;
mod connection;
mod e2ee;
mod error;
mod event;
mod frame;
mod presence;
mod state;
mod transport;

pub use auth::{AuthFuture, Authorizer, ChannelAuth, HttpAuthorizer, SecretAuthorizer, UserAuth};
pub use backoff::Backoff;
pub use channel::Channel;
pub use client::{Client, ClientBuilder};
pub use e2ee::{
    CHAT_EVENT, Decrypted, EncryptedChannel, EncryptedStream, KEY_TRANSPORT_PREFIX, OpenFailure,
};
pub use error::ClientError;
pub use event::{Binding, Event};
pub use state::{ChannelStatus, ConnectionState, Members};

/// The README's example, run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
