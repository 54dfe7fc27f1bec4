//! Tampering: every change gives the one opaque error (section 8, steps 6, 7).

use base64ct::{Base64UrlUnpadded, Encoding};
use domvia_e2ee::{AesGcmKey, Envelope, KeyId, Keyring, OpenError, open_json};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::Value;

use crate::TAG_LEN;
use crate::strategies::{case, identifier, key_version};
use crate::wire::{edit_wire, xor_member};

/// Any change to a byte: single bits more often than not.
fn mask() -> impl Strategy<Value = u8> {
    prop_oneof![(0..8_u32).prop_map(|bit| 1_u8 << bit), 1..=255_u8]
}

fn assert_auth_failed(result: Result<Value, OpenError>) -> Result<(), TestCaseError> {
    match result {
        Err(e) => prop_assert_eq!(e.code(), "auth_failed", "{:?}", e),
        Ok(v) => prop_assert!(false, "a changed envelope opened to {}", v),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn changing_any_byte_of_a_binary_member_fails(
        case in case(),
        member in select(vec!["nonce", "commit", "ct"]),
        at in any::<Index>(),
        mask in mask(),
    ) {
        let envelope = case.seal()?;
        let tampered = xor_member(&envelope, member, |len| at.index(len), mask)?;
        prop_assert_ne!(&tampered, &envelope);
        assert_auth_failed(case.open(&tampered, &case.ctx))?;
    }

    /// The tag is 16 of possibly thousands of ciphertext bytes: aim at it directly.
    #[test]
    fn changing_the_tag_fails(case in case(), at in 0..TAG_LEN, mask in mask()) {
        let tampered = xor_member(&case.seal()?, "ct", |len| len - TAG_LEN + at, mask)?;
        assert_auth_failed(case.open(&tampered, &case.ctx))?;
    }

    #[test]
    fn shortening_or_lengthening_the_ciphertext_fails(
        case in case(),
        cut in 1..64_usize,
        extra in vec(any::<u8>(), 1..16),
    ) {
        let envelope = case.seal()?;
        let with_ct = |ct: &[u8]| {
            edit_wire(&envelope, |wire| {
                wire.insert("ct".into(), Base64UrlUnpadded::encode_string(ct).into());
                Ok(())
            })
        };
        let mut longer = envelope.ciphertext().to_vec();
        longer.extend_from_slice(&extra);
        assert_auth_failed(case.open(&with_ct(&longer)?, &case.ctx))?;

        let len = envelope.ciphertext().len().saturating_sub(cut);
        let shorter = envelope.ciphertext().get(..len).unwrap_or_default();
        if len >= TAG_LEN {
            assert_auth_failed(case.open(&with_ct(shorter)?, &case.ctx))?;
        } else {
            // Shorter than a tag: the parser refuses it.
            let mut wire = envelope.to_value();
            wire["ct"] = Base64UrlUnpadded::encode_string(shorter).into();
            let parsed = Envelope::from_json(&wire.to_string());
            prop_assert_eq!(parsed.map_err(|e| e.code()), Err("malformed"));
        }
    }

    #[test]
    fn changing_the_key_version_fails(case in case(), kver in key_version()) {
        prop_assume!(kver != u64::from(case.label.key_version.get()));
        let tampered = edit_wire(&case.seal()?, |wire| {
            wire.insert("kver".into(), kver.into());
            Ok(())
        })?;
        assert_auth_failed(case.open(&tampered, &case.ctx))?;
    }

    /// Another valid key id, or one added or removed.
    #[test]
    fn changing_the_key_id_fails(case in case(), kid in proptest::option::of(identifier())) {
        prop_assume!(kid.as_deref() != case.label.key_id.as_ref().map(KeyId::as_str));
        let tampered = edit_wire(&case.seal()?, |wire| {
            match kid {
                Some(kid) => wire.insert("kid".into(), kid.into()),
                None => wire.remove("kid"),
            };
            Ok(())
        })?;
        assert_auth_failed(case.open(&tampered, &case.ctx))?;
    }

    /// Room, message, call, event, scope or scope id: whichever the kind has.
    #[test]
    fn changing_any_context_field_fails(
        case in case(),
        field in any::<Index>(),
        value in identifier(),
    ) {
        let at = field.index(case.ctx.field_count());
        prop_assume!(case.ctx.fields.get(at) != Some(&value));
        let other = case.ctx.with_field(at, value)?;
        assert_auth_failed(case.open(&case.seal()?, &other))?;
    }

    /// Relabelled to another kind, and opened as that kind with the same identifiers.
    #[test]
    fn changing_the_kind_fails(case in case(), shift in 1..3_usize) {
        let other = case.ctx.with_kind((case.ctx.kind + shift) % 3)?;
        let tampered = edit_wire(&case.seal()?, |wire| {
            wire.insert("kind".into(), other.kind_name().into());
            Ok(())
        })?;
        assert_auth_failed(case.open(&tampered, &other))?;
    }

    #[test]
    fn another_key_fails(case in case(), key in any::<[u8; 32]>()) {
        prop_assume!(key != case.key);
        let envelope = case.seal()?;
        let other = AesGcmKey::from_bytes(key);
        assert_auth_failed(open_json(&envelope, &other, &case.ctx.context))?;
        // The same through a keyring that holds another key under the envelope's label.
        if let Some(kid) = &case.label.key_id {
            let mut ring = Keyring::new();
            ring.insert(kid.clone(), case.label.key_version, other)?;
            assert_auth_failed(ring.open_json(&envelope, &case.ctx.context))?;
        }
    }
}
