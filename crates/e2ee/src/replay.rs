//! An optional receiver-side replay guard (spec/envelope-v1.md section 9).
//!
//! The guard remembers the last `capacity` envelopes it accepted, identified by
//! SHA-256(AAD || nonce) truncated to 128 bits, and refuses one it has already accepted
//! for the same context. It records an envelope only after it authenticated, so forged
//! envelopes cannot fill it. Memory is bounded: about 48 bytes per remembered envelope.
//! An envelope older than the window is no longer recognised; applications that need
//! at-most-once processing forever must also remember the message ids they processed.
//!
//! ```
//! use domvia_e2ee::{AesGcmKey, ChatContext, Context, KeyLabel, ReplayGuard, SealOptions};
//! use serde_json::{json, Value};
//!
//! let key = AesGcmKey::generate();
//! let ctx = Context::from(ChatContext::parse("room-42", "msg-1")?);
//! let label = KeyLabel::parse(Some("room-42-v1"), 1)?;
//! let env = domvia_e2ee::seal_json(&json!({"body": "hi"}), &key, &ctx, &label, &SealOptions::default())?;
//! let mut guard = ReplayGuard::new(1024);
//! let _: Value = guard.open_json(&env, &key, &ctx)?;
//! assert_eq!(guard.open_json::<Value>(&env, &key, &ctx).unwrap_err().code(), "replayed");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashSet, VecDeque};

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::context::Context;
use crate::envelope::Envelope;
use crate::key::AesGcmKey;
use crate::keyring::Keyring;
use crate::seal::{OpenError, Opened, open_framed};

/// The default number of envelopes a guard remembers.
pub const DEFAULT_REPLAY_CAPACITY: usize = 65_536;

type Fingerprint = [u8; 16];

/// Remembers accepted envelopes and refuses repeats; see the module documentation.
#[derive(Debug, Clone)]
pub struct ReplayGuard {
    capacity: usize,
    /// Fingerprints in arrival order, oldest first, for eviction.
    order: VecDeque<Fingerprint>,
    /// The same fingerprints, for O(1) lookup.
    seen: HashSet<Fingerprint>,
}

impl Default for ReplayGuard {
    fn default() -> Self {
        Self::new(DEFAULT_REPLAY_CAPACITY)
    }
}

impl ReplayGuard {
    /// A guard that remembers the last `capacity` accepted envelopes (at least one).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            order: VecDeque::new(),
            seen: HashSet::new(),
        }
    }

    /// How many envelopes the guard remembers now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the guard remembers nothing yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Opens like [`crate::open_json`], then refuses the envelope if it was accepted
    /// before for the same context, and otherwise remembers it.
    ///
    /// # Errors
    /// As [`crate::open_json`], and [`OpenError::Replayed`].
    pub fn open_json<T: DeserializeOwned>(
        &mut self,
        envelope: &Envelope,
        key: &AesGcmKey,
        context: &Context,
    ) -> Result<T, OpenError> {
        let opened = open_framed(envelope, key, context.into())?;
        self.accept(envelope, &opened)
    }

    /// Opens like [`Keyring::open_json`], with the replay check.
    ///
    /// # Errors
    /// As [`Keyring::open_json`], and [`OpenError::Replayed`].
    pub fn open_json_with_keyring<T: DeserializeOwned>(
        &mut self,
        envelope: &Envelope,
        keyring: &Keyring,
        context: &Context,
    ) -> Result<T, OpenError> {
        let key = keyring.key_for(envelope)?;
        let opened = open_framed(envelope, key, context.into())?;
        self.accept(envelope, &opened)
    }

    fn accept<T: DeserializeOwned>(
        &mut self,
        envelope: &Envelope,
        opened: &Opened,
    ) -> Result<T, OpenError> {
        let digest = Sha256::new()
            .chain_update(&opened.aad)
            .chain_update(envelope.nonce())
            .finalize();
        let mut fp = Fingerprint::default();
        fp.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
        if self.seen.contains(&fp) {
            return Err(OpenError::Replayed);
        }
        // Parse before remembering: an envelope whose payload is not of type T is not
        // accepted, and may be retried with the right type.
        let payload = opened.payload()?;
        if self.order.len() >= self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.order.push_back(fp);
        self.seen.insert(fp);
        Ok(payload)
    }
}
