//! The one mapping from the core's errors to the errors JavaScript sees.
//!
//! Every error crossing into JavaScript is a [`Failure`]: the family decides the `Error`
//! subclass the package throws (`InvalidArgumentError`, `SealError`, `OpenError`,
//! `KeyringError`, `KeyLifecycleError`, `BackupError`), the code is the core error's own `code()` (spec/errors.md), and the
//! message is the core error's `Display`, which never contains a key or a payload. The
//! `From` impls below are the whole table; the tests at the bottom walk every variant.

use domvia_e2ee::{
    BackupError, ContextError, EnvelopeError, ExchangeError, IdentifierError, KeyImportError,
    KeyVersionError, KeyringError, OpenError, PaddingError, RotationError, SealError, WireError,
};

/// Which `Error` subclass of the package an error becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// An argument is wrong: a type, a missing field, an identifier, a key version, key
    /// material, a JWK, a padding setting. The JavaScript class `InvalidArgumentError`.
    Argument,
    /// Sealing failed. The JavaScript class `SealError`.
    Seal,
    /// Opening failed. The JavaScript class `OpenError`.
    Open,
    /// A keyring operation was refused. The JavaScript class `KeyringError`.
    Keyring,
    /// A key-lifecycle message or operation was refused: exchange (bundles, shares,
    /// requests, responses, revocations, signed envelopes) or rotation. The JavaScript
    /// class `KeyLifecycleError`.
    KeyLifecycle,
    /// A backup could not be made or restored. The JavaScript class `BackupError`.
    Backup,
}

impl Family {
    /// The name of the JavaScript class, set as the thrown error's `name`.
    #[must_use]
    pub fn class_name(self) -> &'static str {
        match self {
            Self::Argument => "InvalidArgumentError",
            Self::Seal => "SealError",
            Self::Open => "OpenError",
            Self::Keyring => "KeyringError",
            Self::KeyLifecycle => "KeyLifecycleError",
            Self::Backup => "BackupError",
        }
    }
}

/// An error on its way to JavaScript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The JavaScript class.
    pub family: Family,
    /// The stable code (spec/errors.md), set as the error's `code`.
    pub code: &'static str,
    /// The message, from the core error's `Display`.
    pub message: String,
}

impl Failure {
    /// A wrong argument the core never sees (a kind name, a number that is not an
    /// integer): code `invalid_argument`.
    #[must_use]
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self {
            family: Family::Argument,
            code: "invalid_argument",
            message: message.into(),
        }
    }

    fn from_core(family: Family, code: &'static str, error: &impl std::fmt::Display) -> Self {
        Self {
            family,
            code,
            message: error.to_string(),
        }
    }
}

macro_rules! family {
    ($($error:ty => $family:ident),* $(,)?) => {
        $(impl From<$error> for Failure {
            fn from(error: $error) -> Self {
                Self::from_core(Family::$family, error.code(), &error)
            }
        })*
    };
}

family! {
    IdentifierError => Argument,
    KeyVersionError => Argument,
    ContextError => Argument,
    KeyImportError => Argument,
    PaddingError => Argument,
    SealError => Seal,
    EnvelopeError => Open,
    OpenError => Open,
    KeyringError => Keyring,
    WireError => KeyLifecycle,
    BackupError => Backup,
}

/// A keyring refusal inside an exchange (a share under a version held with another key)
/// stays a keyring error; everything else is a key-lifecycle error.
impl From<ExchangeError> for Failure {
    fn from(error: ExchangeError) -> Self {
        if let ExchangeError::Keyring(inner) = error {
            return inner.into();
        }
        Self::from_core(Family::KeyLifecycle, error.code(), &error)
    }
}

