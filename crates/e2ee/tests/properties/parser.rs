//! Parsing never panics, and what parses round-trips.

use base64ct::{Base64UrlUnpadded, Encoding};
use domvia_e2ee::Envelope;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Value, json};

use crate::strategies::{case, identifier, json_string, json_value, key_version};
use crate::wire::assert_reparses;

/// The wire form's members (section 7).
const MEMBERS: [&str; 8] = ["v", "suite", "kind", "kid", "kver", "nonce", "commit", "ct"];

/// One change to an envelope's wire form.
#[derive(Debug, Clone)]
enum Mutation {
    Remove(&'static str),
    Set(String, Value),
    /// Replace bytes `at..at + len` of the JSON text with `with`.
    Splice(Index, usize, Vec<u8>),
}

fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(MEMBERS.to_vec()).prop_map(str::to_owned),
        1 => json_string(),
    ]
}

fn member_value() -> impl Strategy<Value = Value> {
    let near_misses = vec![
        json!(0),
        json!(1),
        json!(2),
        json!(1.0),
        json!(-1),
        json!(4_294_967_295_u64),
        json!(4_294_967_296_u64),
        json!("chat"),
        json!("call"),
        json!("realtime"),
        json!("AES256GCM-HKDFSHA256"),
        json!(""),
    ];
    let b64u = |bytes: Vec<u8>| Value::from(Base64UrlUnpadded::encode_string(&bytes));
    prop_oneof![
        2 => json_value(),
        2 => "[A-Za-z0-9_=+/-]{0,64}".prop_map(Value::from),
        2 => select(near_misses),
        // Values that may well be valid: the parse should then round-trip.
        1 => identifier().prop_map(Value::from),
        1 => key_version().prop_map(Value::from),
        1 => vec(any::<u8>(), 32).prop_map(b64u),
        1 => vec(any::<u8>(), 0..64).prop_map(b64u),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tokens = [&b"\""[..], b",", b"}", b"\\u0000", br#","v":1"#, b"="].map(<[u8]>::to_vec);
    prop_oneof![
        1 => select(MEMBERS.to_vec()).prop_map(Mutation::Remove),
        4 => (member_name(), member_value()).prop_map(|(m, v)| Mutation::Set(m, v)),
        1 => (any::<Index>(), 0..8_usize, vec(any::<u8>(), 0..8))
            .prop_map(|(at, len, with)| Mutation::Splice(at, len, with)),
        1 => (any::<Index>(), 0..8_usize, select(tokens.to_vec()))
            .prop_map(|(at, len, with)| Mutation::Splice(at, len, with)),
    ]
}

/// The envelope's JSON text after `mutations`: member edits first, then byte splices.
fn mutate(envelope: &Envelope, mutations: &[Mutation]) -> Vec<u8> {
    let mut wire: Map<String, Value> = envelope.to_value().as_object().cloned().unwrap_or_default();
    for m in mutations {
        match m {
            Mutation::Remove(member) => {
                wire.remove(*member);
            }
            Mutation::Set(member, value) => {
                wire.insert(member.clone(), value.clone());
            }
            Mutation::Splice(..) => {}
        }
    }
    let mut bytes = Value::Object(wire).to_string().into_bytes();
    for m in mutations {
        if let Mutation::Splice(at, len, with) = m {
            let start = at.index(bytes.len() + 1);
            let end = (start + len).min(bytes.len());
            bytes.splice(start..end, with.iter().copied());
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        if let Ok(envelope) = Envelope::from_slice(&bytes) {
            assert_reparses(&envelope)?;
        }
    }

    #[test]
    fn arbitrary_text_never_panics(
        text in prop_oneof![any::<String>(), json_value().prop_map(|v| v.to_string())],
    ) {
        if let Ok(envelope) = Envelope::from_json(&text) {
            assert_reparses(&envelope)?;
        }
    }

    #[test]
    fn arbitrary_values_never_panic(value in json_value()) {
        if let Ok(envelope) = Envelope::from_value(&value) {
            assert_reparses(&envelope)?;
        }
    }

    #[test]
    fn mutated_envelopes_never_panic(case in case(), mutations in vec(mutation(), 1..3)) {
        let bytes = mutate(&case.seal()?, &mutations);
        let parsed = Envelope::from_slice(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            prop_assert_eq!(&Envelope::from_json(text), &parsed);
            if let Ok(value) = serde_json::from_str::<Value>(text) {
                // A Value keeps one of duplicate members, so compare only what the text
                // parser accepted.
                let from_value = Envelope::from_value(&value);
                prop_assert!(parsed.is_err() || from_value == parsed, "{:?}", from_value);
            }
        }
        if let Ok(envelope) = parsed {
            assert_reparses(&envelope)?;
            // Whatever parses opens or fails without panicking.
            let _ = case.open(&envelope, &case.ctx);
        }
    }
}
