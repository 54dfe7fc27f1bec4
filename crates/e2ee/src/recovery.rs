//! A new device recovers its user's keys from another of the user's devices
//! (spec/key-lifecycle.md section 6.1): a signed [`KeyRequest`], approved by the user
//! after comparing the safety number, answered by a [`KeyResponse`] HPKE-sealed to the
//! new device.
//!
//! ```
//! use domvia_e2ee::{DeviceSecret, KeyRequest, KeyResponse, Keyring, safety_number};
//!
//! let laptop = DeviceSecret::generate("alice".parse()?, "laptop".parse()?);
//! let mut laptop_ring = Keyring::new();
//! laptop_ring.generate("room-42".parse()?)?;
//!
//! let tablet = DeviceSecret::generate("alice".parse()?, "tablet".parse()?);
//! let (request, pending) = KeyRequest::new(&tablet);
//! // On the laptop: verify, show the safety number, and answer once the user approves.
//! let verified = KeyRequest::from_json(&request.to_json())?.verify_for(&laptop)?;
//! let shown = safety_number(laptop.bundle(), verified.bundle());
//! assert_eq!(shown, safety_number(tablet.bundle(), laptop.bundle())); // same on the tablet
//! let response = KeyResponse::seal(&laptop, &verified.approve(), &laptop_ring)?;
//! // On the tablet, with the laptop's bundle whose safety number the user compared:
//! let mut tablet_ring = Keyring::new();
//! let added = pending.accept(&KeyResponse::from_json(&response.to_json())?, &tablet,
//!     laptop.bundle(), &mut tablet_ring)?;
//! assert_eq!(added, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rand_core::CryptoRng;

use crate::backup::{decode_keys, encode_keys};
use crate::device::{DeviceBundle, DeviceRef, DeviceSecret};
use crate::exchange::ExchangeError;
use crate::ident::{DeviceId, UserId};
use crate::keyring::Keyring;
use crate::share::{hpke_open, hpke_seal};
use crate::wire::{B64, B64Vec, Nested, Tbs, nested, parse_v1};

const REQUEST_FORMAT: &str = "domvia-key-request";
const RESPONSE_FORMAT: &str = "domvia-key-response";

/// A new device's signed request for its user's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    request_id: [u8; 16],
    bundle: DeviceBundle,
    sig: [u8; 64],
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestWire {
    format: String,
    v: u64,
    request_id: B64<16>,
    bundle: Nested,
    sig: B64<64>,
}

/// What the requesting device keeps until the response arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequest {
    request_id: [u8; 16],
}

/// A request whose bundle and signature verified, from a device of the same user. Show
/// the safety number, and [`VerifiedRequest::approve`] only after the user compared it.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    request_id: [u8; 16],
    bundle: DeviceBundle,
}

/// A request the user approved: the only thing [`KeyResponse::seal`] answers.
#[derive(Debug, Clone)]
pub struct ApprovedRequest {
    request_id: [u8; 16],
    bundle: DeviceBundle,
}

impl KeyRequest {
    /// A request from `me`, with a fresh request id from the OS-seeded CSPRNG.
    #[cfg(os_rng)]
    #[must_use]
    pub fn new(me: &DeviceSecret) -> (Self, PendingRequest) {
        crate::rng::with_system_rng(|rng| Self::new_with_rng(me, rng))
    }

    /// [`KeyRequest::new`] with the caller's generator (16 bytes: the request id).
    #[must_use]
    pub fn new_with_rng<R: CryptoRng + ?Sized>(
        me: &DeviceSecret,
        rng: &mut R,
    ) -> (Self, PendingRequest) {
        let mut request_id = [0u8; 16];
        rng.fill_bytes(&mut request_id);
        let mut r = Self {
            request_id,
            bundle: me.bundle().clone(),
            sig: [0; 64],
        };
        r.sig = me.sign(&r.tbs());
        (r, PendingRequest { request_id })
    }

    fn tbs(&self) -> Vec<u8> {
        let mut t = Tbs::new("domvia-key-request v1");
        t.bytes(&self.request_id);
        t.bytes(&self.bundle.tbs());
        t.finish()
    }

