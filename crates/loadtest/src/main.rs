//! `domvia-loadtest`: fan-out, idle-connection and comparison runs against any Pusher
//! protocol 7 server.
//!
//! ```text
//! domvia-loadtest fanout --url ws://127.0.0.1:6001 --http http://127.0.0.1:6001 \
//!     --app-id app --key key --secret secret --subscribers 1000 --rate 0 --duration 10 \
//!     --payload 100 --inflight 16 --label domvia --server-pid 1234 --json
//! domvia-loadtest idle --url ws://127.0.0.1:6001 --key key --connections 10000 \
//!     --server-pid 1234 --label domvia --json
//! domvia-loadtest compare --candidate domvia --baseline sockudo results.jsonl
//! ```
//!
//! Each run prints a table and, with `--json`, one JSON line (`report::Record`). Exit
//! status: 0 after a run, 1 when `--strict` finds loss, duplicates or errors (or
//! `compare --check` finds a target missed), 2 when the command line or setup is wrong.

#![forbid(unsafe_code)]
#![allow(
    clippy::print_stdout,
    reason = "a command-line tool whose output is its report"
)]

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use domvia_loadtest::compare::{Comparison, parse_records};
use domvia_loadtest::endpoint::{Endpoint, Scheme};
use domvia_loadtest::fanout::{self, FanoutPlan};
use domvia_loadtest::idle::{self, Channels, IdlePlan};
use domvia_loadtest::publisher::PublishPlan;
use domvia_loadtest::report::Record;
use domvia_loadtest::session::SessionTarget;
use domvia_loadtest::swarm::Swarm;
use domvia_protocol::{AppKey, AppSecret, ChannelName};
use tokio::sync::Semaphore;

#[derive(Parser, Debug)]
#[command(
    name = "domvia-loadtest",
    version,
    about = "Load harness for Pusher protocol 7 servers"
)]
struct Cli {
    /// Runtime worker threads (default: one per core).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// N subscribers on one channel, events published on the HTTP API.
    Fanout(FanoutArgs),
    /// N subscribed connections held open; server RSS per connection.
    Idle(IdleArgs),
    /// Medians and ratios of two servers' JSON lines.
    Compare(CompareArgs),
}

/// What every run against a server needs.
#[derive(Args, Debug)]
struct ServerArgs {
    /// WebSocket base URL.
    #[arg(long, default_value = "ws://127.0.0.1:6001")]
    url: String,
    /// App key.
    #[arg(long)]
    key: String,
    /// Name of the server in reports.
    #[arg(long, default_value = "server")]
    label: String,
    /// The server's process id, for RSS and CPU time (Linux /proc).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Local addresses to connect from, in turn (e.g. 127.0.0.1,127.0.0.2).
    #[arg(long, value_delimiter = ',')]
    source_ips: Vec<IpAddr>,
    /// WebSocket handshakes in progress at once.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// Seconds allowed to open and subscribe every connection.
    #[arg(long, default_value_t = 120)]
    setup_timeout: u64,
    /// Seconds allowed for each protocol step of one connection.
    #[arg(long, default_value_t = 15)]
    step_timeout: u64,
    /// Also print the result as one JSON line.
    #[arg(long)]
    json: bool,
    /// Exit 1 unless every connection succeeded with no loss, duplicate or error.
    #[arg(long)]
    strict: bool,
}

#[derive(Args, Debug)]
struct FanoutArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// HTTP API base URL.
    #[arg(long, default_value = "http://127.0.0.1:6001")]
    http: String,
    /// App id.
    #[arg(long)]
    app_id: String,
    /// App secret.
    #[arg(long)]
    secret: String,
    /// Public channel to publish on.
    #[arg(long, default_value = "bench")]
    channel: String,
    /// Subscribers.
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// Events per second (0: as fast as the in-flight bound allows).
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Bytes of event data.
    #[arg(long, default_value_t = 100)]
    payload: usize,
    /// Publish requests in flight (one keep-alive connection each).
    #[arg(long, default_value_t = 16)]
    inflight: usize,
    /// Seconds to wait for late deliveries after publishing, at most.
    #[arg(long, default_value_t = 10)]
    drain_timeout: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ChannelsArg {
    /// One channel per connection (`{prefix}-{i}`).
    PerConnection,
    /// One channel for all (`{prefix}`).
    Shared,
}

#[derive(Args, Debug)]
struct IdleArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Connections.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Which channels they join.
    #[arg(long, value_enum, default_value = "per-connection")]
    channels: ChannelsArg,
    /// Channel name, or prefix of per-connection names.
    #[arg(long, default_value = "idle")]
    channel_prefix: String,
    /// Seconds to hold them once all are subscribed.
    #[arg(long, default_value_t = 10)]
    hold: u64,
}

