//! Arbitrary bytes as an envelope's wire form (spec/envelope-v1.md section 7, and section 8
//! steps 1 to 4). Parsing must never panic, and whatever parses must write back and read
//! back as the same envelope through every entry point.

#![no_main]

use domvia_e2ee::Envelope;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let parsed = Envelope::from_slice(data);
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(
            Envelope::from_json(text),
            parsed,
            "from_json and from_slice disagree"
        );
    }
    let Ok(envelope) = parsed else { return };

    let json = envelope.to_json();
    assert_eq!(
        Envelope::from_json(&json).as_ref(),
        Ok(&envelope),
        "to_json does not read back"
    );
    assert_eq!(
        Envelope::from_json(&json).map(|e| e.to_json()).as_ref(),
        Ok(&json)
    );
    assert_eq!(
        Envelope::from_value(&envelope.to_value()).as_ref(),
        Ok(&envelope)
    );
    assert_eq!(
        serde_json::from_str::<Envelope>(&json).ok().as_ref(),
        Some(&envelope)
    );
    // The accepted text has no duplicate members, so as a JSON value it is the same envelope.
    let value: Value = serde_json::from_slice(data).expect("accepted text is JSON");
    assert_eq!(
        Envelope::from_value(&value).as_ref(),
        Ok(&envelope),
        "from_value disagrees"
    );
});
