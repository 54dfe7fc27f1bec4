//! The Domvia gateway as a library. For now, its state layer: channels, presence and
//! fan-out, behind the [`Broker`] interface.
//!
//! - [`presence`]: one presence channel's roster ([`PresenceRoster`]), its limits
//!   ([`PresenceLimits`]) and errors;
//! - [`broker`]: the [`Broker`] trait (the one interface the socket and HTTP layers use for
//!   channel state and fan-out), its transition outcomes ([`Joined`], [`Left`]), the
//!   per-connection [`Outbox`] and the in-memory implementation ([`MemoryBroker`]).
//!
//! Sockets, the HTTP API and webhooks come later; they act on the outcomes returned here
//! (`channel_occupied`, `member_added`, overflowed connections, ...), which are computed
//! atomically with the state change so each event is emitted exactly once.
//!
//! ```
//! use std::sync::Arc;
//! use domvia_protocol::{ChannelName, SocketId};
//! use domvia_server::{Broker, MemoryBroker, OutboundQueue};
//!
//! let broker = MemoryBroker::default();
//! let (alice_out, alice_in) = OutboundQueue::bounded(16);
//! let alice = SocketId::from_parts(1, 1);
//! broker.connect(alice.clone(), Arc::new(alice_out))?;
//!
//! let news: ChannelName = "news".parse()?;
//! let joined = broker.subscribe(&alice, &news)?;
//! assert!(joined.channel_occupied);
//!
//! let report = broker.publish(&news, Arc::from(r#"{"event":"hello"}"#), None);
//! assert_eq!(report.delivered, 1);
//! assert_eq!(alice_in.try_recv().as_deref(), Some(r#"{"event":"hello"}"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod app;
pub mod broker;
pub mod config;
pub mod gateway;
pub mod http;
pub mod metrics;
pub mod presence;
pub mod tls;
pub mod webhook;
pub mod ws;

pub use app::{App, ConnHandle};
pub use broker::memory::MemoryBroker;
pub use broker::outbox::{Delivery, Inbox, OutboundQueue, Outbox};
pub use broker::{
    Broker, BrokerError, ChannelInfo, Frame, Joined, Left, OVERFLOW_CLOSE_CODE, PublishReport,
};
pub use config::{AppConfig, Limits, ServerConfig, TlsConfig, WebhookSettings, WebhookTarget};
pub use gateway::{Gateway, Server};
pub use http::ExtraRoutes;
pub use metrics::Metrics;
pub use presence::{
    DEFAULT_MAX_MEMBERS, DEFAULT_MAX_USER_INFO_BYTES, PresenceError, PresenceLimits, PresenceRoster,
};
pub use webhook::{WebhookEvent, Webhooks};