#[derive(Args, Debug)]
struct CompareArgs {
    /// The server measured.
    #[arg(long, default_value = "domvia")]
    candidate: String,
    /// The server it is compared with.
    #[arg(long, default_value = "sockudo")]
    baseline: String,
    /// Also print the comparison as one JSON line.
    #[arg(long)]
    json: bool,
    /// Exit 1 when a target is missed.
    #[arg(long)]
    check: bool,
    /// Files holding the runs' JSON lines (other lines are skipped).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// A setup error: printed, exit status 2.
#[derive(Debug)]
struct Usage(String);

impl<E: std::fmt::Display> From<E> for Usage {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = cli.threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return usage(&Usage::from(e)),
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Fanout(args) => run_fanout(args).await,
            Command::Idle(args) => run_idle(args).await,
            Command::Compare(args) => run_compare(&args),
        }
    });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => usage(&e),
    }
}

fn usage(e: &Usage) -> ExitCode {
    eprintln!("domvia-loadtest: {}", e.0);
    ExitCode::from(2)
}

async fn swarm(server: &ServerArgs) -> Result<Arc<Swarm>, Usage> {
    let key: AppKey = server.key.parse()?;
    let endpoint = Endpoint::parse(&server.url, Scheme::Ws)?;
    let addr = endpoint.resolve().await?;
    let path = format!("/app/{key}?protocol=7&client=domvia-loadtest&version=0.1");
    Ok(Arc::new(Swarm {
        target: SessionTarget {
            addr,
            url: endpoint.url(&path),
            step_timeout: Duration::from_secs(server.step_timeout),
        },
        source_ips: server.source_ips.clone(),
        gate: Semaphore::new(server.connect_concurrency.max(1)),
    }))
}

fn print_record(record: Record, json: bool) -> Result<(), Usage> {
    match &record {
        Record::Fanout(r) => println!("{r}"),
        Record::Idle(r) => println!("{r}"),
    }
    if json {
        println!("{}", serde_json::to_string(&record)?);
    }
    Ok(())
}

async fn run_fanout(args: FanoutArgs) -> Result<bool, Usage> {
    let http = Endpoint::parse(&args.http, Scheme::Http)?;
    let channel: ChannelName = args.channel.parse()?;
    let publish = PublishPlan {
        addr: http.resolve().await?,
        host: http.host_port.clone(),
        app_id: args.app_id,
        key: args.server.key.parse()?,
        secret: AppSecret::new(&args.secret)?,
        channel,
        rate: args.rate,
        duration: Duration::from_secs(args.duration),
        payload: args.payload,
        inflight: args.inflight,
    };
    let plan = FanoutPlan {
        swarm: swarm(&args.server).await?,
        subscribers: args.subscribers,
        setup_timeout: Duration::from_secs(args.server.setup_timeout),
        drain_timeout: Duration::from_secs(args.drain_timeout),
        publish: Arc::new(publish),
        server_pid: args.server.server_pid,
        label: args.server.label.clone(),
    };
    let report = fanout::run(plan).await;
    let clean = report.is_clean();
    print_record(Record::Fanout(report), args.server.json)?;
    Ok(clean || !args.server.strict)
}

async fn run_idle(args: IdleArgs) -> Result<bool, Usage> {
    let plan = IdlePlan {
        swarm: swarm(&args.server).await?,
        connections: args.connections,
        channels: match args.channels {
            ChannelsArg::PerConnection => Channels::PerConnection,
            ChannelsArg::Shared => Channels::Shared,
        },
        channel_prefix: args.channel_prefix,
        setup_timeout: Duration::from_secs(args.server.setup_timeout),
        hold: Duration::from_secs(args.hold),
        server_pid: args.server.server_pid,
        label: args.server.label.clone(),
    };
    let report = idle::run(plan).await?;
    let clean = report.held_all;
    print_record(Record::Idle(report), args.server.json)?;
    Ok(clean || !args.server.strict)
}

fn run_compare(args: &CompareArgs) -> Result<bool, Usage> {
    let mut records = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Usage(format!("cannot read {}: {e}", file.display())))?;
        records.extend(parse_records(&text));
    }
    let comparison = Comparison::new(&records, &args.candidate, &args.baseline);
    println!("{comparison}");
    if args.json {
        println!("{}", serde_json::to_string(&comparison)?);
    }
    Ok(comparison.all_met() || !args.check)
}
