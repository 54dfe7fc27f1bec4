//! Round trips: any JSON value sealed for any context, key label and padding opens back
//! equal, also after a trip through the wire form (sections 4, 6 and 7).

use domvia_e2ee::{
    CallContext, ChatContext, Envelope, RealtimeContext, SealOptions, decrypt_call_signal_json,
    decrypt_chat_json, decrypt_realtime_json, seal_json,
};
use proptest::prelude::*;
use serde_json::Value;

use crate::strategies::{Case, case, case_with, json_value, padding};
use crate::wire::assert_reparses;
use crate::{LEN_PREFIX, TAG_LEN};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_json_value_round_trips(
        case in case_with(json_value(), padding()),
        os_rng in any::<bool>(),
    ) {
        let (key, context) = (case.key(), &case.ctx.context);
        let envelope = if os_rng {
            let options = SealOptions::with_padding(case.padding);
            seal_json(&case.payload, &key, context, &case.label, &options)?
        } else {
            case.seal()?
        };
        prop_assert_eq!(envelope.kind().as_str(), case.ctx.kind_name());
        prop_assert_eq!(envelope.key_label(), &case.label);
        prop_assert_eq!(&case.open(&envelope, &case.ctx)?, &case.payload);

        let wire = Envelope::from_json(&envelope.to_json())?;
        prop_assert_eq!(&wire, &envelope);
        assert_reparses(&wire)?;
        let [a, b, c] = &case.ctx.fields;
        let opened: Value = match case.ctx.kind {
            0 => decrypt_chat_json(&wire, &key, &ChatContext::parse(a, b)?)?,
            1 => decrypt_call_signal_json(&wire, &key, &CallContext::parse(a, b)?)?,
            _ => decrypt_realtime_json(&wire, &key, &RealtimeContext::parse(a, b, c)?)?,
        };
        prop_assert_eq!(&opened, &case.payload);

        // Section 6: the ciphertext is the padded frame plus the tag.
        let json_len = serde_json::to_vec(&case.payload)?.len();
        let padded = case.padding.padded_len(LEN_PREFIX + json_len);
        prop_assert_eq!(Some(envelope.ciphertext().len()), padded.map(|n| n + TAG_LEN));
    }

    #[test]
    fn sealing_is_a_function_of_the_generator(case in case()) {
        let (a, b) = (case.seal()?, case.seal()?);
        prop_assert_eq!(a.to_json(), b.to_json());
        let c = Case { seed: case.seed ^ 1, ..case.clone() }.seal()?;
        prop_assert_ne!(c.nonce(), a.nonce());
    }

    #[test]
    fn the_wrong_kind_is_reported_as_such(case in case(), shift in 1..3_usize) {
        let other = case.ctx.with_kind((case.ctx.kind + shift) % 3)?;
        let result = case.open(&case.seal()?, &other);
        prop_assert_eq!(result.map_err(|e| e.code()), Err("kind_mismatch"));
    }
}
