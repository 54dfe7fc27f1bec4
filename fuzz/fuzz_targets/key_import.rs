//! Arbitrary text as a raw key, a JWK and a keyring export (spec/envelope-v1.md section
//! 10). Import must never panic; whatever imports must export and import back equal, and
//! a raw key is accepted only in its one canonical form.

#![no_main]

use domvia_e2ee::{AesGcmKey, Keyring, KeyringExport};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(key) = AesGcmKey::import_raw(text) {
        assert_eq!(text.len(), 43, "a raw key is 43 characters");
        assert_eq!(
            key.export_raw().as_str(),
            text,
            "a non-canonical raw key was accepted"
        );
        assert_eq!(AesGcmKey::import_jwk(&key.export_jwk()).as_ref(), Ok(&key));
    }

    if let Ok(key) = AesGcmKey::import_jwk(text) {
        assert_eq!(AesGcmKey::import_raw(&key.export_raw()).as_ref(), Ok(&key));
        assert_eq!(AesGcmKey::import_jwk(&key.export_jwk()).as_ref(), Ok(&key));
    }

    if let Ok(export) = KeyringExport::from_json(text)
        && let Ok(ring) = Keyring::import(&export)
    {
        let json = ring.export().to_json();
        let again = KeyringExport::from_json(&json).and_then(|e| Keyring::import(&e));
        let again = again.expect("an imported keyring's export imports");
        assert_eq!(again.export().to_json(), json, "export is not stable");
        assert_eq!(export.key_count(), ring.export().key_count());
    }
});
