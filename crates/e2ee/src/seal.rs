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

use std::borrow::Cow;

use rand_core::CryptoRng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::context::{Context, ContextRef, KeyLabel, Kind};
use crate::envelope::{Envelope, EnvelopeError};
use crate::framing::{FramingFault, LEN_PREFIX, MAX_PAYLOAD_LEN, Padding, unframe};
use crate::ident::{KeyId, KeyVersion};
use crate::key::AesGcmKey;
use crate::secret_buf::{ChunkWriter, SecretBuf};
use crate::suite::{IV_LEN, NONCE_LEN, SALT_LEN, Suite, TAG_LEN};

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

/// [`seal_json`] with the caller's generator, for the IV (and the salt when a new sender
/// session starts).
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
    seal_ref(
        payload,
        key,
        context.into(),
        Cow::Borrowed(label),
        options,
        rng,
    )
}

pub(crate) fn seal_ref<T: Serialize + ?Sized, R: CryptoRng + ?Sized>(
    payload: &T,
    key: &AesGcmKey,
    context: ContextRef<'_>,
    label: Cow<'_, KeyLabel>,
    options: &SealOptions,
    rng: &mut R,
) -> Result<Envelope, SealError> {
    let mut writer = ChunkWriter::with_prefix(&[0; LEN_PREFIX]);
    serde_json::to_writer(&mut writer, payload).map_err(|source| SealError::Payload { source })?;
    let capacity = sealed_capacity(writer.len(), options.padding);
    seal_framed(writer.finish(capacity), key, context, label, options, rng)
}

/// Seals payload bytes that are already JSON text, as `JSON.stringify` or
/// `serde_json::to_vec` made them, without parsing them again: the fast path for bindings
/// and for callers that hold serialized JSON.
///
/// The bytes are not checked: sealing anything but UTF-8 JSON text produces envelopes that
/// conforming receivers refuse with `invalid_payload` (spec/envelope-v1.md section 6).
///
/// # Errors
/// [`SealError::PayloadTooLarge`].
pub fn seal_bytes_with_rng<R: CryptoRng + ?Sized>(
    payload_json: &[u8],
    key: &AesGcmKey,
    context: &Context,
    label: &KeyLabel,
    options: &SealOptions,
    rng: &mut R,
) -> Result<Envelope, SealError> {
    if payload_json.len() > MAX_PAYLOAD_LEN {
        return Err(SealError::PayloadTooLarge {
            len: payload_json.len(),
            max: MAX_PAYLOAD_LEN,
        });
    }
    let framed_len = payload_json.len().saturating_add(LEN_PREFIX);
    let mut buf = SecretBuf::with_capacity(sealed_capacity(framed_len, options.padding));
    buf.extend_from_slice(&[0; LEN_PREFIX]);
    buf.extend_from_slice(payload_json);
    seal_framed(buf, key, context.into(), Cow::Borrowed(label), options, rng)
}

/// [`seal_bytes_with_rng`] with the thread's OS-seeded CSPRNG.
///
/// # Errors
/// [`SealError::PayloadTooLarge`].
#[cfg(os_rng)]
pub fn seal_bytes(
    payload_json: &[u8],
    key: &AesGcmKey,
    context: &Context,
    label: &KeyLabel,
    options: &SealOptions,
) -> Result<Envelope, SealError> {
    crate::rng::with_system_rng(|rng| {
        seal_bytes_with_rng(payload_json, key, context, label, options, rng)
    })
}

/// Room a framed plaintext of `framed_len` bytes needs once padded and tagged.
fn sealed_capacity(framed_len: usize, padding: Padding) -> usize {
    padding
        .padded_len(framed_len)
        .unwrap_or(framed_len)
        .saturating_add(TAG_LEN)
}

