//! Room keys over time (spec/key-lifecycle.md section 5): who the member devices are,
//! when the key must rotate (a device removed, a message budget, a maximum age), and the
//! rotation itself: version n+1 from fresh randomness, shared with the current member
//! devices only, old versions kept per the retention setting.
//!
//! ```
//! use domvia_e2ee::{
//!     ChatContext, Context, DeviceSecret, Keyring, RotationPolicy, RotationReason, RoomKeys,
//! };
//! use serde_json::json;
//!
//! let alice = DeviceSecret::generate("alice".parse()?, "phone".parse()?);
//! let carol = DeviceSecret::generate("carol".parse()?, "phone".parse()?);
//! let mut ring = Keyring::new();
//! let now = 1_767_225_600;
//! let mut room = RoomKeys::create(&alice, "room-42".parse()?, "room-42".parse()?,
//!     RotationPolicy::default(), now, &mut ring)?;
//! room.add_device(carol.bundle().clone());
//! let _share_for_carol = room.share_current(&alice, carol.id(), &ring)?;
//!
//! room.remove_device(carol.id());
//! assert_eq!(room.rotation_due(now), Some(RotationReason::MemberRemoved));
//! let ctx = Context::from(ChatContext::parse("room-42", "m1")?);
//! assert!(room.seal_json(&ring, &json!({"body": "x"}), &ctx, now).is_err());
//! let rotation = room.rotate(&alice, &mut ring, now)?;
//! assert_eq!(rotation.key_version.get(), 2);
//! assert!(rotation.shares.is_empty()); // nobody left but alice
//! room.seal_json(&ring, &json!({"body": "after"}), &ctx, now)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use rand_core::CryptoRng;
use serde::Serialize;

use crate::context::Context;
use crate::device::{DeviceBundle, DeviceDirectory, DeviceRef, DeviceSecret, DeviceStatus};
use crate::envelope::Envelope;
use crate::exchange::ExchangeError;
use crate::ident::{KeyId, KeyVersion, RoomId, UserId};
use crate::keyring::{Keyring, KeyringError};
use crate::seal::{SealError, SealOptions};
use crate::share::{AcceptedShare, KeyShare};

/// When a room's key must rotate, and how much history to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RotationPolicy {
    /// Rotate after this device sealed this many envelopes under the current version.
    pub max_messages: Option<u64>,
    /// Rotate when the current version is older than this many seconds.
    pub max_age_secs: Option<u64>,
    /// How many old versions to keep besides the current one; `None` keeps all.
    pub keep_versions: Option<u32>,
}

impl Default for RotationPolicy {
    /// One million envelopes, 30 days, all history kept.
    fn default() -> Self {
        Self {
            max_messages: Some(1_000_000),
            max_age_secs: Some(30 * 24 * 3600),
            keep_versions: None,
        }
    }
}

impl RotationPolicy {
    /// A policy with these settings.
    #[must_use]
    pub fn new(
        max_messages: Option<u64>,
        max_age_secs: Option<u64>,
        keep_versions: Option<u32>,
    ) -> Self {
        Self {
            max_messages,
            max_age_secs,
            keep_versions,
        }
    }
}

/// Why the key must rotate before the next seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RotationReason {
    /// A member device was removed or revoked.
    MemberRemoved,
    /// The message budget of the current version is spent.
    MessageBudget,
    /// The current version is older than the maximum age.
    MaxAge,
}

/// Why a room operation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotationError {
    /// The policy requires a rotation before sealing.
    #[error("the room key must be rotated first ({reason:?})")]
    RotationRequired {
        /// Why.
        reason: RotationReason,
    },
    /// The device is not a member of the room.
    #[error("{device} is not a member device of the room")]
    NotAMember {
        /// The device.
        device: DeviceRef,
    },
    /// The keyring refused.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// A share could not be sealed.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// Sealing the payload failed.
    #[error(transparent)]
    Seal(#[from] SealError),
}

impl RotationError {
    /// A stable, machine-readable code (spec/errors.md).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::RotationRequired { .. } => "rotation_required",
            Self::NotAMember { .. } => "not_a_member",
            Self::Keyring(e) => e.code(),
            Self::Exchange(e) => e.code(),
            Self::Seal(e) => e.code(),
        }
    }
}

/// What [`RoomKeys::rotate`] made: the new version and one share per other member device.
#[derive(Debug)]
#[non_exhaustive]
pub struct Rotation {
    /// The new current version.
    pub key_version: KeyVersion,
    /// One share for each member device but this one: send each on the room's channel.
    pub shares: Vec<KeyShare>,
    /// How many old versions the retention setting retired.
    pub retired: usize,
}

