//! The `device`, `keyshare` and `backup` subcommands (spec/key-lifecycle.md).
//!
//! Secrets (device secrets, keys, recovery keys, keyrings) are only ever written to new
//! files of mode 0600 and read from files or environment variables, never from the
//! command line and never printed.

use std::path::Path;

use domvia_e2ee::{
    Argon2Params, Backup, DeviceBundle, DeviceDirectory, DeviceSecret, ExchangeError, KeyShare,
    KeyVersion, Keyring, KeyringExport, RecoveryKey, Revocation, ShareInbox, safety_number,
};
use serde_json::json;
use zeroize::Zeroizing;

use crate::args::{BackupCommand, BackupSecretArgs, DeviceCommand, KeyshareCommand};
use crate::context::key_version;
use crate::error::{CliError, Place};
use crate::input::{MAX_KEY_FILE_LEN, file_place, read_file, read_input};
use crate::keys::{KeySource, load_key, load_keyring, write_new_key_file};
use crate::output;

pub(crate) fn text_file(
    role: &'static str,
    path: &Path,
) -> Result<(Zeroizing<String>, Place), CliError> {
    let place = file_place(role, path);
    let bytes = read_file(path, &place, MAX_KEY_FILE_LEN)?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| CliError::KeyNotText {
        place: place.clone(),
    })?;
    Ok((Zeroizing::new(text), place))
}

pub(crate) fn load_secret(path: &Path) -> Result<DeviceSecret, CliError> {
    let (text, place) = text_file("device-secret file", path)?;
    DeviceSecret::from_json(text.trim()).map_err(|source| CliError::DeviceSecret { place, source })
}

pub(crate) fn load_bundle(path: &Path) -> Result<DeviceBundle, CliError> {
    let (text, place) = text_file("bundle file", path)?;
    DeviceBundle::from_json(text.trim()).map_err(|source| CliError::Exchange { place, source })
}

fn identifier<T: std::str::FromStr<Err = domvia_e2ee::IdentifierError>>(
    flag: &'static str,
    value: &str,
) -> Result<T, CliError> {
    value
        .parse()
        .map_err(|source| CliError::Identifier { flag, source })
}

/// `domvia device ...`
///
/// # Errors
/// Flag, file and parse errors.
pub(crate) fn device(cmd: &DeviceCommand) -> Result<(), CliError> {
    match cmd {
        DeviceCommand::New { user, device, out } => {
            let secret =
                DeviceSecret::generate(identifier("user", user)?, identifier("device", device)?);
            write_new_key_file(out, &secret.to_json())?;
            output::note(&format!(
                "wrote the device secret to {} (mode 0600); fingerprint {}",
                out.display(),
                secret.bundle().fingerprint()
            ));
            output::line(&secret.bundle().to_json())
        }
        DeviceCommand::Show { secret } => {
            let secret = load_secret(secret)?;
            let shown = json!({
                "bundle": secret.bundle().to_value(),
                "fingerprint": secret.bundle().fingerprint().to_string(),
            });
            output::line(&shown.to_string())
        }
        DeviceCommand::SafetyNumber { a, b } => {
            let (a, b) = (load_bundle(a)?, load_bundle(b)?);
            output::line(&safety_number(&a, &b).to_string())
        }
        DeviceCommand::Revoke { secret, bundle, at } => {
            let me = load_secret(secret)?;
            let revoked = load_bundle(bundle)?;
            let at = at.unwrap_or_else(unix_now);
            let revocation =
                Revocation::sign(&me, &revoked, at).map_err(|source| CliError::Exchange {
                    place: file_place("bundle file", bundle),
                    source,
                })?;
            output::note(&format!(
                "revoked {} as {}: send it on the user's key channel and every room the device was in, then rotate those rooms",
                revoked.id(),
                me.id()
            ));
            output::line(&revocation.to_json())
        }
        DeviceCommand::CheckRevocation { known, input } => {
            let mut directory = known_devices(known)?;
            let (revocation, place) = read_message(input.as_deref(), Revocation::from_json)?;
            let revoked = directory
                .apply_revocation(&revocation)
                .map_err(|source| CliError::Exchange { place, source })?;
            let shown = json!({
                "revoked": {"user": revoked.user.as_str(), "device": revoked.device.as_str()},
                "by_device": revocation.signer().device.as_str(),
                "revoked_at": revocation.revoked_at(),
            });
            output::line(&shown.to_string())
        }
    }
}

/// Reads a key message (a share, a revocation, a key request or response) from `path`
/// or standard input and parses it with `parse`; errors name where it came from. Input
/// that is not UTF-8 reaches the parser as empty text, which it refuses (`malformed`).
///
/// # Errors
/// Input errors, or [`CliError::Exchange`] with the parser's error.
pub(crate) fn read_message<T>(
    path: Option<&Path>,
    parse: impl FnOnce(&str) -> Result<T, ExchangeError>,
) -> Result<(T, Place), CliError> {
    let data = read_input(path)?;
    let text = std::str::from_utf8(&data.bytes).unwrap_or("");
    match parse(text.trim()) {
        Ok(message) => Ok((message, data.place)),
        Err(source) => Err(CliError::Exchange {
            place: data.place,
            source,
        }),
    }
}

