//! The seed's API in Rust form: one encrypt/decrypt pair per kind of payload.
//!
//! These mirror `@domvia/realtime-e2ee`'s `encryptChatJson`/`decryptChatJson`,
//! `encryptCallSignalJson`/`decryptCallSignalJson` and
//! `encryptRealtimeJson`/`decryptRealtimeJson`. Encryption draws its nonce from the
//! thread's OS-seeded CSPRNG and does not pad; use [`crate::seal_json_with_rng`] for
//! padding or a caller-chosen generator.
//!
//! ```
//! use domvia_e2ee::{
//!     decrypt_call_signal_json, encrypt_call_signal_json, AesGcmKey, CallContext, KeyLabel,
//!     KeyVersion,
//! };
//! use serde_json::{json, Value};
//!
//! let call_key = AesGcmKey::generate();
//! let context = CallContext::parse("call-9001", "call.offer")?;
//! let label = KeyLabel::version_only(KeyVersion::FIRST);
//! let offer = json!({"sdp_type": "offer", "sdp": "v=0..."});
//! let encrypted = encrypt_call_signal_json(&offer, &call_key, &context, &label)?;
//! let opened: Value = decrypt_call_signal_json(&encrypted, &call_key, &context)?;
//! assert_eq!(opened, offer);
//!
//! // The same envelope presented as another event fails, opaquely.
//! let answer = CallContext::parse("call-9001", "call.answer")?;
//! let err = decrypt_call_signal_json::<Value>(&encrypted, &call_key, &answer).unwrap_err();
//! assert_eq!(err.code(), "auth_failed");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::de::DeserializeOwned;

use crate::context::{CallContext, ChatContext, RealtimeContext};
use crate::envelope::Envelope;
use crate::key::AesGcmKey;
use crate::seal::{OpenError, open_framed};

macro_rules! kind_pair {
    ($(#[$edoc:meta])* $encrypt:ident, $(#[$ddoc:meta])* $decrypt:ident, $ctx:ty) => {
        $(#[$edoc])*
        ///
        /// # Errors
        /// [`crate::SealError`] when the payload cannot be serialized or is over 16 MiB.
        #[cfg(os_rng)]
        pub fn $encrypt<T: serde::Serialize + ?Sized>(
            payload: &T,
            key: &AesGcmKey,
            context: &$ctx,
            label: &crate::KeyLabel,
        ) -> Result<Envelope, crate::SealError> {
            let options = crate::SealOptions::default();
            crate::rng::with_system_rng(|rng| {
                crate::seal::seal_ref(payload, key, context.into(), std::borrow::Cow::Borrowed(label), &options, rng)
            })
        }

        $(#[$ddoc])*
        ///
        /// # Errors
        /// [`OpenError`]: a kind mismatch, an authentication failure (wrong key, wrong
        /// context or tampering, deliberately not told apart), or a payload that is not
        /// JSON of type `T`.
        pub fn $decrypt<T: DeserializeOwned>(
            envelope: &Envelope,
            key: &AesGcmKey,
            context: &$ctx,
        ) -> Result<T, OpenError> {
            open_framed(envelope, key, context.into())?.payload()
        }
    };
}

kind_pair!(
    /// Encrypts a chat message body for `{room id, message id}` under `{key id, key version}`.
    encrypt_chat_json,
    /// Decrypts a chat envelope expected for `{room id, message id}`.
    decrypt_chat_json,
    ChatContext
);
kind_pair!(
    /// Encrypts a call-signaling payload (offer, answer, ICE) for `{call id, event name}`.
    encrypt_call_signal_json,
    /// Decrypts a call-signaling envelope expected for `{call id, event name}`.
    decrypt_call_signal_json,
    CallContext
);
kind_pair!(
    /// Encrypts a custom realtime payload for `{scope, scope id, event name}`.
    encrypt_realtime_json,
    /// Decrypts a custom realtime envelope expected for `{scope, scope id, event name}`.
    decrypt_realtime_json,
    RealtimeContext
);
