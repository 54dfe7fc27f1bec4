//! The idle scenario: N connections, each subscribed, held open; how many the server
//! keeps and what they cost it in resident memory.
//!
//! The server's RSS is read before the first connection and again at the end of the hold
//! (after all connections are subscribed and the allocator has settled), so
//! `(after − before) / subscribed` is the memory one idle subscribed connection costs. A
//! held connection answers `pusher:ping` and pings after `activity_timeout` of silence,
//! as pusher-js does, so a server's keep-alive never closes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use domvia_protocol::{ChannelName, ChannelNameError};
use tokio::sync::{mpsc, watch};

use crate::procfs;
use crate::report::IdleReport;
use crate::session::Session;
use crate::swarm::{Swarm, bump, collect};

/// Which channel each connection joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channels {
    /// All join `{prefix}`.
    Shared,
    /// Connection `i` joins `{prefix}-{i}`.
    PerConnection,
}

/// An idle run.
#[derive(Debug)]
pub struct IdlePlan {
    /// How connections are opened.
    pub swarm: Arc<Swarm>,
    /// Connections to open.
    pub connections: usize,
    /// Shared or per-connection channels.
    pub channels: Channels,
    /// The channel name, or prefix of the per-connection names.
    pub channel_prefix: String,
    /// How long setup may take.
    pub setup_timeout: Duration,
    /// How long to hold the connections once all are subscribed.
    pub hold: Duration,
    /// The server's process, for RSS.
    pub server_pid: Option<u32>,
    /// A name for the server in reports.
    pub label: String,
}

impl IdlePlan {
    /// The channel of connection `index`.
    ///
    /// # Errors
    /// When the prefix does not make a valid channel name.
    pub fn channel(&self, index: usize) -> Result<ChannelName, ChannelNameError> {
        match self.channels {
            Channels::Shared => self.channel_prefix.parse(),
            Channels::PerConnection => format!("{}-{index}", self.channel_prefix).parse(),
        }
    }
}

/// Runs the scenario.
///
/// # Errors
/// When the channel prefix does not make valid channel names.
pub async fn run(plan: IdlePlan) -> Result<IdleReport, ChannelNameError> {
    // Fail before connecting anything if the names are wrong.
    plan.channel(plan.connections)?;
    let rss_before = plan.server_pid.and_then(procfs::rss_kb);
    let dropped = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (setup_tx, mut setup_rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..plan.connections {
        let channel = plan.channel(index)?;
        let swarm = Arc::clone(&plan.swarm);
        let setup_tx = setup_tx.clone();
        let stop = stop_rx.clone();
        let dropped = Arc::clone(&dropped);
        tasks.spawn(async move {
            let session = swarm.join(index, &channel, &setup_tx).await?;
            drop(setup_tx);
            let error = hold(session, stop).await;
            if error.is_some() {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
            error
        });
    }
    drop(setup_tx);
    let setup = collect(&mut setup_rx, plan.connections, started, plan.setup_timeout).await;
    let rss_subscribed = plan.server_pid.and_then(procfs::rss_kb);
    tokio::time::sleep(plan.hold).await;
    let rss_after = plan.server_pid.and_then(procfs::rss_kb);
    let dropped_during_hold = dropped.load(Ordering::Relaxed);

    stop_tx.send_replace(true);
    let mut errors = setup.errors.clone();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Some(code)) => bump(&mut errors, format!("hold.{code}"), 1),
            Ok(None) => {}
            Err(_) => bump(&mut errors, "hold.task_failed".to_owned(), 1),
        }
    }
    let per_connection = match (rss_before, rss_after) {
        (Some(before), Some(after)) if setup.subscribed > 0 => {
            Some((after as f64 - before as f64) * 1024.0 / setup.subscribed as f64)
        }
        _ => None,
    };
    let requested = plan.connections as u64;
    Ok(IdleReport {
        label: plan.label,
        connections: requested,
        established: setup.established,
        subscribed: setup.subscribed,
        shared_channel: plan.channels == Channels::Shared,
        setup_secs: setup.elapsed.as_secs_f64(),
        hold_secs: plan.hold.as_secs_f64(),
        dropped_during_hold,
        held_all: setup.subscribed == requested && dropped_during_hold == 0 && errors.is_empty(),
        errors,
        server_rss_before_kb: rss_before,
        server_rss_subscribed_kb: rss_subscribed,
        server_rss_after_kb: rss_after,
        rss_per_connection_bytes: per_connection,
    })
}

/// Keeps `session` alive until told to stop; the error code if it ended first.
async fn hold(mut session: Session, mut stop: watch::Receiver<bool>) -> Option<&'static str> {
    let quiet = session.activity_timeout;
    let error = loop {
        tokio::select! {
            biased;
            _ = stop.changed() => break None,
            frame = tokio::time::timeout(quiet, session.next_text()) => match frame {
                Err(_silence) => {
                    if let Err(e) = session.ping().await {
                        break Some(e.code());
                    }
                }
                Ok(Err(e)) => break Some(e.code()),
                Ok(Ok(text)) => {
                    if let Err(e) = session.handle_frame(&text).await {
                        break Some(e.code());
                    }
                }
            },
        }
    };
    if error.is_none() {
        session.close().await;
    }
    error
}
