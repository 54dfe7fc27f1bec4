//! Signed envelopes (spec/key-lifecycle.md section 7): the sender device's Ed25519
//! signature over an envelope and the context it was sealed for, so that one member cannot
//! pass its messages off as another's.
//!
//! ```text
//! signed_tbs = str16("domvia-signed-envelope v1") || str16(from_user) || str16(from_device)
//!           || u32(len(AAD)) || AAD || nonce || commit || ct
//! ```
//!
//! ```
//! use domvia_e2ee::{ChatContext, Context, DeviceDirectory, DeviceSecret, Keyring, SealOptions,
//!     SignedEnvelope};
//! use serde_json::{json, Value};
//!
//! let alice = DeviceSecret::generate("alice".parse()?, "phone".parse()?);
//! let mut ring = Keyring::new();
//! ring.generate("room-42".parse()?)?;
//! let ctx = Context::from(ChatContext::parse("room-42", "msg-1")?);
//! let env = ring.seal_json(&json!({"body": "hi"}), &"room-42".parse()?, &ctx, &SealOptions::default())?;
//! let wire = SignedEnvelope::sign(&alice, env, &ctx).to_json();
//!
//! let mut directory = DeviceDirectory::new();
//! directory.add(alice.bundle().clone())?;
//! let signed = SignedEnvelope::from_json(&wire)?;
//! let verified = signed.verify(&directory, &ctx)?;
//! assert_eq!(verified.sender, *alice.id());
//! let body: Value = ring.open_json(verified.envelope, &ctx)?;
//! assert_eq!(body["body"], "hi");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::context::Context;
use crate::device::{DeviceDirectory, DeviceRef, DeviceSecret};
use crate::envelope::Envelope;
use crate::exchange::ExchangeError;
use crate::ident::{DeviceId, UserId};
use crate::wire::{B64, Nested, Tbs, WireError, nested, parse_v1};

const FORMAT: &str = "domvia-signed";

/// An envelope with its sender device's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEnvelope {
    from: DeviceRef,
    envelope: Envelope,
    sig: [u8; 64],
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedWire {
    format: String,
    v: u64,
    from_user: UserId,
    from_device: DeviceId,
    envelope: Nested,
    sig: B64<64>,
}

/// A signed envelope whose signature verified: open `envelope` as usual.
#[derive(Debug)]
#[non_exhaustive]
pub struct VerifiedEnvelope<'a> {
    /// The device that signed it (known and not revoked).
    pub sender: DeviceRef,
    /// The envelope.
    pub envelope: &'a Envelope,
}

impl SignedEnvelope {
    /// Signs `envelope`, sealed for `context`, as `me`.
    #[must_use]
    pub fn sign(me: &DeviceSecret, envelope: Envelope, context: &Context) -> Self {
        let mut s = Self {
            from: me.id().clone(),
            envelope,
            sig: [0; 64],
        };
        s.sig = me.sign(&s.tbs(context));
        s
    }

    fn tbs(&self, context: &Context) -> Vec<u8> {
        let aad = context.associated_data(self.envelope.key_label());
        let mut t = Tbs::new("domvia-signed-envelope v1");
        t.str(self.from.user.as_str())
            .str(self.from.device.as_str())
            .u32(u32::try_from(aad.len()).unwrap_or(u32::MAX))
            .bytes(&aad)
            .bytes(self.envelope.nonce())
            .bytes(self.envelope.commitment())
            .bytes(self.envelope.ciphertext());
        t.finish()
    }

    /// Checks the sender against `directory` and the signature against `context` (the
    /// context the receiver expects, as for opening).
    ///
    /// # Errors
    /// [`ExchangeError::UnknownDevice`], [`ExchangeError::RevokedDevice`] or
    /// [`ExchangeError::BadSignature`] (also for another context or a changed envelope).
    pub fn verify(
        &self,
        directory: &DeviceDirectory,
        context: &Context,
    ) -> Result<VerifiedEnvelope<'_>, ExchangeError> {
        let sender = directory.active(&self.from)?;
        if !sender.verify(&self.tbs(context), &self.sig) {
            return Err(ExchangeError::BadSignature {
                signer: self.from.clone(),
            });
        }
        Ok(VerifiedEnvelope {
            sender: self.from.clone(),
            envelope: &self.envelope,
        })
    }

    /// The sender named (unverified until [`SignedEnvelope::verify`]).
    #[must_use]
    pub fn sender(&self) -> &DeviceRef {
        &self.from
    }

    /// Parses the wire form, including the inner envelope.
    ///
    /// # Errors
    /// [`ExchangeError::Wire`].
    pub fn from_json(text: &str) -> Result<Self, ExchangeError> {
        let w: SignedWire = parse_v1(text, FORMAT)?;
        let envelope = Envelope::from_json(w.envelope.get()).map_err(|_| WireError::Malformed {
            format: FORMAT,
            reason: "the inner envelope is not a version-1 envelope",
        })?;
        Ok(Self {
            from: DeviceRef {
                user: w.from_user,
                device: w.from_device,
            },
            envelope,
            sig: w.sig.0,
        })
    }

    /// The wire form.
    #[must_use]
    pub fn to_json(&self) -> String {
        let w = SignedWire {
            format: FORMAT.to_owned(),
            v: 1,
            from_user: self.from.user.clone(),
            from_device: self.from.device.clone(),
            envelope: nested(&self.envelope.to_value()),
            sig: B64(self.sig),
        };
        serde_json::to_string(&w).unwrap_or_default()
    }
}