/// A directory of the devices in these bundle files.
///
/// # Errors
/// File and bundle errors, or two different bundles for one device.
pub(crate) fn known_devices(paths: &[std::path::PathBuf]) -> Result<DeviceDirectory, CliError> {
    let mut directory = DeviceDirectory::new();
    for path in paths {
        directory
            .add(load_bundle(path)?)
            .map_err(|source| CliError::Exchange {
                place: file_place("bundle file", path),
                source,
            })?;
    }
    Ok(directory)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `domvia keyshare ...`
///
/// # Errors
/// Flag, file, parse and verification errors.
pub(crate) fn keyshare(cmd: &KeyshareCommand) -> Result<(), CliError> {
    match cmd {
        KeyshareCommand::Seal {
            secret,
            to,
            room,
            key_id,
            key_version: version,
            key_file,
        } => {
            let room = identifier("room", room)?;
            let key_id = identifier("key-id", key_id)?;
            let version: KeyVersion = key_version("key-version", *version)?;
            let me = load_secret(secret)?;
            let recipient = load_bundle(to)?;
            let key = load_key(&KeySource::File(key_file))?;
            let share = KeyShare::seal(&me, &recipient, &room, &key_id, version, &key).map_err(
                |source| CliError::Exchange {
                    place: file_place("bundle file", to),
                    source,
                },
            )?;
            output::line(&share.to_json())
        }
        KeyshareCommand::Open {
            secret,
            from,
            out,
            input,
        } => {
            let me = load_secret(secret)?;
            let mut directory = DeviceDirectory::new();
            directory
                .add(load_bundle(from)?)
                .map_err(|source| CliError::Exchange {
                    place: file_place("bundle file", from),
                    source,
                })?;
            let (share, place) = read_message(input.as_deref(), KeyShare::from_json)?;
            let mut ring = Keyring::new();
            let accepted = ShareInbox::new()
                .accept(&share, &me, &directory, &mut ring)
                .map_err(|source| CliError::Exchange { place, source })?;
            let key = ring
                .key(&accepted.key_id, accepted.key_version)
                .map(|k| k.export_raw())
                .unwrap_or_default();
            write_new_key_file(out, &key)?;
            output::note(&format!(
                "verified a share from {} for room {}; wrote key id {} version {} to {} (mode 0600)",
                accepted.from,
                accepted.room,
                accepted.key_id,
                accepted.key_version,
                out.display()
            ));
            Ok(())
        }
    }
}

fn passphrase(var: &str) -> Result<Zeroizing<String>, CliError> {
    std::env::var(var)
        .map(Zeroizing::new)
        .map_err(|_| CliError::KeyEnv {
            var: var.to_owned(),
        })
}

/// `domvia backup ...`
///
/// # Errors
/// File, parse and backup errors; a wrong secret, a damaged blob and an unknown version
/// have distinct codes.
pub(crate) fn backup(cmd: &BackupCommand) -> Result<(), CliError> {
    match cmd {
        BackupCommand::Create {
            keyring_file,
            out,
            secret,
        } => {
            let ring = load_keyring(keyring_file)?;
            let blob = match secret_source(secret) {
                Secret::RecoveryKey(path) => {
                    let recovery = RecoveryKey::generate();
                    write_new_key_file(path, &recovery.to_display())?;
                    output::note(&format!(
                        "wrote a new recovery key to {} (mode 0600): keep it offline",
                        path.display()
                    ));
                    Backup::seal_with_recovery_key(&ring, &recovery)?
                }
                Secret::Passphrase(var) => {
                    Backup::seal_with_passphrase(&ring, &passphrase(var)?, Argon2Params::DEFAULT)?
                }
            };
            write_new_key_file(out, &blob.to_json())?;
            output::note(&format!(
                "wrote a backup of {} keys to {}",
                blob.key_count(),
                out.display()
            ));
            Ok(())
        }
        BackupCommand::Restore { input, out, secret } => {
            let (text, _) = text_file("backup file", input)?;
            let blob = Backup::from_json(text.trim())?;
            let ring = match secret_source(secret) {
                Secret::RecoveryKey(path) => {
                    let (key, _) = text_file("recovery key file", path)?;
                    blob.open_with_recovery_key(&RecoveryKey::parse(&key)?)?
                }
                Secret::Passphrase(var) => blob.open_with_passphrase(&passphrase(var)?)?,
            };
            let export: KeyringExport = ring.export();
            write_new_key_file(out, &export.to_json())?;
            output::note(&format!(
                "restored {} keys to {} (mode 0600)",
                export.key_count(),
                out.display()
            ));
            Ok(())
        }
    }
}

enum Secret<'a> {
    RecoveryKey(&'a Path),
    Passphrase(&'a str),
}

fn secret_source(args: &BackupSecretArgs) -> Secret<'_> {
    match (&args.recovery_key_file, &args.passphrase_env) {
        (Some(path), _) => Secret::RecoveryKey(path),
        (None, Some(var)) => Secret::Passphrase(var),
        // clap's group requires one of the two.
        (None, None) => Secret::Passphrase(""),
    }
}
