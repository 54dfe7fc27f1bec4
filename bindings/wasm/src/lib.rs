//! The WebAssembly binding of `domvia-e2ee`, loaded by the npm package
//! `@domvia/realtime-e2ee` (`packages/realtime-e2ee`).
//!
//! Thin on purpose: every export parses its JavaScript arguments with the core's parsers
//! ([`args`]), calls the core, and maps the core's error to a [`errors::Failure`] (one
//! table). The package's JavaScript checks types, owns the public API of the seed
//! (`encryptChatJson`, …), turns payloads into JSON text with `JSON.stringify`, and
//! turns the thrown `Error`s into its own subclasses by their `name`.
//!
//! Payloads and envelopes cross the boundary as JSON text: the core seals the payload's
//! bytes as they are (`seal_bytes`), and returns opened payloads unparsed for `JSON.parse`.
//!
//! Build with `scripts/build-wasm.sh`; on native targets this crate builds too, so its
//! unit tests (the error table) run with the workspace's.

mod args;
mod envelope;
pub mod errors;
mod keyring;

pub use envelope::{WasmKey, open, open_parts, seal, seal_parts};
pub use keyring::{WasmKeyring, WasmReplayGuard};