/// Sections 4 and 6: fills in the length prefix, pads, derives and encrypts. `buf` holds
/// the prefix placeholder followed by the payload.
fn seal_framed<R: CryptoRng + ?Sized>(
    mut buf: SecretBuf,
    key: &AesGcmKey,
    context: ContextRef<'_>,
    label: Cow<'_, KeyLabel>,
    options: &SealOptions,
    rng: &mut R,
) -> Result<Envelope, SealError> {
    let suite = Suite::Aes256GcmHkdfSha256;
    let len = buf.len().saturating_sub(LEN_PREFIX);
    let too_large = SealError::PayloadTooLarge {
        len,
        max: MAX_PAYLOAD_LEN,
    };
    if len > MAX_PAYLOAD_LEN {
        return Err(too_large);
    }
    let prefix = u32::try_from(len).map_err(|_| too_large)?;
    if let Some(p) = buf.first_chunk_mut::<LEN_PREFIX>() {
        *p = prefix.to_be_bytes();
    }
    let capacity = sealed_capacity(buf.len(), options.padding);
    buf.reserve(capacity.saturating_sub(buf.len()));
    buf.resize(capacity.saturating_sub(TAG_LEN));

    let (salt, cipher) = key
        .sessions()
        .outgoing(key.prk(), suite.byte(), rng)
        .map_err(|_| SealError::Aead)?;
    let mut iv = [0u8; IV_LEN];
    rng.fill_bytes(&mut iv);
    let aad = context.associated_data(suite, &label);
    cipher
        .seal_in_place(&iv, &aad, &mut buf)
        .map_err(|_| SealError::Aead)?;
    let mut nonce = [0u8; NONCE_LEN];
    let (s, i) = nonce.split_at_mut(SALT_LEN);
    s.copy_from_slice(&salt);
    i.copy_from_slice(&iv);
    Ok(Envelope {
        suite,
        kind: context.kind(),
        label: label.into_owned(),
        nonce,
        commitment: *key.commitment(),
        sealed: buf.into_public(),
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
    open_framed(envelope, key, context.into())?.payload()
}

/// Opens `envelope` and returns the authenticated payload's JSON text unparsed, for
/// callers that parse it themselves (a binding handing it to `JSON.parse`). The bytes are
/// wiped when the returned value is dropped.
///
/// # Errors
/// As [`open_json`], except that the payload is not parsed: no
/// [`OpenError::InvalidPayload`].
pub fn open_bytes(
    envelope: &Envelope,
    key: &AesGcmKey,
    context: &Context,
) -> Result<PayloadBytes, OpenError> {
    let opened = open_framed(envelope, key, context.into())?;
    let range = opened.payload_range()?;
    Ok(PayloadBytes {
        framed: opened.framed,
        range,
    })
}

/// An authenticated payload's JSON text, wiped on drop. Dereferences to the bytes.
pub struct PayloadBytes {
    framed: SecretBuf,
    range: core::ops::Range<usize>,
}

impl core::ops::Deref for PayloadBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.framed.get(self.range.clone()).unwrap_or_default()
    }
}

impl core::fmt::Debug for PayloadBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PayloadBytes({} bytes, <redacted>)", self.range.len())
    }
}

/// An authenticated plaintext and the associated data it was opened with.
pub(crate) struct Opened {
    framed: SecretBuf,
    pub(crate) aad: Vec<u8>,
}

impl Opened {
    fn payload_range(&self) -> Result<core::ops::Range<usize>, OpenError> {
        unframe(&self.framed).map_err(|fault| match fault {
            FramingFault::Truncated
            | FramingFault::LengthPastEnd
            | FramingFault::NonZeroPadding => OpenError::InvalidPlaintext,
        })
    }

    pub(crate) fn payload<T: DeserializeOwned>(&self) -> Result<T, OpenError> {
        let payload = self.framed.get(self.payload_range()?).unwrap_or_default();
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
    if !bool::from(key.commitment().ct_eq(&envelope.commitment)) {
        return Err(OpenError::Authentication);
    }
    let (salt, iv) = split_nonce(&envelope.nonce);
    let cipher = key
        .sessions()
        .incoming(key.prk(), envelope.suite.byte(), salt)
        .map_err(|_| OpenError::Authentication)?;
    let aad = context.associated_data(envelope.suite, &envelope.label);
    let mut framed = SecretBuf::copy_of(&envelope.sealed, 0);
    cipher
        .open_in_place(iv, &aad, &mut framed)
        .map_err(|_| OpenError::Authentication)?;
    Ok(Opened { framed, aad })
}

/// `nonce = salt || iv` (spec/envelope-v1.md section 4).
fn split_nonce(nonce: &[u8; NONCE_LEN]) -> (&[u8; SALT_LEN], &[u8; IV_LEN]) {
    let (salt, iv) = nonce
        .split_first_chunk::<SALT_LEN>()
        .unwrap_or((&[0; SALT_LEN], &[]));
    (salt, iv.first_chunk::<IV_LEN>().unwrap_or(&[0; IV_LEN]))
}
