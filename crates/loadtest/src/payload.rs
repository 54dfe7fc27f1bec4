//! The bench event: what the publisher sends, and how a subscriber reads it back cheaply.
//!
//! The event's `data` is a JSON object sent as a string, `{"seq":N,"ts":T,"pad":"xx…"}`:
//! `seq` numbers the publish, `ts` is the harness's monotonic send time in microseconds
//! ([`Clock`]) and `pad` brings `data` to the requested size. Delivered, it sits in the
//! frame as an escaped string:
//! `{"event":"bench","channel":"bench","data":"{\"seq\":7,\"ts\":1234,\"pad\":\"x\"}"}`.
//!
//! A subscriber receives every event once per connection, so it does not parse the frame:
//! [`Stamp::find`] scans for the `"seq` and `"ts` keys and reads the digits after them.
//! The scan works on the escaped and the plain form and whatever the server's key order,
//! so the harness makes no assumption about how a server re-serializes the frame.
//!
//! ```
//! use domvia_loadtest::payload::{Stamp, event_data};
//!
//! let data = event_data(7, 1234, 40);
//! assert_eq!(data.len(), 40);
//! let frame = serde_json::json!({"event": "bench", "channel": "bench", "data": data}).to_string();
//! assert_eq!(Stamp::find(frame.as_bytes()), Some(Stamp { seq: 7, ts: 1234 }));
//! ```

use std::time::Instant;

use domvia_protocol::ChannelName;

/// The event name the publisher uses.
pub const BENCH_EVENT: &str = "bench";

/// The harness's monotonic clock: microseconds since it started. Publisher and
/// subscribers share one, so a latency is the difference of two of its readings.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: Instant,
}

impl Clock {
    /// A clock whose zero is now.
    #[must_use]
    pub fn start() -> Self {
        Self::with_origin(Instant::now())
    }

    /// A clock whose zero is `origin` (tests pass a fixed one).
    #[must_use]
    pub fn with_origin(origin: Instant) -> Self {
        Self { origin }
    }

    /// Microseconds from the origin to now.
    #[must_use]
    pub fn micros(&self) -> u64 {
        self.micros_at(Instant::now())
    }

    /// Microseconds from the origin to `at` (0 before the origin).
    #[must_use]
    pub fn micros_at(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_micros()).unwrap_or(u64::MAX)
    }

    /// The instant `micros` after the origin.
    #[must_use]
    pub fn instant(&self, micros: u64) -> Instant {
        self.origin
            .checked_add(std::time::Duration::from_micros(micros))
            .unwrap_or(self.origin)
    }
}

/// The event `data` for publish `seq` sent at `ts`, padded with `x` to `size` bytes (or
/// longer, when `size` is smaller than the stamp itself).
#[must_use]
pub fn event_data(seq: u64, ts: u64, size: usize) -> String {
    let mut data = format!(r#"{{"seq":{seq},"ts":{ts},"pad":""#);
    // What is left once the closing `"}` is counted.
    let pad = size.saturating_sub(data.len().saturating_add(2));
    data.extend(std::iter::repeat_n('x', pad));
    data.push_str("\"}");
    data
}

/// The HTTP API body that publishes `data` as [`BENCH_EVENT`] on `channel`
/// (`POST /apps/{id}/events`).
#[must_use]
pub fn event_body(channel: &ChannelName, data: &str) -> Vec<u8> {
    serde_json::json!({ "name": BENCH_EVENT, "channel": channel.as_str(), "data": data })
        .to_string()
        .into_bytes()
}

/// What a subscriber reads back from a bench event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The publish's sequence number.
    pub seq: u64,
    /// When it was sent, in [`Clock`] microseconds.
    pub ts: u64,
}

impl Stamp {
    /// The stamp of a delivered bench frame, or `None` for any other frame (no `"seq`
    /// key followed by a number, or no `"ts` key after it).
    #[must_use]
    pub fn find(frame: &[u8]) -> Option<Self> {
        let (seq, after_seq) = number_after(frame, b"\"seq")?;
        let rest = frame.get(after_seq..)?;
        let (ts, _) = number_after(rest, b"\"ts")?;
        Some(Self { seq, ts })
    }
}

/// The unsigned number that follows the first `key` in `haystack`, past any `\`, `"`,
/// `:` or space, and the offset just after its last digit.
fn number_after(haystack: &[u8], key: &[u8]) -> Option<(u64, usize)> {
    let key_end = haystack
        .windows(key.len())
        .position(|w| w == key)?
        .checked_add(key.len())?;
    let rest = haystack.get(key_end..)?;
    let skip = rest
        .iter()
        .position(|b| !matches!(b, b'\\' | b'"' | b':' | b' '))?;
    let digits = rest.get(skip..)?;
    let mut value: u64 = 0;
    let mut len: usize = 0;
    for &b in digits.iter().take_while(|b| b.is_ascii_digit()) {
        value = value
            .checked_mul(10)?
            .checked_add(u64::from(b.wrapping_sub(b'0')))?;
        len = len.checked_add(1)?;
    }
    if len == 0 {
        return None;
    }
    Some((value, key_end.checked_add(skip)?.checked_add(len)?))
}
