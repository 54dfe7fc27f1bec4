//! The measuring pieces, through the public API: the event data a publisher sends and a
//! subscriber reads back (as servers deliver it), the latency histogram's percentiles,
//! loss and duplicate accounting, and reading `/proc` and JSON lines back.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed assumption should stop the test loudly"
)]

use domvia_loadtest::compare::{Comparison, parse_records};
use domvia_loadtest::histogram::LatencyHistogram;
use domvia_loadtest::payload::{Clock, Stamp, event_body, event_data};
use domvia_loadtest::procfs::{parse_cpu_ticks, parse_vm_rss_kb};
use domvia_loadtest::report::Record;
use domvia_loadtest::tally::{MAX_SEQ, SeqSet, Tally};
use domvia_protocol::{ChannelName, ServerFrame};
use serde_json::{Value, json};

fn channel() -> ChannelName {
    "bench".parse().unwrap()
}

#[test]
fn data_is_valid_json_of_the_requested_size() {
    for size in [0, 10, 40, 100, 1000, 10_240] {
        let data = event_data(123_456, 9_876_543_210, size);
        let value: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(value["seq"], 123_456);
        assert_eq!(value["ts"], 9_876_543_210_u64);
        let stamp_only = event_data(123_456, 9_876_543_210, 0).len();
        assert_eq!(data.len(), size.max(stamp_only), "size {size}");
    }
}

#[test]
fn body_is_what_the_http_api_expects() {
    let data = event_data(1, 2, 50);
    let body: Value = serde_json::from_slice(&event_body(&channel(), &data)).unwrap();
    assert_eq!(
        body,
        json!({"name": "bench", "channel": "bench", "data": data})
    );
}

