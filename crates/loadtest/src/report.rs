//! What a run reports: a table for people and one JSON line for scripts.
//!
//! Each JSON line is a [`Record`], tagged by `"mode"`, so a file of runs against several
//! servers can be read back by `domvia-loadtest compare`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::histogram::LatencySummary;

/// One run's result, as a JSON line.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum Record {
    /// A fan-out run.
    Fanout(FanoutReport),
    /// An idle-connections run.
    Idle(IdleReport),
}

/// The fan-out scenario's result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FanoutReport {
    /// The server's name.
    pub label: String,
    /// The channel used.
    pub channel: String,
    /// Subscribers requested.
    pub subscribers: u64,
    /// Subscribers that got `subscription_succeeded`.
    pub subscribed: u64,
    /// Time to open and subscribe them all.
    pub setup_secs: f64,
    /// Target publish rate (0: as fast as possible).
    pub rate: u64,
    /// Size of each event's `data`.
    pub payload_bytes: u64,
    /// Publish requests in flight.
    pub inflight: u64,
    /// Publishing time asked for.
    pub duration_secs: f64,
    /// Events the HTTP API accepted.
    pub published: u64,
    /// Accepted events per second of publishing.
    pub published_per_sec: f64,
    /// HTTP connections the publisher opened (more than `inflight` when the server closes
    /// them).
    pub publish_connections: u64,
    /// `published × subscribed`.
    pub expected_deliveries: u64,
    /// First deliveries received (duplicates excluded).
    pub delivered: u64,
    /// `expected − delivered`.
    pub lost: u64,
    /// Deliveries received more than once on the same connection.
    pub duplicates: u64,
    /// `delivered` over the delivery window.
    pub delivered_per_sec: f64,
    /// From the first publish to the last delivery.
    pub delivery_window_secs: f64,
    /// End-to-end latency of first deliveries: publish request sent → frame read.
    pub latency: LatencySummary,
    /// Errors by `setup.*`, `run.*` and `publish.*` code.
    pub errors: BTreeMap<String, u64>,
    /// Server CPU time (user + system) from publish start to drain end.
    pub server_cpu_secs: Option<f64>,
    /// Server RSS at the end of the drain.
    pub server_rss_kb: Option<u64>,
}

/// The idle scenario's result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdleReport {
    /// The server's name.
    pub label: String,
    /// Connections requested.
    pub connections: u64,
    /// Connections that got `connection_established`.
    pub established: u64,
    /// Connections subscribed.
    pub subscribed: u64,
    /// Whether all joined one channel (else one channel each).
    pub shared_channel: bool,
    /// Time to open and subscribe them all.
    pub setup_secs: f64,
    /// How long they were held.
    pub hold_secs: f64,
    /// Subscribed connections that ended during the hold.
    pub dropped_during_hold: u64,
    /// All requested connections subscribed and held, with no error of any kind.
    pub held_all: bool,
    /// Errors by `setup.*` and `hold.*` code.
    pub errors: BTreeMap<String, u64>,
    /// Server RSS before the first connection.
    pub server_rss_before_kb: Option<u64>,
    /// Server RSS once all were subscribed.
    pub server_rss_subscribed_kb: Option<u64>,
    /// Server RSS at the end of the hold.
    pub server_rss_after_kb: Option<u64>,
    /// `(after − before) / subscribed`, in bytes.
    pub rss_per_connection_bytes: Option<f64>,
}

impl FanoutReport {
    /// Nothing lost, duplicated or failed, and every subscriber subscribed.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.subscribed == self.subscribers
            && self.published > 0
            && self.lost == 0
            && self.duplicates == 0
            && self.errors.is_empty()
    }
}

fn opt<T: fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn write_errors(f: &mut fmt::Formatter<'_>, errors: &BTreeMap<String, u64>) -> fmt::Result {
    if errors.is_empty() {
        return writeln!(f, "  {:<26}none", "errors");
    }
    for (code, n) in errors {
        writeln!(f, "  {:<26}{n} × {code}", "error")?;
    }
    Ok(())
}

impl fmt::Display for FanoutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.latency;
        let rate = if self.rate == 0 {
            "max".to_owned()
        } else {
            format!("{}/s", self.rate)
        };
        writeln!(f, "fan-out  [{}]", self.label)?;
        let rows: [(&str, String); 14] = [
            (
                "subscribers",
                format!(
                    "{} / {} subscribed in {:.1} s",
                    self.subscribed, self.subscribers, self.setup_secs
                ),
            ),
            (
                "publish",
                format!(
                    "rate {rate}, {} in flight, {} B data, {:.0} s",
                    self.inflight, self.payload_bytes, self.duration_secs
                ),
            ),
            (
                "events published",
                format!(
                    "{} ({:.0}/s, {} HTTP connections)",
                    self.published, self.published_per_sec, self.publish_connections
                ),
            ),
            ("deliveries expected", self.expected_deliveries.to_string()),
            ("deliveries received", self.delivered.to_string()),
            ("lost", self.lost.to_string()),
            ("duplicates", self.duplicates.to_string()),
            (
                "delivered msg/s",
                format!(
                    "{:.0} (over {:.2} s)",
                    self.delivered_per_sec, self.delivery_window_secs
                ),
            ),
            ("latency p50", format!("{} µs", l.p50_us)),
            ("latency p90", format!("{} µs", l.p90_us)),
            ("latency p99", format!("{} µs", l.p99_us)),
            (
                "latency max",
                format!("{} µs (mean {:.0} µs)", l.max_us, l.mean_us),
            ),
            (
                "server CPU",
                self.server_cpu_secs
                    .map_or_else(|| "-".to_owned(), |s| format!("{s:.2} s")),
            ),
            (
                "server RSS",
                self.server_rss_kb
                    .map_or_else(|| "-".to_owned(), |kb| format!("{kb} KiB")),
            ),
        ];
        for (name, value) in rows {
            writeln!(f, "  {name:<26}{value}")?;
        }
        write_errors(f, &self.errors)
    }
}

impl fmt::Display for IdleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "idle connections  [{}]", self.label)?;
        let channels = if self.shared_channel {
            "one shared channel"
        } else {
            "one channel each"
        };
        let per_conn = self
            .rss_per_connection_bytes
            .map_or_else(|| "-".to_owned(), |b| format!("{b:.0} B"));
        let rows: [(&str, String); 9] = [
            (
                "connections",
                format!("{} requested, {channels}", self.connections),
            ),
            ("established", self.established.to_string()),
            (
                "subscribed",
                format!("{} in {:.1} s", self.subscribed, self.setup_secs),
            ),
            (
                "held",
                format!(
                    "{:.0} s, {} dropped",
                    self.hold_secs, self.dropped_during_hold
                ),
            ),
            (
                "all held without error",
                if self.held_all { "yes" } else { "NO" }.to_owned(),
            ),
            (
                "server RSS before",
                format!("{} KiB", opt(self.server_rss_before_kb)),
            ),
            (
                "server RSS subscribed",
                format!("{} KiB", opt(self.server_rss_subscribed_kb)),
            ),
            (
                "server RSS after hold",
                format!("{} KiB", opt(self.server_rss_after_kb)),
            ),
            ("RSS per connection", per_conn),
        ];
        for (name, value) in rows {
            writeln!(f, "  {name:<26}{value}")?;
        }
        write_errors(f, &self.errors)
    }
}