/// Each wrapped error keeps its own family; the room's own refusals are key-lifecycle
/// errors.
impl From<RotationError> for Failure {
    fn from(error: RotationError) -> Self {
        match error {
            RotationError::Keyring(inner) => inner.into(),
            RotationError::Exchange(inner) => inner.into(),
            RotationError::Seal(inner) => inner.into(),
            other => Self::from_core(Family::KeyLifecycle, other.code(), &other),
        }
    }
}

impl From<Failure> for wasm_bindgen::JsValue {
    /// A plain `Error` with `name` and `code`; the package rethrows it as its subclass.
    fn from(failure: Failure) -> Self {
        let error = js_sys::Error::new(&failure.message);
        error.set_name(failure.family.class_name());
        // Setting a property on a fresh object cannot fail.
        let _ = js_sys::Reflect::set(&error, &"code".into(), &failure.code.into());
        error.into()
    }
}

#[cfg(test)]
mod tests {
    use domvia_e2ee::{
        BackupError, ContextError, DeviceRef, EnvelopeError, ExchangeError, ExportProblem,
        IdentifierError, KeyId, KeyImportError, KeyVersion, KeyVersionError, KeyringError, Kind,
        Malformed, OpenError, PaddingError, RotationError, RotationReason, SealError,
    };

    use super::{Failure, Family};

    fn check(failure: impl Into<Failure>, family: Family, code: &str) {
        let failure = failure.into();
        assert_eq!(
            (failure.family, failure.code),
            (family, code),
            "{failure:?}"
        );
        assert!(!failure.message.is_empty());
    }

    fn id() -> KeyId {
        "room-42".parse().unwrap_or_else(|_| unreachable!())
    }

    const V: KeyVersion = KeyVersion::FIRST;

    #[test]
    fn class_names_are_the_package_classes() {
        let names = [
            Family::Argument,
            Family::Seal,
            Family::Open,
            Family::Keyring,
            Family::KeyLifecycle,
            Family::Backup,
        ]
        .map(Family::class_name);
        assert_eq!(
            names,
            [
                "InvalidArgumentError",
                "SealError",
                "OpenError",
                "KeyringError",
                "KeyLifecycleError",
                "BackupError",
            ]
        );
        check(
            Failure::invalid_argument("x"),
            Family::Argument,
            "invalid_argument",
        );
    }

    #[test]
    fn every_input_error_is_an_argument_error() {
        use Family::Argument;
        let what = "room id";
        check(
            IdentifierError::Empty { what },
            Argument,
            "invalid_identifier",
        );
        let too_long = IdentifierError::TooLong { what, len: 256 };
        check(too_long.clone(), Argument, "invalid_identifier");
        let control = IdentifierError::ControlCharacter {
            what,
            code_point: 10,
            at: 0,
        };
        check(control, Argument, "invalid_identifier");
        let range = KeyVersionError::OutOfRange { value: 0 };
        check(range.clone(), Argument, "invalid_key_version");
        check(ContextError::from(too_long), Argument, "invalid_identifier");
        check(ContextError::from(range), Argument, "invalid_key_version");
        check(KeyImportError::NotBase64, Argument, "invalid_key");
        check(
            KeyImportError::WrongLength { len: 3 },
            Argument,
            "invalid_key",
        );
        check(KeyImportError::NotJwk, Argument, "invalid_jwk");
        let mismatch = KeyImportError::JwkMismatch {
            member: "kty",
            expected: "oct",
            found: "RSA".into(),
        };
        check(mismatch, Argument, "invalid_jwk");
        let multiple = PaddingError::MultipleOutOfRange { multiple: 0 };
        check(multiple, Argument, "invalid_padding");
        let unknown = PaddingError::Unknown { text: "x".into() };
        check(unknown, Argument, "invalid_padding");
    }

    #[test]
    fn every_seal_error_is_a_seal_error() {
        use Family::Seal;
        let source = serde_json::from_str::<u8>("x").unwrap_err();
        check(SealError::Payload { source }, Seal, "invalid_payload");
        let too_large = SealError::PayloadTooLarge { len: 2, max: 1 };
        check(too_large, Seal, "payload_too_large");
        check(SealError::UnknownKey { key_id: id() }, Seal, "unknown_key");
        check(SealError::Aead, Seal, "internal");
    }

