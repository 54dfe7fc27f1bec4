//! Loading keys and keyrings, and writing new key files.
//!
//! A key comes from a file or an environment variable, never from the command line,
//! where any user could read it with `ps`. Its text is held in wiped buffers, and no error
//! ever contains it: the core's import errors say why a key was refused, not what it was.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use domvia_e2ee::{AesGcmKey, Envelope, Keyring, KeyringExport};
use zeroize::Zeroizing;

use crate::args::{DecryptKeyArgs, KeySourceArgs};
use crate::error::{CliError, Place};
use crate::input::{MAX_KEY_FILE_LEN, file_place, read_file};

/// Where a single key comes from.
pub(crate) enum KeySource<'a> {
    /// A file holding raw base64url or a JWK.
    File(&'a Path),
    /// An environment variable holding raw base64url or a JWK.
    Env(&'a str),
}

impl KeySourceArgs {
    /// The one source clap let through. clap's argument group requires exactly one, so
    /// the fallback to an empty variable name (reported as unset) is never reached.
    pub(crate) fn source(&self) -> KeySource<'_> {
        match (&self.key_file, &self.key_env) {
            (Some(path), _) => KeySource::File(path),
            (None, Some(var)) => KeySource::Env(var),
            (None, None) => KeySource::Env(""),
        }
    }
}

/// What opens envelopes: one key, or a keyring that picks the version an envelope names.
pub(crate) enum Opener {
    /// One key, chosen by the user.
    Key(Box<AesGcmKey>),
    /// Every version of every key id in a keyring export.
    Keyring(Keyring),
}

impl DecryptKeyArgs {
    /// Loads the key or keyring these flags name.
    ///
    /// # Errors
    /// As [`load_key`] and [`load_keyring`].
    pub(crate) fn load(&self) -> Result<Opener, CliError> {
        match (&self.keyring_file, &self.key_file, &self.key_env) {
            (Some(path), _, _) => load_keyring(path).map(Opener::Keyring),
            (None, Some(path), _) => {
                load_key(&KeySource::File(path)).map(|k| Opener::Key(Box::new(k)))
            }
            (None, None, Some(var)) => {
                load_key(&KeySource::Env(var)).map(|k| Opener::Key(Box::new(k)))
            }
            (None, None, None) => load_key(&KeySource::Env("")).map(|k| Opener::Key(Box::new(k))),
        }
    }
}

impl Opener {
    /// Opens `envelope` for `context` and returns its JSON payload, exactly as sealed.
    ///
    /// # Errors
    /// The core's [`domvia_e2ee::OpenError`].
    pub(crate) fn open(
        &self,
        envelope: &Envelope,
        context: &domvia_e2ee::Context,
    ) -> Result<Box<serde_json::value::RawValue>, CliError> {
        Ok(match self {
            Self::Key(key) => domvia_e2ee::open_json(envelope, key, context)?,
            Self::Keyring(ring) => ring.open_json(envelope, context)?,
        })
    }
}

/// Loads one key, auto-detecting its form: a JWK when the text starts with `{`,
/// otherwise raw base64url. Surrounding whitespace (a trailing newline) is ignored.
///
/// # Errors
/// [`CliError::Io`] or [`CliError::TooLarge`] for the file, [`CliError::KeyEnv`] for an
/// unset variable, [`CliError::KeyNotText`] or [`CliError::Key`] for its content.
pub(crate) fn load_key(source: &KeySource<'_>) -> Result<AesGcmKey, CliError> {
    match source {
        KeySource::File(path) => {
            let place = file_place("key file", path);
            let bytes = read_file(path, &place, MAX_KEY_FILE_LEN)?;
            let text = std::str::from_utf8(&bytes).map_err(|_| CliError::KeyNotText {
                place: place.clone(),
            })?;
            import(text, place)
        }
        KeySource::Env(var) => {
            let place = Place::Env {
                var: (*var).to_owned(),
            };
            let text = std::env::var(var)
                .map(Zeroizing::new)
                .map_err(|_| CliError::KeyEnv {
                    var: (*var).to_owned(),
                })?;
            import(&text, place)
        }
    }
}

fn import(text: &str, place: Place) -> Result<AesGcmKey, CliError> {
    let text = text.trim();
    let imported = if text.starts_with('{') {
        AesGcmKey::import_jwk(text)
    } else {
        AesGcmKey::import_raw(text)
    };
    imported.map_err(|source| CliError::Key { place, source })
}

/// Loads a keyring export file (`{"format":"domvia-keyring","v":1,...}`).
///
/// # Errors
/// [`CliError::Io`], [`CliError::TooLarge`], [`CliError::KeyNotText`], or
/// [`CliError::Keyring`] when the export is refused.
pub(crate) fn load_keyring(path: &Path) -> Result<Keyring, CliError> {
    let place = file_place("keyring file", path);
    let bytes = read_file(path, &place, MAX_KEY_FILE_LEN)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| CliError::KeyNotText {
        place: place.clone(),
    })?;
    KeyringExport::from_json(text)
        .and_then(|export| Keyring::import(&export))
        .map_err(|source| CliError::Keyring { place, source })
}

/// Writes `secret` and a newline to a new file readable only by its owner. An existing
/// file is refused, never truncated; a file left half-written is removed.
///
/// # Errors
/// [`CliError::Exists`] or [`CliError::Io`].
pub(crate) fn write_new_key_file(path: &Path, secret: &str) -> Result<(), CliError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => CliError::Exists {
            path: path.to_path_buf(),
        },
        _ => CliError::Io {
            place: file_place("key file", path),
            source,
        },
    })?;
    let written = file
        .write_all(secret.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all());
    if let Err(source) = written {
        drop(file);
        // Best effort: the write error is the one worth reporting.
        let _ = std::fs::remove_file(path);
        return Err(CliError::Io {
            place: file_place("key file", path),
            source,
        });
    }
    Ok(())
}