    /// Parses the wire form, verifying the embedded bundle's self-signature.
    ///
    /// # Errors
    /// [`ExchangeError::Wire`] or [`ExchangeError::BadSignature`].
    pub fn from_json(text: &str) -> Result<Self, ExchangeError> {
        let w: RequestWire = parse_v1(text, REQUEST_FORMAT)?;
        Ok(Self {
            request_id: w.request_id.0,
            bundle: DeviceBundle::from_json(w.bundle.get())?,
            sig: w.sig.0,
        })
    }

    /// The wire form.
    #[must_use]
    pub fn to_json(&self) -> String {
        let w = RequestWire {
            format: REQUEST_FORMAT.to_owned(),
            v: 1,
            request_id: B64(self.request_id),
            bundle: nested(&self.bundle.to_value()),
            sig: B64(self.sig),
        };
        serde_json::to_string(&w).unwrap_or_default()
    }

    /// The pending state of a request `me` made, rebuilt from the request itself (a
    /// device that did not keep the [`PendingRequest`] of [`KeyRequest::new`], such as a
    /// command-line tool between two runs). The request id is public, so this gives no
    /// power: [`PendingRequest::accept`] still needs `me`'s secret to open the response.
    ///
    /// # Errors
    /// [`ExchangeError::UnknownRequest`] when the request carries another device's bundle.
    pub fn pending_for(&self, me: &DeviceSecret) -> Result<PendingRequest, ExchangeError> {
        if self.bundle != *me.bundle() {
            return Err(ExchangeError::UnknownRequest);
        }
        Ok(PendingRequest {
            request_id: self.request_id,
        })
    }

    /// Checks the request for `me`, a device of the same user.
    ///
    /// # Errors
    /// [`ExchangeError::OtherUser`] or [`ExchangeError::BadSignature`].
    pub fn verify_for(&self, me: &DeviceSecret) -> Result<VerifiedRequest, ExchangeError> {
        if self.bundle.id().user != me.id().user {
            return Err(ExchangeError::OtherUser {
                from: self.bundle.id().clone(),
                to: me.id().clone(),
            });
        }
        if !self.bundle.verify(&self.tbs(), &self.sig) {
            return Err(ExchangeError::BadSignature {
                signer: self.bundle.id().clone(),
            });
        }
        Ok(VerifiedRequest {
            request_id: self.request_id,
            bundle: self.bundle.clone(),
        })
    }
}

impl VerifiedRequest {
    /// The requesting device's bundle: show `safety_number(my bundle, this)`.
    #[must_use]
    pub fn bundle(&self) -> &DeviceBundle {
        &self.bundle
    }

    /// The user compared the safety number and approved.
    #[must_use]
    pub fn approve(self) -> ApprovedRequest {
        ApprovedRequest {
            request_id: self.request_id,
            bundle: self.bundle,
        }
    }
}

/// The answer to a key request: keys HPKE-sealed to the new device, signed.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyResponse {
    request_id: [u8; 16],
    user: UserId,
    from_device: DeviceId,
    to_device: DeviceId,
    keys: u32,
    enc: [u8; 32],
    ct: Vec<u8>,
    sig: [u8; 64],
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseWire {
    format: String,
    v: u64,
    request_id: B64<16>,
    user: UserId,
    from_device: DeviceId,
    to_device: DeviceId,
    keys: u32,
    enc: B64<32>,
    ct: B64Vec,
    sig: B64<64>,
}

impl KeyResponse {
    /// Seals every key version of `keyring` for the approved device.
    ///
    /// # Errors
    /// [`ExchangeError::Seal`] (not expected).
    #[cfg(os_rng)]
    pub fn seal(
        me: &DeviceSecret,
        approved: &ApprovedRequest,
        keyring: &Keyring,
    ) -> Result<Self, ExchangeError> {
        crate::rng::with_system_rng(|rng| Self::seal_with_rng(me, approved, keyring, rng))
    }

