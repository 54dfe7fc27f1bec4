//! The publisher: signed `POST /apps/{id}/events` requests, `inflight` at a time, each
//! slot a keep-alive HTTP/1.1 connection of its own (reopened after an answer with
//! `Connection: close`, which sockudo 5.2 sends on every API response; the report counts
//! the connections opened).
//!
//! Slots take sequence numbers from one counter. At a target rate, publish `n` is due at
//! `start + n / rate` whichever slot sends it, so the rate holds while the server keeps up
//! and the slots fall behind (no catch-up burst beyond `inflight`) when it does not. At
//! rate 0 each slot sends its next request as soon as the previous one is answered. The
//! send time stamped in the event is taken just before the request is written, so a
//! latency covers the HTTP API, the fan-out and the WebSocket delivery.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use domvia_protocol::{AppKey, AppSecret, ChannelName, RequestToSign, sign_request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONNECTION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;

use crate::endpoint::connect_tcp;
use crate::payload::{Clock, event_body, event_data};

/// Error code: the HTTP connection could not be opened.
const CONNECT_FAILED: &str = "http_connect";
/// Error code: the request or its answer was cut off.
const IO_FAILED: &str = "http_io";

/// What to publish, where and how fast.
#[derive(Clone, Debug)]
pub struct PublishPlan {
    /// The HTTP API's address.
    pub addr: SocketAddr,
    /// `host:port` for the `Host` header.
    pub host: String,
    /// The app id in `/apps/{id}/events`.
    pub app_id: String,
    /// The app key.
    pub key: AppKey,
    /// The app secret.
    pub secret: AppSecret,
    /// The channel published to.
    pub channel: ChannelName,
    /// Events per second; 0 for as fast as `inflight` allows.
    pub rate: u64,
    /// How long to publish.
    pub duration: Duration,
    /// Size of each event's `data`, in bytes.
    pub payload: usize,
    /// Requests in flight at once (one connection each).
    pub inflight: usize,
}

/// What the publisher did.
#[derive(Clone, Debug, Default)]
pub struct PublishOutcome {
    /// Events the server accepted (HTTP 2xx).
    pub accepted: u64,
    /// Events refused or lost, by reason (`http_<status>`, `http_io`, `http_connect`,
    /// `sign`).
    pub errors: BTreeMap<String, u64>,
    /// HTTP connections opened (1 per slot when the server keeps them alive).
    pub connections: u64,
    /// Clock time of the first send (µs).
    pub first_send_us: u64,
    /// Clock time the last answer arrived (µs).
    pub last_answer_us: u64,
}

impl PublishOutcome {
    fn count_error(&mut self, code: String) {
        let slot = self.errors.entry(code).or_insert(0);
        *slot = slot.saturating_add(1);
    }

    fn merge(&mut self, other: Self) {
        self.accepted = self.accepted.saturating_add(other.accepted);
        self.connections = self.connections.saturating_add(other.connections);
        for (code, n) in other.errors {
            let slot = self.errors.entry(code).or_insert(0);
            *slot = slot.saturating_add(n);
        }
        self.first_send_us = match (self.first_send_us, other.first_send_us) {
            (0, theirs) => theirs,
            (mine, 0) => mine,
            (mine, theirs) => mine.min(theirs),
        };
        self.last_answer_us = self.last_answer_us.max(other.last_answer_us);
    }

    /// Publish errors of every kind.
    #[must_use]
    pub fn error_count(&self) -> u64 {
        self.errors.values().fold(0, |a, n| a.saturating_add(*n))
    }
}

/// Publishes for `plan.duration` and reports what was accepted.
pub async fn publish(plan: Arc<PublishPlan>, clock: Clock) -> PublishOutcome {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start.checked_add(plan.duration).unwrap_or(start);
    let mut slots = tokio::task::JoinSet::new();
    for _ in 0..plan.inflight.max(1) {
        let slot = Slot {
            plan: Arc::clone(&plan),
            clock,
            next: Arc::clone(&next),
            start,
            deadline,
        };
        slots.spawn(slot.run());
    }
    let mut outcome = PublishOutcome::default();
    while let Some(joined) = slots.join_next().await {
        match joined {
            Ok(slot_outcome) => outcome.merge(slot_outcome),
            Err(_) => outcome.count_error("publisher_task".to_owned()),
        }
    }
    outcome
}

