//! The configuration's public API: the TOML layout, its errors (each naming the field),
//! the environment variables, and that no secret is ever shown.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests"
)]

use std::path::PathBuf;
use std::time::Duration;

use domvia_server::ServerConfig;
use domvia_server::config::{ConfigError, DEV_APP_ID, DEV_APP_KEY};

const SECRET: &str = "s3cr3t-never-shown";

/// One valid app, for tests that break something else.
fn app(id: &str, key: &str) -> String {
    format!("[[apps]]\nid = \"{id}\"\nkey = \"{key}\"\nsecret = \"{SECRET}\"\n")
}

fn refused(text: &str) -> ConfigError {
    let error = ServerConfig::from_toml(text).expect_err("should be refused");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(SECRET), "secret shown: {shown}");
    error
}

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/domvia.toml")
}

#[test]
fn a_full_config_sets_every_value() {
    let text = format!(
        r#"
        host = "0.0.0.0"
        port = 7001
        activity_timeout_secs = 60
        pong_timeout_secs = 15
        shutdown_grace_secs = 0

        [tls]
        cert = "/etc/domvia/cert.pem"
        key = "/etc/domvia/key.pem"

        [webhooks]
        debounce_ms = 0
        max_attempts = 3
        initial_backoff_ms = 250
        timeout_ms = 2000

        [[apps]]
        id = "chat.prod_1"
        key = "chat-key"
        secret = "{SECRET}"
        enabled = false
        allowed_origins = ["https://Chat.Example.com", "http://localhost:3000"]
        client_events = false
        user_authentication = false

        [apps.limits]
        max_connections = 5000
        max_client_events_per_second = 20
        max_messages_per_second = 1000
        max_channels_per_connection = 50
        max_payload_bytes = 65536
        max_presence_members = 200
        max_presence_user_info_bytes = 2048
        max_event_channels = 10
        max_batch_events = 5
        outbound_queue = 256

        [[apps.webhooks]]
        url = "https://hooks.example.com/pusher"
        events = ["channel_occupied", "channel_vacated"]

        [[apps.webhooks]]
        url = "http://10.0.0.5:8080/all"

        [[apps]]
        id = "second"
        key = "second-key"
        secret = "another"
        "#
    );
    let config = ServerConfig::from_toml(&text).unwrap();
    assert_eq!(config.listen.to_string(), "0.0.0.0:7001");
    assert_eq!(config.activity_timeout, Duration::from_secs(60));
    assert_eq!(config.pong_timeout, Duration::from_secs(15));
    assert_eq!(config.shutdown_grace, Duration::ZERO);
    let tls = config.tls.as_ref().unwrap();
    assert_eq!(tls.cert_path, PathBuf::from("/etc/domvia/cert.pem"));
    assert_eq!(tls.key_path, PathBuf::from("/etc/domvia/key.pem"));
    assert_eq!(config.webhooks.debounce, Duration::ZERO);
    assert_eq!(config.webhooks.max_attempts, 3);
    assert_eq!(config.webhooks.initial_backoff, Duration::from_millis(250));
    assert_eq!(config.webhooks.timeout, Duration::from_secs(2));

    assert_eq!(config.apps.len(), 2);
    let chat = &config.apps[0];
    assert_eq!(chat.id, "chat.prod_1");
    assert_eq!(chat.key.as_str(), "chat-key");
    assert!(!chat.enabled && !chat.client_events && !chat.user_authentication);
    assert_eq!(
        chat.allowed_origins,
        ["https://chat.example.com", "http://localhost:3000"]
    );
    let limits = chat.limits;
    assert_eq!(limits.max_connections, Some(5000));
    assert_eq!(limits.max_client_events_per_second, 20);
    assert_eq!(limits.max_messages_per_second, Some(1000));
    assert_eq!(limits.max_channels_per_connection, 50);
    assert_eq!(limits.max_payload_bytes, 65_536);
    assert_eq!(limits.max_presence_members, 200);
    assert_eq!(limits.max_presence_user_info_bytes, 2048);
    assert_eq!(limits.max_event_channels, 10);
    assert_eq!(limits.max_batch_events, 5);
    assert_eq!(limits.outbound_queue, 256);
    assert_eq!(chat.webhooks.len(), 2);
    assert_eq!(chat.webhooks[0].url, "https://hooks.example.com/pusher");
    assert_eq!(
        chat.webhooks[0].events,
        ["channel_occupied", "channel_vacated"]
    );
    assert!(chat.webhooks[1].events.is_empty(), "empty means all");

    let shown = format!("{config:?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains("another"),
        "{shown}"
    );
}

