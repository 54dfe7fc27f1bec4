//! 256-bit AES-GCM keys: generation, and import/export as raw base64url or as a JWK that
//! WebCrypto accepts.
//!
//! A key is zeroized when dropped, never printed by `Debug`, and compared in constant
//! time. Export returns [`Zeroizing`] strings so the copies are wiped too.
//!
//! ```
//! use domvia_e2ee::AesGcmKey;
//!
//! let key = AesGcmKey::generate();
//! let raw = key.export_raw();
//! assert_eq!(raw.len(), 43);
//! assert_eq!(AesGcmKey::import_raw(&raw)?, key);
//! let jwk = key.export_jwk();
//! assert_eq!(AesGcmKey::import_jwk(&jwk)?, key);
//! assert_eq!(format!("{key:?}"), "AesGcmKey(<redacted>)");
//! # Ok::<(), domvia_e2ee::KeyImportError>(())
//! ```

use base64ct::{Base64UrlUnpadded, Encoding};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::sessions::Sessions;
use crate::suite::{COMMITMENT_LEN, KEY_LEN, Prk, Suite};

/// A 256-bit AES-GCM key (a room key, call key or event key).
///
/// The key is used only through envelope sealing and opening (spec/envelope-v1.md): it
/// seals under sender sessions derived from it, so the key has no message limit. A clone
/// is the same key with its own, fresh sessions.
#[derive(Clone)]
pub struct AesGcmKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
    /// HKDF-Extract of `bytes`, computed once: every envelope only runs HKDF-Expand.
    prk: Prk,
    /// The key commitment (spec/envelope-v1.md section 5), computed once.
    commitment: [u8; COMMITMENT_LEN],
    /// Sender sessions for sealing, and a cache of other senders' for opening.
    sessions: Sessions,
}

impl ZeroizeOnDrop for AesGcmKey {}

/// Why key material could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyImportError {
    /// The raw key or the JWK's `k` is not canonical unpadded base64url.
    #[error("the key is not canonical unpadded base64url")]
    NotBase64,
    /// The key material is not 32 bytes long.
    #[error("the key is {len} bytes long; an AES-256-GCM key is 32 bytes")]
    WrongLength {
        /// The decoded length.
        len: usize,
    },
    /// The JWK is not a JSON object with string members `kty` and `k`.
    #[error("the JWK is not valid JSON of the expected shape")]
    NotJwk,
    /// A JWK member has a value other than AES-256-GCM needs.
    #[error("the JWK's {member} is {found:?}; expected {expected:?}")]
    JwkMismatch {
        /// The member: `kty`, `alg` or `use`.
        member: &'static str,
        /// What an AES-256-GCM key must have there.
        expected: &'static str,
        /// What the JWK has (never secret: `k` is not reported).
        found: String,
    },
}

impl KeyImportError {
    /// A stable, machine-readable code for this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotBase64 | Self::WrongLength { .. } => "invalid_key",
            Self::NotJwk | Self::JwkMismatch { .. } => "invalid_jwk",
        }
    }
}

impl AesGcmKey {
    /// A fresh key from the operating system's CSPRNG (through a kept, OS-seeded
    /// ChaCha generator, `rand::rng()`).
    #[cfg(os_rng)]
    #[must_use]
    pub fn generate() -> Self {
        crate::rng::with_system_rng(Self::generate_with_rng)
    }

