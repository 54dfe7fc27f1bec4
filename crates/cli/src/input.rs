//! Reading input with a size cap, into buffers that are wiped when dropped.
//!
//! Inputs are payloads (plaintext), envelopes and key files, so every buffer is a
//! `Zeroizing<Vec<u8>>` and grows by copying into a fresh buffer and wiping the old one,
//! never by `Vec`'s own reallocation, which would leave an unwiped copy behind.

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{CliError, Place};

/// The most a payload or envelope may be: comfortably above the 16 MiB payload limit and
/// its base64url expansion, far below what would strain memory.
pub(crate) const MAX_INPUT_LEN: usize = 64 * 1024 * 1024;
/// The most a key or keyring file may be: a keyring of thousands of versions fits.
pub(crate) const MAX_KEY_FILE_LEN: usize = 1024 * 1024;

/// The first read buffer; doubled as needed.
const INITIAL_LEN: usize = 8 * 1024;

/// Bytes read from somewhere, with where they came from.
pub(crate) struct Input {
    /// The bytes, wiped on drop.
    pub(crate) bytes: Zeroizing<Vec<u8>>,
    /// Where they came from.
    pub(crate) place: Place,
}

/// Reads the positional `INPUT`: standard input when absent or `-`, otherwise the file.
///
/// # Errors
/// [`CliError::Io`] naming the path, or [`CliError::TooLarge`].
pub(crate) fn read_input(path: Option<&Path>) -> Result<Input, CliError> {
    match path {
        None => read_stdin(),
        Some(p) if p.as_os_str() == "-" => read_stdin(),
        Some(p) => {
            let place = Place::File {
                role: "input file",
                path: p.to_path_buf(),
            };
            let bytes = read_file(p, &place, MAX_INPUT_LEN)?;
            Ok(Input { bytes, place })
        }
    }
}

fn read_stdin() -> Result<Input, CliError> {
    let place = Place::Stdin;
    if io::stdin().is_terminal() {
        // Otherwise a newcomer who forgot INPUT sees a command that seems to hang.
        crate::output::note("reading from standard input; end it with Ctrl-D");
    }
    let bytes = read_capped(&mut io::stdin().lock(), MAX_INPUT_LEN, INITIAL_LEN)
        .map_err(|e| e.at(&place))?;
    Ok(Input { bytes, place })
}

/// Reads a whole file of at most `limit` bytes.
///
/// # Errors
/// [`CliError::Io`] (including a missing file) or [`CliError::TooLarge`].
pub(crate) fn read_file(
    path: &Path,
    place: &Place,
    limit: usize,
) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let io_err = |source| CliError::Io {
        place: place.clone(),
        source,
    };
    let mut file = File::open(path).map_err(io_err)?;
    // A size hint only: the file may change while it is read, and pipes report 0.
    let hint = file
        .metadata()
        .ok()
        .and_then(|m| usize::try_from(m.len()).ok())
        .filter(|len| *len > 0)
        .map_or(INITIAL_LEN, |len| {
            len.saturating_add(1).min(limit.saturating_add(1))
        });
    read_capped(&mut file, limit, hint).map_err(|e| e.at(place))
}

/// A read failure before we know how to name the source.
pub(crate) enum ReadError {
    Io(io::Error),
    TooLarge(usize),
}

impl ReadError {
    fn at(self, place: &Place) -> CliError {
        match self {
            Self::Io(source) => CliError::Io {
                place: place.clone(),
                source,
            },
            Self::TooLarge(limit) => CliError::TooLarge {
                place: place.clone(),
                limit,
            },
        }
    }
}

/// Reads everything from `reader`, refusing more than `limit` bytes.
fn read_capped(
    reader: &mut impl Read,
    limit: usize,
    initial: usize,
) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    // One byte beyond the limit tells "exactly the limit" from "too much".
    let ceiling = limit.saturating_add(1);
    let mut buf = Zeroizing::new(vec![0u8; initial.clamp(1, ceiling)]);
    let mut filled = 0usize;
    loop {
        if filled == buf.len() {
            if buf.len() >= ceiling {
                return Err(ReadError::TooLarge(limit));
            }
            let grown_len = buf.len().saturating_mul(2).min(ceiling);
            let mut grown = Zeroizing::new(vec![0u8; grown_len]);
            if let (Some(dst), Some(src)) = (grown.get_mut(..filled), buf.get(..filled)) {
                dst.copy_from_slice(src);
            }
            // The old buffer is wiped as it drops.
            buf = grown;
        }
        let Some(spare) = buf.get_mut(filled..) else {
            return Err(ReadError::TooLarge(limit));
        };
        match reader.read(spare) {
            Ok(0) => break,
            Ok(n) => filled = filled.saturating_add(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    // Shrinking the length keeps the allocation, which Zeroizing wipes whole.
    buf.truncate(filled);
    Ok(buf)
}

/// A path for messages, as given on the command line.
pub(crate) fn file_place(role: &'static str, path: &Path) -> Place {
    Place::File {
        role,
        path: PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_across_growth_and_enforces_the_cap() {
        let data = vec![7u8; 1000];
        let got = read_capped(&mut data.as_slice(), 1000, 3).ok().unwrap();
        assert_eq!(*got, data);
        assert!(matches!(
            read_capped(&mut data.as_slice(), 999, 3),
            Err(ReadError::TooLarge(999))
        ));
        let empty = read_capped(&mut io::empty(), 10, 4).ok().unwrap();
        assert!(empty.is_empty());
    }
}
