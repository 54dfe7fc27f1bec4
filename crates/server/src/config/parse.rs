//! The TOML layout (documented in the parent module) and the rules for each value.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use domvia_protocol::{AppKey, AppSecret, ChannelPattern};

use super::reader::Fields;
use super::{
    AppConfig, ConfigError, DEFAULT_LISTEN, Limits, ServerConfig, TlsConfig, WEBHOOK_EVENTS,
    WebhookSettings, WebhookTarget,
};

/// Parses the whole file.
pub(super) fn server(text: &str) -> Result<ServerConfig, ConfigError> {
    let table: toml::Table = text.parse().map_err(|e| syntax(text, &e))?;
    let mut root = Fields::root(table);
    let host = match root.string("host")? {
        Some(host) => parse_host(&root.path_of("host"), &host)?,
        None => DEFAULT_LISTEN.ip(),
    };
    let port = root
        .integer("port", 0..=65_535)?
        .unwrap_or(DEFAULT_LISTEN.port());
    let mut config = ServerConfig::new(SocketAddr::new(host, port), Vec::new());
    if let Some(secs) = root.integer("activity_timeout_secs", 1..=3_600)? {
        config.activity_timeout = Duration::from_secs(secs);
    }
    if let Some(secs) = root.integer("pong_timeout_secs", 1..=600)? {
        config.pong_timeout = Duration::from_secs(secs);
    }
    if let Some(secs) = root.integer("shutdown_grace_secs", 0..=3_600)? {
        config.shutdown_grace = Duration::from_secs(secs);
    }
    config.tls = root.table("tls")?.map(tls).transpose()?;
    if let Some(webhooks) = root.table("webhooks")? {
        config.webhooks = webhook_settings(webhooks)?;
    }
    config.apps = root
        .tables("apps")?
        .into_iter()
        .map(app)
        .collect::<Result<_, _>>()?;
    root.finish()?;
    if config.apps.is_empty() {
        return Err(ConfigError::NoApps);
    }
    check_unique(&config.apps)?;
    Ok(config)
}

/// Line and column of a TOML parse error, with the parser's message but not the line.
fn syntax(text: &str, error: &toml::de::Error) -> ConfigError {
    let offset = error.span().map_or(0, |span| span.start);
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count().saturating_add(1);
    let line_start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
    let column = before
        .get(line_start..)
        .map_or(0, |s| s.chars().count())
        .saturating_add(1);
    ConfigError::Syntax {
        line,
        column,
        message: error.message().trim_end().to_owned(),
    }
}

fn tls(mut fields: Fields) -> Result<TlsConfig, ConfigError> {
    let cert = fields.required_string("cert")?;
    let key = fields.required_string("key")?;
    fields.finish()?;
    Ok(TlsConfig::new(cert, key))
}

fn webhook_settings(mut fields: Fields) -> Result<WebhookSettings, ConfigError> {
    let mut settings = WebhookSettings::default();
    if let Some(ms) = fields.integer("debounce_ms", 0..=60_000)? {
        settings.debounce = Duration::from_millis(ms);
    }
    if let Some(n) = fields.integer("max_attempts", 1..=100)? {
        settings.max_attempts = n;
    }
    if let Some(ms) = fields.integer("initial_backoff_ms", 1..=60_000)? {
        settings.initial_backoff = Duration::from_millis(ms);
    }
    if let Some(ms) = fields.integer("timeout_ms", 1..=120_000)? {
        settings.timeout = Duration::from_millis(ms);
    }
    fields.finish()?;
    Ok(settings)
}

