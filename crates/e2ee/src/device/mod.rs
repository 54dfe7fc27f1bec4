//! Device identity (spec/key-lifecycle.md section 2): each device's X25519 key pair for
//! HPKE and Ed25519 signing key pair, its public self-signed [`DeviceBundle`], and the
//! [`Fingerprint`] and safety number users compare out of band.
//!
//! ```
//! use domvia_e2ee::{DeviceBundle, DeviceSecret, safety_number};
//!
//! let alice = DeviceSecret::generate("alice".parse()?, "phone".parse()?);
//! let bob = DeviceSecret::generate("bob".parse()?, "laptop".parse()?);
//! // The bundle is public: publish it through the app's directory.
//! let wire = alice.bundle().to_json();
//! let received = DeviceBundle::from_json(&wire)?; // checks the self-signature
//! assert_eq!(received.fingerprint(), alice.bundle().fingerprint());
//! // Both users see the same 60 digits and compare them out of band.
//! let shown = safety_number(&received, bob.bundle());
//! assert_eq!(shown, safety_number(bob.bundle(), alice.bundle()));
//! assert_eq!(shown.to_string().replace(' ', "").len(), 60);
//! assert!(!format!("{alice:?}").contains(&*alice.to_json()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hpke::{Deserializable, Kem as _, Serializable};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::exchange::ExchangeError;
use crate::ident::{DeviceId, UserId};
use crate::wire::{B64, SecretB64, Tbs, WireError, parse_v1};

mod directory;
mod fingerprint;
mod revocation;

pub use directory::{DeviceDirectory, DeviceStatus};
pub use fingerprint::{Fingerprint, SafetyNumber, safety_number};
pub use revocation::Revocation;

/// The HPKE KEM of spec/key-lifecycle.md section 3.
pub(crate) type Kem = hpke::kem::X25519HkdfSha256;
pub(crate) type HpkePrivateKey = <Kem as hpke::Kem>::PrivateKey;
pub(crate) type HpkePublicKey = <Kem as hpke::Kem>::PublicKey;

const BUNDLE_FORMAT: &str = "domvia-device";
const SECRET_FORMAT: &str = "domvia-device-secret";
const BUNDLE_LABEL: &str = "domvia-device v1";

/// The name of a device: its user and its device id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceRef {
    /// The device's user.
    pub user: UserId,
    /// The device, unique for its user.
    pub device: DeviceId,
}

impl DeviceRef {
    /// Parses both identifiers.
    ///
    /// # Errors
    /// [`crate::IdentifierError`] when either breaks the identifier rules.
    pub fn parse(user: &str, device: &str) -> Result<Self, crate::IdentifierError> {
        Ok(Self {
            user: user.parse()?,
            device: device.parse()?,
        })
    }
}

impl core::fmt::Display for DeviceRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.user, self.device)
    }
}

/// A device's public bundle: its names, its HPKE public key and its signing public key,
/// self-signed (spec/key-lifecycle.md section 2.2). Parsing checks the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceBundle {
    id: DeviceRef,
    hpke_pk: [u8; 32],
    sign_pk: [u8; 32],
    sig: [u8; 64],
    fingerprint: Fingerprint,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleWire {
    format: String,
    v: u64,
    user: UserId,
    device: DeviceId,
    hpke_pk: B64<32>,
    sign_pk: B64<32>,
    sig: B64<64>,
}

impl DeviceBundle {
    /// Parses a bundle and verifies its self-signature.
    ///
    /// # Errors
    /// [`ExchangeError::Wire`] or [`ExchangeError::BadSignature`].
    pub fn from_json(text: &str) -> Result<Self, ExchangeError> {
        Self::from_wire(parse_v1(text, BUNDLE_FORMAT)?)
    }

    /// [`DeviceBundle::from_json`] for a bundle already parsed as a JSON value.
    ///
    /// # Errors
    /// As [`DeviceBundle::from_json`].
    pub fn from_value(value: serde_json::Value) -> Result<Self, ExchangeError> {
        Self::from_json(&value.to_string())
    }

    fn from_wire(w: BundleWire) -> Result<Self, ExchangeError> {
        let id = DeviceRef {
            user: w.user,
            device: w.device,
        };
        let bundle = Self::assemble(id, w.hpke_pk.0, w.sign_pk.0, w.sig.0);
        if !bundle.verify(&bundle.tbs(), &bundle.sig) {
            return Err(ExchangeError::BadSignature {
                signer: bundle.id.clone(),
            });
        }
        Ok(bundle)
    }

