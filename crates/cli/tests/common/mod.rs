//! Helpers shared by the CLI tests: run the real binary, and scratch directories.

#![allow(dead_code, reason = "each test binary uses a different subset")]
#![expect(
    clippy::unwrap_used,
    reason = "test setup that fails should fail the test loudly"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a run of `domvia` produced.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Asserts success and returns standard output without its trailing newline.
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success; stderr: {}", self.stderr);
        self.stdout.strip_suffix('\n').unwrap_or(&self.stdout)
    }

    /// Asserts exit status 1 and a one-line `domvia: ... (code)` message.
    pub(crate) fn fails_with(&self, code: &str) -> String {
        assert_eq!(
            self.code, 1,
            "expected exit 1 with {code}; stderr: {}",
            self.stderr
        );
        let line = self.stderr.trim_end();
        assert!(!line.contains('\n'), "error is not one line: {line}");
        assert!(line.starts_with("domvia: "), "no prefix: {line}");
        assert!(
            line.ends_with(&format!("({code})")),
            "expected code {code}: {line}"
        );
        assert!(!line.contains("panicked"), "{line}");
        assert!(self.stdout.is_empty(), "stdout on failure: {}", self.stdout);
        line.to_owned()
    }
}

/// Runs `domvia` with `args`, feeding `stdin` (or nothing) and extra environment.
pub(crate) fn domvia_env(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_domvia"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        // The child may stop reading early (size cap), so a broken pipe is fine.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let out = child.wait_with_output().unwrap();
    if let Some(w) = writer {
        w.join().unwrap();
    }
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs `domvia` with `args` and `stdin`.
pub(crate) fn domvia(args: &[&str], stdin: Option<&[u8]>) -> Run {
    domvia_env(args, stdin, &[])
}

/// A directory under the system temp dir, removed when dropped.
pub(crate) struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    pub(crate) fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("domvia-cli-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    pub(crate) fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    pub(crate) fn write(&self, file: &str, contents: &str) -> PathBuf {
        let path = self.path(file);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// A fresh raw key in a file, via `domvia keygen --out`.
    pub(crate) fn key(&self, file: &str) -> PathBuf {
        let path = self.path(file);
        domvia(&["keygen", "--out", s(&path)], None).ok();
        path
    }

    /// A new device via `domvia device new`: its secret file and its bundle file. The
    /// bundle printed is public: it never contains the secret.
    pub(crate) fn device(&self, user: &str, device: &str) -> (PathBuf, PathBuf) {
        let secret = self.path(&format!("{user}-{device}.secret"));
        let run = domvia(
            &[
                "device",
                "new",
                "--user",
                user,
                "--device",
                device,
                "--out",
                s(&secret),
            ],
            None,
        );
        assert_eq!(
            json(run.ok())
                .get("format")
                .and_then(serde_json::Value::as_str),
            Some("domvia-device")
        );
        assert!(
            !run.stdout
                .contains(&std::fs::read_to_string(&secret).unwrap())
        );
        let bundle = self.write(&format!("{user}-{device}.bundle.json"), run.ok());
        (secret, bundle)
    }

    /// A keyring export file holding one fresh key (`room-42`, version 1), and its text.
    pub(crate) fn one_key_ring(&self) -> (PathBuf, String) {
        let key = std::fs::read_to_string(self.key("ring-member.key")).unwrap();
        let ring = format!(
            r#"{{"format":"domvia-keyring","v":1,"keys":[{{"kid":"room-42","current":1,"highest":1,"versions":[{{"kver":1,"key":"{}"}}]}}]}}"#,
            key.trim()
        );
        (self.write("ring.json", &ring), ring)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Parses JSON text.
pub(crate) fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

/// A path as `&str` for argument lists.
pub(crate) fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The context flags of the three seed examples.
pub(crate) const CHAT: &[&str] = &[
    "--kind",
    "chat",
    "--room-id",
    "room-42",
    "--message-id",
    "msg-1",
];
pub(crate) const CALL: &[&str] = &[
    "--kind",
    "call",
    "--call-id",
    "call-9001",
    "--event-name",
    "call.offer",
];
pub(crate) const REALTIME: &[&str] = &[
    "--kind",
    "realtime",
    "--scope",
    "delivery",
    "--scope-id",
    "order-1001",
    "--event-name",
    "delivery.private_note",
];

/// `encrypt` arguments: the context, the key file, a label, then `extra`.
pub(crate) fn encrypt_args<'a>(
    context: &[&'a str],
    key: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec!["encrypt"];
    args.extend_from_slice(context);
    args.extend_from_slice(&["--key-file", s(key), "--key-version", "1"]);
    if context.get(1) == Some(&"chat") {
        args.extend_from_slice(&["--key-id", "room-42-v1"]);
    }
    args.extend_from_slice(extra);
    args
}

/// `decrypt` arguments: the context, the key file, then `extra`.
pub(crate) fn decrypt_args<'a>(
    context: &[&'a str],
    key: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec!["decrypt"];
    args.extend_from_slice(context);
    args.extend_from_slice(&["--key-file", s(key)]);
    args.extend_from_slice(extra);
    args
}

/// Seals `payload` for `context` under `key` and returns the envelope line.
pub(crate) fn seal(context: &[&str], key: &Path, payload: &str) -> String {
    domvia(&encrypt_args(context, key, &[]), Some(payload.as_bytes()))
        .ok()
        .to_owned()
}
