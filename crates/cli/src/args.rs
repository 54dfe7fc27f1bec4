//! The command line, as clap parses it. Values the core validates (identifiers, key
//! versions, padding) stay strings and numbers here and are parsed by the core, so their
//! errors carry the core's codes.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run the Domvia gateway, and encrypt, decrypt and inspect strong-privacy envelopes.
///
/// Keys are read only from a file or an environment variable, never from the command
/// line (where `ps` would show them). Exit status: 0 on success, 1 when the operation
/// failed (bad input, bad key, authentication failure), 2 when the command line is wrong.
#[derive(Debug, Parser)]
#[command(name = "domvia", version, about, long_about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the gateway: a Pusher Channels protocol 7 server (WebSocket, HTTP API,
    /// webhooks). With no options it listens on 127.0.0.1:6001 with a dev app.
    ///
    /// The apps come from --config, or else from the DOMVIA_APP_ID, DOMVIA_APP_KEY and
    /// DOMVIA_APP_SECRET environment variables (all three), or else the built-in dev app,
    /// whose public credentials are printed. Logs go to standard error, filtered by
    /// RUST_LOG (default `info`). Ctrl-C or SIGTERM shuts down gracefully (WebSockets
    /// closed with 4200). Exit status 2 for a refused configuration, 1 when the address
    /// cannot be bound.
    Serve(ServeArgs),
    /// Generate a fresh 256-bit key.
    Keygen(KeygenArgs),
    /// Seal a JSON payload into an envelope for one context.
    Encrypt(EncryptArgs),
    /// Open an envelope expected for one context and print its JSON payload.
    Decrypt(DecryptArgs),
    /// Show an envelope's visible header. Needs no key and shows nothing secret.
    Inspect(InspectArgs),
    /// Run the three seed examples (chat, call, realtime) end to end with fresh keys.
    Demo,
    /// Device keys: create one, show its bundle and fingerprint, compare two devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Share a room key with one device (HPKE, signed), or open a share sent to you.
    #[command(subcommand)]
    Keyshare(KeyshareCommand),
    /// Back up a keyring under a recovery key or a passphrase, or restore one.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// A new device asks another device of the same user for its keys (HPKE, approved by
    /// comparing the safety number).
    #[command(subcommand)]
    Keyrequest(KeyrequestCommand),
}

