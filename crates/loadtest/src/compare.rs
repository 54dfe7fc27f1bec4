//! Comparing two servers measured in the same session: medians over the runs of each,
//! their ratios and the targets they are held to.
//!
//! ```
//! use domvia_loadtest::compare::{Comparison, parse_records};
//!
//! let lines = r#"
//! {"mode":"idle","label":"a","connections":10,"established":10,"subscribed":10,"shared_channel":false,"setup_secs":0.1,"hold_secs":1.0,"dropped_during_hold":0,"held_all":true,"errors":{},"server_rss_before_kb":1000,"server_rss_subscribed_kb":1010,"server_rss_after_kb":1010,"rss_per_connection_bytes":1024.0}
//! {"mode":"idle","label":"b","connections":10,"established":10,"subscribed":10,"shared_channel":false,"setup_secs":0.1,"hold_secs":1.0,"dropped_during_hold":0,"held_all":true,"errors":{},"server_rss_before_kb":1000,"server_rss_subscribed_kb":1080,"server_rss_after_kb":1080,"rss_per_connection_bytes":8192.0}
//! "#;
//! let c = Comparison::new(&parse_records(lines), "a", "b");
//! let rss = c.rows.iter().find(|r| r.metric.starts_with("RSS")).unwrap();
//! assert_eq!(rss.ratio, Some(0.125));
//! assert_eq!(rss.ok, Some(true));
//! ```

use std::fmt;

use serde::Serialize;

use crate::report::{FanoutReport, IdleReport, Record};

/// The JSON [`Record`]s among `text`'s lines; other lines (the human tables) are skipped.
#[must_use]
pub fn parse_records(text: &str) -> Vec<Record> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Which way a ratio must go.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Target {
    /// `candidate / baseline ≥` this.
    AtLeast(f64),
    /// `candidate / baseline ≤` this.
    AtMost(f64),
    /// Both must be yes (`1.0`).
    BothYes,
    /// Shown for information only.
    None,
}

/// One metric of the comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// What is measured.
    pub metric: String,
    /// The candidate's median (or 1.0/0.0 for yes/no).
    pub candidate: Option<f64>,
    /// The baseline's median.
    pub baseline: Option<f64>,
    /// `candidate / baseline`.
    pub ratio: Option<f64>,
    /// The goal.
    pub target: Target,
    /// Whether the goal is met; `None` when there is no goal or no data.
    pub ok: Option<bool>,
}

/// The comparison table.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// The server measured.
    pub candidate: String,
    /// The server it is compared with.
    pub baseline: String,
    /// Runs of each (fan-out, idle): candidate then baseline.
    pub runs: [usize; 4],
    /// The metrics.
    pub rows: Vec<Row>,
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    if n % 2 == 1 {
        values.get(mid).copied()
    } else {
        Some((values.get(mid.checked_sub(1)?)? + values.get(mid)?) / 2.0)
    }
}

