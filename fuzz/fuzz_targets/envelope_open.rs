//! Arbitrary bytes parsed as an envelope, then opened with the fixture's keys and the
//! contexts of all three kinds, with the keyring, and through the replay guard
//! (spec/envelope-v1.md section 8). Must never panic, and must fail only with the errors
//! the spec allows at steps 4 to 9.

#![no_main]

use std::collections::BTreeMap;

use domvia_e2ee::{Context, Envelope, OpenError, ReplayGuard, open_json};
use domvia_e2ee_fuzz::fixture;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The errors opening with a key may give once the envelope has parsed (a keyring may
/// also give `unknown_key`).
const OPEN_ERRORS: [&str; 4] = [
    "kind_mismatch",
    "auth_failed",
    "invalid_plaintext",
    "invalid_payload",
];

fn check(envelope: &Envelope, context: &Context, opened: &Result<Value, OpenError>, keyring: bool) {
    match opened {
        Ok(_) => assert_eq!(envelope.kind(), context.kind(), "opened under another kind"),
        Err(e) => assert!(
            OPEN_ERRORS.contains(&e.code()) || (keyring && e.code() == "unknown_key"),
            "unexpected error {e:?}"
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = Envelope::from_slice(data) else {
        return;
    };
    let fixture = fixture();

    for trial in &fixture.trials {
        let opened = open_json::<Value>(&envelope, &trial.key, &trial.context);
        check(&envelope, &trial.context, &opened, false);
        let Ok(payload) = opened else { continue };

        // Authenticated: typed opening, and the replay guard, see the same payload.
        let typed = open_json::<BTreeMap<String, Value>>(&envelope, &trial.key, &trial.context);
        match typed {
            Ok(map) => assert_eq!(Value::Object(map.into_iter().collect()), payload),
            Err(e) => assert_eq!(e.code(), "invalid_payload", "{e:?}"),
        }
        let mut guard = ReplayGuard::new(4);
        let first = guard.open_json::<Value>(&envelope, &trial.key, &trial.context);
        assert_eq!(first.ok().as_ref(), Some(&payload));
        let again = guard.open_json::<Value>(&envelope, &trial.key, &trial.context);
        assert_eq!(again.map_err(|e| e.code()).err(), Some("replayed"));
    }

    for context in &fixture.contexts {
        let opened = fixture.keyring.open_json::<Value>(&envelope, context);
        check(&envelope, context, &opened, true);
        let mut guard = ReplayGuard::new(4);
        let guarded = guard.open_json_with_keyring::<Value>(&envelope, &fixture.keyring, context);
        assert_eq!(
            guarded.map_err(|e| e.code()),
            opened.map_err(|e| e.code()),
            "the replay guard changes a first opening"
        );
    }
});
