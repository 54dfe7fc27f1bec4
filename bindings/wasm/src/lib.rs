//! The WebAssembly binding of `domvia-e2ee`, loaded by the npm package
//! `@domvia/realtime-e2ee` (`packages/realtime-e2ee`).
//!
//! Thin on purpose: every export parses its JavaScript arguments with the core's parsers
//! ([`args`]), calls the core, and maps the core's error to a [`errors::Failure`] (one
//! table). The package's JavaScript checks types, owns the public API of the seed
//! (`encryptChatJson`, …), turns payloads into JSON text with `JSON.stringify`, and
//! turns the thrown `Error`s into its own subclasses by their `name`.
//!
//! The key lifecycle (spec/key-lifecycle.md) is exposed the same way: devices, the
//! directory, rooms and the recovery steps are wasm objects the package wraps; bundles,
//! shares, requests, responses, revocations, signed envelopes and backups cross as their
//! JSON text, parsed and checked by the core.
//!
//! Payloads and envelopes cross the boundary as JSON text: the core seals the payload's
//! bytes as they are (`seal_bytes`), and returns opened payloads unparsed for `JSON.parse`.
//!
//! Build with `scripts/build-wasm.sh`; on native targets this crate builds too, so its
//! unit tests (the error table) run with the workspace's.

mod args;
mod backup;
mod device;
mod envelope;
pub mod errors;
mod keyring;
mod messages;
mod recovery;
mod room;

pub use backup::{
    backup_with_passphrase, backup_with_recovery_key, generate_recovery_key, inspect_backup,
    restore_with_passphrase, restore_with_recovery_key,
};
pub use device::{WasmDevice, WasmDirectory, bundle_fingerprint, safety_number, sign_revocation};
pub use envelope::{WasmKey, open, open_parts, seal, seal_parts};
pub use keyring::{WasmKeyring, WasmReplayGuard};
pub use messages::{parse_key_message, sign_envelope, user_key_channel, verify_signed_envelope};
pub use recovery::{WasmPendingRequest, WasmVerifiedRequest};
pub use room::WasmRoom;
