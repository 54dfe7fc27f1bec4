//! Sealing and opening envelopes (spec/envelope-v1.md sections 4 to 8).
//!
//! ```
//! use domvia_e2ee::{AesGcmKey, ChatContext, Context, KeyLabel, Padding, SealOptions};
//! use serde_json::json;
//!
//! let key = AesGcmKey::generate();
//! let context = Context::from(ChatContext::parse("room-42", "msg-1")?);
//! let label = KeyLabel::parse(Some("room-42-v1"), 1)?;
//! let options = SealOptions::with_padding(Padding::PowerOfTwo);
//! let envelope = domvia_e2ee::seal_json(&json!({"body": "hi"}), &key, &context, &label, &options)?;
//! let body: serde_json::Value = domvia_e2ee::open_json(&envelope, &key, &context)?;
//! assert_eq!(body["body"], "hi");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rand_core::CryptoRng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::context::{Context, ContextRef, KeyLabel, Kind};
use crate::envelope::{Envelope, EnvelopeError};
use crate::framing::{FramingFault, LEN_PREFIX, MAX_PAYLOAD_LEN, Padding, unframe};
use crate::ident::{KeyId, KeyVersion};
use crate::key::AesGcmKey;
use crate::suite::{NONCE_LEN, Suite, TAG_LEN, active};

/// Sender-side settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealOptions {
    /// How much to pad the plaintext; none by default.
    pub padding: Padding,
}

impl SealOptions {
    /// Options with the given padding.
    #[must_use]
    pub fn with_padding(padding: Padding) -> Self {
        Self { padding }
    }
}

/// Why a payload could not be sealed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The payload cannot be serialized as JSON (for example a map with non-string keys).
    #[error("the payload cannot be serialized as JSON: {source}")]
    Payload {
        /// serde_json's reason.
        source: serde_json::Error,
    },
    /// The payload's JSON is larger than 16 MiB.
    #[error("the payload is {len} bytes of JSON; the limit is {max}")]
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The keyring has no key under this id.
    #[error("no key with id {key_id} in the keyring")]
    UnknownKey {
        /// The key id asked for.
        key_id: KeyId,
    },
    /// The AEAD refused to seal. Never expected: the size limits keep AES-GCM in range.
    #[error("the AEAD refused to seal")]
    Aead,
}

impl SealError {
    /// A stable, machine-readable code for this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Payload { .. } => "invalid_payload",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnknownKey { .. } => "unknown_key",
            Self::Aead => "internal",
        }
    }
}

/// Why an envelope did not open. [`OpenError::Authentication`] is deliberately opaque.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The input is not a valid version-1 envelope.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The envelope carries another kind of payload than the caller expects.
    #[error("the envelope is a {found} envelope; expected {expected}")]
    KindMismatch {
        /// The kind the caller expects.
        expected: Kind,
        /// The kind the envelope names.
        found: Kind,
    },
    /// The keyring holds no key with the id and version the envelope names.
    #[error("no key for id {key_id:?} version {key_version} (unknown, or retired)")]
    UnknownKey {
        /// The key id the envelope names.
        key_id: Option<KeyId>,
        /// The key version the envelope names.
        key_version: KeyVersion,
    },
    /// Wrong key, wrong context, or tampered envelope. Which one is not said, on purpose.
    #[error("authentication failed: wrong key, wrong context, or tampered envelope")]
    Authentication,
    /// The authenticated plaintext is not framed correctly; only a key holder can cause
    /// this.
    #[error("the decrypted plaintext is not framed correctly")]
    InvalidPlaintext,
    /// The authenticated payload is not JSON of the expected type. The payload itself is
    /// never included in the error.
    #[error(
        "the decrypted payload is not JSON of the expected type (line {line}, column {column})"
    )]
    InvalidPayload {
        /// Line of the first problem in the payload.
        line: usize,
        /// Column of the first problem in the payload.
        column: usize,
    },
    /// The replay guard has already accepted this envelope for this context.
    #[error("replayed envelope: already accepted for this context")]
    Replayed,
}

impl OpenError {
    /// A stable, machine-readable code for this error (spec/errors.md).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Envelope(e) => e.code(),
            Self::KindMismatch { .. } => "kind_mismatch",
            Self::UnknownKey { .. } => "unknown_key",
            Self::Authentication => "auth_failed",
            Self::InvalidPlaintext => "invalid_plaintext",
            Self::InvalidPayload { .. } => "invalid_payload",
            Self::Replayed => "replayed",
        }
    }
}

/// A `Vec` writer that never leaves a plaintext copy behind when it grows: the old
/// allocation is wiped before it is freed.
struct WipingWriter(Zeroizing<Vec<u8>>);

impl WipingWriter {
    fn reserve(&mut self, additional: usize) {
        let needed = self.0.len().saturating_add(additional);
        if needed > self.0.capacity() {
            let mut grown = Vec::with_capacity(needed.max(self.0.capacity().saturating_mul(2)));
            grown.extend_from_slice(&self.0);
            // The old buffer is dropped through Zeroizing, which wipes it.
            self.0 = Zeroizing::new(grown);
        }
    }
}

