//! `domvia serve`: the gateway in the foreground, until Ctrl-C or SIGTERM.
//!
//! The configuration is settled before anything starts: `--config`, or else the
//! single-app environment variables, or else the dev app; then `--host`/`--port` on top.
//! Standard output gets the address actually bound and the app credentials (the secret
//! only for the dev app, whose credentials are public anyway); standard error gets the
//! logs. A first signal starts a graceful shutdown (every WebSocket closed with 4200, up to
//! `shutdown_grace_secs` for them to go); a second one exits at once.
//!
//! With the dev app and without `--no-demo`, the strong-privacy demo ([`crate::web_demo`])
//! is served at `/` beside the gateway; never with an app of the operator's.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use domvia_server::config::{
    DEV_APP_SECRET, ENV_APP_CIPHERTEXT_ONLY, ENV_APP_ID, ENV_APP_KEY, ENV_APP_SECRET, ServerConfig,
};
use domvia_server::tls::TlsError;
use domvia_server::{ExtraRoutes, Server};
use tracing_subscriber::EnvFilter;

use crate::args::{LogFormat, ServeArgs};
use crate::error::CliError;
use crate::output;
use crate::web_demo::DemoRoutes;

/// Where the apps came from, which decides what may be printed.
#[derive(Debug)]
enum Source {
    /// The built-in dev app: its secret is a public constant.
    Dev,
    /// The DOMVIA_APP_* variables.
    Env,
    /// A config file.
    File(PathBuf),
}

