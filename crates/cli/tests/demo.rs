//! The demo `domvia serve` shows in zero-config mode: the page, the npm package's
//! JavaScript and WebAssembly with their content types, the demo's trusted server (which
//! signs only the room and the user's own key channel), and when the demo is off
//! (`--no-demo`, `--config`, the DOMVIA_APP_* variables). The page itself is driven in
//! Chromium by tests/demo.

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
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{Scratch, s};
use domvia_e2ee::{UserId, user_key_channel};

/// `domvia serve --port 0 …`, stopped on drop.
struct Served {
    child: Child,
    addr: SocketAddr,
    lines: mpsc::Receiver<String>,
    banner: Vec<String>,
}

impl Served {
    fn start(extra: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_domvia"));
        command
            .args(["serve", "--port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for var in [
            "DOMVIA_APP_ID",
            "DOMVIA_APP_KEY",
            "DOMVIA_APP_SECRET",
            "RUST_LOG",
        ] {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        while !banner.iter().any(|l: &String| l.starts_with("websocket: ")) {
            let line = lines.recv_timeout(Duration::from_secs(30)).expect("banner");
            banner.push(line);
        }
        let addr = banner[0]
            .strip_prefix("domvia gateway listening on http://")
            .unwrap()
            .parse()
            .unwrap();
        Self {
            child,
            addr,
            lines,
            banner,
        }
    }

    /// The banner, with whatever followed the `websocket:` line within a moment.
    fn banner(&mut self) -> Vec<String> {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(300)) {
            self.banner.push(line);
        }
        self.banner.clone()
    }

    fn get(&self, path: &str) -> Response {
        self.request(&format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        ))
    }

