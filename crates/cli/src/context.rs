//! From context flags to the core's [`Context`] and [`KeyLabel`].
//!
//! clap makes sure the flags a kind needs are present; this module refuses the flags a
//! kind does not use (a `--message-id` on a call envelope would otherwise be silently
//! ignored, and the user would believe it was bound) and lets the core validate every
//! identifier.

use std::str::FromStr;

use domvia_e2ee::{
    CallContext, ChatContext, Context, IdentifierError, KeyId, KeyLabel, KeyVersion, Kind,
    RealtimeContext,
};

use crate::args::{ContextArgs, KindArg};
use crate::error::CliError;

impl From<KindArg> for Kind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Chat => Self::Chat,
            KindArg::Call => Self::Call,
            KindArg::Realtime => Self::Realtime,
        }
    }
}

/// A flag's name and value, for the checks below.
type Flag<'a> = (&'static str, Option<&'a str>);

impl ContextArgs {
    /// The context these flags describe.
    ///
    /// # Errors
    /// [`CliError::UnusedFlag`] for a flag the kind does not use, [`CliError::Identifier`]
    /// when an identifier breaks the rules.
    pub(crate) fn to_context(&self) -> Result<Context, CliError> {
        let room_id = ("room-id", self.room_id.as_deref());
        let message_id = ("message-id", self.message_id.as_deref());
        let call_id = ("call-id", self.call_id.as_deref());
        let scope = ("scope", self.scope.as_deref());
        let scope_id = ("scope-id", self.scope_id.as_deref());
        let event_name = ("event-name", self.event_name.as_deref());
        let kind = Kind::from(self.kind);
        Ok(match self.kind {
            KindArg::Chat => {
                refuse_unused(kind, &[call_id, scope, scope_id, event_name])?;
                Context::from(ChatContext {
                    room_id: parse(room_id)?,
                    message_id: parse(message_id)?,
                })
            }
            KindArg::Call => {
                refuse_unused(kind, &[room_id, message_id, scope, scope_id])?;
                Context::from(CallContext {
                    call_id: parse(call_id)?,
                    event_name: parse(event_name)?,
                })
            }
            KindArg::Realtime => {
                refuse_unused(kind, &[room_id, message_id, call_id])?;
                Context::from(RealtimeContext {
                    scope: parse(scope)?,
                    scope_id: parse(scope_id)?,
                    event_name: parse(event_name)?,
                })
            }
        })
    }
}

fn refuse_unused(kind: Kind, flags: &[Flag<'_>]) -> Result<(), CliError> {
    match flags.iter().find(|(_, value)| value.is_some()) {
        Some((flag, _)) => Err(CliError::UnusedFlag { flag, kind }),
        None => Ok(()),
    }
}

/// Parses one identifier flag. A missing value is reported as empty: clap's
/// `required_if_eq` has already refused it, so this only keeps the function total.
fn parse<T: FromStr<Err = IdentifierError>>((flag, value): Flag<'_>) -> Result<T, CliError> {
    value
        .unwrap_or_default()
        .parse()
        .map_err(|source| CliError::Identifier { flag, source })
}

/// Parses a key version flag.
///
/// # Errors
/// [`CliError::KeyVersion`] unless `1 <= value <= 4294967295`.
pub(crate) fn key_version(flag: &'static str, value: u64) -> Result<KeyVersion, CliError> {
    KeyVersion::new(value).map_err(|source| CliError::KeyVersion { flag, source })
}

/// The label `encrypt` seals under.
///
/// # Errors
/// [`CliError::Identifier`] for a bad `--key-id`, [`CliError::KeyVersion`] for a bad
/// `--key-version`.
pub(crate) fn key_label(key_id: Option<&str>, version: u64) -> Result<KeyLabel, CliError> {
    let key_version = key_version("key-version", version)?;
    Ok(match key_id {
        Some(id) => KeyLabel::new(parse::<KeyId>(("key-id", Some(id)))?, key_version),
        None => KeyLabel::version_only(key_version),
    })
}