/// `domvia serve`.
///
/// # Errors
/// [`CliError::Config`] or [`CliError::EnvWithConfig`] for a refused configuration,
/// [`CliError::Tls`] for unusable TLS files, [`CliError::Listen`] when the address cannot
/// be bound, [`CliError::Runtime`] when tokio or the signal handlers cannot start.
pub(crate) fn serve(args: &ServeArgs) -> Result<(), CliError> {
    let (config, source) = settle_config(args, |name| std::env::var(name).ok())?;
    init_logging(args.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Runtime { source })?;
    let demo = demo_routes(args, &config, &source);
    let result = runtime.block_on(run(config, &source, demo));
    // Connection tasks still closing after the grace period are not waited for.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}

/// The configuration from the file, the environment or the defaults, then the flags.
fn settle_config(
    args: &ServeArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(ServerConfig, Source), CliError> {
    let app_vars = [ENV_APP_ID, ENV_APP_KEY, ENV_APP_SECRET];
    let app_set = app_vars.into_iter().find(|var| env(var).is_some());
    let any_set = app_set.or_else(|| env(ENV_APP_CIPHERTEXT_ONLY).map(|_| ENV_APP_CIPHERTEXT_ONLY));
    let (mut config, source) = match (&args.config, any_set) {
        (Some(path), Some(var)) => {
            return Err(CliError::EnvWithConfig {
                var,
                path: path.clone(),
            });
        }
        (Some(path), None) => (ServerConfig::load(path)?, Source::File(path.clone())),
        (None, _) => {
            let source = if app_set.is_some() {
                Source::Env
            } else {
                Source::Dev
            };
            (ServerConfig::from_env_and_defaults(env)?, source)
        }
    };
    if let Some(host) = args.host {
        config.listen.set_ip(host);
    }
    if let Some(port) = args.port {
        config.listen.set_port(port);
    }
    Ok((config, source))
}

/// The demo's routes, in zero-config mode only: the dev app, whose secret is public, so
/// the demo's trusted server signing with it gives nothing away.
fn demo_routes(
    args: &ServeArgs,
    config: &ServerConfig,
    source: &Source,
) -> Option<Arc<dyn ExtraRoutes>> {
    if args.no_demo || !matches!(source, Source::Dev) {
        return None;
    }
    let app = config.apps.first()?;
    Some(Arc::new(DemoRoutes::new(
        app.key.clone(),
        app.secret.clone(),
    )))
}

/// Structured logs on standard error, filtered by RUST_LOG (default `info`).
/// Libraries whose debug and trace records can quote frames, headers or bodies. They are
/// capped at `warn` whatever RUST_LOG asks for, so logs never carry payloads or secrets.
const QUOTING_LIBRARIES: [&str; 8] = [
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
    "tokio_rustls",
];

fn init_logging(format: LogFormat) {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    for library in QUOTING_LIBRARIES {
        if let Ok(directive) = format!("{library}=warn").parse() {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::stderr().is_terminal())
        .with_writer(io::stderr);
    // Fails only if a subscriber is already set, which cannot happen in this process.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn run(
    config: ServerConfig,
    source: &Source,
    demo: Option<Arc<dyn ExtraRoutes>>,
) -> Result<(), CliError> {
    // Handlers first, so a signal sent as soon as the address is printed is not lost.
    let mut signals = Signals::new().map_err(|source| CliError::Runtime { source })?;
    let listen = config.listen;
    let with_demo = demo.is_some();
    let server = Server::bind_with_extra_routes(config, demo)
        .await
        .map_err(|error| {
            if error.get_ref().is_some_and(|inner| inner.is::<TlsError>()) {
                CliError::Tls(error)
            } else {
                CliError::Listen {
                    addr: listen,
                    source: error,
                }
            }
        })?;
    banner(&server, source, with_demo)?;
    tracing::info!(addr = %server.local_addr(), "listening");

    let signal = signals.next().await;
    tracing::info!(signal, "shutting down: closing connections with 4200");
    tokio::select! {
        () = server.shutdown() => tracing::info!("stopped"),
        signal = signals.next() => tracing::warn!(signal, "second signal: exiting at once"),
    }
    Ok(())
}

/// The address and credentials a developer needs to connect, on standard output.
fn banner(server: &Server, source: &Source, with_demo: bool) -> Result<(), CliError> {
    let config = server.gateway().config();
    let (http, ws) = match config.tls {
        Some(_) => ("https", "wss"),
        None => ("http", "ws"),
    };
    let addr = server.local_addr();
    output::line(&format!("domvia gateway listening on {http}://{addr}"))?;
    for app in &config.apps {
        let disabled = if app.enabled { "" } else { " (disabled)" };
        output::line(&format!("app id: {}{disabled}", app.id))?;
        output::line(&format!("app key: {}", app.key))?;
        match source {
            Source::Dev => output::line(&format!("app secret: {DEV_APP_SECRET}"))?,
            Source::Env => output::line(&format!("app secret: from {ENV_APP_SECRET}"))?,
            Source::File(path) => {
                output::line(&format!("app secret: in {}", path.display()))?;
            }
        }
        output::line(&format!("websocket: {ws}://{addr}/app/{}", app.key))?;
    }
    if with_demo {
        output::line(&format!(
            "demo: {http}://{addr}/ (open it in two tabs; --no-demo turns it off)"
        ))?;
    }
    if matches!(source, Source::Dev) {
        output::note(
            "this is the built-in dev app, whose credentials are public: for local \
             development only (set DOMVIA_APP_ID, DOMVIA_APP_KEY and DOMVIA_APP_SECRET, \
             or use --config)",
        );
    }
    Ok(())
}

/// Ctrl-C and, on Unix, SIGTERM, registered up front.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Waits for the next signal and names it.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            // Without a handler the default action ends the process, so waiting forever
            // on an error is the same as the default.
            match tokio::signal::ctrl_c().await {
                Ok(()) => "Ctrl-C",
                Err(_) => std::future::pending().await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn args(config: Option<&str>, host: Option<&str>, port: Option<u16>) -> ServeArgs {
        ServeArgs {
            host: host.map(|h| h.parse::<IpAddr>().unwrap()),
            port,
            config: config.map(PathBuf::from),
            no_demo: false,
            log_format: LogFormat::Text,
        }
    }

    #[test]
    fn no_options_is_the_dev_app_on_6001() {
        let (config, source) = settle_config(&args(None, None, None), |_| None).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:6001");
        assert!(matches!(source, Source::Dev));
        assert_eq!(config.apps[0].id, domvia_server::config::DEV_APP_ID);
    }

    #[test]
    fn flags_override_the_address() {
        let (config, _) =
            settle_config(&args(None, Some("0.0.0.0"), Some(7000)), |_| None).unwrap();
        assert_eq!(config.listen.to_string(), "0.0.0.0:7000");
    }

    #[test]
    fn the_environment_and_a_config_file_do_not_mix() {
        for var in [ENV_APP_KEY, ENV_APP_CIPHERTEXT_ONLY] {
            let env = |name: &str| (name == var).then(|| "k".to_owned());
            let error = settle_config(&args(Some("x.toml"), None, None), env).unwrap_err();
            assert_eq!(error.code(), "config_env_conflict");
            assert_eq!(error.exit_code(), 2);
            assert!(error.to_string().starts_with(var), "{error}");
        }
    }

    #[test]
    fn the_dev_app_takes_its_ciphertext_only_channels_from_the_environment() {
        let env = |name: &str| (name == ENV_APP_CIPHERTEXT_ONLY).then(String::new);
        let (config, source) = settle_config(&args(None, None, None), env).unwrap();
        assert!(matches!(source, Source::Dev), "the demo is still served");
        assert!(config.apps[0].ciphertext_only.is_empty());
    }
}
