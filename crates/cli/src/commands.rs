//! The `keygen`, `encrypt`, `decrypt` and `inspect` subcommands.
//!
//! Each command checks its flags first (context, key version, padding), then loads the
//! key, then reads its input, so a mistyped flag is reported before anything is read.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domvia_e2ee::{AesGcmKey, Envelope, Padding, SealOptions, SignedEnvelope};
use serde_json::Value;
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use crate::args::{DecryptArgs, EncryptArgs, InspectArgs, KeyFormat, KeygenArgs};
use crate::context::{key_label, key_version};
use crate::error::CliError;
use crate::input::{Input, read_input};
use crate::keys::{load_key, write_new_key_file};
use crate::lifecycle::{known_devices, load_secret};
use crate::output;

/// `domvia keygen`: a fresh key to standard output, or to a new file.
///
/// # Errors
/// [`CliError::Exists`] or [`CliError::Io`] for `--out`.
pub(crate) fn keygen(args: &KeygenArgs) -> Result<(), CliError> {
    let key = AesGcmKey::generate();
    let secret = match args.format {
        KeyFormat::Raw => key.export_raw(),
        KeyFormat::Jwk => key.export_jwk(),
    };
    match &args.out {
        None => output::line(&secret),
        Some(path) => {
            write_new_key_file(path, &secret)?;
            output::note(&format!(
                "wrote a new 256-bit key to {} (mode 0600)",
                path.display()
            ));
            Ok(())
        }
    }
}

/// `domvia encrypt`: seals the JSON payload and prints the envelope's wire form.
///
/// # Errors
/// Flag errors, key errors, input errors, [`CliError::PayloadNotJson`], or the core's
/// [`domvia_e2ee::SealError`].
pub(crate) fn encrypt(args: &EncryptArgs) -> Result<(), CliError> {
    let context = args.context.to_context()?;
    let label = key_label(args.key_id.as_deref(), args.key_version)?;
    let padding: Padding = args.padding.parse()?;
    let key = load_key(&args.key.source())?;
    let signer = args.sign_with.as_deref().map(load_secret).transpose()?;
    let input = read_input(args.input.as_deref())?;
    // Check the JSON without building a tree (RawValue), then seal it compacted, member
    // order kept, from a buffer that is wiped when dropped.
    let not_json = |e: serde_json::Error| CliError::PayloadNotJson {
        place: input.place.clone(),
        line: e.line(),
        column: e.column(),
    };
    let checked: &RawValue = serde_json::from_slice(&input.bytes).map_err(not_json)?;
    let compacted = compact_json(checked.get());
    let payload: &RawValue = serde_json::from_str(&compacted).map_err(not_json)?;
    let options = SealOptions::with_padding(padding);
    let envelope = domvia_e2ee::seal_json(payload, &key, &context, &label, &options)?;
    match signer {
        Some(me) => output::line(&SignedEnvelope::sign(&me, envelope, &context).to_json()),
        None => output::line(&envelope.to_json()),
    }
}

/// `domvia decrypt`: opens the envelope for the expected context and prints its payload.
///
/// # Errors
/// Flag errors, key errors, input errors, [`CliError::Envelope`],
/// [`CliError::KeyVersionMismatch`], or the core's [`domvia_e2ee::OpenError`].
pub(crate) fn decrypt(args: &DecryptArgs) -> Result<(), CliError> {
    let context = args.context.to_context()?;
    let expected_version = args
        .expect_key_version
        .map(|v| key_version("expect-key-version", v))
        .transpose()?;
    let opener = args.key.load()?;
    let senders = if args.senders.is_empty() {
        None
    } else {
        Some(known_devices(&args.senders)?)
    };
    let input = read_input(args.input.as_deref())?;
    let envelope = match &senders {
        None => unsigned_envelope(input)?,
        Some(directory) => {
            let place = input.place.clone();
            let signed = signed_envelope(input)?;
            let verified = signed
                .verify(directory, &context)
                .map_err(|source| CliError::Exchange { place, source })?;
            output::note(&format!("signed by {} (verified)", verified.sender));
            verified.envelope.clone()
        }
    };
    let found = envelope.key_label().key_version;
    if let Some(expected) = expected_version.filter(|expected| *expected != found) {
        return Err(CliError::KeyVersionMismatch { expected, found });
    }
    let payload = opener.open(&envelope, &context)?;
    output::json_line(&payload)
}