fn app(mut fields: Fields) -> Result<AppConfig, ConfigError> {
    let id = fields.required_string("id")?;
    let id = parse_app_id(&fields.path_of("id"), id)?;
    let key = fields.required_string("key")?;
    let key = parse_app_key(&fields.path_of("key"), &key)?;
    let secret = fields.secret("secret", parse_secret, "must not be empty")?;
    let mut app = AppConfig::new(id, key, secret);
    if let Some(enabled) = fields.bool("enabled")? {
        app.enabled = enabled;
    }
    app.allowed_origins = fields
        .strings("allowed_origins")?
        .into_iter()
        .map(|(path, origin)| parse_origin(&path, &origin))
        .collect::<Result<_, _>>()?;
    if let Some(on) = fields.bool("client_events")? {
        app.client_events = on;
    }
    if let Some(on) = fields.bool("user_authentication")? {
        app.user_authentication = on;
    }
    if let Some(patterns) = fields.optional_strings("ciphertext_only")? {
        app.ciphertext_only = patterns
            .into_iter()
            .map(|(path, pattern)| {
                pattern
                    .parse::<ChannelPattern>()
                    .map_err(|error| invalid(&path, error.rule()))
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(limits) = fields.table("limits")? {
        app.limits = limits_of(limits)?;
    }
    app.webhooks = fields
        .tables("webhooks")?
        .into_iter()
        .map(webhook_target)
        .collect::<Result<_, _>>()?;
    fields.finish()?;
    Ok(app)
}

/// The ranges are wide enough for any real deployment; a value outside one is a typo
/// (a zero, or an extra digit) and would make the server refuse everything or nothing.
fn limits_of(mut fields: Fields) -> Result<Limits, ConfigError> {
    let mut limits = Limits::default();
    if let Some(n) = fields.integer("max_connections", 1..=10_000_000)? {
        limits.max_connections = Some(n);
    }
    if let Some(n) = fields.integer("max_client_events_per_second", 1..=10_000)? {
        limits.max_client_events_per_second = n;
    }
    if let Some(n) = fields.integer("max_messages_per_second", 1..=1_000_000)? {
        limits.max_messages_per_second = Some(n);
    }
    if let Some(n) = fields.integer("max_channels_per_connection", 1..=10_000)? {
        limits.max_channels_per_connection = n;
    }
    if let Some(n) = fields.integer("max_payload_bytes", 1..=1_048_576)? {
        limits.max_payload_bytes = n;
    }
    if let Some(n) = fields.integer("max_presence_members", 1..=100_000)? {
        limits.max_presence_members = n;
    }
    if let Some(n) = fields.integer("max_presence_user_info_bytes", 1..=65_536)? {
        limits.max_presence_user_info_bytes = n;
    }
    if let Some(n) = fields.integer("max_event_channels", 1..=1_000)? {
        limits.max_event_channels = n;
    }
    if let Some(n) = fields.integer("max_batch_events", 1..=1_000)? {
        limits.max_batch_events = n;
    }
    if let Some(n) = fields.integer("outbound_queue", 1..=1_048_576)? {
        limits.outbound_queue = n;
    }
    fields.finish()?;
    Ok(limits)
}

fn webhook_target(mut fields: Fields) -> Result<WebhookTarget, ConfigError> {
    let url = fields.required_string("url")?;
    let url = parse_webhook_url(&fields.path_of("url"), url)?;
    let events = fields
        .strings("events")?
        .into_iter()
        .map(|(path, event)| {
            if WEBHOOK_EVENTS.contains(&event.as_str()) {
                Ok(event)
            } else {
                Err(ConfigError::UnknownWebhookEvent { field: path, event })
            }
        })
        .collect::<Result<_, _>>()?;
    fields.finish()?;
    Ok(WebhookTarget { url, events })
}

/// Two apps may share neither an id (the HTTP API routes by it) nor a key (clients
/// connect with it).
fn check_unique(apps: &[AppConfig]) -> Result<(), ConfigError> {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut keys: HashMap<&str, usize> = HashMap::new();
    for (i, app) in apps.iter().enumerate() {
        for (field, value, seen) in [
            ("id", app.id.as_str(), &mut ids),
            ("key", app.key.as_str(), &mut keys),
        ] {
            if let Some(first) = seen.insert(value, i) {
                return Err(ConfigError::Duplicate {
                    field: format!("apps[{i}].{field}"),
                    first: format!("apps[{first}].{field}"),
                });
            }
        }
    }
    Ok(())
}

fn invalid(field: &str, rule: &'static str) -> ConfigError {
    ConfigError::Invalid {
        field: field.to_owned(),
        rule,
    }
}

/// `host`: an IP address, since the listener binds without name resolution.
pub(super) fn parse_host(field: &str, host: &str) -> Result<IpAddr, ConfigError> {
    host.parse().map_err(|_| {
        invalid(
            field,
            "must be an IP address, such as 127.0.0.1, 0.0.0.0 or ::",
        )
    })
}

/// App ids appear in HTTP API paths (`/apps/{id}/events`), so they stay URL-safe.
pub(super) fn parse_app_id(field: &str, id: String) -> Result<String, ConfigError> {
    if id.is_empty() || id.len() > 64 {
        return Err(invalid(field, "must be 1 to 64 characters long"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(invalid(
            field,
            "must contain only letters, digits, '-', '_' and '.'",
        ));
    }
    Ok(id)
}

/// App keys are the first half of `key:signature` tokens and appear in the WebSocket path
/// (`/app/{key}`), so besides the protocol's rule they must be URL-safe.
pub(super) fn parse_app_key(field: &str, key: &str) -> Result<AppKey, ConfigError> {
    if key.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if key.contains(':') {
        return Err(invalid(field, "must not contain ':'"));
    }
    if key.len() > 128
        || !key
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'?' | b'#' | b'%'))
    {
        return Err(invalid(
            field,
            "must be 1 to 128 visible ASCII characters without '/', '?', '#' or '%' \
             (it appears in the /app/{key} URL)",
        ));
    }
    key.parse()
        .map_err(|_| invalid(field, "is not a valid app key"))
}

/// Secrets may be any non-empty text.
pub(super) fn parse_secret(secret: &str) -> Option<AppSecret> {
    AppSecret::new(secret).ok()
}

/// An allowed origin: `*`, or `scheme://host[:port]` exactly as browsers send the
/// `Origin` header (no path, no trailing `/`), stored in lowercase as browsers send it.
fn parse_origin(field: &str, origin: &str) -> Result<String, ConfigError> {
    const RULE: &str = "must be '*' or scheme://host[:port], without a path or trailing '/' \
                        (for example https://app.example.com)";
    if origin == "*" {
        return Ok(origin.to_owned());
    }
    let (scheme, authority) = origin
        .split_once("://")
        .ok_or_else(|| invalid(field, RULE))?;
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let (host_ok, port) = match authority.strip_prefix('[') {
        // An IPv6 literal: `[::1]` or `[::1]:8080`.
        Some(rest) => {
            let (addr, after) = rest.split_once(']').ok_or_else(|| invalid(field, RULE))?;
            let port = match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| invalid(field, RULE))?,
                ),
            };
            (addr.parse::<std::net::Ipv6Addr>().is_ok(), port)
        }
        None => {
            let (host, port) = match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let host_ok = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
            (host_ok, port)
        }
    };
    let port_ok = port.is_none_or(|p| {
        p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|p| p > 0)
    });
    if scheme_ok && host_ok && port_ok {
        Ok(origin.to_ascii_lowercase())
    } else {
        Err(invalid(field, RULE))
    }
}

