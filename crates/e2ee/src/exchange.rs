//! The error of every key-exchange operation: bundles, the directory, key shares, key
//! requests and responses, revocations and signed envelopes (spec/key-lifecycle.md
//! sections 2 to 7). Codes are listed in spec/errors.md.

use crate::device::DeviceRef;
use crate::ident::{KeyId, KeyVersion};
use crate::keyring::KeyringError;
use crate::wire::WireError;

/// Why a key-exchange message was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// Not the format's shape, or another version.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// A signature does not verify.
    #[error("the signature of {signer} does not verify")]
    BadSignature {
        /// The device that supposedly signed.
        signer: DeviceRef,
    },
    /// Addressed to another device.
    #[error("addressed to {to}, not to this device")]
    WrongRecipient {
        /// The device named as recipient.
        to: DeviceRef,
    },
    /// The device is not in the directory.
    #[error("device {device} is not in the device directory")]
    UnknownDevice {
        /// The device.
        device: DeviceRef,
    },
    /// The device is revoked.
    #[error("device {device} is revoked")]
    RevokedDevice {
        /// The device.
        device: DeviceRef,
    },
    /// A different bundle for a device already known.
    #[error("device {device} is already known with other keys; refusing the new bundle")]
    DeviceConflict {
        /// The device.
        device: DeviceRef,
    },
    /// HPKE could not open the message, or the key does not match its commitment.
    /// Deliberately not more precise.
    #[error("authentication failed: wrong device key, or altered message")]
    Authentication,
    /// This share was already accepted.
    #[error("this key share was already accepted")]
    Replayed,
    /// A share of a version older than the current one held.
    #[error("key id {key_id} version {key_version} is older than the current version {current}")]
    StaleKeyVersion {
        /// The key id.
        key_id: KeyId,
        /// The version shared.
        key_version: KeyVersion,
        /// The version held as current.
        current: KeyVersion,
    },
    /// The keyring refused the key (another key under that id and version).
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// A request or response between devices of different users.
    #[error("{from} and {to} are devices of different users")]
    OtherUser {
        /// One device.
        from: DeviceRef,
        /// The other.
        to: DeviceRef,
    },
    /// A response to no request this device made.
    #[error("no pending key request matches this response")]
    UnknownRequest,
    /// Sealing an HPKE message failed (not expected).
    #[error("HPKE refused to seal")]
    Seal,
}

impl ExchangeError {
    /// A stable, machine-readable code (spec/errors.md).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Wire(e) => e.code(),
            Self::BadSignature { .. } => "bad_signature",
            Self::WrongRecipient { .. } => "wrong_recipient",
            Self::UnknownDevice { .. } => "unknown_device",
            Self::RevokedDevice { .. } => "revoked_device",
            Self::DeviceConflict { .. } => "device_conflict",
            Self::Authentication => "auth_failed",
            Self::Replayed => "replayed",
            Self::StaleKeyVersion { .. } => "stale_key_version",
            Self::Keyring(e) => e.code(),
            Self::OtherUser { .. } => "other_user",
            Self::UnknownRequest => "unknown_request",
            Self::Seal => "internal",
        }
    }
}
