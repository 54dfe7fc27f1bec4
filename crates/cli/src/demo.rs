//! `domvia demo`: the seed guide's three examples, end to end, for a newcomer.
//!
//! For each kind of payload it generates a fresh key, seals the payload with the seed API
//! (`encrypt_chat_json`, `encrypt_call_signal_json`, `encrypt_realtime_json`), shows the
//! envelope the gateway would relay, and opens it again. It ends by replaying the chat
//! envelope into another room, which fails with the opaque authentication error.

use domvia_e2ee::{
    AesGcmKey, CallContext, ChatContext, Envelope, KeyLabel, KeyVersion, RealtimeContext,
    decrypt_call_signal_json, decrypt_chat_json, decrypt_realtime_json, encrypt_call_signal_json,
    encrypt_chat_json, encrypt_realtime_json,
};
use serde_json::{Value, json};

use crate::error::CliError;
use crate::output::line;

/// Runs the demo.
///
/// # Errors
/// [`CliError::Seal`] or [`CliError::Open`] if the core misbehaves, [`CliError::Io`] if
/// standard output is closed.
pub(crate) fn run() -> Result<(), CliError> {
    line("Domvia strong privacy mode: three sensitive payloads, sealed end to end.")?;
    line("Each example uses a fresh 256-bit key. The gateway relays only the envelope;")?;
    line("its header (kind, key id, key version, size) is visible, the payload is not.")?;

    let room_key = AesGcmKey::generate();
    let chat = ChatContext::parse("room-42", "msg-1").map_err(ident)?;
    let chat_label = KeyLabel::new("room-42-v1".parse().map_err(ident)?, KeyVersion::FIRST);
    let message = json!({"body": "Private message", "sender_id": "user-1"});
    let sealed_chat = encrypt_chat_json(&message, &room_key, &chat, &chat_label)?;
    let opened: Value = decrypt_chat_json(&sealed_chat, &room_key, &chat)?;
    example(
        "1. Chat message: room room-42, message msg-1, key id room-42-v1, version 1",
        &message,
        &sealed_chat,
        &opened,
    )?;

    let call_key = AesGcmKey::generate();
    let call = CallContext::parse("call-9001", "call.offer").map_err(ident)?;
    let version_one = KeyLabel::version_only(KeyVersion::FIRST);
    let offer = json!({"sdp_type": "offer", "sdp": "v=0..."});
    let sealed_call = encrypt_call_signal_json(&offer, &call_key, &call, &version_one)?;
    let opened: Value = decrypt_call_signal_json(&sealed_call, &call_key, &call)?;
    example(
        "2. Call offer: call call-9001, event call.offer, version 1",
        &offer,
        &sealed_call,
        &opened,
    )?;

    let event_key = AesGcmKey::generate();
    let delivery =
        RealtimeContext::parse("delivery", "order-1001", "delivery.private_note").map_err(ident)?;
    let note = json!({"note": "Sensitive delivery instruction"});
    let sealed_note = encrypt_realtime_json(&note, &event_key, &delivery, &version_one)?;
    let opened: Value = decrypt_realtime_json(&sealed_note, &event_key, &delivery)?;
    example(
        "3. Realtime event: delivery order-1001, event delivery.private_note, version 1",
        &note,
        &sealed_note,
        &opened,
    )?;

    line("")?;
    line("4. Replay: the chat envelope moved to room room-43 (same key, same message id)")?;
    let elsewhere = ChatContext::parse("room-43", "msg-1").map_err(ident)?;
    match decrypt_chat_json::<Value>(&sealed_chat, &room_key, &elsewhere) {
        Err(e) => {
            line(&format!("   refused:   {e} ({})", e.code()))?;
            line("   The envelope is bound to its room and message: it opens only where it")?;
            line("   was sealed, and the error does not say which check failed.")
        }
        Ok(_) => Err(CliError::DemoReplayOpened),
    }
}

fn example(
    title: &str,
    payload: &Value,
    envelope: &Envelope,
    opened: &Value,
) -> Result<(), CliError> {
    line("")?;
    line(title)?;
    line(&format!("   payload:   {payload}"))?;
    line(&format!("   envelope:  {}", envelope.to_json()))?;
    line("              (what the gateway relays)")?;
    line(&format!("   decrypted: {opened}"))
}

/// The demo's identifiers are constants that follow the rules; this only keeps the
/// code free of `unwrap`.
fn ident(source: domvia_e2ee::IdentifierError) -> CliError {
    CliError::Identifier {
        flag: "demo",
        source,
    }
}
