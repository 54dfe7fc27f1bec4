//! Key shares (spec/key-lifecycle.md section 4): one room key version, sealed to one
//! device with HPKE (RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! AES-256-GCM) and signed by the sending device.
//!
//! ```text
//! info      = str16("domvia-keyshare v1") || str16(room) || str16(kid) || u32(kver)
//!          || str16(from_user) || str16(from_device) || str16(to_user) || str16(to_device)
//! (enc, ct) = SealBase(pkR, info, aad = commit, pt = K)
//! sig       = Ed25519(sender, str16("domvia-keyshare-sig v1") || info || commit || enc || ct)
//! ```
//!
//! ```
//! use domvia_e2ee::{DeviceDirectory, DeviceSecret, KeyShare, Keyring, ShareInbox};
//!
//! let alice = DeviceSecret::generate("alice".parse()?, "phone".parse()?);
//! let bob = DeviceSecret::generate("bob".parse()?, "laptop".parse()?);
//! let mut ring = Keyring::new();
//! let room = "room-42".parse()?;
//! let v1 = ring.generate("room-42".parse()?)?;
//! let (kver, key) = ring.current(&"room-42".parse()?).ok_or("no key")?;
//! let share = KeyShare::seal(&alice, bob.bundle(), &room, &"room-42".parse()?, kver, key)?;
//! let wire = share.to_json(); // an ordinary event on the room's private channel
//!
//! // Bob knows Alice's bundle (and compared the safety number).
//! let mut directory = DeviceDirectory::new();
//! directory.add(alice.bundle().clone())?;
//! let mut bobs_ring = Keyring::new();
//! let mut inbox = ShareInbox::new();
//! let accepted = inbox.accept(&KeyShare::from_json(&wire)?, &bob, &directory, &mut bobs_ring)?;
//! assert_eq!(accepted.key_version, v1);
//! assert_eq!(accepted.from, *alice.id());
//! // The same share again is refused.
//! let again = inbox.accept(&KeyShare::from_json(&wire)?, &bob, &directory, &mut bobs_ring);
//! assert_eq!(again.unwrap_err().code(), "replayed");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;

use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::device::{DeviceBundle, DeviceDirectory, DeviceRef, DeviceSecret, HpkePrivateKey, Kem};
use crate::exchange::ExchangeError;
use crate::ident::{DeviceId, KeyId, KeyVersion, RoomId, UserId};
use crate::key::AesGcmKey;
use crate::keyring::{Keyring, KeyringError};
use crate::wire::{B64, Tbs, parse_v1};

const FORMAT: &str = "domvia-keyshare";
const INFO_LABEL: &str = "domvia-keyshare v1";
const SIG_LABEL: &str = "domvia-keyshare-sig v1";
/// A sealed 32-byte key and its 16-byte tag.
const CT_LEN: usize = 48;

/// One room key version sealed to one device, signed by its sender.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyShare {
    room: RoomId,
    key_id: KeyId,
    key_version: KeyVersion,
    from: DeviceRef,
    to: DeviceRef,
    commit: [u8; 32],
    enc: [u8; 32],
    ct: [u8; CT_LEN],
    sig: [u8; 64],
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareWire {
    format: String,
    v: u64,
    room: RoomId,
    kid: KeyId,
    kver: KeyVersion,
    from_user: UserId,
    from_device: DeviceId,
    to_user: UserId,
    to_device: DeviceId,
    commit: B64<32>,
    enc: B64<32>,
    ct: B64<CT_LEN>,
    sig: B64<64>,
}

/// A share whose signature and binding verified, and its key.
#[derive(Debug)]
#[non_exhaustive]
pub struct OpenedShare {
    /// The room the key protects.
    pub room: RoomId,
    /// The key id.
    pub key_id: KeyId,
    /// The key version.
    pub key_version: KeyVersion,
    /// The verified sending device.
    pub from: DeviceRef,
    /// The key.
    pub key: AesGcmKey,
}

/// What [`ShareInbox::accept`] imported.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcceptedShare {
    /// The room the key protects.
    pub room: RoomId,
    /// The key id.
    pub key_id: KeyId,
    /// The key version, now current in the keyring.
    pub key_version: KeyVersion,
    /// The verified sending device.
    pub from: DeviceRef,
}

