//! The HTTP API over a real socket, signed as the Pusher server SDKs sign: publishing
//! (single, multi-channel, batch, `sendToUser`), channel queries, user termination, and
//! every refusal with its status, its JSON error and its metric code.
//!
//! Deliveries are observed on fake connections registered directly with the app's broker,
//! so these tests need no WebSocket.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests"
)]

#[path = "http_api/harness.rs"]
mod harness;
#[path = "http_api/publish.rs"]
mod publish;
#[path = "http_api/queries.rs"]
mod queries;
#[path = "http_api/refusals.rs"]
mod refusals;
