//! `domvia serve` as a process: what it prints, that it answers, how it refuses a bad
//! configuration, and that SIGTERM stops it cleanly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests"
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{Scratch, s};

const ENV_VARS: [&str; 3] = ["DOMVIA_APP_ID", "DOMVIA_APP_KEY", "DOMVIA_APP_SECRET"];
const SECRET: &str = "s3cr3t-from-the-test";

/// `domvia` with a clean environment for the gateway (no DOMVIA_APP_*, no RUST_LOG).
fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_domvia"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in ENV_VARS.into_iter().chain(["RUST_LOG"]) {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// A running gateway: its banner, its address, and its standard error so far.
struct Gateway {
    child: Child,
    banner: Vec<String>,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Gateway {
    /// Starts `domvia` and reads the banner up to the `websocket:` line of each of `apps`.
    fn start(args: &[&str], env: &[(&str, &str)], apps: usize) -> Self {
        let mut child = command(args, env).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut pipe = child.stderr.take().unwrap();
        thread::spawn(move || {
            let mut buf = [0_u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut banner = Vec::new();
        while banner
            .iter()
            .filter(|l: &&String| l.starts_with("websocket: "))
            .count()
            < apps
        {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => banner.push(line),
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "no banner; stdout so far: {banner:?}; stderr: {}",
                        stderr.lock().unwrap()
                    );
                }
            }
        }
        let url = banner[0]
            .strip_prefix("domvia gateway listening on http://")
            .unwrap_or_else(|| panic!("first line: {}", banner[0]));
        let addr = url.parse().unwrap();
        Self {
            child,
            banner,
            addr,
            stderr,
        }
    }

    /// The banner's value for `label` (`app key`), for each app.
    fn values(&self, label: &str) -> Vec<&str> {
        let prefix = format!("{label}: ");
        self.banner
            .iter()
            .filter_map(|line| line.strip_prefix(&prefix))
            .collect()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit.
    fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "still running after {limit:?}; stderr: {}",
                    self.stderr.lock().unwrap()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /health` over plain TCP: the status line and the body.
fn health(addr: SocketAddr) -> (String, String) {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    let status = response.lines().next().unwrap_or_default().to_owned();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Runs `domvia` to completion (it must exit within 30 s): exit code, stdout, stderr.
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut child = command(args, env).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("domvia {args:?} did not exit");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Asserts exit status 2 and the one-line `domvia: <message> (<code>)`; returns the line.
fn refused(args: &[&str], env: &[(&str, &str)], code: &str) -> String {
    let (status, stdout, stderr) = run(args, env);
    assert_eq!(status, 2, "stderr: {stderr}");
    assert!(stdout.is_empty(), "stdout: {stdout}");
    let line = stderr.trim_end();
    assert!(!line.contains('\n'), "not one line: {line}");
    assert!(line.starts_with("domvia: "), "{line}");
    assert!(line.ends_with(&format!("({code})")), "{line}");
    assert!(!line.contains(SECRET), "{line}");
    line.to_owned()
}

#[test]
fn zero_config_prints_the_dev_credentials_and_answers() {
    let mut gateway = Gateway::start(&["serve", "--port", "0"], &[], 1);
    assert_eq!(gateway.addr.ip().to_string(), "127.0.0.1");
    assert_ne!(gateway.addr.port(), 0, "the bound port is printed");
    assert_eq!(gateway.values("app id"), ["domvia-dev"]);
    assert_eq!(gateway.values("app key"), ["domvia-dev-key"]);
    assert_eq!(gateway.values("app secret"), ["domvia-dev-secret"]);
    assert_eq!(
        gateway.values("websocket"),
        [format!("ws://{}/app/domvia-dev-key", gateway.addr)]
    );

    let (status, body) = health(gateway.addr);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, r#"{"ok":true}"#);

    gateway.signal("TERM");
    assert!(gateway.wait(Duration::from_secs(10)).success());
}

#[test]
fn sigterm_and_ctrl_c_stop_it_promptly_with_status_0() {
    for signal in ["TERM", "INT"] {
        let mut gateway = Gateway::start(&["serve", "--port", "0"], &[], 1);
        let started = Instant::now();
        gateway.signal(signal);
        let status = gateway.wait(Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "stderr: {}", gateway.stderr());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{signal}: too slow"
        );
        let logs = gateway.stderr();
        assert!(logs.contains("shutting down"), "{logs}");
        assert!(logs.contains("stopped"), "{logs}");
    }
}

#[test]
fn config_file_apps_show_id_and_key_but_never_the_secret() {
    let tmp = Scratch::new("serve-config");
    let config = tmp.write(
        "domvia.toml",
        &format!(
            "host = \"0.0.0.0\"\nport = 1\n\
             [[apps]]\nid = \"one\"\nkey = \"one-key\"\nsecret = \"{SECRET}\"\n\
             [[apps]]\nid = \"two\"\nkey = \"two-key\"\nsecret = \"{SECRET}-2\"\nenabled = false\n"
        ),
    );
    // The flags override the file's host and port.
    let args = [
        "serve",
        "--config",
        s(&config),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--log-format",
        "json",
    ];
    let mut gateway = Gateway::start(&args, &[], 2);
    assert_eq!(gateway.addr.ip().to_string(), "127.0.0.1");
    assert_eq!(gateway.values("app id"), ["one", "two (disabled)"]);
    assert_eq!(gateway.values("app key"), ["one-key", "two-key"]);
    assert_eq!(health(gateway.addr).0, "HTTP/1.1 200 OK");

    gateway.signal("TERM");
    assert!(gateway.wait(Duration::from_secs(10)).success());
    let everything = format!("{:?}{}", gateway.banner, gateway.stderr());
    assert!(!everything.contains(SECRET), "{everything}");
    // JSON logs: one object per line.
    let logs = gateway.stderr();
    let events: Vec<serde_json::Value> = logs
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(
        events
            .iter()
            .any(|event| event["fields"]["message"] == "listening"),
        "{logs}"
    );
}

#[test]
fn environment_credentials_are_used_and_their_secret_not_shown() {
    let env = [
        ("DOMVIA_APP_ID", "prod"),
        ("DOMVIA_APP_KEY", "prod-key"),
        ("DOMVIA_APP_SECRET", SECRET),
    ];
    let mut gateway = Gateway::start(&["serve", "--port", "0"], &env, 1);
    assert_eq!(gateway.values("app id"), ["prod"]);
    assert_eq!(gateway.values("app key"), ["prod-key"]);
    assert_eq!(gateway.values("app secret"), ["from DOMVIA_APP_SECRET"]);
    gateway.signal("TERM");
    assert!(gateway.wait(Duration::from_secs(10)).success());
    let everything = format!("{:?}{}", gateway.banner, gateway.stderr());
    assert!(!everything.contains(SECRET), "{everything}");
}

#[test]
fn a_bad_config_file_exits_2_naming_the_field() {
    let tmp = Scratch::new("serve-bad");
    let config = tmp.write(
        "domvia.toml",
        &format!(
            "[[apps]]\nid = \"a\"\nkey = \"a-key\"\nsecret = \"{SECRET}\"\n\
             [apps.limits]\nmax_payload_bytes = 0\n"
        ),
    );
    let line = refused(
        &["serve", "--config", s(&config)],
        &[],
        "config_out_of_range",
    );
    assert_eq!(
        line,
        "domvia: apps[0].limits.max_payload_bytes: must be between 1 and 1048576 \
         (config_out_of_range)"
    );

    let missing = tmp.path("missing.toml");
    let line = refused(&["serve", "--config", s(&missing)], &[], "config_not_found");
    assert!(line.contains(s(&missing)), "{line}");
}

#[test]
fn a_partial_environment_exits_2_naming_the_missing_variable() {
    let env = [("DOMVIA_APP_ID", "prod"), ("DOMVIA_APP_SECRET", SECRET)];
    let line = refused(&["serve"], &env, "config_env_incomplete");
    assert!(
        line.starts_with("domvia: DOMVIA_APP_KEY is not set"),
        "{line}"
    );
}

#[test]
fn the_environment_and_a_config_file_together_are_refused() {
    let tmp = Scratch::new("serve-conflict");
    let config = tmp.write(
        "domvia.toml",
        "[[apps]]\nid = \"a\"\nkey = \"k\"\nsecret = \"s\"\n",
    );
    let env = [("DOMVIA_APP_ID", "prod")];
    let line = refused(
        &["serve", "--config", s(&config)],
        &env,
        "config_env_conflict",
    );
    assert!(line.starts_with("domvia: DOMVIA_APP_ID is set"), "{line}");
}

#[test]
fn unusable_tls_files_exit_2_naming_the_file() {
    let tmp = Scratch::new("serve-tls");
    let cert = tmp.write("cert.pem", "not a certificate\n");
    let config = tmp.write(
        "domvia.toml",
        "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n\
         [[apps]]\nid = \"a\"\nkey = \"k\"\nsecret = \"s\"\n",
    );
    let line = refused(
        &["serve", "--config", s(&config), "--port", "0"],
        &[],
        "tls_no_certificate",
    );
    assert!(line.contains(s(&cert)), "{line}");
}

#[test]
fn an_address_in_use_exits_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (status, stdout, stderr) = run(&["serve", "--port", &port], &[]);
    assert_eq!(status, 1, "{stderr}");
    assert!(stdout.is_empty());
    let line = stderr.trim_end();
    assert!(
        line.starts_with(&format!("domvia: cannot listen on 127.0.0.1:{port}: ")),
        "{line}"
    );
    assert!(line.ends_with("(listen_failed)"), "{line}");
}