    #[test]
    fn every_open_error_is_an_open_error() {
        use Family::Open;
        let malformed = [
            Malformed::NotJson,
            Malformed::NotObject,
            Malformed::MissingMember { member: "v" },
            Malformed::DuplicateMember { member: "v" },
            Malformed::UnknownMember { member: "x".into() },
            Malformed::WrongType { member: "kver" },
            Malformed::UnknownKind { kind: "sms".into() },
            Malformed::InvalidKeyId {
                source: IdentifierError::Empty { what: "key id" },
            },
            Malformed::NotBase64 { member: "ct" },
            Malformed::WrongLength {
                member: "nonce",
                len: 3,
                expected: "44",
            },
        ];
        for problem in malformed {
            let envelope = EnvelopeError::Malformed { problem };
            check(envelope.clone(), Open, "malformed");
            check(OpenError::from(envelope), Open, "malformed");
        }
        let version = EnvelopeError::UnsupportedVersion { version: 2 };
        check(version.clone(), Open, "unsupported_version");
        check(OpenError::from(version), Open, "unsupported_version");
        let suite = EnvelopeError::UnsupportedSuite { suite: "x".into() };
        check(suite.clone(), Open, "unsupported_suite");
        check(OpenError::from(suite), Open, "unsupported_suite");
        let mismatch = OpenError::KindMismatch {
            expected: Kind::Chat,
            found: Kind::Call,
        };
        check(mismatch, Open, "kind_mismatch");
        let unknown = OpenError::UnknownKey {
            key_id: Some(id()),
            key_version: V,
        };
        check(unknown, Open, "unknown_key");
        check(OpenError::Authentication, Open, "auth_failed");
        check(OpenError::InvalidPlaintext, Open, "invalid_plaintext");
        let payload = OpenError::InvalidPayload { line: 1, column: 1 };
        check(payload, Open, "invalid_payload");
        check(OpenError::Replayed, Open, "replayed");
    }

    #[test]
    fn every_keyring_error_is_a_keyring_error() {
        use Family::Keyring;
        check(
            KeyringError::KeyIdExists { key_id: id() },
            Keyring,
            "key_id_exists",
        );
        check(
            KeyringError::UnknownKeyId { key_id: id() },
            Keyring,
            "unknown_key",
        );
        let version = KeyringError::UnknownVersion {
            key_id: id(),
            key_version: V,
        };
        check(version, Keyring, "unknown_key");
        let conflict = KeyringError::VersionConflict {
            key_id: id(),
            key_version: V,
        };
        check(conflict, Keyring, "version_conflict");
        let current = KeyringError::RetireCurrent {
            key_id: id(),
            key_version: V,
        };
        check(current, Keyring, "retire_current");
        let exhausted = KeyringError::VersionsExhausted { key_id: id() };
        check(exhausted, Keyring, "versions_exhausted");
        let problems = [
            ExportProblem::NotAnExport,
            ExportProblem::UnsupportedFormat {
                format: "x".into(),
                version: 2,
            },
            ExportProblem::Duplicate { key_id: id() },
            ExportProblem::Inconsistent { key_id: id() },
            ExportProblem::Key {
                key_id: id(),
                key_version: V,
                source: KeyImportError::NotBase64,
            },
        ];
        for problem in problems {
            let export = KeyringError::InvalidExport { problem };
            check(export, Keyring, "invalid_export");
        }
    }

    fn device() -> DeviceRef {
        DeviceRef::parse("alice", "phone").unwrap_or_else(|_| unreachable!())
    }