impl KeyShare {
    /// Seals `key` (version `key_version` of `key_id`, for `room`) to `recipient`, signed
    /// by `sender`, with the OS-seeded CSPRNG.
    ///
    /// # Errors
    /// [`ExchangeError::Seal`] (not expected).
    #[cfg(os_rng)]
    pub fn seal(
        sender: &DeviceSecret,
        recipient: &DeviceBundle,
        room: &RoomId,
        key_id: &KeyId,
        key_version: KeyVersion,
        key: &AesGcmKey,
    ) -> Result<Self, ExchangeError> {
        crate::rng::with_system_rng(|rng| {
            Self::seal_with_rng(sender, recipient, room, key_id, key_version, key, rng)
        })
    }

    /// [`KeyShare::seal`] with the caller's generator (32 bytes: the HPKE ephemeral key's
    /// `DeriveKeyPair` input).
    ///
    /// # Errors
    /// As [`KeyShare::seal`].
    pub fn seal_with_rng<R: CryptoRng + ?Sized>(
        sender: &DeviceSecret,
        recipient: &DeviceBundle,
        room: &RoomId,
        key_id: &KeyId,
        key_version: KeyVersion,
        key: &AesGcmKey,
        rng: &mut R,
    ) -> Result<Self, ExchangeError> {
        let mut share = Self {
            room: room.clone(),
            key_id: key_id.clone(),
            key_version,
            from: sender.id().clone(),
            to: recipient.id().clone(),
            commit: *key.commitment(),
            enc: [0; 32],
            ct: [0; CT_LEN],
            sig: [0; 64],
        };
        let (enc, ct) = hpke_seal(
            recipient,
            &share.info(),
            &share.commit,
            key.danger_as_bytes(),
            rng,
        )?;
        share.enc = enc;
        share.ct = ct.try_into().map_err(|_| ExchangeError::Seal)?;
        share.sig = sender.sign(&share.tbs());
        Ok(share)
    }

    /// Parses the wire form (nothing is verified yet: see [`KeyShare::open`]).
    ///
    /// # Errors
    /// [`ExchangeError::Wire`].
    pub fn from_json(text: &str) -> Result<Self, ExchangeError> {
        let w: ShareWire = parse_v1(text, FORMAT)?;
        Ok(Self {
            room: w.room,
            key_id: w.kid,
            key_version: w.kver,
            from: DeviceRef {
                user: w.from_user,
                device: w.from_device,
            },
            to: DeviceRef {
                user: w.to_user,
                device: w.to_device,
            },
            commit: w.commit.0,
            enc: w.enc.0,
            ct: w.ct.0,
            sig: w.sig.0,
        })
    }

    /// The wire form.
    #[must_use]
    pub fn to_json(&self) -> String {
        let w = ShareWire {
            format: FORMAT.to_owned(),
            v: 1,
            room: self.room.clone(),
            kid: self.key_id.clone(),
            kver: self.key_version,
            from_user: self.from.user.clone(),
            from_device: self.from.device.clone(),
            to_user: self.to.user.clone(),
            to_device: self.to.device.clone(),
            commit: B64(self.commit),
            enc: B64(self.enc),
            ct: B64(self.ct),
            sig: B64(self.sig),
        };
        serde_json::to_string(&w).unwrap_or_default()
    }

