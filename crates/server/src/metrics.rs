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
    /// Events refused on ciphertext-only channels because they were not envelopes, by
    /// where they came from (see [`Metrics::plaintext_refused`]).
    plaintext_refused: [AtomicU64; 2],
    errors: Mutex<BTreeMap<&'static str, u64>>,
}

/// Where an event refused on a ciphertext-only channel came from: the label `source` of
/// `domvia_plaintext_refused_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventSource {
    /// A `client-` event sent on a WebSocket.
    ClientEvent,
    /// The HTTP API (`events`, `batch_events`).
    HttpApi,
}

impl EventSource {
    /// Both sources, in the order they are rendered.
    pub const ALL: [Self; 2] = [Self::ClientEvent, Self::HttpApi];

    /// The label value.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::ClientEvent => "client_event",
            Self::HttpApi => "http_api",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::ClientEvent => 0,
            Self::HttpApi => 1,
        }
    }
}

impl Metrics {
    /// Counts one event refused on a ciphertext-only channel.
    pub fn plaintext_refused(&self, source: EventSource) {
        if let Some(counter) = self.plaintext_refused.get(source.index()) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many events from `source` were refused on ciphertext-only channels.
    #[must_use]
    pub fn plaintext_refused_count(&self, source: EventSource) -> u64 {
        self.plaintext_refused
            .get(source.index())
            .map_or(0, |counter| counter.load(Ordering::Relaxed))
    }

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
        let counters: [(&str, &str, &AtomicU64); 8] = [
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
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let name = "domvia_plaintext_refused_total";
        let _ = writeln!(
            out,
            "# HELP {name} Events refused on ciphertext-only channels for not being \
             envelopes, by source.\n# TYPE {name} counter"
        );
        for source in EventSource::ALL {
            let _ = writeln!(
                out,
                "{name}{{source=\"{}\"}} {}",
                source.label(),
                self.plaintext_refused_count(source)
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

    #[test]
    fn plaintext_refusals_are_counted_by_source() {
        let metrics = Metrics::default();
        let text = metrics.render();
        assert!(text.contains("domvia_plaintext_refused_total{source=\"client_event\"} 0\n"));
        assert!(text.contains("domvia_plaintext_refused_total{source=\"http_api\"} 0\n"));
        metrics.plaintext_refused(EventSource::ClientEvent);
        metrics.plaintext_refused(EventSource::HttpApi);
        metrics.plaintext_refused(EventSource::HttpApi);
        assert_eq!(metrics.plaintext_refused_count(EventSource::ClientEvent), 1);
        assert_eq!(metrics.plaintext_refused_count(EventSource::HttpApi), 2);
        let text = metrics.render();
        assert!(text.contains("# TYPE domvia_plaintext_refused_total counter\n"));
        assert!(text.contains("domvia_plaintext_refused_total{source=\"client_event\"} 1\n"));
        assert!(text.contains("domvia_plaintext_refused_total{source=\"http_api\"} 2\n"));
    }
}
