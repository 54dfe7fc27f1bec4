//! One signed batch POSTed to one endpoint, with retries; counted, and logged without its
//! payload, URL path or secrets.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio::sync::watch;
use tokio::time::sleep;

use crate::config::WebhookSettings;
use crate::metrics::Metrics;

/// Counts a delivery task in `in_flight` for as long as it lives (even if it is aborted).
pub(super) struct InFlight(Arc<watch::Sender<usize>>);

impl InFlight {
    pub(super) fn new(counter: Arc<watch::Sender<usize>>) -> Self {
        counter.send_modify(|count| *count = count.saturating_add(1));
        Self(counter)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count = count.saturating_sub(1));
    }
}

/// One signed batch on its way to one endpoint.
pub(super) struct Delivery {
    pub(super) client: reqwest::Client,
    pub(super) url: reqwest::Url,
    pub(super) key: HeaderValue,
    pub(super) signature: String,
    pub(super) body: Bytes,
    pub(super) settings: WebhookSettings,
    pub(super) metrics: Arc<Metrics>,
    pub(super) app: Arc<str>,
    pub(super) origin: Arc<str>,
    pub(super) events: usize,
}

/// Why one attempt failed, in terms safe to log (no URL, no body).
#[derive(Debug, thiserror::Error)]
enum AttemptError {
    #[error("HTTP status {status}")]
    Status { status: u16 },
    #[error("timed out")]
    Timeout,
    #[error("connection failed")]
    Connect,
    #[error("request failed")]
    Request,
}

impl Delivery {
    pub(super) async fn run(self) {
        let attempts = self.settings.max_attempts.max(1);
        let mut backoff = self.settings.initial_backoff;
        let mut attempt = 1_u32;
        loop {
            let error = match self.attempt().await {
                Ok(()) => {
                    self.metrics.webhooks_sent.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(error) => error,
            };
            if attempt >= attempts {
                self.metrics
                    .webhook_failures
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    app = %self.app,
                    target = %self.origin,
                    events = self.events,
                    attempts,
                    %error,
                    "webhook batch dropped after its last attempt"
                );
                return;
            }
            tracing::debug!(app = %self.app, target = %self.origin, attempt, %error, "webhook attempt failed; retrying");
            sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
            attempt = attempt.saturating_add(1);
        }
    }

    async fn attempt(&self) -> Result<(), AttemptError> {
        let response = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("X-Pusher-Key", self.key.clone())
            .header("X-Pusher-Signature", self.signature.as_str())
            .body(self.body.clone())
            .send()
            .await
            .map_err(|error| {
                if error.is_timeout() {
                    AttemptError::Timeout
                } else if error.is_connect() {
                    AttemptError::Connect
                } else {
                    AttemptError::Request
                }
            })?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(AttemptError::Status {
                status: status.as_u16(),
            })
        }
    }
}
