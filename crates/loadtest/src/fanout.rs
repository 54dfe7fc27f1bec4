//! The fan-out scenario: N subscribers on one public channel, one publisher on the HTTP
//! API, every event delivered N times.
//!
//! Steps: open and subscribe all subscribers (a bounded number of handshakes at a time);
//! publish for the configured duration; wait for the deliveries still in flight (until all
//! expected ones arrived, nothing arrived for [`QUIET`], or the drain timeout); stop the
//! subscribers and merge their tallies. Throughput is first deliveries divided by the time
//! from the first publish to the last delivery, so a server that queues deliveries behind
//! a fast HTTP API does not look faster than it is.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::payload::{Clock, Stamp};
use crate::procfs;
use crate::publisher::{PublishPlan, publish};
use crate::report::FanoutReport;
use crate::session::Session;
use crate::swarm::{Swarm, bump, collect};
use crate::tally::Tally;

/// The drain ends once no delivery arrived for this long.
pub const QUIET: Duration = Duration::from_secs(1);

/// A fan-out run.
#[derive(Debug)]
pub struct FanoutPlan {
    /// How subscribers connect.
    pub swarm: Arc<Swarm>,
    /// Subscribers to open.
    pub subscribers: usize,
    /// How long setup may take.
    pub setup_timeout: Duration,
    /// How long to wait for late deliveries after publishing ends, at most.
    pub drain_timeout: Duration,
    /// The publisher (its channel is the subscribers' channel).
    pub publish: Arc<PublishPlan>,
    /// The server's process, for CPU and RSS.
    pub server_pid: Option<u32>,
    /// A name for the server in reports.
    pub label: String,
}

/// How a subscriber's run ended.
struct SubscriberEnd {
    tally: Tally,
    error: Option<&'static str>,
}

/// Runs the scenario.
pub async fn run(plan: FanoutPlan) -> FanoutReport {
    let clock = Clock::start();
    let channel = plan.publish.channel.clone();
    let delivered = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (setup_tx, mut setup_rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..plan.subscribers {
        let swarm = Arc::clone(&plan.swarm);
        let channel = channel.clone();
        let setup_tx = setup_tx.clone();
        let stop = stop_rx.clone();
        let delivered = Arc::clone(&delivered);
        tasks.spawn(async move {
            let session = swarm.join(index, &channel, &setup_tx).await?;
            drop(setup_tx);
            Some(subscriber(session, clock, stop, &delivered).await)
        });
    }
    drop(setup_tx);
    let setup = collect(&mut setup_rx, plan.subscribers, started, plan.setup_timeout).await;

    let cpu_before = plan.server_pid.and_then(procfs::cpu_secs);
    let published = if setup.subscribed > 0 {
        publish(Arc::clone(&plan.publish), clock).await
    } else {
        crate::publisher::PublishOutcome::default()
    };
    let expected = published.accepted.saturating_mul(setup.subscribed);
    drain(&delivered, expected, plan.drain_timeout).await;
    let cpu_after = plan.server_pid.and_then(procfs::cpu_secs);
    let rss = plan.server_pid.and_then(procfs::rss_kb);

    stop_tx.send_replace(true);
    let mut total = Tally::default();
    let mut errors = setup.errors.clone();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Some(end)) => {
                total.merge(&end.tally);
                if let Some(code) = end.error {
                    bump(&mut errors, format!("run.{code}"), 1);
                }
            }
            Ok(None) => {}
            Err(_) => bump(&mut errors, "run.task_failed".to_owned(), 1),
        }
    }
    for (code, n) in &published.errors {
        bump(&mut errors, format!("publish.{code}"), *n);
    }
    if total.bad_frames > 0 {
        bump(&mut errors, "run.bad_seq".to_owned(), total.bad_frames);
    }

    let secs = |from: u64, to: u64| Duration::from_micros(to.saturating_sub(from)).as_secs_f64();
    let window = secs(published.first_send_us, total.last_delivery_us);
    let publish_secs = secs(published.first_send_us, published.last_answer_us);
    let per_sec = |n: u64, s: f64| if s > 0.0 { n as f64 / s } else { 0.0 };
    FanoutReport {
        label: plan.label,
        channel: channel.as_str().to_owned(),
        subscribers: plan.subscribers as u64,
        subscribed: setup.subscribed,
        setup_secs: setup.elapsed.as_secs_f64(),
        rate: plan.publish.rate,
        payload_bytes: plan.publish.payload as u64,
        inflight: plan.publish.inflight as u64,
        duration_secs: plan.publish.duration.as_secs_f64(),
        published: published.accepted,
        published_per_sec: per_sec(published.accepted, publish_secs),
        publish_connections: published.connections,
        expected_deliveries: expected,
        delivered: total.unique(),
        lost: expected.saturating_sub(total.unique()),
        duplicates: total.duplicates(),
        delivered_per_sec: per_sec(total.unique(), window),
        delivery_window_secs: window,
        latency: total.latency.summary(),
        errors,
        server_cpu_secs: cpu_before.zip(cpu_after).map(|(b, a)| a - b),
        server_rss_kb: rss,
    }
}

/// Waits until `expected` deliveries arrived, none arrived for [`QUIET`], or `timeout`.
async fn drain(delivered: &AtomicU64, expected: u64, timeout: Duration) {
    let start = Instant::now();
    let mut last = delivered.load(Ordering::Relaxed);
    let mut last_change = Instant::now();
    loop {
        if last >= expected || start.elapsed() >= timeout || last_change.elapsed() >= QUIET {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = delivered.load(Ordering::Relaxed);
        if now != last {
            last = now;
            last_change = Instant::now();
        }
    }
}

/// Reads deliveries until told to stop or the connection fails.
async fn subscriber(
    mut session: Session,
    clock: Clock,
    mut stop: watch::Receiver<bool>,
    delivered: &AtomicU64,
) -> SubscriberEnd {
    let mut tally = Tally::default();
    let error = loop {
        tokio::select! {
            biased;
            _ = stop.changed() => break None,
            frame = session.next_text() => {
                let text = match frame {
                    Ok(text) => text,
                    Err(e) => break Some(e.code()),
                };
                if let Some(stamp) = Stamp::find(text.as_bytes()) {
                    if tally.record(stamp, clock.micros()) {
                        delivered.fetch_add(1, Ordering::Relaxed);
                    }
                } else if let Err(e) = session.handle_frame(&text).await {
                    break Some(e.code());
                }
            }
        }
    };
    drop(session);
    SubscriberEnd { tally, error }
}
