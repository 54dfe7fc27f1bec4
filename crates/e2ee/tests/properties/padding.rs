//! Padding: payloads whose frames fall in one bucket give ciphertexts of one length
//! (section 6).

use domvia_e2ee::{
    AesGcmKey, ChatContext, Context, KeyLabel, Padding, SealOptions, seal_json_with_rng,
};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::strategies::{TestRng, multiple};
use crate::{LEN_PREFIX, TAG_LEN};

/// Padding policies with buckets small enough to walk.
fn walkable_padding() -> impl Strategy<Value = Padding> {
    prop_oneof![
        Just(Padding::None),
        Just(Padding::PowerOfTwo),
        multiple(1..=4096)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The payload `"aaa…"` of `n` letters frames to `4 + n + 2` bytes. A second payload
    /// whose frame falls anywhere in the same bucket gives a ciphertext of the same length.
    #[test]
    fn payloads_in_one_bucket_give_one_length(
        padding in walkable_padding(),
        n in 0..3000_usize,
        pick in any::<Index>(),
        seed in any::<u64>(),
    ) {
        const EMPTY_STRING_FRAME: usize = LEN_PREFIX + 2;
        let frame = EMPTY_STRING_FRAME + n;
        let end = padding.padded_len(frame);
        let mut start = frame;
        while start > EMPTY_STRING_FRAME && padding.padded_len(start - 1) == end {
            start -= 1;
        }
        let end = end.unwrap_or_default();
        let other = start + pick.index(end - start + 1);

        let key = AesGcmKey::from_bytes([7; 32]);
        let context: Context = ChatContext::parse("room", "msg")?.into();
        let label = KeyLabel::parse(Some("k"), 1)?;
        let options = SealOptions::with_padding(padding);
        let mut rng = TestRng(seed);
        let mut seal = |payload: String| {
            seal_json_with_rng(&payload, &key, &context, &label, &options, &mut rng)
        };
        let a = seal("a".repeat(n))?;
        let b = seal("b".repeat(other - EMPTY_STRING_FRAME))?;
        prop_assert_eq!(a.ciphertext().len(), end + TAG_LEN);
        prop_assert_eq!(b.ciphertext().len(), end + TAG_LEN);
    }
}
