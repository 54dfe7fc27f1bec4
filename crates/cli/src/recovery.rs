//! The `keyrequest` subcommands (spec/key-lifecycle.md section 6.1): a new device asks
//! another device of the same user for its keys; that device answers, HPKE-sealed to the
//! new device, only once the user has typed the safety number the new device shows.

use domvia_e2ee::{KeyRequest, KeyResponse, Keyring, safety_number};

use crate::args::KeyrequestCommand;
use crate::error::{CliError, Place};
use crate::keys::{load_keyring, write_new_key_file};
use crate::lifecycle::{load_bundle, load_secret, read_message, text_file};
use crate::output;

/// `domvia keyrequest ...`
///
/// # Errors
/// Flag, file, parse and verification errors; [`CliError::SafetyNumberMismatch`] when the
/// typed safety number is not the two devices' number.
pub(crate) fn keyrequest(cmd: &KeyrequestCommand) -> Result<(), CliError> {
    match cmd {
        KeyrequestCommand::New { secret } => {
            let me = load_secret(secret)?;
            let (request, _) = KeyRequest::new(&me);
            output::note(&format!(
                "asking for {}'s keys as {}: on the device that answers, compare the safety number of the two devices",
                me.id().user,
                me.id()
            ));
            output::line(&request.to_json())
        }
        KeyrequestCommand::Answer {
            secret,
            keyring_file,
            safety_number: typed,
            input,
        } => {
            let me = load_secret(secret)?;
            let ring = load_keyring(keyring_file)?;
            let (request, place) = read_message(input.as_deref(), KeyRequest::from_json)?;
            let verified = request
                .verify_for(&me)
                .map_err(|source| CliError::Exchange { place, source })?;
            let expected = safety_number(me.bundle(), verified.bundle());
            if !digits_match(typed, expected.digits()) {
                return Err(CliError::SafetyNumberMismatch);
            }
            let response =
                KeyResponse::seal(&me, &verified.approve(), &ring).map_err(|source| {
                    CliError::Exchange {
                        place: Place::Stdout,
                        source,
                    }
                })?;
            output::note(&format!(
                "sealed {} keys to the approved device",
                response.key_count()
            ));
            output::line(&response.to_json())
        }
        KeyrequestCommand::Accept {
            secret,
            request,
            from,
            out,
            input,
        } => {
            let me = load_secret(secret)?;
            let responder = load_bundle(from)?;
            let (text, place) = text_file("request file", request)?;
            let pending = KeyRequest::from_json(text.trim())
                .and_then(|r| r.pending_for(&me))
                .map_err(|source| CliError::Exchange { place, source })?;
            let (response, place) = read_message(input.as_deref(), KeyResponse::from_json)?;
            let mut ring = Keyring::new();
            let added = pending
                .accept(&response, &me, &responder, &mut ring)
                .map_err(|source| CliError::Exchange { place, source })?;
            write_new_key_file(out, &ring.export().to_json())?;
            output::note(&format!(
                "verified the response of {}; wrote {added} keys to {} (mode 0600)",
                responder.id(),
                out.display()
            ));
            Ok(())
        }
    }
}

/// Whether the typed number is the expected one, ignoring spaces. (A safety number is
/// not secret: both devices show it.)
fn digits_match(typed: &str, expected: &str) -> bool {
    let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    strip(typed) == strip(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safety_numbers_match_with_or_without_spaces_only() {
        assert!(digits_match("12345 67890", "1234567890"));
        assert!(digits_match(" 1234567890\n", "12345 67890"));
        assert!(!digits_match("1234567891", "1234567890"));
        assert!(!digits_match("123456789", "1234567890"));
    }
}