    /// A fresh key from `rng`. Use a cryptographically secure generator; a fixed one is
    /// for reproducible test vectors only.
    #[must_use]
    pub fn generate_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(bytes.as_mut_slice());
        Self::from_zeroizing(bytes)
    }

    /// A key from 32 bytes of key material. The argument is moved in and wiped when the
    /// key is dropped; copies the caller made are the caller's to wipe.
    #[must_use]
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self::from_zeroizing(Zeroizing::new(bytes))
    }

    fn from_zeroizing(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        let prk = Prk::extract(&bytes);
        let commitment = prk.commitment(Suite::Aes256GcmHkdfSha256.byte());
        Self {
            bytes,
            prk,
            commitment,
            sessions: Sessions::default(),
        }
    }

    /// The key from its raw form: 43 characters of unpadded base64url.
    ///
    /// # Errors
    /// [`KeyImportError::NotBase64`] or [`KeyImportError::WrongLength`].
    pub fn import_raw(encoded: &str) -> Result<Self, KeyImportError> {
        let decoded = Zeroizing::new(
            Base64UrlUnpadded::decode_vec(encoded).map_err(|_| KeyImportError::NotBase64)?,
        );
        if decoded.len() != KEY_LEN {
            return Err(KeyImportError::WrongLength { len: decoded.len() });
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&decoded);
        Ok(Self::from_zeroizing(bytes))
    }

    /// The key's raw form: 43 characters of unpadded base64url.
    #[must_use]
    pub fn export_raw(&self) -> Zeroizing<String> {
        Zeroizing::new(Base64UrlUnpadded::encode_string(self.bytes.as_slice()))
    }

    /// The key from a JWK (RFC 7517/7518) as WebCrypto's `exportKey("jwk", …)` writes it.
    /// `kty` must be `oct`; `alg`, when present, `A256GCM`; `use`, when present, `enc`;
    /// other members are ignored.
    ///
    /// # Errors
    /// [`KeyImportError::NotJwk`], [`KeyImportError::JwkMismatch`], or the raw-form errors
    /// for `k`.
    pub fn import_jwk(jwk: &str) -> Result<Self, KeyImportError> {
        #[derive(serde::Deserialize)]
        struct Jwk {
            kty: String,
            k: Zeroizing<String>,
            alg: Option<String>,
            #[serde(rename = "use")]
            use_: Option<String>,
        }
        let jwk: Jwk = serde_json::from_str(jwk).map_err(|_| KeyImportError::NotJwk)?;
        let check = |member, expected, found: Option<String>| match found {
            Some(found) if found != expected => Err(KeyImportError::JwkMismatch {
                member,
                expected,
                found,
            }),
            _ => Ok(()),
        };
        check("kty", "oct", Some(jwk.kty))?;
        check("alg", "A256GCM", jwk.alg)?;
        check("use", "enc", jwk.use_)?;
        Self::import_raw(&jwk.k)
    }

    /// The key as a JWK that WebCrypto's `importKey("jwk", jwk, "AES-GCM", …)` accepts:
    /// `{"kty":"oct","k":…,"alg":"A256GCM","ext":true,"key_ops":["encrypt","decrypt"]}`.
    #[must_use]
    pub fn export_jwk(&self) -> Zeroizing<String> {
        let raw = self.export_raw();
        let mut out = Zeroizing::new(String::with_capacity(128));
        out.push_str(r#"{"kty":"oct","k":""#);
        out.push_str(&raw);
        out.push_str(r#"","alg":"A256GCM","ext":true,"key_ops":["encrypt","decrypt"]}"#);
        out
    }

    /// The key material itself.
    ///
    /// Dangerous: the returned bytes are the secret. Use them only to hand the key to
    /// another vetted implementation (WebCrypto, a backup format), never to log or store
    /// them in the clear.
    #[must_use]
    pub fn danger_as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    pub(crate) fn prk(&self) -> &Prk {
        &self.prk
    }

    pub(crate) fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The key's commitment: public, the same in every envelope sealed under this key
    /// (spec/envelope-v1.md section 5). It identifies the key as the key id does, and
    /// reveals nothing else about it.
    #[must_use]
    pub fn commitment(&self) -> &[u8; COMMITMENT_LEN] {
        &self.commitment
    }
}

impl core::fmt::Debug for AesGcmKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AesGcmKey(<redacted>)")
    }
}

/// Constant-time comparison of the key material.
impl PartialEq for AesGcmKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes.ct_eq(&*other.bytes).into()
    }
}

impl Eq for AesGcmKey {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_import_rejects_bad_input() {
        assert_eq!(AesGcmKey::import_raw("!!!"), Err(KeyImportError::NotBase64));
        assert_eq!(
            AesGcmKey::import_raw("AAAA"),
            Err(KeyImportError::WrongLength { len: 3 })
        );
        let long = Base64UrlUnpadded::encode_string(&[1u8; 33]);
        assert_eq!(
            AesGcmKey::import_raw(&long),
            Err(KeyImportError::WrongLength { len: 33 })
        );
        let padded = format!("{}=", Base64UrlUnpadded::encode_string(&[1u8; 32]));
        assert!(AesGcmKey::import_raw(&padded).is_err());
        // The standard alphabet's '+' and '/' are not base64url.
        let std_alpha = "+".repeat(43);
        assert_eq!(
            AesGcmKey::import_raw(&std_alpha),
            Err(KeyImportError::NotBase64)
        );
        // Non-canonical last character (unused bits set).
        let mut canon = Base64UrlUnpadded::encode_string(&[0u8; 32]);
        canon.pop();
        canon.push('B');
        assert_eq!(
            AesGcmKey::import_raw(&canon),
            Err(KeyImportError::NotBase64)
        );
    }

    #[test]
    fn jwk_import_checks_members() {
        let key = AesGcmKey::from_bytes([3; 32]);
        let k = key.export_raw();
        let ok = format!(r#"{{"kty":"oct","k":"{}","ext":true,"extra":1}}"#, *k);
        assert_eq!(AesGcmKey::import_jwk(&ok).unwrap(), key);
        let wrong_kty = format!(r#"{{"kty":"RSA","k":"{}"}}"#, *k);
        assert!(matches!(
            AesGcmKey::import_jwk(&wrong_kty),
            Err(KeyImportError::JwkMismatch { member: "kty", .. })
        ));
        let wrong_alg = format!(r#"{{"kty":"oct","k":"{}","alg":"A128GCM"}}"#, *k);
        assert!(matches!(
            AesGcmKey::import_jwk(&wrong_alg),
            Err(KeyImportError::JwkMismatch { member: "alg", .. })
        ));
        let wrong_use = format!(r#"{{"kty":"oct","k":"{}","use":"sig"}}"#, *k);
        assert!(matches!(
            AesGcmKey::import_jwk(&wrong_use),
            Err(KeyImportError::JwkMismatch { member: "use", .. })
        ));
        assert_eq!(AesGcmKey::import_jwk("[]"), Err(KeyImportError::NotJwk));
        assert_eq!(
            AesGcmKey::import_jwk(r#"{"kty":"oct"}"#),
            Err(KeyImportError::NotJwk)
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = AesGcmKey::from_bytes([0x41; 32]);
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains("AAAA") && !shown.contains("65") && !shown.contains("41"));
    }

    #[test]
    fn equality_compares_material() {
        assert_ne!(
            AesGcmKey::from_bytes([1; 32]),
            AesGcmKey::from_bytes([2; 32])
        );
        assert_eq!(
            AesGcmKey::from_bytes([1; 32]),
            AesGcmKey::from_bytes([1; 32]).clone()
        );
    }
}