    /// [`KeyResponse::seal`] with the caller's generator.
    ///
    /// # Errors
    /// As [`KeyResponse::seal`].
    pub fn seal_with_rng<R: CryptoRng + ?Sized>(
        me: &DeviceSecret,
        approved: &ApprovedRequest,
        keyring: &Keyring,
        rng: &mut R,
    ) -> Result<Self, ExchangeError> {
        let (pt, keys) = encode_keys(keyring);
        let mut r = Self {
            request_id: approved.request_id,
            user: me.id().user.clone(),
            from_device: me.id().device.clone(),
            to_device: approved.bundle.id().device.clone(),
            keys,
            enc: [0; 32],
            ct: Vec::new(),
            sig: [0; 64],
        };
        let (enc, ct) = hpke_seal(&approved.bundle, &r.info(), &keys.to_be_bytes(), &pt, rng)?;
        r.enc = enc;
        r.ct = ct;
        r.sig = me.sign(&r.tbs());
        Ok(r)
    }

    fn info(&self) -> Vec<u8> {
        let mut t = Tbs::new("domvia-key-response v1");
        t.bytes(&self.request_id)
            .str(self.user.as_str())
            .str(self.from_device.as_str())
            .str(self.to_device.as_str());
        t.finish()
    }

    fn tbs(&self) -> Vec<u8> {
        let mut t = Tbs::new("domvia-key-response-sig v1");
        t.bytes(&self.info())
            .u32(self.keys)
            .bytes(&self.enc)
            .bytes(&self.ct);
        t.finish()
    }

    /// Parses the wire form (verified by [`PendingRequest::accept`]).
    ///
    /// # Errors
    /// [`ExchangeError::Wire`].
    pub fn from_json(text: &str) -> Result<Self, ExchangeError> {
        let w: ResponseWire = parse_v1(text, RESPONSE_FORMAT)?;
        Ok(Self {
            request_id: w.request_id.0,
            user: w.user,
            from_device: w.from_device,
            to_device: w.to_device,
            keys: w.keys,
            enc: w.enc.0,
            ct: w.ct.0,
            sig: w.sig.0,
        })
    }

    /// The wire form.
    #[must_use]
    pub fn to_json(&self) -> String {
        let w = ResponseWire {
            format: RESPONSE_FORMAT.to_owned(),
            v: 1,
            request_id: B64(self.request_id),
            user: self.user.clone(),
            from_device: self.from_device.clone(),
            to_device: self.to_device.clone(),
            keys: self.keys,
            enc: B64(self.enc),
            ct: B64Vec(self.ct.clone()),
            sig: B64(self.sig),
        };
        serde_json::to_string(&w).unwrap_or_default()
    }

    /// How many key versions the response carries.
    #[must_use]
    pub fn key_count(&self) -> u32 {
        self.keys
    }
}

impl core::fmt::Debug for KeyResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "KeyResponse({}/{} to {}, {} keys)",
            self.user, self.from_device, self.to_device, self.keys
        )
    }
}

impl PendingRequest {
    /// Verifies `response` (for this request, to `me`, from `responder`: the device whose
    /// safety number the user compared) and adds its keys to `keyring`. Returns how many
    /// versions were new.
    ///
    /// # Errors
    /// [`ExchangeError::UnknownRequest`], [`ExchangeError::WrongRecipient`],
    /// [`ExchangeError::OtherUser`], [`ExchangeError::BadSignature`],
    /// [`ExchangeError::Authentication`], or [`ExchangeError::Keyring`].
    pub fn accept(
        &self,
        response: &KeyResponse,
        me: &DeviceSecret,
        responder: &DeviceBundle,
        keyring: &mut Keyring,
    ) -> Result<usize, ExchangeError> {
        if response.request_id != self.request_id {
            return Err(ExchangeError::UnknownRequest);
        }
        let to = DeviceRef {
            user: response.user.clone(),
            device: response.to_device.clone(),
        };
        if to != *me.id() {
            return Err(ExchangeError::WrongRecipient { to });
        }
        let from = DeviceRef {
            user: response.user.clone(),
            device: response.from_device.clone(),
        };
        if from != *responder.id() {
            return Err(ExchangeError::UnknownDevice { device: from });
        }
        if !responder.verify(&response.tbs(), &response.sig) {
            return Err(ExchangeError::BadSignature { signer: from });
        }
        let aad = response.keys.to_be_bytes();
        let pt = hpke_open(
            me.hpke_secret(),
            &response.enc,
            &response.info(),
            &aad,
            &response.ct,
        )?;
        let received = decode_keys(&pt, response.keys).ok_or(ExchangeError::Authentication)?;
        Ok(keyring.merge(received)?)
    }
}
