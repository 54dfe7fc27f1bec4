//! What the fuzz targets share: the keys and contexts of `spec/vectors/envelope-v1.json`.
//!
//! The targets open every input with these, so a seed taken from a vector authenticates
//! and the fuzzer starts from envelopes that reach the code behind the tag check (framing,
//! padding, payload parsing, the replay guard), not only the parser.

use std::sync::OnceLock;

use domvia_e2ee::{
    AesGcmKey, CallContext, ChatContext, Context, Envelope, Keyring, RealtimeContext,
};
use serde_json::Value;

const VECTORS: &str = include_str!("../../spec/vectors/envelope-v1.json");

/// A key and a context a receiver might expect with it.
pub struct Trial {
    /// The key.
    pub key: AesGcmKey,
    /// The expected context.
    pub context: Context,
}

/// The keys and contexts every input is opened with.
pub struct Fixture {
    /// Each distinct (key, context) pair of the vectors, then a fixed key with a fixed
    /// context of each kind (so every kind is tried even if the vectors change).
    pub trials: Vec<Trial>,
    /// The distinct contexts of `trials`, for opening with the keyring.
    pub contexts: Vec<Context>,
    /// Each vector's key under the key id and version its envelope names (the first key
    /// wins where two vectors name the same label).
    pub keyring: Keyring,
}

/// The fixture, built once per process.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

/// The key of the fixed trials.
pub const FIXED_KEY: [u8; 32] = [0x42; 32];

/// One context of each kind: those of the seed examples in the vectors.
pub fn fixed_contexts() -> Vec<Context> {
    let chat = ChatContext::parse("room-42", "msg-1").map(Context::from);
    let call = CallContext::parse("call-9001", "call.offer").map(Context::from);
    let realtime = RealtimeContext::parse("delivery", "order-1001", "delivery.private_note")
        .map(Context::from);
    [chat, call, realtime].into_iter().flatten().collect()
}

fn build() -> Fixture {
    let vectors: Value = serde_json::from_str(VECTORS).unwrap_or_default();
    let all = ["positive", "negative"].into_iter().flat_map(|list| {
        vectors
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    });
    let mut seen = Vec::new();
    let mut trials = Vec::new();
    let mut keyring = Keyring::new();
    for vector in all {
        let (Some(key), Some(context)) = (key(&vector["key"]), context(&vector["context"])) else {
            continue;
        };
        let pair = (vector["key"].clone(), vector["context"].clone());
        if !seen.contains(&pair) {
            seen.push(pair);
            trials.push(Trial {
                key: key.clone(),
                context,
            });
        }
        let envelope = vector["envelope_json"].as_str().map(Envelope::from_json);
        if let Some(Ok(envelope)) = envelope {
            let label = envelope.key_label();
            if let Some(key_id) = &label.key_id {
                // A conflict means an earlier vector holds this label: keep that key.
                let _ = keyring.insert(key_id.clone(), label.key_version, key);
            }
        }
    }
    let fixed = AesGcmKey::from_bytes(FIXED_KEY);
    trials.extend(fixed_contexts().into_iter().map(|context| Trial {
        key: fixed.clone(),
        context,
    }));
    let mut contexts: Vec<Context> = Vec::new();
    for trial in &trials {
        if !contexts.contains(&trial.context) {
            contexts.push(trial.context.clone());
        }
    }
    Fixture {
        trials,
        contexts,
        keyring,
    }
}

fn key(hex_key: &Value) -> Option<AesGcmKey> {
    let bytes = hex::decode(hex_key.as_str()?).ok()?;
    Some(AesGcmKey::from_bytes(bytes.try_into().ok()?))
}

fn context(c: &Value) -> Option<Context> {
    let field = |name: &str| c.get(name).and_then(Value::as_str);
    Some(match field("kind")? {
        "chat" => ChatContext::parse(field("room_id")?, field("message_id")?)
            .ok()?
            .into(),
        "call" => CallContext::parse(field("call_id")?, field("event_name")?)
            .ok()?
            .into(),
        "realtime" => {
            RealtimeContext::parse(field("scope")?, field("scope_id")?, field("event_name")?)
                .ok()?
                .into()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture is only worth having if the vectors' envelopes get past the tag with
    /// it: every positive vector opens, and so do the ones whose plaintext is malformed.
    #[test]
    fn vector_envelopes_authenticate_under_the_fixture() {
        let vectors: Value = serde_json::from_str(VECTORS).unwrap();
        let fixture = fixture();
        assert!(fixture.keyring.key_ids().count() >= 3);
        for vector in vectors["positive"].as_array().unwrap().iter().chain(
            vectors["negative"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["error"] == "invalid_plaintext"),
        ) {
            let envelope = Envelope::from_json(vector["envelope_json"].as_str().unwrap()).unwrap();
            let codes: Vec<&str> = fixture
                .trials
                .iter()
                .map(
                    |t| match domvia_e2ee::open_json::<Value>(&envelope, &t.key, &t.context) {
                        Ok(_) => "ok",
                        Err(e) => e.code(),
                    },
                )
                .collect();
            let expected = vector.get("error").and_then(Value::as_str).unwrap_or("ok");
            assert!(codes.contains(&expected), "{}: {codes:?}", vector["name"]);
        }
    }
}
