//! Opening many subscribed connections: a bounded number of handshakes at a time (so the
//! server's accept backlog never overflows into SYN retries that would skew setup times),
//! source addresses taken in turn, and one setup report per connection.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domvia_protocol::ChannelName;
use tokio::sync::{Semaphore, mpsc};

use crate::session::{Session, SessionTarget};

/// How connections are opened, shared by every connection task.
#[derive(Debug)]
pub struct Swarm {
    /// Where to connect.
    pub target: SessionTarget,
    /// Local addresses to connect from, in turn; empty for the system's choice.
    pub source_ips: Vec<IpAddr>,
    /// Handshakes in progress at once.
    pub gate: Semaphore,
}

/// How one connection's setup ended.
#[derive(Debug)]
pub enum Setup {
    /// Connected and subscribed.
    Subscribed,
    /// Failed, after `pusher:connection_established` or before it.
    Failed {
        /// Whether the connection was established.
        established: bool,
        /// What went wrong.
        code: &'static str,
    },
}

/// The setup reports of all connections.
#[derive(Clone, Debug, Default)]
pub struct SetupTally {
    /// Connections that got `pusher:connection_established`.
    pub established: u64,
    /// Connections subscribed.
    pub subscribed: u64,
    /// Failures, by `setup.<code>`; `setup.no_report` for connections that had not
    /// reported when the setup timed out.
    pub errors: BTreeMap<String, u64>,
    /// From the first connection attempt to the last report.
    pub elapsed: Duration,
}

impl Swarm {
    /// Opens connection number `index` and subscribes it to `channel`, waiting its turn
    /// at the gate, and reports the outcome on `report`.
    pub async fn join(
        self: Arc<Self>,
        index: usize,
        channel: &ChannelName,
        report: &mpsc::UnboundedSender<Setup>,
    ) -> Option<Session> {
        let source = index
            .checked_rem(self.source_ips.len())
            .and_then(|i| self.source_ips.get(i))
            .copied();
        let permit = self.gate.acquire().await.ok();
        let step = self.target.step_timeout;
        let outcome = match Session::open(&self.target, source).await {
            Err(e) => Err((false, e)),
            Ok(mut session) => match session.subscribe(channel, step).await {
                Ok(()) => Ok(session),
                Err(e) => Err((true, e)),
            },
        };
        drop(permit);
        match outcome {
            Ok(session) => {
                drop(report.send(Setup::Subscribed));
                Some(session)
            }
            Err((established, error)) => {
                let code = error.code();
                drop(report.send(Setup::Failed { established, code }));
                None
            }
        }
    }
}

/// Waits for `expected` setup reports, or until `timeout` has passed since `started`.
pub async fn collect(
    reports: &mut mpsc::UnboundedReceiver<Setup>,
    expected: usize,
    started: Instant,
    timeout: Duration,
) -> SetupTally {
    let mut tally = SetupTally::default();
    let deadline = started.checked_add(timeout).unwrap_or(started);
    let mut seen: usize = 0;
    while seen < expected {
        let Ok(Some(setup)) = tokio::time::timeout_at(deadline.into(), reports.recv()).await else {
            break;
        };
        seen = seen.saturating_add(1);
        match setup {
            Setup::Subscribed => {
                tally.established = tally.established.saturating_add(1);
                tally.subscribed = tally.subscribed.saturating_add(1);
            }
            Setup::Failed { established, code } => {
                if established {
                    tally.established = tally.established.saturating_add(1);
                }
                bump(&mut tally.errors, format!("setup.{code}"), 1);
            }
        }
    }
    let missing = expected.saturating_sub(seen);
    if missing > 0 {
        bump(
            &mut tally.errors,
            "setup.no_report".to_owned(),
            missing as u64,
        );
    }
    tally.elapsed = started.elapsed();
    tally
}

/// Adds `n` to `counts[key]`.
pub fn bump(counts: &mut BTreeMap<String, u64>, key: String, n: u64) {
    let slot = counts.entry(key).or_insert(0);
    *slot = slot.saturating_add(n);
}