#[test]
fn stamp_is_found_in_frames_as_servers_send_them() {
    let data = event_data(42, 1_000_000, 100);
    // Domvia's own frame encoder: data as an escaped JSON string.
    let ours = ServerFrame::Event {
        event: "bench".parse().unwrap(),
        channel: channel(),
        data: data.clone(),
        user_id: None,
    }
    .to_json();
    // Another key order, spaces, and data re-sent as an object (a server may decode it).
    let reordered = format!(
        r#"{{"channel": "bench", "data": {}, "event": "bench"}}"#,
        serde_json::to_string(&data).unwrap()
    );
    let as_object = format!(r#"{{"event":"bench","channel":"bench","data":{data}}}"#);
    let want = Some(Stamp {
        seq: 42,
        ts: 1_000_000,
    });
    for frame in [&ours, &reordered, &as_object] {
        assert_eq!(Stamp::find(frame.as_bytes()), want, "{frame}");
    }
}

#[test]
fn other_frames_have_no_stamp() {
    for frame in [
        r#"{"event":"pusher:ping","data":{}}"#,
        r#"{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":120}"}"#,
        r#"{"event":"pusher_internal:subscription_succeeded","channel":"bench","data":"{}"}"#,
        r#"{"event":"bench","data":"{\"seq\":\"x\",\"ts\":1}"}"#,
        r#"{"event":"bench","data":"{\"seq\":1}"}"#,
        r#"{"event":"bench","data":"{\"seq\":99999999999999999999999,\"ts\":1}"}"#,
        "",
        "seq",
    ] {
        assert_eq!(Stamp::find(frame.as_bytes()), None, "{frame}");
    }
}

#[test]
fn clock_is_monotonic_microseconds() {
    let origin = std::time::Instant::now();
    let clock = Clock::with_origin(origin);
    let later = origin + std::time::Duration::from_millis(5);
    assert_eq!(clock.micros_at(later), 5_000);
    assert_eq!(clock.micros_at(origin), 0);
    assert_eq!(clock.instant(5_000), later);
    let a = clock.micros();
    assert!(clock.micros() >= a);
}

#[test]
fn percentiles_of_a_uniform_distribution() {
    let mut h = LatencyHistogram::new();
    for us in 1..=100_000 {
        h.record(us);
    }
    let s = h.summary();
    assert_eq!(s.count, 100_000);
    assert_eq!(s.max_us, 100_000);
    assert!((s.mean_us - 50_000.5).abs() < 1e-6);
    // At most 1/64 above the exact value, never below it.
    for (got, exact) in [
        (s.p50_us, 50_000),
        (s.p90_us, 90_000),
        (s.p99_us, 99_000),
        (s.p999_us, 99_900),
    ] {
        assert!(
            got >= exact && got <= exact + exact / 64,
            "{got} vs {exact}"
        );
    }
}

#[test]
fn small_values_are_exact_and_quantiles_are_ranks() {
    let mut h = LatencyHistogram::new();
    assert_eq!(h.summary().p99_us, 0);
    for us in [5, 1, 3, 2, 4] {
        h.record(us);
    }
    assert_eq!(h.quantile(0.0), 1);
    assert_eq!(h.quantile(0.2), 1);
    assert_eq!(h.quantile(0.21), 2);
    assert_eq!(h.quantile(0.5), 3);
    assert_eq!(h.quantile(1.0), 5);
    // A single slow outlier is the maximum, exactly, and the p99 of 100 samples.
    let mut h = LatencyHistogram::new();
    for _ in 0..99 {
        h.record(100);
    }
    h.record(1_234_567);
    let s = h.summary();
    assert_eq!((s.p50_us, s.p99_us, s.max_us), (100, 100, 1_234_567));
    assert_eq!(h.quantile(0.999), 1_234_567);
}

#[test]
fn merging_histograms_is_recording_into_one() {
    let (mut a, mut b, mut both) = (
        LatencyHistogram::new(),
        LatencyHistogram::new(),
        LatencyHistogram::new(),
    );
    for us in 0..5_000_u64 {
        let v = us * us % 77_777;
        let target = if us % 3 == 0 { &mut a } else { &mut b };
        target.record(v);
        both.record(v);
    }
    a.merge(&b);
    assert_eq!(a.summary(), both.summary());
    // Values beyond u32 microseconds saturate instead of wrapping.
    a.record(u64::MAX);
    assert_eq!(a.summary().max_us, u64::from(u32::MAX));
}

#[test]
fn seq_set_counts_distinct_numbers() {
    let mut set = SeqSet::default();
    assert!(set.is_empty());
    assert_eq!(set.insert(64), Some(true));
    assert_eq!(set.insert(0), Some(true));
    assert_eq!(set.insert(64), Some(false));
    assert_eq!(set.insert(MAX_SEQ), None);
    assert!(set.contains(0) && set.contains(64) && !set.contains(1) && !set.contains(1 << 40));
    assert_eq!(set.len(), 2);
}

#[test]
fn tallies_count_loss_duplicates_and_latency() {
    // Two subscribers of a 4-event run: one misses seq 2, the other gets seq 1 twice.
    let mut first = Tally::default();
    for (seq, at) in [(0, 10), (1, 20), (3, 40)] {
        assert!(first.record(Stamp { seq, ts: 0 }, at));
    }
    let mut second = Tally::default();
    for (seq, at) in [(1, 25), (0, 15), (1, 30), (2, 35), (3, 45)] {
        second.record(Stamp { seq, ts: 0 }, at);
    }
    second.record(
        Stamp {
            seq: MAX_SEQ,
            ts: 0,
        },
        50,
    );
    let mut total = Tally::default();
    total.merge(&first);
    total.merge(&second);
    assert_eq!(total.received, 9);
    assert_eq!(total.unique(), 7);
    assert_eq!(total.duplicates(), 1);
    assert_eq!(total.bad_frames, 1);
    assert_eq!(total.last_delivery_us, 50);
    // A duplicate adds no latency sample: the 7 first deliveries.
    let s = total.latency.summary();
    assert_eq!((s.count, s.p50_us, s.max_us), (7, 25, 45));
}

#[test]
fn proc_files_are_read() {
    assert_eq!(
        parse_vm_rss_kb("VmPeak:\t 9 kB\nVmRSS:\t  20480 kB\nRssAnon: 1 kB\n"),
        Some(20_480)
    );
    assert_eq!(parse_vm_rss_kb("Name: x\n"), None);
    let stat = "77 (a (weird) name) R 1 77 77 0 -1 4194560 300 0 0 0 1234 567 0 0 20 0 4";
    assert_eq!(parse_cpu_ticks(stat), Some(1801));
    assert_eq!(parse_cpu_ticks("77 (x) R 1"), None);
    // The running test itself.
    let me = std::process::id();
    assert!(domvia_loadtest::procfs::rss_kb(me).unwrap() > 0);
    assert!(domvia_loadtest::procfs::cpu_secs(me).is_some());
}

#[test]
fn json_lines_round_trip_and_compare() {
    let fanout = |label: &str, rate: u64, per_sec: f64, p99: u64| {
        json!({
            "mode": "fanout", "label": label, "channel": "bench", "subscribers": 10,
            "subscribed": 10, "setup_secs": 0.1, "rate": rate, "payload_bytes": 100, "inflight": 4,
            "duration_secs": 1.0, "published": 100, "published_per_sec": 100.0, "publish_connections": 4,
            "expected_deliveries": 1000, "delivered": 1000, "lost": 0, "duplicates": 0,
            "delivered_per_sec": per_sec, "delivery_window_secs": 1.0,
            "latency": {"count": 1000, "p50_us": 100, "p90_us": 200, "p99_us": p99,
                        "p999_us": 400, "max_us": 500, "mean_us": 120.0},
            "errors": {}, "server_cpu_secs": 0.5, "server_rss_kb": 1000
        })
        .to_string()
    };
    let text = [
        "fan-out  [x] (a human table line, skipped)".to_owned(),
        fanout("domvia", 0, 300.0, 900),
        fanout("sockudo", 0, 100.0, 1000),
        fanout("domvia", 0, 200.0, 1100),
        fanout("sockudo", 0, 150.0, 1000),
    ]
    .join("\n");
    let records = parse_records(&text);
    assert_eq!(records.len(), 4);
    let again: Record = serde_json::from_str(&serde_json::to_string(&records[0]).unwrap()).unwrap();
    assert!(matches!(again, Record::Fanout(ref r) if r.delivered_per_sec == 300.0));

    let c = Comparison::new(&records, "domvia", "sockudo");
    let rate = &c.rows[0];
    assert_eq!((rate.candidate, rate.baseline), (Some(250.0), Some(125.0)));
    assert_eq!((rate.ratio, rate.ok), (Some(2.0), Some(true)));
    let p99 = &c.rows[1];
    assert_eq!((p99.ratio, p99.ok), (Some(1.0), Some(true)));
    // Latency is read at the fixed rate once there are fixed-rate runs.
    let more = [
        fanout("domvia", 50, 50.0, 300),
        fanout("sockudo", 50, 50.0, 600),
        fanout("other", 80, 50.0, 600),
    ]
    .join("\n");
    let mut with_rate = records.clone();
    with_rate.extend(parse_records(&more));
    let c2 = Comparison::new(&with_rate, "domvia", "sockudo");
    assert_eq!(c2.rows[0].ratio, Some(2.0));
    assert!(
        c2.rows[1].metric.contains("50 ev/s"),
        "{}",
        c2.rows[1].metric
    );
    assert_eq!((c2.rows[1].ratio, c2.rows[1].ok), (Some(0.5), Some(true)));
    assert!(
        c2.rows
            .iter()
            .any(|r| r.metric == "latency p99 (µs), rate max")
    );
    // No idle runs: those targets have no data, so not all are met.
    assert!(!c.all_met());
    let table = c.to_string();
    assert!(
        table.contains("delivered msg/s") && table.contains("no data"),
        "{table}"
    );
}
