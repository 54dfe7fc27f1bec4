//! JavaScript primitives to the core's types, parsed once at the boundary.
//!
//! The package checks JavaScript types (a string is a string, a number an integer) and
//! gives the core everything else: identifiers, key versions and padding are parsed here by
//! the core's own parsers, so their errors carry the core's codes.

use domvia_e2ee::{
    CallContext, ChatContext, Context, DeviceRef, KeyId, KeyLabel, KeyVersion, Padding,
    RealtimeContext,
};

use crate::errors::Failure;

/// The context of one envelope from its kind name and up to three identifiers, in the
/// order of the AAD: chat `(room id, message id)`, call `(call id, event name)`, realtime
/// `(scope, scope id, event name)`. Unused identifiers are ignored.
///
/// # Errors
/// `invalid_identifier`, or `invalid_argument` for an unknown kind name.
pub(crate) fn context(
    kind: &str,
    first: &str,
    second: &str,
    third: &str,
) -> Result<Context, Failure> {
    Ok(match kind {
        "chat" => ChatContext::parse(first, second)?.into(),
        "call" => CallContext::parse(first, second)?.into(),
        "realtime" => RealtimeContext::parse(first, second, third)?.into(),
        other => {
            return Err(Failure::invalid_argument(format!(
                "unknown envelope kind {other:?}; expected chat, call or realtime"
            )));
        }
    })
}

/// A key version from a JavaScript number that the package has checked is an integer.
///
/// # Errors
/// `invalid_key_version` unless it is from 1 to 4294967295.
pub(crate) fn key_version(value: f64) -> Result<KeyVersion, Failure> {
    if value.fract() != 0.0 || !value.is_finite() {
        return Err(Failure::invalid_argument(format!(
            "key version {value} is not an integer"
        )));
    }
    // Saturating: any integer beyond i64 is out of range either way.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "an integral f64, saturated into i64"
    )]
    let integer = value as i64;
    Ok(KeyVersion::try_from(integer)?)
}

/// A key id.
///
/// # Errors
/// `invalid_identifier`.
pub(crate) fn key_id(value: &str) -> Result<KeyId, Failure> {
    Ok(value.parse()?)
}

/// A key label from an optional key id and a version.
///
/// # Errors
/// `invalid_identifier` or `invalid_key_version`.
pub(crate) fn label(kid: Option<&str>, kver: f64) -> Result<KeyLabel, Failure> {
    Ok(KeyLabel {
        key_id: kid.map(key_id).transpose()?,
        key_version: key_version(kver)?,
    })
}

/// A padding policy: `none`, `power-of-two` or `multiple:N`.
///
/// # Errors
/// `invalid_padding`.
pub(crate) fn padding(text: &str) -> Result<Padding, Failure> {
    Ok(text.parse()?)
}

/// A device's name.
///
/// # Errors
/// `invalid_identifier`.
pub(crate) fn device(user: &str, device: &str) -> Result<DeviceRef, Failure> {
    Ok(DeviceRef::parse(user, device)?)
}

/// A whole number from JavaScript (a time in Unix seconds, a count).
///
/// # Errors
/// `invalid_argument` unless it is an integer from 0 to 2^53.
pub(crate) fn whole(value: f64, what: &str) -> Result<u64, Failure> {
    const MAX_SAFE: f64 = 9_007_199_254_740_992.0;
    if value.fract() != 0.0 || !(0.0..=MAX_SAFE).contains(&value) {
        return Err(Failure::invalid_argument(format!(
            "{what} {value} is not an integer from 0 to 2^53"
        )));
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked above: an integer from 0 to 2^53"
    )]
    Ok(value as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_and_labels_use_the_core_codes() {
        assert!(context("chat", "r", "m", "").is_ok());
        assert!(context("realtime", "s", "i", "e").is_ok());
        assert_eq!(
            context("realtime", "s", "i", "").map_err(|f| f.code),
            Err("invalid_identifier")
        );
        assert_eq!(
            context("sms", "a", "b", "c").map_err(|f| f.code),
            Err("invalid_argument")
        );
        for bad in [0.0, -1.0, 4_294_967_296.0, 1e300, -1e300] {
            assert_eq!(
                key_version(bad).map_err(|f| f.code),
                Err("invalid_key_version"),
                "{bad}"
            );
        }
        for bad in [1.5, f64::NAN, f64::INFINITY] {
            assert_eq!(
                key_version(bad).map_err(|f| f.code),
                Err("invalid_argument"),
                "{bad}"
            );
        }
        assert_eq!(
            key_version(4_294_967_295.0).map(KeyVersion::get),
            Ok(u32::MAX)
        );
        assert_eq!(
            label(Some(""), 1.0).map_err(|f| f.code),
            Err("invalid_identifier")
        );
        assert_eq!(
            padding("multiple:0").map_err(|f| f.code),
            Err("invalid_padding")
        );
        assert_eq!(whole(1_767_225_600.0, "now"), Ok(1_767_225_600));
        for bad in [-1.0, 0.5, f64::NAN, f64::INFINITY, 1e300] {
            assert_eq!(
                whole(bad, "now").map_err(|f| f.code),
                Err("invalid_argument")
            );
        }
        assert_eq!(
            device("alice", "").map_err(|f| f.code),
            Err("invalid_identifier")
        );
    }
}