    fn assemble(id: DeviceRef, hpke_pk: [u8; 32], sign_pk: [u8; 32], sig: [u8; 64]) -> Self {
        let fingerprint = Fingerprint::of(&id, &hpke_pk, &sign_pk);
        Self {
            id,
            hpke_pk,
            sign_pk,
            sig,
            fingerprint,
        }
    }

    /// The bundle's JSON wire form.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.to_wire()).unwrap_or_default()
    }

    /// The bundle's JSON wire form as a value (to embed in a key request).
    #[must_use]
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self.to_wire()).unwrap_or_default()
    }

    fn to_wire(&self) -> BundleWire {
        BundleWire {
            format: BUNDLE_FORMAT.to_owned(),
            v: 1,
            user: self.id.user.clone(),
            device: self.id.device.clone(),
            hpke_pk: B64(self.hpke_pk),
            sign_pk: B64(self.sign_pk),
            sig: B64(self.sig),
        }
    }

    /// The device this bundle names.
    #[must_use]
    pub fn id(&self) -> &DeviceRef {
        &self.id
    }

    /// The device's fingerprint (spec/key-lifecycle.md section 2.3).
    #[must_use]
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The X25519 public key that key shares are sealed to.
    #[must_use]
    pub fn hpke_public_key(&self) -> &[u8; 32] {
        &self.hpke_pk
    }

    /// The Ed25519 public key that verifies the device's signatures.
    #[must_use]
    pub fn signing_public_key(&self) -> &[u8; 32] {
        &self.sign_pk
    }

    /// `bundle_tbs`, also the tail of a key request's signed bytes.
    pub(crate) fn tbs(&self) -> Vec<u8> {
        let mut t = Tbs::new(BUNDLE_LABEL);
        self.tbs_fields(&mut t);
        t.finish()
    }

    pub(crate) fn tbs_fields(&self, t: &mut Tbs) {
        t.str(self.id.user.as_str())
            .str(self.id.device.as_str())
            .bytes(&self.hpke_pk)
            .bytes(&self.sign_pk);
    }

    /// Whether `sig` is this device's Ed25519 signature of `message` (RFC 8032 strict
    /// verification: small-order keys and non-canonical signatures are refused).
    pub(crate) fn verify(&self, message: &[u8], sig: &[u8; 64]) -> bool {
        VerifyingKey::from_bytes(&self.sign_pk)
            .and_then(|key| key.verify_strict(message, &Signature::from_bytes(sig)))
            .is_ok()
    }

    pub(crate) fn hpke_key(&self) -> Result<HpkePublicKey, ExchangeError> {
        HpkePublicKey::from_bytes(&self.hpke_pk).map_err(|_| ExchangeError::Authentication)
    }
}

impl core::fmt::Debug for DeviceBundle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "DeviceBundle({}, {})", self.id, self.fingerprint)
    }
}

/// A device's secret keys and its own bundle. Wiped on drop, never printed; it leaves
/// the device only as [`DeviceSecret::to_json`], for the device's own storage.
#[derive(Clone)]
pub struct DeviceSecret {
    hpke_sk: HpkePrivateKey,
    signing: SigningKey,
    bundle: DeviceBundle,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretWire {
    format: String,
    v: u64,
    user: UserId,
    device: DeviceId,
    hpke_sk: SecretB64<32>,
    sign_sk: SecretB64<32>,
}

impl DeviceSecret {
    /// New keys for a device, from the OS-seeded CSPRNG.
    #[cfg(os_rng)]
    #[must_use]
    pub fn generate(user: UserId, device: DeviceId) -> Self {
        crate::rng::with_system_rng(|rng| Self::generate_with_rng(user, device, rng))
    }

    /// [`DeviceSecret::generate`] with the caller's generator: 32 bytes for the X25519
    /// `DeriveKeyPair` input, then the 32-byte Ed25519 seed.
    #[must_use]
    pub fn generate_with_rng<R: CryptoRng + ?Sized>(
        user: UserId,
        device: DeviceId,
        rng: &mut R,
    ) -> Self {
        let mut ikm = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(ikm.as_mut_slice());
        let (hpke_sk, _) = Kem::derive_keypair(ikm.as_slice());
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut_slice());
        Self::from_parts(
            DeviceRef { user, device },
            hpke_sk,
            SigningKey::from_bytes(&seed),
        )
    }