#[test]
fn a_minimal_config_takes_the_defaults() {
    let config = ServerConfig::from_toml(&app("a", "a-key")).unwrap();
    let defaults = ServerConfig::dev().unwrap();
    assert_eq!(config.listen, defaults.listen);
    assert_eq!(config.listen.to_string(), "127.0.0.1:6001");
    assert_eq!(config.activity_timeout, defaults.activity_timeout);
    assert_eq!(config.pong_timeout, defaults.pong_timeout);
    assert_eq!(config.shutdown_grace, defaults.shutdown_grace);
    assert_eq!(config.webhooks, defaults.webhooks);
    assert!(config.tls.is_none());
    let app = &config.apps[0];
    assert!(app.enabled && app.client_events && app.user_authentication);
    assert!(app.allowed_origins.is_empty() && app.webhooks.is_empty());
    assert_eq!(app.limits, domvia_server::Limits::default());
}

#[test]
fn the_documented_example_loads() {
    let config = ServerConfig::load(example_path()).unwrap();
    assert!(!config.apps.is_empty());
    assert!(config.tls.is_none(), "the example's [tls] is commented out");
    // And with its [tls] table uncommented, the paths are taken relative to the file.
    let text = std::fs::read_to_string(example_path()).unwrap();
    let uncommented = text
        .replace("# [tls]", "[tls]")
        .replace("# cert = ", "cert = ")
        .replace("# key = ", "key = ");
    let config = ServerConfig::from_toml(&uncommented).unwrap();
    assert!(config.tls.is_some());
}

