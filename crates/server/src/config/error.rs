//! Why a configuration was refused.

use std::io;
use std::path::PathBuf;

/// Why a configuration was refused. Every variant that concerns one value names it by its
/// path in the file (`apps[1].limits.max_payload_bytes`) or by its environment variable.
/// No variant ever holds a secret: values are quoted only when they are public (webhook
/// event names).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The text is not TOML. The message is the parser's, without the offending line
    /// (which could hold a secret).
    #[error("the config is not valid TOML at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// A key this version does not know (often a typo).
    #[error("{field}: unknown key (expected one of: {})", expected.join(", "))]
    UnknownKey {
        /// The key's path.
        field: String,
        /// The keys allowed in that table.
        expected: Vec<&'static str>,
    },
    /// A value of the wrong TOML type.
    #[error("{field}: must be {expected}")]
    WrongType {
        /// The value's path.
        field: String,
        /// What it must be ("an integer", "a string", ...).
        expected: &'static str,
    },
    /// A required value is absent.
    #[error("{field}: is required")]
    Missing {
        /// The value's path.
        field: String,
    },
    /// A number outside its allowed range.
    #[error("{field}: must be between {min} and {max}")]
    OutOfRange {
        /// The value's path.
        field: String,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed.
        max: u64,
    },
    /// A string that breaks its field's rule (app id, key, secret, host, origin, URL).
    #[error("{field}: {rule}")]
    Invalid {
        /// The value's path, or the environment variable.
        field: String,
        /// The rule broken, for example "must not contain ':'".
        rule: &'static str,
    },
    /// A webhook event name that is not one of the five Pusher events.
    #[error(
        "{field}: unknown webhook event {event:?} (expected one of: {})",
        crate::config::WEBHOOK_EVENTS.join(", ")
    )]
    UnknownWebhookEvent {
        /// The value's path.
        field: String,
        /// The name given.
        event: String,
    },
    /// Two apps share an id or a key.
    #[error("{field}: same as {first}; each app needs its own")]
    Duplicate {
        /// The later app's value (`apps[2].key`).
        field: String,
        /// The earlier app's value (`apps[0].key`).
        first: String,
    },
    /// The file declares no `[[apps]]`.
    #[error("apps: at least one [[apps]] table is required")]
    NoApps,
    /// Some but not all of the single-app environment variables are set.
    #[error(
        "{missing} is not set; DOMVIA_APP_ID, DOMVIA_APP_KEY and DOMVIA_APP_SECRET \
         must be set together (or none of them)"
    )]
    EnvIncomplete {
        /// The first variable missing.
        missing: &'static str,
    },
}

impl ConfigError {
    /// A stable, machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Read { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                "config_not_found"
            }
            Self::Read { .. } => "config_read",
            Self::Syntax { .. } => "config_syntax",
            Self::UnknownKey { .. } => "config_unknown_key",
            Self::WrongType { .. } => "config_wrong_type",
            Self::Missing { .. } => "config_missing",
            Self::OutOfRange { .. } => "config_out_of_range",
            Self::Invalid { .. } => "config_invalid",
            Self::UnknownWebhookEvent { .. } => "config_unknown_webhook_event",
            Self::Duplicate { .. } => "config_duplicate",
            Self::NoApps => "config_no_apps",
            Self::EnvIncomplete { .. } => "config_env_incomplete",
        }
    }

    /// The path of the value concerned (`apps[0].key`, `DOMVIA_APP_SECRET`), when there is
    /// one.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::UnknownKey { field, .. }
            | Self::WrongType { field, .. }
            | Self::Missing { field }
            | Self::OutOfRange { field, .. }
            | Self::Invalid { field, .. }
            | Self::UnknownWebhookEvent { field, .. }
            | Self::Duplicate { field, .. } => Some(field),
            Self::EnvIncomplete { missing } => Some(missing),
            Self::Read { .. } | Self::Syntax { .. } | Self::NoApps => None,
        }
    }
}