    /// The room named (unverified until opened).
    #[must_use]
    pub fn room(&self) -> &RoomId {
        &self.room
    }
    /// The key id named.
    #[must_use]
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }
    /// The key version named.
    #[must_use]
    pub fn key_version(&self) -> KeyVersion {
        self.key_version
    }
    /// The sending device named.
    #[must_use]
    pub fn from(&self) -> &DeviceRef {
        &self.from
    }
    /// The recipient device named.
    #[must_use]
    pub fn to(&self) -> &DeviceRef {
        &self.to
    }

    fn info(&self) -> Vec<u8> {
        Tbs::new(INFO_LABEL)
            .str(self.room.as_str())
            .str(self.key_id.as_str())
            .u32(self.key_version.get())
            .str(self.from.user.as_str())
            .str(self.from.device.as_str())
            .str(self.to.user.as_str())
            .str(self.to.device.as_str())
            .finish()
    }

    fn tbs(&self) -> Vec<u8> {
        Tbs::new(SIG_LABEL)
            .bytes(&self.info())
            .bytes(&self.commit)
            .bytes(&self.enc)
            .bytes(&self.ct)
            .finish()
    }

    /// Steps 2 to 5 of spec/key-lifecycle.md section 4.3: addressed to `me`, from a
    /// known, non-revoked device, correctly signed, opened under the bound `info`, and
    /// matching its commitment.
    ///
    /// # Errors
    /// [`ExchangeError::WrongRecipient`], [`ExchangeError::UnknownDevice`],
    /// [`ExchangeError::RevokedDevice`], [`ExchangeError::BadSignature`] or
    /// [`ExchangeError::Authentication`].
    pub fn open(
        &self,
        me: &DeviceSecret,
        directory: &DeviceDirectory,
    ) -> Result<OpenedShare, ExchangeError> {
        if self.to != *me.id() {
            return Err(ExchangeError::WrongRecipient {
                to: self.to.clone(),
            });
        }
        let sender = directory.active(&self.from)?;
        if !sender.verify(&self.tbs(), &self.sig) {
            return Err(ExchangeError::BadSignature {
                signer: self.from.clone(),
            });
        }
        let pt = hpke_open(
            me.hpke_secret(),
            &self.enc,
            &self.info(),
            &self.commit,
            &self.ct,
        )?;
        let bytes: [u8; 32] = pt
            .as_slice()
            .try_into()
            .map_err(|_| ExchangeError::Authentication)?;
        let key = AesGcmKey::from_bytes(bytes);
        if !bool::from(key.commitment().ct_eq(&self.commit)) {
            return Err(ExchangeError::Authentication);
        }
        Ok(OpenedShare {
            room: self.room.clone(),
            key_id: self.key_id.clone(),
            key_version: self.key_version,
            from: self.from.clone(),
            key,
        })
    }
}

impl core::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyShare")
            .field("room", &self.room)
            .field("key_id", &self.key_id)
            .field("key_version", &self.key_version)
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

/// A device's receiving side for key shares: it remembers the shares it accepted (by
/// their HPKE `enc`, unique per share) to refuse replays, and refuses versions older than
/// the current one, so a replayed old share cannot bring back a retired key.
///
/// The memory grows by 32 bytes per accepted share; an application that keeps a device
/// for years may persist and prune it (a pruned replay is still refused as stale once a
/// newer version is current).
#[derive(Debug, Clone, Default)]
pub struct ShareInbox {
    accepted: BTreeSet<[u8; 32]>,
}

impl ShareInbox {
    /// An inbox that has accepted nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Verifies `share` (spec/key-lifecycle.md section 4.3) and imports its key into
    /// `keyring` as the current version of its key id.
    ///
    /// # Errors
    /// As [`KeyShare::open`], then [`ExchangeError::Replayed`],
    /// [`ExchangeError::StaleKeyVersion`], or [`ExchangeError::Keyring`] with
    /// [`KeyringError::VersionConflict`].
    pub fn accept(
        &mut self,
        share: &KeyShare,
        me: &DeviceSecret,
        directory: &DeviceDirectory,
        keyring: &mut Keyring,
    ) -> Result<AcceptedShare, ExchangeError> {
        let opened = share.open(me, directory)?;
        if self.accepted.contains(&share.enc) {
            return Err(ExchangeError::Replayed);
        }
        if let Some((current, _)) = keyring.current(&opened.key_id)
            && opened.key_version < current
        {
            return Err(ExchangeError::StaleKeyVersion {
                key_id: opened.key_id,
                key_version: opened.key_version,
                current,
            });
        }
        keyring
            .insert(opened.key_id.clone(), opened.key_version, opened.key)
            .map_err(|e: KeyringError| ExchangeError::Keyring(e))?;
        self.accepted.insert(share.enc);
        Ok(AcceptedShare {
            room: opened.room,
            key_id: opened.key_id,
            key_version: opened.key_version,
            from: opened.from,
        })
    }
}

/// RFC 9180 single-shot `SealBase` with the suite of spec/key-lifecycle.md section 3.
pub(crate) fn hpke_seal<R: CryptoRng + ?Sized>(
    recipient: &DeviceBundle,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    mut rng: &mut R,
) -> Result<([u8; 32], Vec<u8>), ExchangeError> {
    let pk = recipient.hpke_key()?;
    let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm256, HkdfSha256, Kem>(
        &OpModeS::Base,
        &pk,
        info,
        plaintext,
        aad,
        &mut rng,
    )
    .map_err(|_| ExchangeError::Seal)?;
    Ok((enc.to_bytes().into(), ct))
}