/// A webhook endpoint: an absolute `http://` or `https://` URL with a host.
fn parse_webhook_url(field: &str, url: String) -> Result<String, ConfigError> {
    match reqwest::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => Ok(url),
        Ok(_) => Err(invalid(field, "must be an http:// or https:// URL")),
        Err(_) => Err(invalid(
            field,
            "must be an absolute http:// or https:// URL, such as https://example.com/hooks",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        for good in [
            "*",
            "https://app.example.com",
            "http://localhost:3000",
            "capacitor://localhost",
            "http://[::1]:8080",
            "http://127.0.0.1",
        ] {
            assert!(parse_origin("o", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "app.example.com",
            "https://",
            "https://app.example.com/",
            "https://app.example.com/path",
            "https://app.example.com:0",
            "https://app.example.com:99999",
            "https://app.example.com:",
            "https://user@app.example.com",
            "1http://x",
            "http://[nope]",
            "http://a:b:80",
            "**",
        ] {
            assert!(parse_origin("o", bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_origin("o", "HTTPS://App.Example.com").ok().as_deref(),
            Some("https://app.example.com")
        );
    }

    #[test]
    fn syntax_errors_point_at_the_line_and_column() {
        let text = "port = 1\nhost = = 2\n";
        let error = text.parse::<toml::Table>().map(|_| ()).unwrap_err();
        match syntax(text, &error) {
            ConfigError::Syntax { line, column, .. } => {
                assert_eq!((line, column), (2, 8));
            }
            other => panic!("{other:?}"),
        }
    }
}