impl std::io::Write for WipingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.reserve(buf.len());
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Seals `payload` as JSON for `context` under `key`, labelled `label`, with the
/// thread's OS-seeded CSPRNG.
///
/// # Errors
/// [`SealError::Payload`] or [`SealError::PayloadTooLarge`].
#[cfg(os_rng)]
pub fn seal_json<T: Serialize + ?Sized>(
    payload: &T,
    key: &AesGcmKey,
    context: &Context,
    label: &KeyLabel,
    options: &SealOptions,
) -> Result<Envelope, SealError> {
    crate::rng::with_system_rng(|rng| {
        seal_json_with_rng(payload, key, context, label, options, rng)
    })
}

/// [`seal_json`] with the caller's generator for the 32-byte nonce.
///
/// # Errors
/// As [`seal_json`].
pub fn seal_json_with_rng<T: Serialize + ?Sized, R: CryptoRng + ?Sized>(
    payload: &T,
    key: &AesGcmKey,
    context: &Context,
    label: &KeyLabel,
    options: &SealOptions,
    rng: &mut R,
) -> Result<Envelope, SealError> {
    seal_ref(payload, key, context.into(), label, options, rng)
}

pub(crate) fn seal_ref<T: Serialize + ?Sized, R: CryptoRng + ?Sized>(
    payload: &T,
    key: &AesGcmKey,
    context: ContextRef<'_>,
    label: &KeyLabel,
    options: &SealOptions,
    rng: &mut R,
) -> Result<Envelope, SealError> {
    let suite = Suite::Aes256GcmHkdfSha256;
    // Room for prefix, a typical payload, padding and tag; the writer grows safely.
    let mut w = WipingWriter(Zeroizing::new(Vec::with_capacity(256)));
    w.0.extend_from_slice(&[0; LEN_PREFIX]);
    serde_json::to_writer(&mut w, payload).map_err(|source| SealError::Payload { source })?;
    let len = w.0.len().saturating_sub(LEN_PREFIX);
    if len > MAX_PAYLOAD_LEN {
        return Err(SealError::PayloadTooLarge {
            len,
            max: MAX_PAYLOAD_LEN,
        });
    }
    let prefix = u32::try_from(len).map_err(|_| SealError::PayloadTooLarge {
        len,
        max: MAX_PAYLOAD_LEN,
    })?;
    if let Some(p) = w.0.first_chunk_mut::<LEN_PREFIX>() {
        *p = prefix.to_be_bytes();
    }
    let framed_len = w.0.len();
    let padded = options.padding.padded_len(framed_len).unwrap_or(framed_len);
    w.reserve(padded.saturating_sub(framed_len).saturating_add(TAG_LEN));
    w.0.resize(padded, 0);

    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let secrets = key.prk().expand(suite.byte(), &nonce);
    let aad = context.associated_data(suite, label);
    active::seal_in_place(&secrets.key, &aad, &mut w.0).map_err(|_| SealError::Aead)?;
    // The buffer now holds only ciphertext and tag; take it out of its wiping wrapper.
    let sealed = std::mem::take(&mut *w.0);
    Ok(Envelope {
        suite,
        kind: context.kind(),
        label: label.clone(),
        nonce,
        commitment: secrets.commitment,
        sealed,
    })
}

/// Opens `envelope` with `key`, expecting `context`, and parses the payload as `T`
/// (use `serde_json::Value` for any JSON).
///
/// # Errors
/// [`OpenError::KindMismatch`], [`OpenError::Authentication`],
/// [`OpenError::InvalidPlaintext`] or [`OpenError::InvalidPayload`].
pub fn open_json<T: DeserializeOwned>(
    envelope: &Envelope,
    key: &AesGcmKey,
    context: &Context,
) -> Result<T, OpenError> {
    let opened = open_framed(envelope, key, context.into())?;
    opened.payload()
}

/// An authenticated plaintext and the associated data it was opened with.
pub(crate) struct Opened {
    framed: Zeroizing<Vec<u8>>,
    pub(crate) aad: Vec<u8>,
}

impl Opened {
    pub(crate) fn payload<T: DeserializeOwned>(&self) -> Result<T, OpenError> {
        let payload = unframe(&self.framed).map_err(|fault| match fault {
            FramingFault::Truncated
            | FramingFault::LengthPastEnd
            | FramingFault::NonZeroPadding => OpenError::InvalidPlaintext,
        })?;
        serde_json::from_slice(payload).map_err(|e| OpenError::InvalidPayload {
            line: e.line(),
            column: e.column(),
        })
    }
}

/// Steps 4 (kind), 6 and 7 of spec/envelope-v1.md section 8.
pub(crate) fn open_framed(
    envelope: &Envelope,
    key: &AesGcmKey,
    context: ContextRef<'_>,
) -> Result<Opened, OpenError> {
    if envelope.kind != context.kind() {
        return Err(OpenError::KindMismatch {
            expected: context.kind(),
            found: envelope.kind,
        });
    }
    let secrets = key.prk().expand(envelope.suite.byte(), &envelope.nonce);
    if !bool::from(secrets.commitment.ct_eq(&envelope.commitment)) {
        return Err(OpenError::Authentication);
    }
    let aad = context.associated_data(envelope.suite, &envelope.label);
    let framed = active::open(&secrets.key, &aad, &envelope.sealed)
        .map_err(|_| OpenError::Authentication)?;
    Ok(Opened { framed, aad })
}
