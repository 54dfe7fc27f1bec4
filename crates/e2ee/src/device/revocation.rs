//! Revoking a device (spec/key-lifecycle.md section 6.3): a signed statement by another
//! device of the same user (or the device itself) that marks its bundle revoked forever.
//!
//! ```text
//! revocation_tbs = str16("domvia-revocation v1") || str16(user) || str16(device) || fingerprint
//!               || str16(by_device) || u64(revoked_at)
//! ```

use super::{DeviceBundle, DeviceDirectory, DeviceRef, DeviceSecret, Fingerprint};
use crate::exchange::ExchangeError;
use crate::ident::{DeviceId, UserId};
use crate::wire::{B64, Tbs, parse_v1};

const FORMAT: &str = "domvia-revocation";
const LABEL: &str = "domvia-revocation v1";

/// A signed revocation of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    device: DeviceRef,
    fingerprint: Fingerprint,
    by_device: DeviceId,
    revoked_at: u64,
    sig: [u8; 64],
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationWire {
    format: String,
    v: u64,
    user: UserId,
    device: DeviceId,
    fingerprint: B64<32>,
    by_device: DeviceId,
    revoked_at: u64,
    sig: B64<64>,
}

impl Revocation {
    /// `revoker` revokes `revoked` (a device of the same user, or itself) at
    /// `revoked_at` (Unix seconds, the caller's clock).
    ///
    /// # Errors
    /// [`ExchangeError::OtherUser`] when the two devices belong to different users.
    pub fn sign(
        revoker: &DeviceSecret,
        revoked: &DeviceBundle,
        revoked_at: u64,
    ) -> Result<Self, ExchangeError> {
        if revoker.id().user != revoked.id().user {
            return Err(ExchangeError::OtherUser {
                from: revoker.id().clone(),
                to: revoked.id().clone(),
            });
        }
        let mut r = Self {
            device: revoked.id().clone(),
            fingerprint: *revoked.fingerprint(),
            by_device: revoker.id().device.clone(),
            revoked_at,
            sig: [0; 64],
        };
        r.sig = revoker.sign(&r.tbs());
        Ok(r)
    }

    /// Parses the wire form (verified by [`DeviceDirectory::apply_revocation`]).
    ///
    /// # Errors
    /// [`ExchangeError::Wire`].
    pub fn from_json(text: &str) -> Result<Self, ExchangeError> {
        let w: RevocationWire = parse_v1(text, FORMAT)?;
        Ok(Self {
            device: DeviceRef {
                user: w.user,
                device: w.device,
            },
            fingerprint: Fingerprint::from_bytes(w.fingerprint.0),
            by_device: w.by_device,
            revoked_at: w.revoked_at,
            sig: w.sig.0,
        })
    }

    /// The wire form.
    #[must_use]
    pub fn to_json(&self) -> String {
        let w = RevocationWire {
            format: FORMAT.to_owned(),
            v: 1,
            user: self.device.user.clone(),
            device: self.device.device.clone(),
            fingerprint: B64(*self.fingerprint.as_bytes()),
            by_device: self.by_device.clone(),
            revoked_at: self.revoked_at,
            sig: B64(self.sig),
        };
        serde_json::to_string(&w).unwrap_or_default()
    }

    /// The revoked device.
    #[must_use]
    pub fn device(&self) -> &DeviceRef {
        &self.device
    }

    /// The signing device.
    #[must_use]
    pub fn signer(&self) -> DeviceRef {
        DeviceRef {
            user: self.device.user.clone(),
            device: self.by_device.clone(),
        }
    }

    /// When the revocation says it was made (Unix seconds).
    #[must_use]
    pub fn revoked_at(&self) -> u64 {
        self.revoked_at
    }

    fn tbs(&self) -> Vec<u8> {
        Tbs::new(LABEL)
            .str(self.device.user.as_str())
            .str(self.device.device.as_str())
            .bytes(self.fingerprint.as_bytes())
            .str(self.by_device.as_str())
            .u64(self.revoked_at)
            .finish()
    }
}

impl DeviceDirectory {
    /// Verifies `revocation` and marks the device revoked. Returns the revoked device;
    /// the caller then removes it from every room it was in, which rotates them.
    /// Applying a revocation again is a no-op.
    ///
    /// # Errors
    /// [`ExchangeError::UnknownDevice`] (signer or revoked device unknown, or another
    /// bundle than the one held), [`ExchangeError::RevokedDevice`] (the signer is
    /// revoked and is not the device itself), [`ExchangeError::BadSignature`].
    pub fn apply_revocation(
        &mut self,
        revocation: &Revocation,
    ) -> Result<DeviceRef, ExchangeError> {
        let signer_ref = revocation.signer();
        let signer = if signer_ref == revocation.device {
            self.get(&signer_ref)
                .ok_or_else(|| ExchangeError::UnknownDevice {
                    device: signer_ref.clone(),
                })?
        } else {
            self.active(&signer_ref)?
        };
        if !signer.verify(&revocation.tbs(), &revocation.sig) {
            return Err(ExchangeError::BadSignature { signer: signer_ref });
        }
        let held = self
            .get(&revocation.device)
            .filter(|b| *b.fingerprint() == revocation.fingerprint)
            .ok_or_else(|| ExchangeError::UnknownDevice {
                device: revocation.device.clone(),
            })?;
        let revoked = held.id().clone();
        self.mark_revoked(&revoked, revocation.revoked_at);
        Ok(revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(user: &str, device: &str) -> DeviceSecret {
        DeviceSecret::generate(user.parse().unwrap(), device.parse().unwrap())
    }

    #[test]
    fn only_a_live_device_of_the_same_user_revokes() {
        let (phone, laptop, bob) = (dev("a", "phone"), dev("a", "laptop"), dev("b", "x"));
        let mut dir = DeviceDirectory::new();
        for d in [&phone, &laptop, &bob] {
            dir.add(d.bundle().clone()).unwrap();
        }
        assert_eq!(
            Revocation::sign(&bob, phone.bundle(), 1)
                .unwrap_err()
                .code(),
            "other_user"
        );
        let rev = Revocation::sign(&laptop, phone.bundle(), 7).unwrap();
        let wire = rev.to_json();
        let forged = wire.replace("\"revoked_at\":7", "\"revoked_at\":8");
        assert_eq!(
            dir.apply_revocation(&Revocation::from_json(&forged).unwrap())
                .unwrap_err()
                .code(),
            "bad_signature"
        );
        assert_eq!(
            dir.apply_revocation(&Revocation::from_json(&wire).unwrap())
                .unwrap(),
            *phone.id()
        );
        // The revoked phone can no longer revoke the laptop.
        let back = Revocation::sign(&phone, laptop.bundle(), 9).unwrap();
        assert_eq!(
            dir.apply_revocation(&back).unwrap_err().code(),
            "revoked_device"
        );
        // A revocation of an unknown bundle is refused.
        let other_phone = dev("a", "phone");
        let rev2 = Revocation::sign(&laptop, other_phone.bundle(), 9).unwrap();
        assert_eq!(
            dir.apply_revocation(&rev2).unwrap_err().code(),
            "unknown_device"
        );
    }
}