    fn post_form(&self, path: &str, form: &str) -> Response {
        self.request(&format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ))
    }

    fn request(&self, raw: &str) -> Response {
        let mut tcp = TcpStream::connect(self.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        tcp.write_all(raw.as_bytes()).unwrap();
        let mut bytes = Vec::new();
        tcp.read_to_end(&mut bytes).unwrap();
        Response::parse(&bytes)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// A `Connection: close` response with a Content-Length body.
    fn parse(bytes: &[u8]) -> Self {
        let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = std::str::from_utf8(&bytes[..split]).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        Self {
            status,
            headers,
            body: bytes[split + 4..].to_vec(),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[test]
fn zero_config_serves_the_page_the_package_and_its_webassembly() {
    let mut served = Served::start(&[], &[]);
    let demo_line = format!("demo: http://{}/ ", served.addr);
    assert!(
        served.banner().iter().any(|l| l.starts_with(&demo_line)),
        "{:?}",
        served.banner
    );

    let page = served.get("/");
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert!(page.text().contains("/demo/app.js"));
    assert!(page.text().contains("the part a real app replaces"));
    assert!(
        page.header("content-security-policy")
            .contains("script-src 'self' 'wasm-unsafe-eval'")
    );

    for path in [
        "/demo/app.js",
        "/demo/pkg/index.js",
        "/demo/pkg/lib/rooms.js",
        "/demo/pkg/wasm/domvia_e2ee_wasm.js",
    ] {
        let script = served.get(path);
        assert_eq!(script.status, 200, "{path}");
        assert_eq!(
            script.header("content-type"),
            "text/javascript; charset=utf-8",
            "{path}"
        );
    }
    // The package's own files, as they are in packages/realtime-e2ee.
    let index = served.get("/demo/pkg/index.js");
    let source = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../packages/realtime-e2ee/index.js"
    ))
    .unwrap();
    assert_eq!(index.body, source);

    let wasm = served.get("/demo/pkg/wasm/domvia_e2ee_wasm_bg.wasm");
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), "application/wasm");
    assert!(wasm.body.starts_with(b"\0asm\x01\0\0\0"));
    assert!(wasm.body.len() > 100_000);

    let pusher = served.get("/demo/vendor/pusher-js/pusher.min.js");
    assert_eq!(
        pusher.header("content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(
        pusher.text().contains("Pusher JavaScript Library v8.6.0")
            || pusher.text().contains("8.6.0")
    );

    let config = served.get("/demo/config.json");
    assert_eq!(config.json()["appKey"], "domvia-dev-key");

    assert_eq!(served.get("/demo/nothing-here.js").status, 404);
    // The gateway's own routes are untouched.
    assert_eq!(served.get("/health").text(), r#"{"ok":true}"#);
}

#[test]
fn the_trusted_server_signs_the_room_and_only_the_users_own_key_channel() {
    let served = Served::start(&[], &[]);
    let alice: UserId = "alice".parse().unwrap();
    let alice_keys = user_key_channel(&alice);

    let room = served.post_form(
        "/demo/auth",
        "socket_id=1.2&channel_name=presence-e2ee-demo&user=alice",
    );
    assert_eq!(room.status, 200, "{}", room.text());
    let room = room.json();
    assert!(
        room["auth"]
            .as_str()
            .unwrap()
            .starts_with("domvia-dev-key:")
    );
    let member: serde_json::Value =
        serde_json::from_str(room["channel_data"].as_str().unwrap()).unwrap();
    assert_eq!(member["user_id"], "alice");

    let own = served.post_form(
        "/demo/auth",
        &format!("socket_id=1.2&channel_name={alice_keys}&user=alice"),
    );
    assert_eq!(own.status, 200, "{}", own.text());
    assert!(own.json()["channel_data"].is_null());

    let stolen = served.post_form(
        "/demo/auth",
        &format!("socket_id=1.2&channel_name={alice_keys}&user=mallory"),
    );
    assert_eq!(stolen.status, 403);
    assert_eq!(stolen.json()["code"], "forbidden");

    let other_room = served.post_form(
        "/demo/auth",
        "socket_id=1.2&channel_name=private-e2ee-elsewhere&user=alice",
    );
    assert_eq!(other_room.status, 403);
    let no_user = served.post_form(
        "/demo/auth",
        "socket_id=1.2&channel_name=presence-e2ee-demo",
    );
    assert_eq!(no_user.status, 400);
    assert_eq!(no_user.json()["code"], "bad_request");
    assert_eq!(served.get("/demo/auth").status, 405);
}

#[test]
fn no_demo_turns_it_off() {
    let mut served = Served::start(&["--no-demo"], &[]);
    assert_eq!(served.get("/").status, 404);
    assert_eq!(served.get("/demo/pkg/index.js").status, 404);
    assert_eq!(
        served
            .post_form(
                "/demo/auth",
                "socket_id=1.2&channel_name=presence-e2ee-demo&user=a"
            )
            .status,
        404
    );
    assert!(!served.banner().iter().any(|l| l.starts_with("demo:")));
}

#[test]
fn an_app_of_the_operators_never_gets_the_demo() {
    let tmp = Scratch::new("demo-config");
    let config = tmp.write(
        "domvia.toml",
        "[[apps]]\nid = \"mine\"\nkey = \"mine-key\"\nsecret = \"mine-secret\"\n",
    );
    let mut from_file = Served::start(&["--config", s(&config)], &[]);
    assert_eq!(from_file.get("/").status, 404);
    assert_eq!(
        from_file
            .post_form(
                "/demo/auth",
                "socket_id=1.2&channel_name=presence-e2ee-demo&user=a"
            )
            .status,
        404
    );
    assert!(!from_file.banner().iter().any(|l| l.starts_with("demo:")));

    let env = [
        ("DOMVIA_APP_ID", "env"),
        ("DOMVIA_APP_KEY", "env-key"),
        ("DOMVIA_APP_SECRET", "env-secret"),
    ];
    let mut from_env = Served::start(&[], &env);
    assert_eq!(from_env.get("/").status, 404);
    assert!(!from_env.banner().iter().any(|l| l.starts_with("demo:")));
}

/// The Rust client (`domvia-client`) against the `domvia serve` binary, authorized by the
/// demo's trusted server like the page is: an encrypted chat message goes through the
/// ciphertext-only room, and a plaintext client event there is refused with 4302.
#[test]
fn the_rust_client_joins_through_the_demos_trusted_server() {
    use std::sync::{Arc, Mutex};

    use domvia_client::{Client, EncryptedChannel, HttpAuthorizer};
    use domvia_e2ee::{KeyId, Keyring};

    let served = Served::start(&[], &[]);
    let (ws, auth) = (
        format!("ws://{}", served.addr),
        format!("http://{}/demo/auth", served.addr),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let join = |user: &str| {
            let authorizer = HttpAuthorizer::new(auth.clone()).param("user", user);
            Client::builder(ws.clone(), "domvia-dev-key".parse().unwrap())
                .authorizer(Arc::new(authorizer))
                .connect()
                .unwrap()
        };
        let key_id: KeyId = "e2ee-demo-room".parse().unwrap();
        let mut ring = Keyring::new();
        ring.generate(key_id.clone()).unwrap();
        let copy = Keyring::import(&ring.export()).unwrap();

        let (alice, bob) = (join("alice"), join("bob"));
        let bob_room = bob.subscribe("presence-e2ee-demo").await.unwrap();
        let mut inbox = EncryptedChannel::new(bob_room, Arc::new(Mutex::new(copy)), key_id.clone())
            .unwrap()
            .receive()
            .unwrap();
        let alice_room = alice.subscribe("presence-e2ee-demo").await.unwrap();
        assert_eq!(alice_room.members().unwrap().len(), 2);
        // The trusted server grants no other user's key channel.
        let theirs = user_key_channel(&"bob".parse::<UserId>().unwrap());
        assert!(alice.subscribe(&theirs).await.is_err());

        let mut refusals = alice.gateway_errors();
        alice_room
            .trigger("client-chat", &serde_json::json!({"body": "plaintext"}))
            .await
            .unwrap();
        let refused = tokio::time::timeout(Duration::from_secs(10), refusals.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(
            matches!(
                refused,
                domvia_client::ClientError::Gateway {
                    code: Some(4302),
                    ..
                }
            ),
            "{refused}"
        );

        let room = EncryptedChannel::new(alice_room, Arc::new(Mutex::new(ring)), key_id).unwrap();
        room.send_chat("msg-1", &serde_json::json!({"body": "Private message"}))
            .await
            .unwrap();
        let message = tokio::time::timeout(Duration::from_secs(10), inbox.recv())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(message.payload["body"], "Private message");
        assert_eq!(message.user_id.unwrap().as_str(), "alice");
        alice.disconnect();
        bob.disconnect();
    });
}
