//! The server's resident memory and CPU time, read from Linux's `/proc/<pid>`.
//!
//! ```
//! use domvia_loadtest::procfs::{parse_cpu_ticks, parse_vm_rss_kb};
//!
//! assert_eq!(parse_vm_rss_kb("Name:\tx\nVmRSS:\t   1234 kB\n"), Some(1234));
//! let stat = "42 (my server) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0";
//! assert_eq!(parse_cpu_ticks(stat), Some(300));
//! ```

/// Clock ticks per second in `/proc/<pid>/stat` (`USER_HZ`, 100 on every Linux ABI the
/// harness runs on).
const TICKS_PER_SEC: f64 = 100.0;

/// `VmRSS` of `pid`, in KiB; `None` when the process is gone or not on Linux.
#[must_use]
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss_kb(&status)
}

/// User plus system CPU time of `pid`, in seconds.
#[must_use]
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat).map(|ticks| ticks as f64 / TICKS_PER_SEC)
}

/// The `VmRSS:` line of a `/proc/<pid>/status` text, in KiB.
#[must_use]
pub fn parse_vm_rss_kb(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` text, in ticks. The command
/// name (field 2) may hold spaces and parentheses, so fields are counted after its last `)`.
#[must_use]
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    // After the name: field 3 (state) is the first; utime is field 14, the 12th after.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime.checked_add(stime)
}
