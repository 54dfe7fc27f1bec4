//! Keyring: a keyring opens exactly the versions it still holds, and its export imports
//! whole.

use std::collections::BTreeSet;

use domvia_e2ee::{
    KeyId, KeyLabel, KeyVersion, KeyVersionError, Keyring, KeyringExport, SealOptions,
};
use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};

use crate::strategies::{TestRng, case, ctx, identifier};

/// One keyring operation on the key id `ids[index]`.
#[derive(Debug, Clone)]
enum Op {
    Rotate(Index),
    /// Retire a version picked from 1 to highest + 1: held, retired, current, or never.
    Retire(Index, Index),
    /// Retire below a version picked from 1 to highest + 1.
    RetireOlderThan(Index, Index),
    Seal(Index),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => any::<Index>().prop_map(Op::Rotate),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(i, v)| Op::Retire(i, v)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(i, v)| Op::RetireOlderThan(i, v)),
        3 => any::<Index>().prop_map(Op::Seal),
    ]
}

/// What the keyring should hold for one key id.
#[derive(Debug)]
struct Model {
    held: BTreeSet<u32>,
    current: u32,
    highest: u32,
}

impl Model {
    fn pick(&self, v: Index) -> u32 {
        u32::try_from(v.index(self.highest as usize + 1)).unwrap_or(u32::MAX) + 1
    }
}

fn version(v: u32) -> Result<KeyVersion, KeyVersionError> {
    KeyVersion::new(u64::from(v))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn a_keyring_opens_exactly_what_it_holds(
        ids in btree_set(identifier(), 1..=3),
        ops in vec(op(), 0..40),
        ctx in ctx(),
        seed in any::<u64>(),
    ) {
        let ids = ids.iter().map(|s| s.parse()).collect::<Result<Vec<KeyId>, _>>()?;
        let context = &ctx.context;
        let mut rng = TestRng(seed);
        let mut ring = Keyring::new();
        let mut models = Vec::new();
        for id in &ids {
            prop_assert_eq!(ring.generate_with_rng(id.clone(), &mut rng)?, KeyVersion::FIRST);
            models.push(Model { held: BTreeSet::from([1]), current: 1, highest: 1 });
        }

        let mut sealed = Vec::new();
        for (n, op) in ops.iter().enumerate() {
            match op {
                Op::Rotate(i) => {
                    let i = i.index(ids.len());
                    let m = &mut models[i];
                    m.highest += 1;
                    m.current = m.highest;
                    m.held.insert(m.current);
                    prop_assert_eq!(ring.rotate_with_rng(&ids[i], &mut rng)?, version(m.current)?);
                }
                Op::Retire(i, v) => {
                    let i = i.index(ids.len());
                    let m = &mut models[i];
                    let v = m.pick(*v);
                    let expected = if v == m.current {
                        Err("retire_current")
                    } else if m.held.remove(&v) {
                        Ok(())
                    } else {
                        Err("unknown_key")
                    };
                    let result = ring.retire(&ids[i], version(v)?).map_err(|e| e.code());
                    prop_assert_eq!(result, expected);
                }
                Op::RetireOlderThan(i, v) => {
                    let i = i.index(ids.len());
                    let m = &mut models[i];
                    let keep_from = m.pick(*v);
                    let before = m.held.len();
                    m.held.retain(|held| *held >= keep_from.min(m.current));
                    let retired = ring.retire_older_than(&ids[i], version(keep_from)?)?;
                    prop_assert_eq!(retired, before - m.held.len());
                }
                Op::Seal(i) => {
                    let i = i.index(ids.len());
                    let payload = json!({"op": n});
                    let options = SealOptions::default();
                    let envelope =
                        ring.seal_json_with_rng(&payload, &ids[i], context, &options, &mut rng)?;
                    let label = KeyLabel::new(ids[i].clone(), version(models[i].current)?);
                    prop_assert_eq!(envelope.key_label(), &label);
                    sealed.push((i, envelope, payload));
                }
            }
        }

        for (id, m) in ids.iter().zip(&models) {
            let held: BTreeSet<u32> = ring.versions(id).map(KeyVersion::get).collect();
            prop_assert_eq!(&held, &m.held);
            prop_assert_eq!(ring.current(id).map(|(v, _)| v.get()), Some(m.current));
        }
        for (i, envelope, payload) in &sealed {
            let held = models[*i].held.contains(&envelope.key_label().key_version.get());
            match ring.open_json::<Value>(envelope, context) {
                Ok(opened) => prop_assert!(held && opened == *payload),
                Err(e) => prop_assert!(!held && e.code() == "unknown_key", "{:?}", e),
            }
        }

        // Export -> JSON -> import keeps every id, version and key, and the counter of
        // versions ever used.
        let export = ring.export();
        prop_assert_eq!(export.key_count(), models.iter().map(|m| m.held.len()).sum::<usize>());
        let json = export.to_json();
        let mut back = Keyring::import(&KeyringExport::from_json(&json)?)?;
        prop_assert_eq!(&*back.export().to_json(), &*json);
        prop_assert!(back.key_ids().eq(ring.key_ids()));
        for id in &ids {
            prop_assert!(back.versions(id).eq(ring.versions(id)));
            prop_assert!(back.current(id) == ring.current(id));
            for v in ring.versions(id) {
                prop_assert!(back.key(id, v) == ring.key(id, v));
            }
        }
        for (_, envelope, _) in &sealed {
            let a = ring.open_json::<Value>(envelope, context).map_err(|e| e.code());
            let b = back.open_json::<Value>(envelope, context).map_err(|e| e.code());
            prop_assert_eq!(a, b);
        }
        for (id, m) in ids.iter().zip(&models) {
            let next = back.rotate_with_rng(id, &mut rng)?;
            prop_assert_eq!(next, version(m.highest + 1)?, "a retired number is never reused");
        }
    }

    #[test]
    fn a_keyring_opens_only_under_the_named_key_id(case in case(), held in identifier()) {
        let envelope = case.seal()?;
        let mut ring = Keyring::new();
        ring.insert(held.parse()?, case.label.key_version, case.key())?;
        let opened = ring.open_json::<Value>(&envelope, &case.ctx.context);
        if case.label.key_id.as_ref().map(KeyId::as_str) == Some(held.as_str()) {
            prop_assert_eq!(opened?, case.payload);
        } else {
            // No key id, or another one: the right key under another name is not tried.
            prop_assert_eq!(opened.map_err(|e| e.code()), Err("unknown_key"));
        }
    }
}