/// One room's key, as one member device sees it: the members, the policy, the counters.
/// The keys themselves live in the device's [`Keyring`] under the room's key id.
#[derive(Debug, Clone)]
pub struct RoomKeys {
    room: RoomId,
    key_id: KeyId,
    me: DeviceRef,
    members: BTreeMap<DeviceRef, DeviceBundle>,
    policy: RotationPolicy,
    /// When the current version was created or received (Unix seconds).
    since: u64,
    /// Envelopes this device sealed under the current version.
    sealed: u64,
    pending: Option<RotationReason>,
}

impl RoomKeys {
    /// A new room: version 1 of `key_id` is generated into `keyring`, with this device
    /// as the only member.
    ///
    /// # Errors
    /// [`RotationError::Keyring`] when `keyring` already holds `key_id`.
    #[cfg(os_rng)]
    pub fn create(
        me: &DeviceSecret,
        room: RoomId,
        key_id: KeyId,
        policy: RotationPolicy,
        now: u64,
        keyring: &mut Keyring,
    ) -> Result<Self, RotationError> {
        crate::rng::with_system_rng(|rng| {
            Self::create_with_rng(me, room, key_id, policy, now, keyring, rng)
        })
    }

    /// [`RoomKeys::create`] with the caller's generator.
    ///
    /// # Errors
    /// As [`RoomKeys::create`].
    pub fn create_with_rng<R: CryptoRng + ?Sized>(
        me: &DeviceSecret,
        room: RoomId,
        key_id: KeyId,
        policy: RotationPolicy,
        now: u64,
        keyring: &mut Keyring,
        rng: &mut R,
    ) -> Result<Self, RotationError> {
        keyring.generate_with_rng(key_id.clone(), rng)?;
        Ok(Self::follow(me, room, key_id, policy, now))
    }

    /// The room as seen by a member device that receives its keys by shares.
    #[must_use]
    pub fn follow(
        me: &DeviceSecret,
        room: RoomId,
        key_id: KeyId,
        policy: RotationPolicy,
        now: u64,
    ) -> Self {
        let members = BTreeMap::from([(me.id().clone(), me.bundle().clone())]);
        Self {
            room,
            key_id,
            me: me.id().clone(),
            members,
            policy,
            since: now,
            sealed: 0,
            pending: None,
        }
    }

    /// The room.
    #[must_use]
    pub fn room(&self) -> &RoomId {
        &self.room
    }

    /// The room's key id.
    #[must_use]
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The member devices, this one included.
    pub fn members(&self) -> impl Iterator<Item = &DeviceBundle> {
        self.members.values()
    }

    /// Adds a member device (a verified bundle). It receives versions from now on; give
    /// it the current one with [`RoomKeys::share_current`].
    pub fn add_device(&mut self, bundle: DeviceBundle) {
        self.members.insert(bundle.id().clone(), bundle);
    }

    /// A share of the current version for one member device.
    ///
    /// # Errors
    /// [`RotationError::NotAMember`], [`RotationError::Keyring`] when the keyring lacks
    /// the room's key, or [`RotationError::Exchange`].
    #[cfg(os_rng)]
    pub fn share_current(
        &self,
        me: &DeviceSecret,
        device: &DeviceRef,
        keyring: &Keyring,
    ) -> Result<KeyShare, RotationError> {
        crate::rng::with_system_rng(|rng| self.share_current_with_rng(me, device, keyring, rng))
    }

    /// [`RoomKeys::share_current`] with the caller's generator.
    ///
    /// # Errors
    /// As [`RoomKeys::share_current`].
    pub fn share_current_with_rng<R: CryptoRng + ?Sized>(
        &self,
        me: &DeviceSecret,
        device: &DeviceRef,
        keyring: &Keyring,
        rng: &mut R,
    ) -> Result<KeyShare, RotationError> {
        let bundle = self
            .members
            .get(device)
            .ok_or_else(|| RotationError::NotAMember {
                device: device.clone(),
            })?;
        let (version, key) =
            keyring
                .current(&self.key_id)
                .ok_or_else(|| KeyringError::UnknownKeyId {
                    key_id: self.key_id.clone(),
                })?;
        Ok(KeyShare::seal_with_rng(
            me,
            bundle,
            &self.room,
            &self.key_id,
            version,
            key,
            rng,
        )?)
    }

    /// Removes a member device; the key must rotate before the next seal. Returns whether
    /// it was a member.
    pub fn remove_device(&mut self, device: &DeviceRef) -> bool {
        let removed = self.members.remove(device).is_some();
        if removed {
            self.pending = Some(RotationReason::MemberRemoved);
        }
        removed
    }

    /// Removes every device of `user` (a member who left); returns how many.
    pub fn remove_user(&mut self, user: &UserId) -> usize {
        let gone: Vec<DeviceRef> = self
            .members
            .keys()
            .filter(|d| d.user == *user && **d != self.me)
            .cloned()
            .collect();
        gone.iter().filter(|d| self.remove_device(d)).count()
    }