#[test]
fn load_resolves_relative_tls_paths_against_the_file() {
    let dir = std::env::temp_dir().join(format!("domvia-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("domvia.toml");
    let text = format!(
        "[tls]\ncert = \"certs/cert.pem\"\nkey = \"/abs/key.pem\"\n{}",
        app("a", "k")
    );
    std::fs::write(&file, text).unwrap();
    let tls = ServerConfig::load(&file).unwrap().tls.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(tls.cert_path, dir.join("certs/cert.pem"));
    assert_eq!(tls.key_path, PathBuf::from("/abs/key.pem"));
}

#[test]
fn a_missing_file_names_the_path() {
    let error = ServerConfig::load("/nonexistent/domvia.toml").unwrap_err();
    assert_eq!(error.code(), "config_not_found");
    assert!(
        error.to_string().contains("/nonexistent/domvia.toml"),
        "{error}"
    );
}

/// Each broken config, the exact message and the code.
#[test]
fn every_error_names_the_field() {
    let one = app("a", "a-key");
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("prot = 6001\n{one}"),
            "prot: unknown key (expected one of: activity_timeout_secs, apps, host, pong_timeout_secs, \
             port, shutdown_grace_secs, tls, webhooks)",
            "config_unknown_key",
        ),
        (
            format!("{one}[apps.limits]\nmax_payload = 1\n"),
            "apps[0].limits.max_payload: unknown key (expected one of: max_batch_events, \
             max_channels_per_connection, max_client_events_per_second, max_connections, \
             max_event_channels, max_messages_per_second, max_payload_bytes, \
             max_presence_members, max_presence_user_info_bytes, outbound_queue)",
            "config_unknown_key",
        ),
        (
            format!(
                "{one}{}[apps.limits]\nmax_payload_bytes = 0\n",
                app("b", "b-key")
            ),
            "apps[1].limits.max_payload_bytes: must be between 1 and 1048576",
            "config_out_of_range",
        ),
        (
            format!("{one}[apps.limits]\nmax_payload_bytes = 2000000\n"),
            "apps[0].limits.max_payload_bytes: must be between 1 and 1048576",
            "config_out_of_range",
        ),
        (
            format!("{one}[apps.limits]\nmax_connections = -5\n"),
            "apps[0].limits.max_connections: must be between 1 and 10000000",
            "config_out_of_range",
        ),
        (
            format!("{one}[apps.limits]\nmax_client_events_per_second = 0\n"),
            "apps[0].limits.max_client_events_per_second: must be between 1 and 10000",
            "config_out_of_range",
        ),
        (
            format!("port = 70000\n{one}"),
            "port: must be between 0 and 65535",
            "config_out_of_range",
        ),
        (
            format!("port = \"6001\"\n{one}"),
            "port: must be an integer",
            "config_wrong_type",
        ),
        (
            format!("activity_timeout_secs = 1.5\n{one}"),
            "activity_timeout_secs: must be an integer",
            "config_wrong_type",
        ),
        (
            format!("host = \"localhost\"\n{one}"),
            "host: must be an IP address, such as 127.0.0.1, 0.0.0.0 or ::",
            "config_invalid",
        ),
        (
            app("a", "a:b"),
            "apps[0].key: must not contain ':'",
            "config_invalid",
        ),
        (
            app("a", "a/b"),
            "apps[0].key: must be 1 to 128 visible ASCII characters without '/', '?', '#' \
             or '%' (it appears in the /app/{key} URL)",
            "config_invalid",
        ),
        (
            app("a", ""),
            "apps[0].key: must not be empty",
            "config_invalid",
        ),
        (
            app("a b", "k"),
            "apps[0].id: must contain only letters, digits, '-', '_' and '.'",
            "config_invalid",
        ),
        (
            "[[apps]]\nid = \"a\"\nkey = \"k\"\n".to_owned(),
            "apps[0].secret: is required",
            "config_missing",
        ),
        (
            "[[apps]]\nid = \"a\"\nkey = \"k\"\nsecret = \"\"\n".to_owned(),
            "apps[0].secret: must not be empty",
            "config_invalid",
        ),
        (
            format!("{one}enabled = \"yes\"\n"),
            "apps[0].enabled: must be true or false",
            "config_wrong_type",
        ),
        (
            format!("{one}{}", app("a", "other-key")),
            "apps[1].id: same as apps[0].id; each app needs its own",
            "config_duplicate",
        ),
        (
            format!("{one}{}{}", app("b", "b-key"), app("c", "a-key")),
            "apps[2].key: same as apps[0].key; each app needs its own",
            "config_duplicate",
        ),
        (
            format!("{one}allowed_origins = [\"*\", \"https://ok.example.com/\"]\n"),
            "apps[0].allowed_origins[1]: must be '*' or scheme://host[:port], without a path \
             or trailing '/' (for example https://app.example.com)",
            "config_invalid",
        ),
        (
            format!("{one}allowed_origins = [1]\n"),
            "apps[0].allowed_origins[0]: must be a string",
            "config_wrong_type",
        ),
        (
            "apps = [1]\n".to_owned(),
            "apps[0]: must be a table",
            "config_wrong_type",
        ),
        (
            format!("{one}allowed_origins = \"*\"\n"),
            "apps[0].allowed_origins: must be an array of strings",
            "config_wrong_type",
        ),
        (
            format!("{one}[[apps.webhooks]]\nurl = \"ftp://example.com/x\"\n"),
            "apps[0].webhooks[0].url: must be an http:// or https:// URL",
            "config_invalid",
        ),
        (
            format!("{one}[[apps.webhooks]]\nurl = \"example.com/hooks\"\n"),
            "apps[0].webhooks[0].url: must be an absolute http:// or https:// URL, such as \
             https://example.com/hooks",
            "config_invalid",
        ),
        (
            format!(
                "{one}[[apps.webhooks]]\nurl = \"https://a.example\"\n\
                 [[apps.webhooks]]\nurl = \"https://b.example\"\n\
                 events = [\"member_added\", \"channel_created\"]\n"
            ),
            "apps[0].webhooks[1].events[1]: unknown webhook event \"channel_created\" \
             (expected one of: channel_occupied, channel_vacated, member_added, \
             member_removed, client_event)",
            "config_unknown_webhook_event",
        ),
        (
            format!("{one}[[apps.webhooks]]\nevents = []\n"),
            "apps[0].webhooks[0].url: is required",
            "config_missing",
        ),
        (
            format!("[tls]\ncert = \"c.pem\"\n{one}"),
            "tls.key: is required",
            "config_missing",
        ),
        (
            format!("[webhooks]\nmax_attempts = 0\n{one}"),
            "webhooks.max_attempts: must be between 1 and 100",
            "config_out_of_range",
        ),
        (
            "port = 6001\n".to_owned(),
            "apps: at least one [[apps]] table is required",
            "config_no_apps",
        ),
        (
            "apps = 3\n".to_owned(),
            "apps: must be an array of tables",
            "config_wrong_type",
        ),
        (
            "tls = \"on\"\n".to_owned(),
            "tls: must be a table",
            "config_wrong_type",
        ),
    ];
    for (text, message, code) in cases {
        let error = refused(&text);
        assert_eq!(error.to_string(), message, "for:\n{text}");
        assert_eq!(error.code(), code, "for:\n{text}");
    }
}

