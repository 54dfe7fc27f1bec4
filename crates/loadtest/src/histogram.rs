//! Latency recording: a fixed-size log-linear histogram of microseconds.
//!
//! Each subscriber task owns one (7 KiB, no allocation per sample) and the fan-out merges
//! them at the end, so recording a delivery costs an index computation and an increment.
//! Values below 128 µs are exact; above, each power of two is split into 64 buckets, so a
//! reported percentile is at most 1/64 (1.6 %) above the true value. The maximum is kept
//! exactly. Values above `u32::MAX` µs (71 minutes) count as `u32::MAX`.
//!
//! ```
//! use domvia_loadtest::histogram::LatencyHistogram;
//!
//! let mut h = LatencyHistogram::new();
//! for us in 1..=1000 {
//!     h.record(us);
//! }
//! let s = h.summary();
//! assert_eq!(s.count, 1000);
//! assert!((500..=508).contains(&s.p50_us));
//! assert_eq!(s.max_us, 1000);
//! ```

use serde::{Deserialize, Serialize};

/// Values below `1 << EXACT_BITS` get a bucket each.
const EXACT_BITS: u32 = 7;
/// Sub-buckets per power of two above the exact range: `1 << (EXACT_BITS - 1)`.
const SUB_BUCKETS: usize = 64;
/// Buckets: the exact range, then 25 powers of two (2^7 … 2^31) of [`SUB_BUCKETS`] each.
const BUCKETS: usize = 128 + 25 * SUB_BUCKETS;

/// A histogram of latencies in microseconds.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    counts: Box<[u32; BUCKETS]>,
    count: u64,
    sum: u64,
    max: u32,
}

/// Percentiles of a [`LatencyHistogram`], in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Samples recorded.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest sample (exact).
    pub max_us: u64,
    /// Arithmetic mean (exact).
    pub mean_us: f64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram.
    #[must_use]
    pub fn new() -> Self {
        Self {
            counts: Box::new([0; BUCKETS]),
            count: 0,
            sum: 0,
            max: 0,
        }
    }

    /// Records one latency.
    pub fn record(&mut self, micros: u64) {
        let value = u32::try_from(micros).unwrap_or(u32::MAX);
        if let Some(slot) = self.counts.get_mut(bucket_of(value)) {
            *slot = slot.saturating_add(1);
        }
        self.count = self.count.saturating_add(1);
        self.sum = self.sum.saturating_add(u64::from(value));
        self.max = self.max.max(value);
    }

    /// Adds `other`'s samples to this one.
    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine = mine.saturating_add(*theirs);
        }
        self.count = self.count.saturating_add(other.count);
        self.sum = self.sum.saturating_add(other.sum);
        self.max = self.max.max(other.max);
    }

    /// Samples recorded.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q` quantile (`0.0..=1.0`): the upper bound of the bucket holding the sample of
    /// rank `ceil(q × count)`, capped at the exact maximum; 0 when empty.
    #[must_use]
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        // A rank in 1..=count; the float product is exact enough for any real run.
        let wanted = (q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64;
        let rank = wanted.clamp(1, self.count);
        let mut seen: u64 = 0;
        for (index, &n) in self.counts.iter().enumerate() {
            seen = seen.saturating_add(u64::from(n));
            if seen >= rank {
                return upper_bound(index).min(u64::from(self.max));
            }
        }
        u64::from(self.max)
    }

    /// The usual percentiles, the maximum and the mean.
    #[must_use]
    pub fn summary(&self) -> LatencySummary {
        let mean_us = if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        };
        LatencySummary {
            count: self.count,
            p50_us: self.quantile(0.50),
            p90_us: self.quantile(0.90),
            p99_us: self.quantile(0.99),
            p999_us: self.quantile(0.999),
            max_us: u64::from(self.max),
            mean_us,
        }
    }
}

/// The bucket of `value`: itself below 128; above, 64 buckets per power of two.
fn bucket_of(value: u32) -> usize {
    if value < (1 << EXACT_BITS) {
        return value as usize;
    }
    // Position of the top bit, 7..=31, so `shift` is 1..=25.
    let top = 31_u32.saturating_sub(value.leading_zeros());
    let shift = top.saturating_sub(EXACT_BITS.saturating_sub(1));
    // The top 7 bits, 64..=127; their low 6 bits pick the sub-bucket.
    let sub = (value >> shift) as usize & (SUB_BUCKETS.saturating_sub(1));
    let octave = (shift as usize).saturating_sub(1);
    128_usize
        .saturating_add(octave.saturating_mul(SUB_BUCKETS))
        .saturating_add(sub)
}

/// The largest value that falls in bucket `index`.
fn upper_bound(index: usize) -> u64 {
    if index < 128 {
        return index as u64;
    }
    let above = index.saturating_sub(128);
    let shift = (above / SUB_BUCKETS).saturating_add(1) as u32;
    let sub = (above % SUB_BUCKETS).saturating_add(SUB_BUCKETS) as u64;
    // Bucket covers [sub << shift, (sub + 1) << shift).
    (sub.saturating_add(1) << shift).saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_bounded() {
        let mut previous = 0;
        for value in (0..200_000_u32).chain([u32::MAX - 1, u32::MAX]) {
            let b = bucket_of(value);
            assert!(b < BUCKETS, "{value} -> {b}");
            assert!(b >= previous);
            previous = b;
            assert!(upper_bound(b) >= u64::from(value), "{value}");
            if value >= 128 {
                let err = (upper_bound(b) - u64::from(value)) as f64 / f64::from(value);
                assert!(err < 1.0 / 64.0, "{value}: {err}");
            } else {
                assert_eq!(upper_bound(b), u64::from(value));
            }
        }
        assert_eq!(bucket_of(u32::MAX), BUCKETS - 1);
    }
}
