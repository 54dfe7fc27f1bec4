//! Everything that can go wrong in a `domvia` command, its stable code and its exit status.
//!
//! Core errors are carried whole, so their `Display` and `code()` reach the user unchanged.
//! None of the variants holds key material or plaintext: the key importer reports only
//! *why* a key was refused, and the opener's authentication error is opaque on purpose.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use domvia_server::config::ConfigError;
use domvia_server::tls::TlsError;

use domvia_e2ee::{
    BackupError, EnvelopeError, ExchangeError, IdentifierError, KeyImportError, KeyVersion,
    KeyVersionError, KeyringError, Kind, OpenError, PaddingError, SealError, WireError,
};

/// Where bytes were read from or written to, for messages.
#[derive(Debug, Clone)]
pub(crate) enum Place {
    /// Standard input.
    Stdin,
    /// Standard output.
    Stdout,
    /// An environment variable.
    Env {
        /// Its name.
        var: String,
    },
    /// A file, and what it was meant to hold ("input", "key file", ...).
    File {
        /// What the file is for.
        role: &'static str,
        /// The path as given.
        path: PathBuf,
    },
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Stdin => f.write_str("standard input"),
            Self::Stdout => f.write_str("standard output"),
            Self::Env { var } => write!(f, "environment variable {var}"),
            Self::File { role, path } => write!(f, "{role} {}", path.display()),
        }
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Reading or writing failed.
    #[error("cannot access {place}: {source}")]
    Io {
        /// What was being read or written.
        place: Place,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The input is larger than the command accepts.
    #[error("{place} is larger than {limit} bytes")]
    TooLarge {
        /// What was being read.
        place: Place,
        /// The limit.
        limit: usize,
    },
    /// `keygen --out` would overwrite a file.
    #[error("{} already exists; refusing to overwrite a key file", path.display())]
    Exists {
        /// The path.
        path: PathBuf,
    },
    /// The environment variable named by `--key-env` is unset or not text.
    #[error("environment variable {var} is not set or is not valid Unicode")]
    KeyEnv {
        /// The variable's name.
        var: String,
    },
    /// The key file or variable is not UTF-8 text.
    #[error("{place} is not UTF-8 text")]
    KeyNotText {
        /// Where the key came from.
        place: Place,
    },
    /// The key was refused by the importer (the key itself is never shown).
    #[error("cannot use the key from {place}: {source}")]
    Key {
        /// Where the key came from.
        place: Place,
        /// Why it was refused.
        source: KeyImportError,
    },
    /// The keyring file was refused.
    #[error("cannot use the keyring from {place}: {source}")]
    Keyring {
        /// Where the keyring came from.
        place: Place,
        /// Why it was refused.
        source: KeyringError,
    },
    /// A context flag broke the identifier rules.
    #[error("--{flag}: {source}")]
    Identifier {
        /// The flag, without dashes.
        flag: &'static str,
        /// Which rule.
        source: IdentifierError,
    },
    /// A key version flag is out of range.
    #[error("--{flag}: {source}")]
    KeyVersion {
        /// The flag, without dashes.
        flag: &'static str,
        /// Why.
        source: KeyVersionError,
    },
    /// A flag that the chosen `--kind` does not use.
    #[error("--{flag} does not apply to --kind {kind}")]
    UnusedFlag {
        /// The flag, without dashes.
        flag: &'static str,
        /// The kind chosen.
        kind: Kind,
    },
    /// `--padding` is not a padding policy.
    #[error("--padding: {0}")]
    Padding(#[from] PaddingError),
    /// The payload to encrypt is not JSON.
    #[error("the payload in {place} is not JSON (line {line}, column {column})")]
    PayloadNotJson {
        /// Where the payload came from.
        place: Place,
        /// Line of the first problem.
        line: usize,
        /// Column of the first problem.
        column: usize,
    },
    /// The input is not a version-1 envelope.
    #[error("{place}: {source}")]
    Envelope {
        /// Where the envelope came from.
        place: Place,
        /// Why it was refused.
        source: EnvelopeError,
    },
    /// The envelope names another key version than `--expect-key-version`.
    #[error("the envelope is sealed under key version {found}; expected version {expected}")]
    KeyVersionMismatch {
        /// The version asked for.
        expected: KeyVersion,
        /// The version the envelope names.
        found: KeyVersion,
    },
    /// Sealing failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Opening failed.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// `serve`: the gateway's configuration was refused (the message names the field).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `serve --config` while the single-app environment variables are set: which one
    /// should win is ambiguous, so neither does.
    #[error(
        "{var} is set, but the DOMVIA_APP_* variables apply only without --config; unset \
         them or declare the app in {}",
        path.display()
    )]
    EnvWithConfig {
        /// The first variable found set.
        var: &'static str,
        /// The config file.
        path: PathBuf,
    },
    /// `serve`: the TLS certificate or key cannot be used (the message names the file).
    #[error(transparent)]
    Tls(io::Error),
    /// `serve`: the address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The operating system's reason.
        source: io::Error,
    },
    /// `serve`: the async runtime or the signal handlers could not be set up.
    #[error("cannot start the gateway: {source}")]
    Runtime {
        /// The operating system's reason.
        source: io::Error,
    },
    /// A device, share or bundle was refused.
    #[error("{place}: {source}")]
    Exchange {
        /// Where it came from.
        place: Place,
        /// Why.
        source: ExchangeError,
    },
    /// A device-secret file was refused (its content is never shown).
    #[error("{place}: {source}")]
    DeviceSecret {
        /// Where it came from.
        place: Place,
        /// Why.
        source: WireError,
    },
    /// A backup could not be made or restored.
    #[error("{0}")]
    Backup(#[from] BackupError),
    /// `keyrequest answer --safety-number` does not match the two devices' number.
    #[error(
        "the safety number typed does not match this device and the requesting device; \
         compare the number on both screens again (nothing was sent)"
    )]
    SafetyNumberMismatch,
    /// `decrypt --sender` was given an envelope that is not signed.
    #[error("{place}: not a signed envelope, but --sender requires one")]
    SignatureRequired {
        /// Where the envelope came from.
        place: Place,
    },
    /// `decrypt` without `--sender` was given a signed envelope.
    #[error(
        "{place}: a signed envelope; pass --sender with the bundle of each known sender to verify it"
    )]
    SenderRequired {
        /// Where the envelope came from.
        place: Place,
    },
    /// `demo` opened an envelope in a context it was not sealed for: the core is broken.
    #[error("the demo's replayed envelope opened in another room; context binding is broken")]
    DemoReplayOpened,
}