/// An envelope; a signed one is refused, since its signature would go unchecked.
fn unsigned_envelope(input: Input) -> Result<Envelope, CliError> {
    Envelope::from_slice(&input.bytes).map_err(|source| {
        let text = std::str::from_utf8(&input.bytes).unwrap_or("");
        if SignedEnvelope::from_json(text.trim()).is_ok() {
            CliError::SenderRequired {
                place: input.place.clone(),
            }
        } else {
            CliError::Envelope {
                place: input.place.clone(),
                source,
            }
        }
    })
}

/// A signed envelope; a plain one is refused (the caller asked for a verified sender).
fn signed_envelope(input: Input) -> Result<SignedEnvelope, CliError> {
    let text = std::str::from_utf8(&input.bytes).unwrap_or("");
    SignedEnvelope::from_json(text.trim()).map_err(|source| {
        if Envelope::from_slice(&input.bytes).is_ok() {
            CliError::SignatureRequired {
                place: input.place.clone(),
            }
        } else {
            CliError::Exchange {
                place: input.place.clone(),
                source,
            }
        }
    })
}

/// `domvia inspect`: the envelope's visible header, which needs no key.
///
/// # Errors
/// Input errors or [`CliError::Envelope`].
pub(crate) fn inspect(args: &InspectArgs) -> Result<(), CliError> {
    let envelope = read_envelope(args.input.as_deref())?;
    output::line(&header_json(&envelope))?;
    output::note(
        "this is the visible header only; no key was used and the payload stays encrypted",
    );
    Ok(())
}

/// Removes the whitespace between the tokens of valid JSON text (spec/envelope-v1.md
/// section 6: producers should seal compact JSON). Whitespace inside strings is kept.
fn compact_json(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        out.push(c);
    }
    out
}

fn read_envelope(path: Option<&std::path::Path>) -> Result<Envelope, CliError> {
    let input = read_input(path)?;
    Envelope::from_slice(&input.bytes).map_err(|source| CliError::Envelope {
        place: input.place,
        source,
    })
}

/// The header as pretty JSON, members in the order of the wire form. Every value is a
/// scalar, so writing the object by hand keeps that order without another dependency.
fn header_json(envelope: &Envelope) -> String {
    let label = envelope.key_label();
    let ciphertext_bytes = envelope.ciphertext().len();
    let fields = [
        ("v", Value::from(envelope.version())),
        ("suite", Value::from(envelope.suite().name())),
        ("kind", Value::from(envelope.kind().as_str())),
        (
            "key_id",
            label
                .key_id
                .as_ref()
                .map_or(Value::Null, |id| Value::from(id.as_str())),
        ),
        ("key_version", Value::from(label.key_version.get())),
        (
            "nonce",
            Value::from(URL_SAFE_NO_PAD.encode(envelope.nonce())),
        ),
        ("ciphertext_bytes", Value::from(ciphertext_bytes)),
        ("max_payload_bytes", Value::from(envelope.max_payload_len())),
    ];
    let members: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("  {}: {value}", Value::from(*name)))
        .collect();
    format!("{{\n{}\n}}", members.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_keeps_strings_and_order() {
        let text = "{ \"b\" : [1, 2],\n\t\"a\": \"x y \\\" z\\\\\" }";
        assert_eq!(&*compact_json(text), r#"{"b":[1,2],"a":"x y \" z\\"}"#);
    }

    #[test]
    fn the_header_is_pretty_json_in_wire_order() {
        let n = "A".repeat(59);
        let c = "A".repeat(43);
        let wire = format!(
            r#"{{"v":1,"suite":"AES256GCM-HKDFSHA256","kind":"call","kver":3,"nonce":"{n}","commit":"{c}","ct":"AAAAAAAAAAAAAAAAAAAAAA"}}"#
        );
        let envelope = Envelope::from_json(&wire).unwrap();
        let shown = header_json(&envelope);
        let parsed: Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(parsed["key_id"], Value::Null);
        assert_eq!(parsed["ciphertext_bytes"], 16);
        assert_eq!(parsed["max_payload_bytes"], 0);
        assert_eq!(parsed["nonce"], n.as_str());
        assert!(shown.find("\"v\"") < shown.find("\"max_payload_bytes\""));
    }
}
