//! The positive vectors: the case list, sealed with the public API and checked against
//! the spec's formulas.

use domvia_e2ee::{AesGcmKey, KeyLabel, Padding, SealOptions, seal_json_with_rng};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::context_from_json;
use crate::spec::{FixedRng, b64u, bytes32, nonce44, spec_aad, spec_okm, spec_seal};

struct Case {
    name: &'static str,
    context: Value,
    key_id: Option<&'static str>,
    key_version: u32,
    padding: &'static str,
    payload_json: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "chat-seed-example",
            context: json!({"kind": "chat", "room_id": "room-42", "message_id": "msg-1"}),
            key_id: Some("room-42-v1"),
            key_version: 1,
            padding: "none",
            payload_json: r#"{"body":"Private message","sender_id":"user-1"}"#,
        },
        Case {
            name: "call-offer-seed-example",
            context: json!({"kind": "call", "call_id": "call-9001", "event_name": "call.offer"}),
            key_id: None,
            key_version: 1,
            padding: "none",
            payload_json: r#"{"sdp_type":"offer","sdp":"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"}"#,
        },
        Case {
            name: "call-ice-with-key-id",
            context: json!({"kind": "call", "call_id": "call-9001", "event_name": "call.ice"}),
            key_id: Some("call-9001"),
            key_version: 3,
            padding: "none",
            payload_json: r#"{"candidate":"candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host","sdpMid":"0","sdpMLineIndex":0}"#,
        },
        Case {
            name: "realtime-seed-example",
            context: json!({"kind": "realtime", "scope": "delivery", "scope_id": "order-1001", "event_name": "delivery.private_note"}),
            key_id: None,
            key_version: 1,
            padding: "none",
            payload_json: r#"{"note":"Sensitive delivery instruction"}"#,
        },
        Case {
            name: "chat-padded-power-of-two",
            context: json!({"kind": "chat", "room_id": "room-42", "message_id": "msg-2"}),
            key_id: Some("room-42-v1"),
            key_version: 1,
            padding: "power-of-two",
            payload_json: r#"{"body":"ok"}"#,
        },
        Case {
            name: "realtime-unicode-padded-multiple",
            context: json!({"kind": "realtime", "scope": "location", "scope_id": "café-✓ 🚚", "event_name": "location.update"}),
            key_id: Some("courier/Zoë"),
            key_version: 4_294_967_295,
            padding: "multiple:256",
            payload_json: r#"{"lat":52.520008,"lng":13.404954,"big":18446744073709551615,"text":"\u00e9\ud83d\ude9a\n\"quoted\""}"#,
        },
        Case {
            name: "chat-null-payload",
            context: json!({"kind": "chat", "room_id": "r", "message_id": "m"}),
            key_id: Some("k"),
            key_version: 2,
            padding: "none",
            payload_json: "null",
        },
    ]
}

pub(crate) fn generate_positive() -> Vec<Value> {
    cases()
        .into_iter()
        .map(|c| {
            let key_bytes = bytes32(&format!("key:{}", c.name));
            let nonce = nonce44(c.name);
            let key = AesGcmKey::from_bytes(key_bytes);
            let context = context_from_json(&c.context);
            let label = KeyLabel::parse(c.key_id, u64::from(c.key_version)).unwrap();
            let padding: Padding = c.padding.parse().unwrap();
            let payload: Box<RawValue> = RawValue::from_string(c.payload_json.to_owned()).unwrap();
            let envelope = seal_json_with_rng(
                &payload,
                &key,
                &context,
                &label,
                &SealOptions::with_padding(padding),
                &mut FixedRng(nonce.to_vec()),
            )
            .unwrap();

            // Intermediates, from the spec's formulas rather than from the crate.
            let aad = spec_aad(&c.context, c.key_id, c.key_version);
            assert_eq!(aad, context.associated_data(&label), "{}: AAD", c.name);
            let okm = spec_okm(&key_bytes, &nonce);
            let mut framed = u32::try_from(c.payload_json.len())
                .unwrap()
                .to_be_bytes()
                .to_vec();
            framed.extend_from_slice(c.payload_json.as_bytes());
            framed.resize(padding.padded_len(framed.len()).unwrap(), 0);
            let sealed = spec_seal(&okm[..32], &nonce, &aad, &framed);
            assert_eq!(sealed, envelope.ciphertext(), "{}: ciphertext", c.name);
            assert_eq!(&okm[32..], envelope.commitment(), "{}: commitment", c.name);

            let mut expected_wire = json!({
                "v": 1,
                "suite": "AES256GCM-HKDFSHA256",
                "kind": c.context["kind"],
                "kver": c.key_version,
                "nonce": b64u(&nonce),
                "commit": b64u(&okm[32..]),
                "ct": b64u(&sealed),
            });
            if let Some(kid) = c.key_id {
                expected_wire["kid"] = json!(kid);
            }
            let envelope_json = envelope.to_json();
            assert_eq!(
                serde_json::from_str::<Value>(&envelope_json).unwrap(),
                expected_wire
            );

            json!({
                "name": c.name,
                "key": hex::encode(key_bytes),
                "key_jwk": serde_json::from_str::<Value>(&key.export_jwk()).unwrap(),
                "nonce": hex::encode(nonce),
                "context": c.context,
                "key_id": c.key_id,
                "key_version": c.key_version,
                "padding": c.padding,
                "payload_json": c.payload_json,
                "aad": hex::encode(&aad),
                "framed_plaintext": hex::encode(&framed),
                "session_key": hex::encode(&okm[..32]),
                "commitment": hex::encode(&okm[32..]),
                "envelope_json": envelope_json,
            })
        })
        .collect()
}
