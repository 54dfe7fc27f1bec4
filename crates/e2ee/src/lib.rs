//! Strong privacy mode for realtime payloads: the Domvia E2EE core.
//!
//! Clients encrypt the sensitive JSON payload of a realtime event — a chat body, a call
//! offer/answer/ICE candidate, a live location, a private note — into an [`Envelope`] that
//! the gateway routes but cannot read. Each envelope is bound to its context (room and
//! message, call and event, or scope, object and event, plus key id and version), so it
//! cannot be replayed elsewhere, and commits to exactly one key.
//!
//! The format is specified in `spec/envelope-v1.md`, with test vectors in `spec/vectors/`.
//! This crate is pure and synchronous: no I/O, no async runtime. It builds natively (on
//! aws-lc-rs) and for `wasm32-unknown-unknown` (on RustCrypto); both give identical bytes.
//!
//! ```
//! use domvia_e2ee::{decrypt_chat_json, encrypt_chat_json, AesGcmKey, ChatContext, KeyLabel};
//! use serde_json::{json, Value};
//!
//! let room_key = AesGcmKey::generate();
//! let context = ChatContext::parse("room-42", "msg-1")?;
//! let label = KeyLabel::parse(Some("room-42-v1"), 1)?;
//! let encrypted = encrypt_chat_json(
//!     &json!({"body": "Private message", "sender_id": "user-1"}),
//!     &room_key,
//!     &context,
//!     &label,
//! )?;
//! let wire = encrypted.to_json(); // send this as event data
//!
//! let received = domvia_e2ee::Envelope::from_json(&wire)?;
//! let message: Value = decrypt_chat_json(&received, &room_key, &context)?;
//! assert_eq!(message["body"], "Private message");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What stays visible (see `spec/security.md`): channel and event names, timing, the
//! envelope's kind, key id and version, and its size (reduce the size leak with
//! [`Padding`]). Any holder of a key can create envelopes for any context under it.

#![forbid(unsafe_code)]

mod backup;
mod context;
mod device;
mod envelope;
mod exchange;
mod framing;
mod ident;
mod key;
mod keyring;
mod kinds;
mod recovery;
mod replay;
mod rng;
mod rotation;
mod seal;
mod secret_buf;
mod sessions;
mod share;
mod signed;
mod suite;
mod transport;
mod wire;

pub use backup::{Argon2Params, Backup, BackupError, BackupKdf, RecoveryKey};
pub use context::{
    CallContext, ChatContext, Context, ContextError, FORMAT_VERSION, KeyLabel, Kind,
    RealtimeContext,
};
pub use device::{
    DeviceBundle, DeviceDirectory, DeviceRef, DeviceSecret, DeviceStatus, Fingerprint, Revocation,
    SafetyNumber, safety_number,
};
pub use envelope::{Envelope, EnvelopeError, Malformed};
pub use exchange::ExchangeError;
pub use framing::{MAX_PADDING_MULTIPLE, MAX_PAYLOAD_LEN, Padding, PaddingError};
pub use ident::{
    CallId, DeviceId, EventName, IdentifierError, KeyId, KeyVersion, KeyVersionError,
    MAX_IDENTIFIER_LEN, MessageId, RoomId, Scope, ScopeId, UserId,
};
pub use key::{AesGcmKey, KeyImportError};
pub use keyring::{ExportProblem, Keyring, KeyringError, KeyringExport};
pub use kinds::{decrypt_call_signal_json, decrypt_chat_json, decrypt_realtime_json};
#[cfg(os_rng)]
pub use kinds::{encrypt_call_signal_json, encrypt_chat_json, encrypt_realtime_json};
pub use recovery::{ApprovedRequest, KeyRequest, KeyResponse, PendingRequest, VerifiedRequest};
pub use replay::{DEFAULT_REPLAY_CAPACITY, ReplayGuard};
pub use rotation::{RoomKeys, Rotation, RotationError, RotationPolicy, RotationReason};
pub use seal::{
    OpenError, PayloadBytes, SealError, SealOptions, open_bytes, open_json, seal_bytes_with_rng,
    seal_json_with_rng,
};
#[cfg(os_rng)]
pub use seal::{seal_bytes, seal_json};
pub use sessions::MAX_ENVELOPES_PER_SESSION;
pub use share::{AcceptedShare, KeyShare, OpenedShare, ShareInbox};
pub use signed::{SignedEnvelope, VerifiedEnvelope};
pub use suite::Suite;
pub use transport::{
    DEVICE_EVENT, KEY_REQUEST_EVENT, KEY_RESPONSE_EVENT, KEYSHARE_EVENT, KeyMessage,
    REVOCATION_EVENT, user_key_channel,
};
pub use wire::WireError;

/// Re-exported so callers name the same trait the `_with_rng` functions take.
pub use rand_core;
