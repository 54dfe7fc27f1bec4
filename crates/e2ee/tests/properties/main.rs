//! Property tests of the public API (spec/envelope-v1.md).
//!
//! What holds for every input the strategies (`strategies.rs`) can produce:
//!
//! - any JSON value sealed for any context, key label and padding opens back equal, also
//!   after a trip through the wire form, and the ciphertext is exactly the padded frame
//!   plus the tag (sections 4, 6 and 7);
//! - changing any byte of the nonce, commitment, ciphertext or tag, the key id or version,
//!   the kind, any context field or the key gives `auth_failed` (section 8, steps 6, 7);
//! - the parser never panics, and whatever it accepts it writes back and reads back equal;
//! - a keyring opens exactly the versions it still holds, and its export imports whole.
//!
//! Sealing draws its randomness from `strategies::TestRng`, seeded by proptest, so a failing case
//! replays exactly.

#![expect(
    clippy::arithmetic_side_effects,
    reason = "lengths and counters in tests are small and bounded by the strategies"
)]

mod keyring;
mod padding;
mod parser;
mod round_trip;
mod strategies;
mod tamper;
mod wire;

/// Bytes of the length prefix (section 6) and of the tag (section 4).
const LEN_PREFIX: usize = 4;
const TAG_LEN: usize = 16;