    /// Removes every member device that `directory` marks revoked (spec/key-lifecycle.md
    /// section 6.3); returns how many.
    pub fn remove_revoked(&mut self, directory: &DeviceDirectory) -> usize {
        let gone: Vec<DeviceRef> = self
            .members
            .keys()
            .filter(|d| matches!(directory.status(d), Some(DeviceStatus::Revoked { .. })))
            .cloned()
            .collect();
        gone.iter().filter(|d| self.remove_device(d)).count()
    }

    /// Why the key must rotate before the next seal, if it must.
    #[must_use]
    pub fn rotation_due(&self, now: u64) -> Option<RotationReason> {
        if let Some(reason) = self.pending {
            return Some(reason);
        }
        if self
            .policy
            .max_messages
            .is_some_and(|max| self.sealed >= max)
        {
            return Some(RotationReason::MessageBudget);
        }
        let age = now.saturating_sub(self.since);
        if self.policy.max_age_secs.is_some_and(|max| age >= max) {
            return Some(RotationReason::MaxAge);
        }
        None
    }

    /// Rotates: version n+1 from fresh randomness becomes current, one share is sealed for
    /// each other member device, and old versions beyond the retention setting are
    /// retired.
    ///
    /// # Errors
    /// [`RotationError::Keyring`] or [`RotationError::Exchange`].
    #[cfg(os_rng)]
    pub fn rotate(
        &mut self,
        me: &DeviceSecret,
        keyring: &mut Keyring,
        now: u64,
    ) -> Result<Rotation, RotationError> {
        crate::rng::with_system_rng(|rng| self.rotate_with_rng(me, keyring, now, rng))
    }

    /// [`RoomKeys::rotate`] with the caller's generator.
    ///
    /// # Errors
    /// As [`RoomKeys::rotate`].
    pub fn rotate_with_rng<R: CryptoRng + ?Sized>(
        &mut self,
        me: &DeviceSecret,
        keyring: &mut Keyring,
        now: u64,
        rng: &mut R,
    ) -> Result<Rotation, RotationError> {
        let key_version = keyring.rotate_with_rng(&self.key_id, rng)?;
        let mut shares = Vec::with_capacity(self.members.len());
        for device in self.members.keys().filter(|d| **d != self.me) {
            shares.push(self.share_current_with_rng(me, device, keyring, rng)?);
        }
        let retired = self.apply_retention(keyring, key_version)?;
        self.since = now;
        self.sealed = 0;
        self.pending = None;
        Ok(Rotation {
            key_version,
            shares,
            retired,
        })
    }

    /// Records a newer version another member rotated to (a share this device accepted):
    /// the counters restart and the retention setting applies.
    ///
    /// # Errors
    /// [`RotationError::Keyring`].
    pub fn adopt(
        &mut self,
        accepted: &AcceptedShare,
        keyring: &mut Keyring,
        now: u64,
    ) -> Result<(), RotationError> {
        if accepted.key_id != self.key_id {
            return Ok(());
        }
        self.apply_retention(keyring, accepted.key_version)?;
        self.since = now;
        self.sealed = 0;
        self.pending = None;
        Ok(())
    }

    fn apply_retention(
        &self,
        keyring: &mut Keyring,
        current: KeyVersion,
    ) -> Result<usize, RotationError> {
        let Some(keep) = self.policy.keep_versions else {
            return Ok(0);
        };
        let floor = current.get().saturating_sub(keep).max(1);
        let floor = KeyVersion::new(u64::from(floor)).unwrap_or(KeyVersion::FIRST);
        Ok(keyring.retire_older_than(&self.key_id, floor)?)
    }

    /// Seals with the room's current version, counting the envelope against the budget.
    ///
    /// # Errors
    /// [`RotationError::RotationRequired`] when the policy requires a rotation first, or
    /// [`RotationError::Seal`].
    #[cfg(os_rng)]
    pub fn seal_json<T: Serialize + ?Sized>(
        &mut self,
        keyring: &Keyring,
        payload: &T,
        context: &Context,
        now: u64,
    ) -> Result<Envelope, RotationError> {
        crate::rng::with_system_rng(|rng| {
            self.seal_json_with_rng(keyring, payload, context, &SealOptions::default(), now, rng)
        })
    }

    /// [`RoomKeys::seal_json`] with options and the caller's generator.
    ///
    /// # Errors
    /// As [`RoomKeys::seal_json`].
    pub fn seal_json_with_rng<T: Serialize + ?Sized, R: CryptoRng + ?Sized>(
        &mut self,
        keyring: &Keyring,
        payload: &T,
        context: &Context,
        options: &SealOptions,
        now: u64,
        rng: &mut R,
    ) -> Result<Envelope, RotationError> {
        if let Some(reason) = self.rotation_due(now) {
            return Err(RotationError::RotationRequired { reason });
        }
        let envelope = keyring.seal_json_with_rng(payload, &self.key_id, context, options, rng)?;
        self.sealed = self.sealed.saturating_add(1);
        Ok(envelope)
    }
}
