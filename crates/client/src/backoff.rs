//! The reconnect policy: exponential backoff with full jitter, capped.

use std::time::Duration;

/// How long to wait before reconnect attempt `n` (0-based): a random delay in
/// `[base·2ⁿ / 2, base·2ⁿ]`, capped at `max` ("equal jitter": never zero, so a fleet of
/// clients cut off together does not come back in one burst).
///
/// ```
/// use std::time::Duration;
/// use domvia_client::Backoff;
///
/// let backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
/// assert_eq!(backoff.delay_with_jitter(0, 1.0), Duration::from_millis(500));
/// assert_eq!(backoff.delay_with_jitter(2, 0.0), Duration::from_millis(1000));
/// assert_eq!(backoff.delay_with_jitter(20, 1.0), Duration::from_secs(30));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Backoff {
    base: Duration,
    max: Duration,
}

impl Default for Backoff {
    /// 1 s doubling up to 30 s: pusher-js waits at least 1 s after a 4100-range close.
    fn default() -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(30))
    }
}

impl Backoff {
    /// A policy starting at `base` and never waiting more than `max` (`max` is raised to
    /// `base` if smaller).
    #[must_use]
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max: max.max(base),
        }
    }

    /// The delay before attempt `attempt`, with a random jitter.
    #[must_use]
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with_jitter(attempt, rand::random::<f64>())
    }

    /// The delay before attempt `attempt` for `jitter` in `[0, 1]` (clamped): 0 gives half
    /// the exponential step, 1 the whole of it.
    #[must_use]
    pub fn delay_with_jitter(&self, attempt: u32, jitter: f64) -> Duration {
        let step = self
            .base
            .saturating_mul(2_u32.saturating_pow(attempt.min(31)))
            .min(self.max);
        let jitter = if jitter.is_nan() {
            1.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        step.mul_f64(0.5 + jitter / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps_and_stays_in_range() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(b.delay_with_jitter(0, 1.0), Duration::from_millis(100));
        assert_eq!(b.delay_with_jitter(1, 1.0), Duration::from_millis(200));
        assert_eq!(b.delay_with_jitter(3, 1.0), Duration::from_millis(800));
        assert_eq!(b.delay_with_jitter(4, 1.0), Duration::from_secs(1));
        assert_eq!(
            b.delay_with_jitter(u32::MAX, 0.0),
            Duration::from_millis(500)
        );
        assert_eq!(b.delay_with_jitter(0, f64::NAN), Duration::from_millis(100));
        assert_eq!(b.delay_with_jitter(0, -3.0), Duration::from_millis(50));
        for attempt in 0..40 {
            let d = b.delay(attempt);
            assert!(d >= Duration::from_millis(50) && d <= Duration::from_secs(1));
        }
        // max below base is raised to base.
        let b = Backoff::new(Duration::from_secs(2), Duration::from_secs(1));
        assert_eq!(b.delay_with_jitter(5, 1.0), Duration::from_secs(2));
    }
}