    /// A core wire error, obtained the only way the core makes one: by parsing.
    fn wire_errors() -> Vec<domvia_e2ee::WireError> {
        let malformed = domvia_e2ee::DeviceSecret::from_json("{}").err();
        let version =
            domvia_e2ee::DeviceSecret::from_json(r#"{"format":"domvia-device-secret","v":2}"#)
                .err();
        let errors: Vec<_> = [malformed, version].into_iter().flatten().collect();
        assert_eq!(errors.len(), 2);
        errors
    }

    #[test]
    fn every_exchange_error_is_a_key_lifecycle_error() {
        use Family::KeyLifecycle;
        let wire = wire_errors();
        check(wire[0].clone(), KeyLifecycle, "malformed");
        check(wire[1].clone(), KeyLifecycle, "unsupported_version");
        check(
            ExchangeError::from(wire[0].clone()),
            KeyLifecycle,
            "malformed",
        );
        let d = device();
        let cases = [
            (
                ExchangeError::BadSignature { signer: d.clone() },
                "bad_signature",
            ),
            (
                ExchangeError::WrongRecipient { to: d.clone() },
                "wrong_recipient",
            ),
            (
                ExchangeError::UnknownDevice { device: d.clone() },
                "unknown_device",
            ),
            (
                ExchangeError::RevokedDevice { device: d.clone() },
                "revoked_device",
            ),
            (
                ExchangeError::DeviceConflict { device: d.clone() },
                "device_conflict",
            ),
            (ExchangeError::Authentication, "auth_failed"),
            (ExchangeError::Replayed, "replayed"),
            (
                ExchangeError::StaleKeyVersion {
                    key_id: id(),
                    key_version: V,
                    current: V,
                },
                "stale_key_version",
            ),
            (
                ExchangeError::OtherUser {
                    from: d.clone(),
                    to: d.clone(),
                },
                "other_user",
            ),
            (ExchangeError::UnknownRequest, "unknown_request"),
            (ExchangeError::Seal, "internal"),
        ];
        for (error, code) in cases {
            check(error, KeyLifecycle, code);
        }
        let conflict = KeyringError::VersionConflict {
            key_id: id(),
            key_version: V,
        };
        check(
            ExchangeError::from(conflict),
            Family::Keyring,
            "version_conflict",
        );
    }

    #[test]
    fn rotation_errors_keep_the_family_of_what_they_wrap() {
        let required = RotationError::RotationRequired {
            reason: RotationReason::MemberRemoved,
        };
        check(required, Family::KeyLifecycle, "rotation_required");
        let member = RotationError::NotAMember { device: device() };
        check(member, Family::KeyLifecycle, "not_a_member");
        let keyring = RotationError::from(KeyringError::UnknownKeyId { key_id: id() });
        check(keyring, Family::Keyring, "unknown_key");
        let exchange = RotationError::from(ExchangeError::Replayed);
        check(exchange, Family::KeyLifecycle, "replayed");
        let seal = RotationError::from(SealError::Aead);
        check(seal, Family::Seal, "internal");
    }

    #[test]
    fn every_backup_error_is_a_backup_error() {
        use Family::Backup;
        let cases = [
            (
                BackupError::Corrupted { problem: "cut" },
                "backup_corrupted",
            ),
            (
                BackupError::UnsupportedVersion {
                    found_format: "domvia-backup".into(),
                    found_version: 2,
                },
                "unsupported_version",
            ),
            (BackupError::WrongSecret, "wrong_secret"),
            (
                BackupError::WrongSecretKind {
                    needs: "passphrase",
                },
                "wrong_secret_kind",
            ),
            (BackupError::InvalidRecoveryKey, "invalid_recovery_key"),
            (BackupError::RecoveryKeyChecksum, "recovery_key_checksum"),
            (
                BackupError::WeakKdfParams { m: 1, t: 1, p: 1 },
                "weak_kdf_params",
            ),
        ];
        for (error, code) in cases {
            check(error, Backup, code);
        }
    }
}
