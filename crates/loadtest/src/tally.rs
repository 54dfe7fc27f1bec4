//! What one subscriber saw: deliveries, duplicates, latencies. Merged across subscribers.
//!
//! Loss and duplicates need to know which sequence numbers arrived, per connection: a
//! bitset indexed by `seq` does it in one bit per publish (10 000 events cost 1.25 KiB per
//! subscriber), with no assumption that the server keeps publish order, which it need not
//! when several publish requests are in flight.
//!
//! ```
//! use domvia_loadtest::payload::Stamp;
//! use domvia_loadtest::tally::Tally;
//!
//! let mut t = Tally::default();
//! t.record(Stamp { seq: 0, ts: 100 }, 350);
//! t.record(Stamp { seq: 0, ts: 100 }, 360);
//! t.record(Stamp { seq: 1, ts: 200 }, 400);
//! assert_eq!((t.received, t.unique(), t.duplicates()), (3, 2, 1));
//! // The duplicate adds no latency sample.
//! assert_eq!(t.latency.summary().max_us, 250);
//! ```

use crate::histogram::LatencyHistogram;
use crate::payload::Stamp;

/// Sequence numbers at or above this are refused as garbage rather than grow a bitset to
/// match (2^28 bits is 32 MiB per subscriber).
pub const MAX_SEQ: u64 = 1 << 28;

/// A set of sequence numbers, one bit each.
#[derive(Clone, Debug, Default)]
pub struct SeqSet {
    words: Vec<u64>,
    len: u64,
}

impl SeqSet {
    /// Adds `seq`; `true` when it was not there yet. `None` when `seq` ≥ [`MAX_SEQ`].
    pub fn insert(&mut self, seq: u64) -> Option<bool> {
        if seq >= MAX_SEQ {
            return None;
        }
        let word = usize::try_from(seq >> 6).ok()?;
        let bit = 1_u64 << (seq & 63);
        if word >= self.words.len() {
            self.words.resize(word.checked_add(1)?, 0);
        }
        let slot = self.words.get_mut(word)?;
        let fresh = *slot & bit == 0;
        *slot |= bit;
        if fresh {
            self.len = self.len.saturating_add(1);
        }
        Some(fresh)
    }

    /// Whether `seq` is in the set.
    #[must_use]
    pub fn contains(&self, seq: u64) -> bool {
        usize::try_from(seq >> 6)
            .ok()
            .and_then(|word| self.words.get(word))
            .is_some_and(|w| w & (1_u64 << (seq & 63)) != 0)
    }

    /// How many distinct numbers were added.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One subscriber's record, or the merge of many.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Bench frames received, duplicates included.
    pub received: u64,
    /// Bench frames whose `seq` was out of range.
    pub bad_frames: u64,
    /// Latency of each first delivery, in microseconds.
    pub latency: LatencyHistogram,
    /// Clock time of the last delivery (µs), 0 when none.
    pub last_delivery_us: u64,
    seen: SeqSet,
    unique: u64,
}

impl Tally {
    /// Counts a delivery of `stamp` received at `now_us`; `true` for a first delivery. A
    /// duplicate counts as received but adds no latency sample.
    pub fn record(&mut self, stamp: Stamp, now_us: u64) -> bool {
        self.received = self.received.saturating_add(1);
        self.last_delivery_us = self.last_delivery_us.max(now_us);
        match self.seen.insert(stamp.seq) {
            Some(true) => {
                self.unique = self.unique.saturating_add(1);
                self.latency.record(now_us.saturating_sub(stamp.ts));
                true
            }
            Some(false) => false,
            None => {
                self.bad_frames = self.bad_frames.saturating_add(1);
                false
            }
        }
    }

    /// Distinct events received (summed over subscribers after a merge).
    #[must_use]
    pub fn unique(&self) -> u64 {
        self.unique
    }

    /// Frames received again (summed over subscribers after a merge).
    #[must_use]
    pub fn duplicates(&self) -> u64 {
        self.received
            .saturating_sub(self.unique)
            .saturating_sub(self.bad_frames)
    }

    /// Adds another subscriber's counts. Sequence sets are per connection and are not
    /// merged: the totals already hold what they decided.
    pub fn merge(&mut self, other: &Self) {
        self.received = self.received.saturating_add(other.received);
        self.bad_frames = self.bad_frames.saturating_add(other.bad_frames);
        self.unique = self.unique.saturating_add(other.unique);
        self.latency.merge(&other.latency);
        self.last_delivery_us = self.last_delivery_us.max(other.last_delivery_us);
    }
}