/// One in-flight slot: a connection and the loop that sends on it.
struct Slot {
    plan: Arc<PublishPlan>,
    clock: Clock,
    next: Arc<AtomicU64>,
    start: Instant,
    deadline: Instant,
}

impl Slot {
    async fn run(self) -> PublishOutcome {
        let mut outcome = PublishOutcome::default();
        let path = format!("/apps/{}/events", self.plan.app_id);
        let mut sender: Option<SendRequest<Full<Bytes>>> = None;
        loop {
            let seq = self.next.fetch_add(1, Ordering::Relaxed);
            let due = self.due(seq);
            if due >= self.deadline || Instant::now() >= self.deadline {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
            let ts = self.clock.micros();
            if outcome.first_send_us == 0 {
                outcome.first_send_us = ts.max(1);
            }
            let data = event_data(seq, ts, self.plan.payload);
            let body = event_body(&self.plan.channel, &data);
            let request = match self.request(&path, body) {
                Ok(request) => request,
                Err(code) => {
                    outcome.count_error(code.to_owned());
                    continue;
                }
            };
            match self.send(&mut sender, request, &mut outcome).await {
                Ok(status) if (200..300).contains(&status) => {
                    outcome.accepted = outcome.accepted.saturating_add(1);
                }
                Ok(status) => outcome.count_error(format!("http_{status}")),
                Err(code) => {
                    outcome.count_error(code.to_owned());
                    if code == CONNECT_FAILED {
                        // Do not spin on a refused connection.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            outcome.last_answer_us = self.clock.micros();
        }
        outcome
    }

    /// When publish `seq` is due: now at rate 0, else `start + seq / rate`.
    fn due(&self, seq: u64) -> Instant {
        if self.plan.rate == 0 {
            return Instant::now();
        }
        let nanos = u128::from(seq)
            .saturating_mul(1_000_000_000)
            .checked_div(u128::from(self.plan.rate))
            .unwrap_or(0);
        let offset = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        self.start.checked_add(offset).unwrap_or(self.deadline)
    }

    /// Sends `request` on the slot's connection and reads the whole answer; its status.
    /// Opens a connection when there is none, or when the server closed the previous one
    /// before the request was written; keeps it unless the answer says `Connection: close`
    /// (sockudo 5.2 closes every HTTP API connection after one answer).
    async fn send(
        &self,
        sender: &mut Option<SendRequest<Full<Bytes>>>,
        request: Request<Full<Bytes>>,
        outcome: &mut PublishOutcome,
    ) -> Result<u16, &'static str> {
        let mut conn = match sender.take() {
            Some(conn) => conn,
            None => self.connect(outcome).await?,
        };
        if conn.ready().await.is_err() {
            conn = self.connect(outcome).await?;
            conn.ready().await.map_err(|_| IO_FAILED)?;
        }
        let response = conn.send_request(request).await.map_err(|_| IO_FAILED)?;
        let closing = response
            .headers()
            .get(CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let status = response.status().as_u16();
        response
            .into_body()
            .collect()
            .await
            .map_err(|_| IO_FAILED)?;
        if !closing {
            *sender = Some(conn);
        }
        Ok(status)
    }

    async fn connect(
        &self,
        outcome: &mut PublishOutcome,
    ) -> Result<SendRequest<Full<Bytes>>, &'static str> {
        outcome.connections = outcome.connections.saturating_add(1);
        let tcp = connect_tcp(self.plan.addr, None)
            .await
            .map_err(|_| CONNECT_FAILED)?;
        let (sender, connection) = http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|_| CONNECT_FAILED)?;
        tokio::spawn(async move {
            // The connection ends when the sender is dropped or the server closes it.
            drop(connection.await);
        });
        Ok(sender)
    }

    fn request(&self, path: &str, body: Vec<u8>) -> Result<Request<Full<Bytes>>, &'static str> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let to_sign = RequestToSign {
            method: "POST",
            path,
            params: &[],
            body: &body,
        };
        let query =
            sign_request(&to_sign, &self.plan.key, &self.plan.secret, now).map_err(|_| "sign")?;
        Request::builder()
            .method(Method::POST)
            .uri(format!("{path}?{query}"))
            .header(HOST, self.plan.host.as_str())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| "http_request")
    }
}