impl Comparison {
    /// Compares `candidate`'s runs in `records` with `baseline`'s.
    #[must_use]
    pub fn new(records: &[Record], candidate: &str, baseline: &str) -> Self {
        let fanouts = |label: &str| -> Vec<&FanoutReport> {
            records
                .iter()
                .filter_map(|r| match r {
                    Record::Fanout(f) if f.label == label => Some(f),
                    Record::Fanout(_) | Record::Idle(_) => None,
                })
                .collect()
        };
        let idles = |label: &str| -> Vec<&IdleReport> {
            records
                .iter()
                .filter_map(|r| match r {
                    Record::Idle(i) if i.label == label => Some(i),
                    Record::Fanout(_) | Record::Idle(_) => None,
                })
                .collect()
        };
        let (fc, fb) = (fanouts(candidate), fanouts(baseline));
        let (ic, ib) = (idles(candidate), idles(baseline));

        // Throughput comes from the as-fast-as-possible runs (rate 0). Latency comes from
        // the highest fixed rate measured, since at rate 0 it is mostly queueing; from the
        // rate-0 runs when there is no fixed-rate run. `None` takes every run.
        let fan_row =
            |metric: &str, rate: Option<u64>, target, f: &dyn Fn(&FanoutReport) -> Option<f64>| {
                let pick = |runs: &[&FanoutReport]| {
                    median(
                        runs.iter()
                            .filter(|r| rate.is_none_or(|rate| r.rate == rate))
                            .filter_map(|r| f(r))
                            .collect(),
                    )
                };
                row(metric, pick(&fc), pick(&fb), target)
            };
        let latency_rate = fc
            .iter()
            .chain(fb.iter())
            .map(|r| r.rate)
            .filter(|rate| *rate > 0)
            .max()
            .unwrap_or(0);
        let at = |rate: u64| {
            if rate == 0 {
                "rate max".to_owned()
            } else {
                format!("{rate} ev/s")
            }
        };
        let idle_row = |metric: &str, target, f: &dyn Fn(&IdleReport) -> Option<f64>| {
            row(
                metric,
                median(ic.iter().filter_map(|r| f(r)).collect()),
                median(ib.iter().filter_map(|r| f(r)).collect()),
                target,
            )
        };
        let all_held = |runs: &[&IdleReport]| {
            (!runs.is_empty()).then(|| f64::from(u8::from(runs.iter().all(|r| r.held_all))))
        };
        let most_connections = ic.iter().chain(ib.iter()).map(|r| r.connections).max();
        let held_metric = format!(
            "{} idle connections held, no error (all runs)",
            most_connections.unwrap_or(0)
        );

        let mut rows = vec![
            fan_row(
                "delivered msg/s, rate max",
                Some(0),
                Target::AtLeast(1.5),
                &|r| Some(r.delivered_per_sec),
            ),
            fan_row(
                &format!("latency p99 (µs), {}", at(latency_rate)),
                Some(latency_rate),
                Target::AtMost(1.0),
                &|r| Some(r.latency.p99_us as f64),
            ),
            fan_row(
                &format!("latency p50 (µs), {}", at(latency_rate)),
                Some(latency_rate),
                Target::None,
                &|r| Some(r.latency.p50_us as f64),
            ),
        ];
        if latency_rate != 0 {
            rows.push(fan_row(
                "latency p99 (µs), rate max",
                Some(0),
                Target::None,
                &|r| Some(r.latency.p99_us as f64),
            ));
        }
        rows.extend([
            fan_row("lost deliveries, all runs", None, Target::None, &|r| {
                Some(r.lost as f64)
            }),
            fan_row(
                "server CPU µs per delivery, rate max",
                Some(0),
                Target::None,
                &|r| {
                    let cpu = r.server_cpu_secs?;
                    (r.delivered > 0).then(|| cpu * 1e6 / r.delivered as f64)
                },
            ),
            idle_row(
                "RSS per idle subscribed conn (B)",
                Target::AtMost(0.25),
                &|r| r.rss_per_connection_bytes,
            ),
            row(&held_metric, all_held(&ic), all_held(&ib), Target::BothYes),
        ]);
        Self {
            candidate: candidate.to_owned(),
            baseline: baseline.to_owned(),
            runs: [fc.len(), ic.len(), fb.len(), ib.len()],
            rows,
        }
    }

    /// Whether every row with a target meets it (rows without data fail).
    #[must_use]
    pub fn all_met(&self) -> bool {
        self.rows
            .iter()
            .filter(|r| r.target != Target::None)
            .all(|r| r.ok == Some(true))
    }
}

fn row(metric: &str, candidate: Option<f64>, baseline: Option<f64>, target: Target) -> Row {
    let ratio = match (candidate, baseline) {
        (Some(c), Some(b)) if b != 0.0 => Some(c / b),
        _ => None,
    };
    let ok = match target {
        Target::AtLeast(goal) => ratio.map(|r| r >= goal),
        Target::AtMost(goal) => ratio.map(|r| r <= goal),
        Target::BothYes => candidate.zip(baseline).map(|(c, b)| c == 1.0 && b == 1.0),
        Target::None => None,
    };
    Row {
        metric: metric.to_owned(),
        candidate,
        baseline,
        ratio,
        target,
        ok,
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [fc, ic, fb, ib] = self.runs;
        writeln!(
            f,
            "{} vs {} (medians; fan-out runs {fc}/{fb}, idle runs {ic}/{ib})",
            self.candidate, self.baseline
        )?;
        writeln!(
            f,
            "  {:<50}{:>12}{:>12}{:>9}  {:<8}met",
            "metric", self.candidate, self.baseline, "ratio", "target"
        )?;
        for r in &self.rows {
            let yes_no = matches!(r.target, Target::BothYes);
            let value = |v: Option<f64>| match v {
                None => "-".to_owned(),
                Some(v) if yes_no => if v == 1.0 { "yes" } else { "NO" }.to_owned(),
                Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
                Some(v) => format!("{v:.2}"),
            };
            let ratio = if yes_no {
                String::new()
            } else {
                r.ratio
                    .map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"))
            };
            let target = match r.target {
                Target::AtLeast(g) => format!("≥ {g}"),
                Target::AtMost(g) => format!("≤ {g}"),
                Target::BothYes => "both".to_owned(),
                Target::None => String::new(),
            };
            let met = match r.ok {
                Some(true) => "yes",
                Some(false) => "NO",
                None if r.target == Target::None => "",
                None => "no data",
            };
            writeln!(
                f,
                "  {:<50}{:>12}{:>12}{:>9}  {:<8}{met}",
                r.metric,
                value(r.candidate),
                value(r.baseline),
                ratio,
                target
            )?;
        }
        Ok(())
    }
}