    fn from_parts(id: DeviceRef, hpke_sk: HpkePrivateKey, signing: SigningKey) -> Self {
        let hpke_pk: [u8; 32] = Kem::sk_to_pk(&hpke_sk).to_bytes().into();
        let sign_pk = signing.verifying_key().to_bytes();
        let mut unsigned = DeviceBundle::assemble(id, hpke_pk, sign_pk, [0; 64]);
        unsigned.sig = signing.sign(&unsigned.tbs()).to_bytes();
        Self {
            hpke_sk,
            signing,
            bundle: unsigned,
        }
    }

    /// The device's public bundle.
    #[must_use]
    pub fn bundle(&self) -> &DeviceBundle {
        &self.bundle
    }

    /// The device's name.
    #[must_use]
    pub fn id(&self) -> &DeviceRef {
        &self.bundle.id
    }

    /// The secret keys as JSON, for the device's own storage only; wiped on drop.
    #[must_use]
    pub fn to_json(&self) -> Zeroizing<String> {
        let hpke_sk: [u8; 32] = self.hpke_sk.to_bytes().into();
        let wire = SecretWire {
            format: SECRET_FORMAT.to_owned(),
            v: 1,
            user: self.bundle.id.user.clone(),
            device: self.bundle.id.device.clone(),
            hpke_sk: SecretB64(Zeroizing::new(hpke_sk)),
            sign_sk: SecretB64(Zeroizing::new(self.signing.to_bytes())),
        };
        Zeroizing::new(serde_json::to_string(&wire).unwrap_or_default())
    }

    /// The device's secret keys from [`DeviceSecret::to_json`].
    ///
    /// # Errors
    /// [`WireError`] (the message never quotes the file).
    pub fn from_json(text: &str) -> Result<Self, WireError> {
        let w: SecretWire = parse_v1(text, SECRET_FORMAT)?;
        let hpke_sk = HpkePrivateKey::from_bytes(w.hpke_sk.0.as_slice()).map_err(|_| {
            WireError::Malformed {
                format: SECRET_FORMAT,
                reason: "hpke_sk is not an X25519 private key",
            }
        })?;
        let id = DeviceRef {
            user: w.user,
            device: w.device,
        };
        Ok(Self::from_parts(
            id,
            hpke_sk,
            SigningKey::from_bytes(&w.sign_sk.0),
        ))
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    pub(crate) fn hpke_secret(&self) -> &HpkePrivateKey {
        &self.hpke_sk
    }
}

impl core::fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "DeviceSecret({}, <redacted>)", self.bundle.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(user: &str, device: &str) -> DeviceSecret {
        DeviceSecret::generate(user.parse().unwrap(), device.parse().unwrap())
    }

    #[test]
    fn bundles_round_trip_and_refuse_tampering() {
        let s = secret("alice", "phone");
        let wire = s.bundle().to_json();
        assert_eq!(&DeviceBundle::from_json(&wire).unwrap(), s.bundle());
        let renamed = wire.replace("\"phone\"", "\"tablet\"");
        assert_eq!(
            DeviceBundle::from_json(&renamed).unwrap_err().code(),
            "bad_signature"
        );
        let other = secret("alice", "phone");
        let mut v: serde_json::Value = serde_json::from_str(&wire).unwrap();
        v["hpke_pk"] = serde_json::from_str::<serde_json::Value>(&other.bundle().to_json())
            .unwrap()["hpke_pk"]
            .clone();
        assert_eq!(
            DeviceBundle::from_value(v).unwrap_err().code(),
            "bad_signature"
        );
        assert_eq!(
            DeviceBundle::from_json(&wire.replace("\"v\":1", "\"v\":2"))
                .unwrap_err()
                .code(),
            "unsupported_version"
        );
    }

    #[test]
    fn secrets_round_trip_and_stay_hidden() {
        let s = secret("alice", "phone");
        let json = s.to_json();
        let back = DeviceSecret::from_json(&json).unwrap();
        assert_eq!(back.bundle(), s.bundle());
        assert_eq!(format!("{s:?}"), "DeviceSecret(alice/phone, <redacted>)");
        let broken = json.replace("\"sign_sk\":\"", "\"sign_sk\":\"!");
        let err = DeviceSecret::from_json(&broken).unwrap_err().to_string();
        assert!(!err.contains(&json[json.len() - 20..]), "{err}");
    }
}