/// `domvia device ...`
#[derive(Debug, Subcommand)]
pub(crate) enum DeviceCommand {
    /// Create a device's keys: the secret goes to a new 0600 file, the public bundle to
    /// standard output.
    New {
        /// The user id.
        #[arg(long)]
        user: String,
        /// The device id, unique for the user.
        #[arg(long)]
        device: String,
        /// The new device-secret file (never overwritten).
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
    /// Print the device's bundle and fingerprint (nothing secret).
    Show {
        /// The device-secret file.
        #[arg(long, value_name = "PATH")]
        secret: PathBuf,
    },
    /// Print the safety number of two devices, to compare out of band.
    SafetyNumber {
        /// One device's bundle file.
        a: PathBuf,
        /// The other device's bundle file.
        b: PathBuf,
    },
    /// Revoke a lost device of the same user (or retire this one): prints the signed
    /// revocation (event data for the user's key channel and the rooms' channels).
    Revoke {
        /// The secret file of the device that signs the revocation.
        #[arg(long, value_name = "PATH")]
        secret: PathBuf,
        /// The bundle file of the device to revoke.
        #[arg(long, value_name = "PATH")]
        bundle: PathBuf,
        /// When, in Unix seconds (default: now).
        #[arg(long, value_name = "SECONDS")]
        at: Option<u64>,
    },
    /// Verify a revocation against the known devices and print the device it revokes.
    CheckRevocation {
        /// A known device's bundle file (repeat for each device of the directory).
        #[arg(long = "known", value_name = "PATH", required = true)]
        known: Vec<PathBuf>,
        /// The revocation; standard input when absent or `-`.
        #[arg(value_name = "INPUT")]
        input: Option<PathBuf>,
    },
}

/// `domvia keyrequest ...`
#[derive(Debug, Subcommand)]
pub(crate) enum KeyrequestCommand {
    /// On the new device: print a signed key request (event data for the user's key
    /// channel).
    New {
        /// The new device's secret file.
        #[arg(long, value_name = "PATH")]
        secret: PathBuf,
    },
    /// On a device holding the keys: verify the request and, once the user has typed the
    /// safety number the new device shows, answer with every key of the keyring sealed to
    /// the new device.
    Answer {
        /// This device's secret file.
        #[arg(long, value_name = "PATH")]
        secret: PathBuf,
        /// The keyring export file whose keys to send.
        #[arg(long, value_name = "PATH")]
        keyring_file: PathBuf,
        /// The safety number shown on the new device (`domvia device safety-number`);
        /// spaces are ignored. The answer is refused unless it matches.
        #[arg(long, value_name = "DIGITS")]
        safety_number: String,
        /// The request; standard input when absent or `-`.
        #[arg(value_name = "INPUT")]
        input: Option<PathBuf>,
    },
    /// On the new device: verify the response and write the keys to a new keyring file.
    Accept {
        /// The new device's secret file.
        #[arg(long, value_name = "PATH")]
        secret: PathBuf,
        /// The request this device sent.
        #[arg(long, value_name = "PATH")]
        request: PathBuf,
        /// The bundle file of the device that answers (whose safety number was compared).
        #[arg(long, value_name = "PATH")]
        from: PathBuf,
        /// The new keyring export file (mode 0600).
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// The response; standard input when absent or `-`.
        #[arg(value_name = "INPUT")]
        input: Option<PathBuf>,
    },
}

/// `domvia keyshare ...`
#[derive(Debug, Subcommand)]
pub(crate) enum KeyshareCommand {
    /// Seal a room key version for one device; prints the share (event data).
    Seal {
        /// The sending device's secret file.
        #[arg(long, value_name = "PATH")]
        secret: PathBuf,
        /// The recipient's bundle file.
        #[arg(long, value_name = "PATH")]
        to: PathBuf,
        /// The room the key protects.
        #[arg(long, value_name = "ID")]
        room: String,
        /// The key id.
        #[arg(long, value_name = "ID")]
        key_id: String,
        /// The key version.
        #[arg(long, value_name = "N")]
        key_version: u64,
        /// The key file (raw base64url or JWK).
        #[arg(long, value_name = "PATH")]
        key_file: PathBuf,
    },
    /// Verify and open a share sent to this device; writes the key to a new 0600 file.
    Open {
        /// The receiving device's secret file.
        #[arg(long, value_name = "PATH")]
        secret: PathBuf,
        /// The sender's bundle file (compare its safety number first).
        #[arg(long, value_name = "PATH")]
        from: PathBuf,
        /// The new key file.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// The share; standard input when absent or `-`.
        #[arg(value_name = "INPUT")]
        input: Option<PathBuf>,
    },
}

/// `domvia backup ...`
#[derive(Debug, Subcommand)]
pub(crate) enum BackupCommand {
    /// Encrypt a keyring export into a backup blob.
    Create {
        /// The keyring export file (domvia-keyring JSON).
        #[arg(long, value_name = "PATH")]
        keyring_file: PathBuf,
        /// The new backup file.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        #[command(flatten)]
        secret: BackupSecretArgs,
    },
    /// Decrypt a backup blob into a new keyring export file (0600).
    Restore {
        /// The backup file.
        #[arg(value_name = "BACKUP")]
        input: PathBuf,
        /// The new keyring export file.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        #[command(flatten)]
        secret: BackupSecretArgs,
    },
}

/// The backup's secret: a recovery key file, or a passphrase in an environment variable.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct BackupSecretArgs {
    /// Create: write a new recovery key to this new 0600 file. Restore: read it.
    #[arg(long, value_name = "PATH")]
    pub(crate) recovery_key_file: Option<PathBuf>,
    /// The passphrase, from this environment variable (Argon2id, m=19456 KiB, t=2, p=1).
    #[arg(long, value_name = "VAR")]
    pub(crate) passphrase_env: Option<String>,
}

/// The gateway's options.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The IP address to listen on (default 127.0.0.1, or the config file's `host`).
    #[arg(long, value_name = "IP")]
    pub(crate) host: Option<IpAddr>,
    /// The port to listen on (default 6001, or the config file's `port`); 0 picks a free
    /// one, and the address printed is the one bound.
    #[arg(long, value_name = "PORT")]
    pub(crate) port: Option<u16>,
    /// A TOML config file (see examples/domvia.toml).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// How log lines are written.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
}

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// How a key is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyFormat {
    /// 43 characters of unpadded base64url.
    Raw,
    /// A JSON Web Key that WebCrypto's importKey("jwk", ...) accepts.
    Jwk,
}

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Output form of the key.
    #[arg(long, value_enum, default_value_t = KeyFormat::Raw)]
    pub(crate) format: KeyFormat,
    /// Write the key to this new file (mode 0600) instead of standard output. An
    /// existing file is never overwritten.
    #[arg(long, value_name = "PATH")]
    pub(crate) out: Option<PathBuf>,
}

