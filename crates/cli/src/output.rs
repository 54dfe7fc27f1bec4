//! Writing results to standard output and errors to standard error.
//!
//! Everything goes through a locked handle with explicit error handling, so a closed pipe
//! becomes an ordinary error rather than a panic from `println!`.

use std::io::{self, Write};

use crate::error::{CliError, Place};

fn stdout_error(source: io::Error) -> CliError {
    CliError::Io {
        place: Place::Stdout,
        source,
    }
}

/// Writes `text` and a newline to standard output.
///
/// # Errors
/// [`CliError::Io`] when standard output cannot be written.
pub(crate) fn line(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

/// Writes JSON text and a newline to standard output, without another copy (the text may
/// be a decrypted payload).
///
/// # Errors
/// [`CliError::Io`] when standard output cannot be written.
pub(crate) fn json_line(value: &serde_json::value::RawValue) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    out.write_all(value.get().as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

/// Writes a one-line note for the human at the terminal to standard error. Failure to
/// write a note is not worth failing the command for.
pub(crate) fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "note: {text}");
}

/// Reports `error` on standard error as `domvia: <message> (<code>)`.
pub(crate) fn report(error: &CliError) {
    let _ = writeln!(io::stderr().lock(), "domvia: {error} ({})", error.code());
}
