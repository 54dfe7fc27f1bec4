//! Process-wide counters, rendered in the Prometheus text format at `/metrics`.
//!
//! Counters are plain atomics bumped on the hot path (no locks, no allocation); only the
//! error counters, keyed by a static error code, take a short lock. Nothing here ever holds
//! a payload, a key or a secret: the labels are app ids and static codes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// The gateway's counters.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Metrics {
    /// Open WebSocket connections.
    pub connections: AtomicI64,
    /// WebSocket connections accepted since start.
    pub connections_total: AtomicU64,
    /// Current channel subscriptions (one per connection per channel).
    pub subscriptions: AtomicI64,
    /// Frames received from clients.
    pub messages_in: AtomicU64,
    /// Frames queued to clients (every recipient counts once).
    pub messages_out: AtomicU64,
    /// Events published through the HTTP API (every channel counts once).
    pub api_events: AtomicU64,
    /// HTTP requests served.
    pub http_requests: AtomicU64,
    /// Connections closed because their outbound queue was full.
    pub slow_consumers: AtomicU64,
    /// Webhook batches delivered.
    pub webhooks_sent: AtomicU64,
    /// Webhook batches dropped after their last failed attempt (or a full queue).
    pub webhook_failures: AtomicU64,
    /// Events refused on ciphertext-only channels because they were not envelopes.
    pub plaintext_refused: AtomicU64,
    errors: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// Counts one error by its stable code.
    pub fn error(&self, code: &'static str) {
        let mut errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
        let count = errors.entry(code).or_insert(0);
        *count = count.saturating_add(1);
    }

    /// How many errors with this code were counted.
    #[must_use]
    pub fn error_count(&self, code: &str) -> u64 {
        let errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
        errors.get(code).copied().unwrap_or(0)
    }

    /// The Prometheus text exposition (format 0.0.4).
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        let gauges: [(&str, &str, &AtomicI64); 2] = [
            (
                "domvia_connections",
                "Open WebSocket connections.",
                &self.connections,
            ),
            (
                "domvia_subscriptions",
                "Current channel subscriptions.",
                &self.subscriptions,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let counters: [(&str, &str, &AtomicU64); 9] = [
            (
                "domvia_connections_total",
                "WebSocket connections accepted.",
                &self.connections_total,
            ),
            (
                "domvia_messages_in_total",
                "Frames received from clients.",
                &self.messages_in,
            ),
            (
                "domvia_messages_out_total",
                "Frames queued to clients.",
                &self.messages_out,
            ),
            (
                "domvia_api_events_total",
                "Events published through the HTTP API.",
                &self.api_events,
            ),
            (
                "domvia_http_requests_total",
                "HTTP requests served.",
                &self.http_requests,
            ),
            (
                "domvia_slow_consumer_disconnects_total",
                "Connections closed for a full outbound queue.",
                &self.slow_consumers,
            ),
            (
                "domvia_webhooks_sent_total",
                "Webhook batches delivered.",
                &self.webhooks_sent,
            ),
            (
                "domvia_webhook_failures_total",
                "Webhook batches dropped after failing.",
                &self.webhook_failures,
            ),
            (
                "domvia_plaintext_refused_total",
                "Plaintext events refused on ciphertext-only channels.",
                &self.plaintext_refused,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP domvia_errors_total Errors by code.\n# TYPE domvia_errors_total counter"
        );
        let errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
        for (code, count) in errors.iter() {
            let _ = writeln!(out, "domvia_errors_total{{code=\"{code}\"}} {count}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_errors_by_code() {
        let metrics = Metrics::default();
        metrics.connections.fetch_add(2, Ordering::Relaxed);
        metrics.messages_out.fetch_add(5, Ordering::Relaxed);
        metrics.error("auth_bad_signature");
        metrics.error("auth_bad_signature");
        let text = metrics.render();
        assert!(text.contains("domvia_connections 2\n"));
        assert!(text.contains("domvia_messages_out_total 5\n"));
        assert!(text.contains("domvia_errors_total{code=\"auth_bad_signature\"} 2\n"));
        assert_eq!(metrics.error_count("auth_bad_signature"), 2);
        assert_eq!(metrics.error_count("other"), 0);
    }
}
