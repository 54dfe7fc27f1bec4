//! `domvia-loadtest`: a load harness for any Pusher Channels protocol 7 server.
//!
//! It measures what a realtime gateway is for, against Domvia or any peer (sockudo,
//! soketi), from the outside, over the public protocol only:
//! - [`fanout`]: N WebSocket subscribers on one public channel, events published through
//!   the signed HTTP API; deliveries per second, end-to-end latency percentiles, loss and
//!   duplicates;
//! - [`idle`]: N subscribed connections held open; how many survive and the server's
//!   resident memory per connection;
//! - [`compare`]: medians and ratios of two servers measured in the same session.
//!
//! The pieces a subscriber runs per frame are small and allocation-free: [`payload`] finds
//! the sequence number and send time without parsing the frame, [`tally`] and
//! [`histogram`] count them. The harness shares the machine with the server, so every
//! cycle it spends is a cycle the server does not get; both servers pay the same tax.
//!
//! ```
//! use domvia_loadtest::histogram::LatencyHistogram;
//! use domvia_loadtest::payload::{Stamp, event_data};
//!
//! let data = event_data(3, 1_000, 64);
//! let frame = format!(r#"{{"event":"bench","channel":"bench","data":{}}}"#, serde_json::to_string(&data)?);
//! let stamp = Stamp::find(frame.as_bytes()).ok_or("no stamp")?;
//! let mut latencies = LatencyHistogram::new();
//! latencies.record(1_250 - stamp.ts);
//! assert_eq!(latencies.summary().p99_us, 250);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod compare;
pub mod endpoint;
pub mod fanout;
pub mod histogram;
pub mod idle;
pub mod payload;
pub mod procfs;
pub mod publisher;
pub mod report;
pub mod session;
pub mod swarm;
pub mod tally;