impl CliError {
    /// A stable, machine-readable code; the core's code when the core refused.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Io { source, .. } => match source.kind() {
                io::ErrorKind::NotFound => "not_found",
                io::ErrorKind::PermissionDenied => "permission_denied",
                _ => "io",
            },
            Self::TooLarge { .. } => "input_too_large",
            Self::Exists { .. } => "file_exists",
            Self::KeyEnv { .. } => "key_unavailable",
            Self::KeyNotText { .. } => "invalid_key",
            Self::Key { source, .. } => source.code(),
            Self::Keyring { source, .. } => source.code(),
            Self::Identifier { source, .. } => source.code(),
            Self::KeyVersion { source, .. } => source.code(),
            Self::UnusedFlag { .. } => "usage",
            Self::Padding(e) => e.code(),
            Self::PayloadNotJson { .. } => "invalid_payload",
            Self::Envelope { source, .. } => source.code(),
            Self::KeyVersionMismatch { .. } => "key_version_mismatch",
            Self::Seal(e) => e.code(),
            Self::Open(e) => e.code(),
            Self::Config(e) => e.code(),
            Self::EnvWithConfig { .. } => "config_env_conflict",
            Self::Tls(e) => e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<TlsError>())
                .map_or("tls", TlsError::code),
            Self::Listen { .. } => "listen_failed",
            Self::Runtime { .. } => "internal",
            Self::DemoReplayOpened => "internal",
            Self::SafetyNumberMismatch => "safety_number_mismatch",
            Self::SignatureRequired { .. } => "signature_required",
            Self::SenderRequired { .. } => "sender_required",
            Self::Exchange { source, .. } => source.code(),
            Self::DeviceSecret { source, .. } => source.code(),
            Self::Backup(e) => e.code(),
        }
    }

    /// The process exit status: 2 when the command line or the configuration it names is
    /// wrong (as clap does), 1 when the operation failed.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::UnusedFlag { .. }
            | Self::Config(_)
            | Self::EnvWithConfig { .. }
            | Self::Tls(_) => 2,
            Self::Io { .. }
            | Self::TooLarge { .. }
            | Self::Exists { .. }
            | Self::KeyEnv { .. }
            | Self::KeyNotText { .. }
            | Self::Key { .. }
            | Self::Keyring { .. }
            | Self::Identifier { .. }
            | Self::KeyVersion { .. }
            | Self::Padding(_)
            | Self::PayloadNotJson { .. }
            | Self::Envelope { .. }
            | Self::KeyVersionMismatch { .. }
            | Self::Seal(_)
            | Self::Open(_)
            | Self::Listen { .. }
            | Self::Runtime { .. }
            | Self::DemoReplayOpened
            | Self::SafetyNumberMismatch
            | Self::SignatureRequired { .. }
            | Self::SenderRequired { .. }
            | Self::Exchange { .. }
            | Self::DeviceSecret { .. }
            | Self::Backup(_) => 1,
        }
    }
}