/// The kind of payload an envelope carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    /// A chat message: needs --room-id and --message-id.
    Chat,
    /// Call signaling: needs --call-id and --event-name.
    Call,
    /// A custom realtime event: needs --scope, --scope-id and --event-name.
    Realtime,
}

/// The context an envelope is bound to. Which flags are needed depends on `--kind`.
#[derive(Debug, Args)]
pub(crate) struct ContextArgs {
    /// What the envelope carries.
    #[arg(long, value_enum)]
    pub(crate) kind: KindArg,
    /// Chat: the room.
    #[arg(long, value_name = "ID", required_if_eq("kind", "chat"))]
    pub(crate) room_id: Option<String>,
    /// Chat: the message within the room.
    #[arg(long, value_name = "ID", required_if_eq("kind", "chat"))]
    pub(crate) message_id: Option<String>,
    /// Call: the call.
    #[arg(long, value_name = "ID", required_if_eq("kind", "call"))]
    pub(crate) call_id: Option<String>,
    /// Realtime: the scope, for example `delivery`.
    #[arg(long, value_name = "SCOPE", required_if_eq("kind", "realtime"))]
    pub(crate) scope: Option<String>,
    /// Realtime: the object within the scope, for example `order-1001`.
    #[arg(long, value_name = "ID", required_if_eq("kind", "realtime"))]
    pub(crate) scope_id: Option<String>,
    /// Call and realtime: the event, for example `call.offer`.
    #[arg(
        long,
        value_name = "NAME",
        required_if_eq_any([("kind", "call"), ("kind", "realtime")])
    )]
    pub(crate) event_name: Option<String>,
}

/// Where the key comes from: exactly one source, never the command line itself.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct KeySourceArgs {
    /// Read the key from this file: raw base64url or a JWK.
    #[arg(long, value_name = "PATH")]
    pub(crate) key_file: Option<PathBuf>,
    /// Read the key from this environment variable: raw base64url or a JWK.
    #[arg(long, value_name = "VAR")]
    pub(crate) key_env: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct EncryptArgs {
    #[command(flatten)]
    pub(crate) context: ContextArgs,
    #[command(flatten)]
    pub(crate) key: KeySourceArgs,
    /// The key id to label the envelope with (required for chat).
    #[arg(long, value_name = "ID", required_if_eq("kind", "chat"))]
    pub(crate) key_id: Option<String>,
    /// The key version to label the envelope with (1 to 4294967295).
    #[arg(long, value_name = "N")]
    pub(crate) key_version: u64,
    /// Pad the plaintext to hide its exact size: none, power-of-two or multiple:N.
    #[arg(long, value_name = "POLICY", default_value = "none")]
    pub(crate) padding: String,
    /// Sign the envelope as this device (its secret file): prints a signed envelope
    /// (spec/key-lifecycle.md section 7), so receivers learn the verified sender.
    #[arg(long, value_name = "PATH")]
    pub(crate) sign_with: Option<PathBuf>,
    /// The JSON payload file; standard input when absent or `-`. The payload is sealed
    /// as compact JSON (whitespace removed, object members in sorted order).
    #[arg(value_name = "INPUT")]
    pub(crate) input: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DecryptArgs {
    #[command(flatten)]
    pub(crate) context: ContextArgs,
    #[command(flatten)]
    pub(crate) key: DecryptKeyArgs,
    /// Refuse an envelope labelled with another key version.
    #[arg(long, value_name = "N")]
    pub(crate) expect_key_version: Option<u64>,
    /// Require a signed envelope from one of these devices (bundle files; repeat the
    /// flag): the signature is verified before opening and the sender is reported.
    #[arg(long = "sender", value_name = "PATH")]
    pub(crate) senders: Vec<PathBuf>,
    /// The envelope file; standard input when absent or `-`.
    #[arg(value_name = "INPUT")]
    pub(crate) input: Option<PathBuf>,
}

/// A single key, or a keyring that picks the version the envelope names.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct DecryptKeyArgs {
    /// Read the key from this file: raw base64url or a JWK.
    #[arg(long, value_name = "PATH")]
    pub(crate) key_file: Option<PathBuf>,
    /// Read the key from this environment variable: raw base64url or a JWK.
    #[arg(long, value_name = "VAR")]
    pub(crate) key_env: Option<String>,
    /// Read a keyring export (domvia-keyring JSON) from this file.
    #[arg(long, value_name = "PATH")]
    pub(crate) keyring_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The envelope file; standard input when absent or `-`.
    #[arg(value_name = "INPUT")]
    pub(crate) input: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
