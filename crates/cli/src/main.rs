//! `domvia`: run the gateway, generate keys, and encrypt, decrypt and inspect
//! strong-privacy envelopes (spec/envelope-v1.md) from the command line.
//!
//! ```text
//! domvia serve                                   # 127.0.0.1:6001 with the dev app
//! domvia serve --config examples/domvia.toml --port 8080
//! domvia keygen --out room.key
//! echo '{"body":"hi"}' | domvia encrypt --kind chat --room-id room-42 --message-id msg-1 \
//!     --key-file room.key --key-id room-42-v1 --key-version 1 > envelope.json
//! domvia inspect envelope.json
//! domvia decrypt --kind chat --room-id room-42 --message-id msg-1 --key-file room.key envelope.json
//! domvia device new --user alice --device phone --out phone.secret > phone.bundle.json
//! domvia keyshare seal --secret phone.secret --to bob.bundle.json --room room-42 \
//!     --key-id room-42 --key-version 1 --key-file room.key > share.json
//! domvia backup create --keyring-file ring.json --recovery-key-file recovery.txt --out ring.backup
//! domvia keyrequest new --secret tablet.secret > request.json
//! domvia device revoke --secret laptop.secret --bundle phone.bundle.json > revocation.json
//! ```
//!
//! Errors are one line on standard error, `domvia: <what went wrong> (<code>)`, with the
//! core's codes (spec/errors.md); the exit status is 1 when the operation failed and 2
//! when the command line is wrong. The CLI adds its own codes for what only it can get
//! wrong: `not_found`, `permission_denied` and `io` (files and streams),
//! `input_too_large` (over 64 MiB of input, or 1 MiB of key file), `file_exists`
//! (`keygen --out` never overwrites), `safety_number_mismatch` (`keyrequest answer`),
//! `signature_required` and `sender_required` (`decrypt --sender`), `key_unavailable` (`--key-env` names an unset
//! variable), `key_version_mismatch` (`decrypt --expect-key-version`), `usage` (a flag
//! the chosen `--kind` does not use) and `internal`. `serve` exits 2 for a refused
//! configuration (`config_...` codes, naming the field; `tls_...` for the certificate
//! and key files), 1 when it cannot listen (`listen_failed`), and 0 after a graceful
//! shutdown on Ctrl-C or SIGTERM.

#![forbid(unsafe_code)]

mod args;
mod commands;
mod context;
mod demo;
mod error;
mod input;
mod keys;
mod lifecycle;
mod output;
mod recovery;
mod serve;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    // clap prints help, version and usage errors itself, exiting 0 or 2.
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Serve(args) => serve::serve(args),
        Command::Keygen(args) => commands::keygen(args),
        Command::Encrypt(args) => commands::encrypt(args),
        Command::Decrypt(args) => commands::decrypt(args),
        Command::Inspect(args) => commands::inspect(args),
        Command::Demo => demo::run(),
        Command::Device(cmd) => lifecycle::device(cmd),
        Command::Keyshare(cmd) => lifecycle::keyshare(cmd),
        Command::Backup(cmd) => lifecycle::backup(cmd),
        Command::Keyrequest(cmd) => recovery::keyrequest(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            output::report(&error);
            ExitCode::from(error.exit_code())
        }
    }
}