/// RFC 9180 single-shot `OpenBase`; every failure is [`ExchangeError::Authentication`].
pub(crate) fn hpke_open(
    sk: &HpkePrivateKey,
    enc: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Zeroizing<Vec<u8>>, ExchangeError> {
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc)
        .map_err(|_| ExchangeError::Authentication)?;
    hpke::single_shot_open::<AesGcm256, HkdfSha256, Kem>(&OpModeR::Base, sk, &enc, info, ct, aad)
        .map(Zeroizing::new)
        .map_err(|_| ExchangeError::Authentication)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct World {
        alice: DeviceSecret,
        bob: DeviceSecret,
        bobs_dir: DeviceDirectory,
        room: RoomId,
        kid: KeyId,
    }

    fn world() -> World {
        let alice = DeviceSecret::generate("alice".parse().unwrap(), "phone".parse().unwrap());
        let bob = DeviceSecret::generate("bob".parse().unwrap(), "laptop".parse().unwrap());
        let mut bobs_dir = DeviceDirectory::new();
        bobs_dir.add(alice.bundle().clone()).unwrap();
        World {
            alice,
            bob,
            bobs_dir,
            room: "room-42".parse().unwrap(),
            kid: "room-42".parse().unwrap(),
        }
    }

    fn share(w: &World, v: u64, key: &AesGcmKey) -> KeyShare {
        let v = KeyVersion::new(v).unwrap();
        KeyShare::seal(&w.alice, w.bob.bundle(), &w.room, &w.kid, v, key).unwrap()
    }

    #[test]
    fn replayed_and_stale_shares_are_refused() {
        let w = world();
        let (k1, k2) = (AesGcmKey::generate(), AesGcmKey::generate());
        let (s1, s2) = (share(&w, 1, &k1), share(&w, 2, &k2));
        let mut ring = Keyring::new();
        let mut inbox = ShareInbox::new();
        inbox.accept(&s1, &w.bob, &w.bobs_dir, &mut ring).unwrap();
        let replay = KeyShare::from_json(&s1.to_json()).unwrap();
        let e = inbox.accept(&replay, &w.bob, &w.bobs_dir, &mut ring);
        assert_eq!(e.unwrap_err(), ExchangeError::Replayed);
        inbox.accept(&s2, &w.bob, &w.bobs_dir, &mut ring).unwrap();
        // Version 1 again, freshly sealed (not a replay): older than current, refused.
        let e = inbox.accept(&share(&w, 1, &k1), &w.bob, &w.bobs_dir, &mut ring);
        assert_eq!(e.unwrap_err().code(), "stale_key_version");
        // Version 1 retired, then its old share replayed to a fresh inbox: still stale.
        ring.retire(&w.kid, KeyVersion::FIRST).unwrap();
        let e = ShareInbox::new().accept(&s1, &w.bob, &w.bobs_dir, &mut ring);
        assert_eq!(e.unwrap_err().code(), "stale_key_version");
        assert!(ring.key(&w.kid, KeyVersion::FIRST).is_none());
        // Another key under the current version: a conflict.
        let e = inbox.accept(&share(&w, 2, &k1), &w.bob, &w.bobs_dir, &mut ring);
        assert_eq!(e.unwrap_err().code(), "version_conflict");
        assert_eq!(ring.current(&w.kid).map(|(v, _)| v.get()), Some(2));
    }

    #[test]
    fn the_share_is_for_one_device_only() {
        let w = world();
        let k = AesGcmKey::generate();
        let s = share(&w, 1, &k);
        // Mallory, holding the share, is not its recipient.
        let mallory = DeviceSecret::generate("bob".parse().unwrap(), "laptop".parse().unwrap());
        let e = s.open(&mallory, &w.bobs_dir).unwrap_err();
        assert_eq!(
            e.code(),
            "auth_failed",
            "same names, other keys: HPKE fails"
        );
        assert!(format!("{s:?}").contains("room-42"));
        assert!(!format!("{:?}", s.open(&w.bob, &w.bobs_dir).unwrap()).contains(&*k.export_raw()));
    }
}