#[test]
fn a_syntax_error_gives_the_position_but_not_the_line() {
    let text = format!("port = 6001\n[[apps]]\nid = \"a\"\nsecret = \"{SECRET}\" oops\n");
    let error = refused(&text);
    assert_eq!(error.code(), "config_syntax");
    let shown = error.to_string();
    assert!(
        shown.starts_with("the config is not valid TOML at line 4, column "),
        "{shown}"
    );
    assert_eq!(error.field(), None);
}

#[test]
fn the_error_exposes_its_field() {
    let error = refused(&app("a", "a:b"));
    assert_eq!(error.field(), Some("apps[0].key"));
}

fn env_of(vars: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    let vars = vars.to_vec();
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn without_environment_variables_the_dev_app_is_used() {
    let config = ServerConfig::from_env_and_defaults(env_of(&[])).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:6001");
    assert_eq!(config.apps.len(), 1);
    assert_eq!(config.apps[0].id, DEV_APP_ID);
    assert_eq!(config.apps[0].key.as_str(), DEV_APP_KEY);
}

#[test]
fn the_environment_replaces_the_dev_credentials() {
    let config = ServerConfig::from_env_and_defaults(env_of(&[
        ("DOMVIA_APP_ID", "prod"),
        ("DOMVIA_APP_KEY", "prod-key"),
        ("DOMVIA_APP_SECRET", SECRET),
    ]))
    .unwrap();
    assert_eq!(config.apps.len(), 1);
    assert_eq!(config.apps[0].id, "prod");
    assert_eq!(config.apps[0].key.as_str(), "prod-key");
    assert!(!format!("{config:?}").contains(SECRET));
}

#[test]
fn a_partial_environment_names_the_missing_variable() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("DOMVIA_APP_ID", "x")], "DOMVIA_APP_KEY"),
        (&[("DOMVIA_APP_KEY", "x")], "DOMVIA_APP_ID"),
        (
            &[("DOMVIA_APP_ID", "x"), ("DOMVIA_APP_KEY", "y")],
            "DOMVIA_APP_SECRET",
        ),
        (&[("DOMVIA_APP_SECRET", SECRET)], "DOMVIA_APP_ID"),
    ];
    for (vars, missing) in cases {
        let error = ServerConfig::from_env_and_defaults(env_of(vars)).unwrap_err();
        assert_eq!(error.code(), "config_env_incomplete");
        assert_eq!(error.field(), Some(missing));
        let shown = format!("{error} {error:?}");
        assert!(
            shown.starts_with(&format!("{missing} is not set")),
            "{shown}"
        );
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

#[test]
fn environment_values_follow_the_file_rules() {
    let cases = [
        ("bad id", "k", SECRET, "DOMVIA_APP_ID: must contain only"),
        ("id", "a:b", SECRET, "DOMVIA_APP_KEY: must not contain ':'"),
        ("id", "k", "", "DOMVIA_APP_SECRET: must not be empty"),
    ];
    for (id, key, secret, message) in cases {
        let error = ServerConfig::from_env_and_defaults(env_of(&[
            ("DOMVIA_APP_ID", id),
            ("DOMVIA_APP_KEY", key),
            ("DOMVIA_APP_SECRET", secret),
        ]))
        .unwrap_err();
        assert!(error.to_string().starts_with(message), "{error}");
        assert_eq!(error.code(), "config_invalid");
    }
}

#[test]
fn ciphertext_only_channels_come_from_the_environment_for_the_env_or_dev_app() {
    let channel = |name: &str| name.parse::<domvia_protocol::ChannelName>().unwrap();
    let credentials = [
        ("DOMVIA_APP_ID", "prod"),
        ("DOMVIA_APP_KEY", "prod-key"),
        ("DOMVIA_APP_SECRET", SECRET),
    ];
    for with_credentials in [true, false] {
        let mut vars = if with_credentials {
            credentials.to_vec()
        } else {
            Vec::new()
        };
        vars.push((
            "DOMVIA_APP_CIPHERTEXT_ONLY",
            " private-secret-room\tpresence-calls-* ",
        ));
        let config = ServerConfig::from_env_and_defaults(env_of(&vars)).unwrap();
        let app = &config.apps[0];
        assert_eq!(app.ciphertext_only.len(), 2);
        assert!(app.is_ciphertext_only(&channel("private-secret-room")));
        assert!(app.is_ciphertext_only(&channel("presence-calls-42")));
        assert!(!app.is_ciphertext_only(&channel("private-e2ee-room")));

        vars.pop();
        vars.push(("DOMVIA_APP_CIPHERTEXT_ONLY", ""));
        let config = ServerConfig::from_env_and_defaults(env_of(&vars)).unwrap();
        assert!(
            config.apps[0].ciphertext_only.is_empty(),
            "empty turns it off"
        );

        vars.pop();
        let config = ServerConfig::from_env_and_defaults(env_of(&vars)).unwrap();
        assert!(
            config.apps[0].is_ciphertext_only(&channel("private-e2ee-room")),
            "unset keeps the default"
        );
    }
}

#[test]
fn environment_ciphertext_only_patterns_follow_the_file_rules() {
    for (patterns, message) in [
        ("private-e2ee-* public-*", "DOMVIA_APP_CIPHERTEXT_ONLY[1]: "),
        ("private-encrypted-*", "DOMVIA_APP_CIPHERTEXT_ONLY[0]: "),
        ("private-a,b private-c$", "DOMVIA_APP_CIPHERTEXT_ONLY[1]: "),
    ] {
        let error = ServerConfig::from_env_and_defaults(env_of(&[(
            "DOMVIA_APP_CIPHERTEXT_ONLY",
            patterns,
        )]))
        .unwrap_err();
        assert_eq!(error.code(), "config_invalid");
        assert!(error.to_string().starts_with(message), "{error}");
        assert_eq!(error.field(), Some(&message[..message.len() - 2]));
    }
}
