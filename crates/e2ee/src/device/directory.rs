//! The device directory each device keeps (spec/key-lifecycle.md section 2.4): the
//! bundles it knows, pinned by (user, device), and which are revoked.

use std::collections::BTreeMap;

use super::{DeviceBundle, DeviceRef};
use crate::exchange::ExchangeError;
use crate::ident::UserId;

/// Whether a known device may still send and receive keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceStatus {
    /// In use.
    Active,
    /// Revoked (spec/key-lifecycle.md section 6.3), at this Unix time in seconds.
    Revoked {
        /// When the revocation says it was made.
        at: u64,
    },
}

/// The bundles a device knows. A device's bundle never changes once known: a different
/// one for the same (user, device) is refused as a possible man in the middle.
#[derive(Debug, Clone, Default)]
pub struct DeviceDirectory {
    devices: BTreeMap<DeviceRef, (DeviceBundle, DeviceStatus)>,
}

impl DeviceDirectory {
    /// An empty directory.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a verified bundle (parsing a [`DeviceBundle`] verifies it). Adding the same
    /// bundle again is a no-op.
    ///
    /// # Errors
    /// [`ExchangeError::DeviceConflict`] for a different bundle under a known name,
    /// [`ExchangeError::RevokedDevice`] for a revoked one.
    pub fn add(&mut self, bundle: DeviceBundle) -> Result<(), ExchangeError> {
        match self.devices.get(bundle.id()) {
            None => {
                self.devices
                    .insert(bundle.id().clone(), (bundle, DeviceStatus::Active));
                Ok(())
            }
            Some((known, _)) if *known != bundle => Err(ExchangeError::DeviceConflict {
                device: bundle.id().clone(),
            }),
            Some((_, DeviceStatus::Revoked { .. })) => Err(ExchangeError::RevokedDevice {
                device: bundle.id().clone(),
            }),
            Some((_, DeviceStatus::Active)) => Ok(()),
        }
    }

    /// The bundle known for `device`, whatever its status.
    #[must_use]
    pub fn get(&self, device: &DeviceRef) -> Option<&DeviceBundle> {
        self.devices.get(device).map(|(b, _)| b)
    }

    /// The status of `device`, if known.
    #[must_use]
    pub fn status(&self, device: &DeviceRef) -> Option<DeviceStatus> {
        self.devices.get(device).map(|(_, s)| *s)
    }

    /// The bundle of `device` if it is known and not revoked.
    ///
    /// # Errors
    /// [`ExchangeError::UnknownDevice`] or [`ExchangeError::RevokedDevice`].
    pub fn active(&self, device: &DeviceRef) -> Result<&DeviceBundle, ExchangeError> {
        match self.devices.get(device) {
            None => Err(ExchangeError::UnknownDevice {
                device: device.clone(),
            }),
            Some((_, DeviceStatus::Revoked { .. })) => Err(ExchangeError::RevokedDevice {
                device: device.clone(),
            }),
            Some((b, DeviceStatus::Active)) => Ok(b),
        }
    }

    /// The active devices of `user`.
    pub fn devices_of<'a>(&'a self, user: &'a UserId) -> impl Iterator<Item = &'a DeviceBundle> {
        self.devices
            .iter()
            .filter(move |(id, (_, s))| id.user == *user && *s == DeviceStatus::Active)
            .map(|(_, (b, _))| b)
    }

    /// Every known device, with its status.
    pub fn iter(&self) -> impl Iterator<Item = (&DeviceBundle, DeviceStatus)> {
        self.devices.values().map(|(b, s)| (b, *s))
    }

    pub(crate) fn mark_revoked(&mut self, device: &DeviceRef, at: u64) {
        if let Some((_, status)) = self.devices.get_mut(device)
            && *status == DeviceStatus::Active
        {
            *status = DeviceStatus::Revoked { at };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeviceSecret;

    #[test]
    fn a_known_device_keeps_its_keys() {
        let a = DeviceSecret::generate("u".parse().unwrap(), "d".parse().unwrap());
        let impostor = DeviceSecret::generate("u".parse().unwrap(), "d".parse().unwrap());
        let mut dir = DeviceDirectory::new();
        dir.add(a.bundle().clone()).unwrap();
        dir.add(a.bundle().clone()).unwrap();
        assert_eq!(
            dir.add(impostor.bundle().clone()).unwrap_err().code(),
            "device_conflict"
        );
        dir.mark_revoked(a.id(), 5);
        assert_eq!(dir.active(a.id()).unwrap_err().code(), "revoked_device");
        assert_eq!(
            dir.add(a.bundle().clone()).unwrap_err().code(),
            "revoked_device"
        );
        assert_eq!(dir.devices_of(&a.id().user).count(), 0);
        assert_eq!(dir.status(a.id()), Some(DeviceStatus::Revoked { at: 5 }));
    }
}
