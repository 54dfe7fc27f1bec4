//! The single-app environment variables, for running one app without a config file.

use domvia_protocol::ChannelPattern;
use zeroize::Zeroize;

use super::parse::{parse_app_id, parse_app_key, parse_secret};
use super::{
    AppConfig, ConfigError, DEFAULT_LISTEN, DEV_APP_ID, DEV_APP_KEY, DEV_APP_SECRET, ServerConfig,
};

/// The app id variable.
pub const ENV_APP_ID: &str = "DOMVIA_APP_ID";
/// The app key variable.
pub const ENV_APP_KEY: &str = "DOMVIA_APP_KEY";
/// The app secret variable.
pub const ENV_APP_SECRET: &str = "DOMVIA_APP_SECRET";
/// The ciphertext-only channel patterns of the app from the environment (or of the dev
/// app), separated by whitespace, since channel names may contain commas:
/// `"private-e2ee-* presence-e2ee-*"`. Empty turns the check off; unset keeps the default.
pub const ENV_APP_CIPHERTEXT_ONLY: &str = "DOMVIA_APP_CIPHERTEXT_ONLY";

impl AppConfig {
    /// The app named by `DOMVIA_APP_ID`, `DOMVIA_APP_KEY` and `DOMVIA_APP_SECRET`, with
    /// the defaults of [`AppConfig::new`] but for `DOMVIA_APP_CIPHERTEXT_ONLY` when set;
    /// `None` when none of the three is set. `env`
    /// looks a variable up (pass `|name| std::env::var(name).ok()`), so tests need not
    /// touch the process environment.
    ///
    /// # Errors
    /// [`ConfigError::EnvIncomplete`] naming the first variable missing when only some are
    /// set, and [`ConfigError::Invalid`] naming the variable whose value breaks the rules
    /// of the config file's `id`, `key`, `secret` or `ciphertext_only`.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let id = env(ENV_APP_ID);
        let key = env(ENV_APP_KEY);
        let mut secret = env(ENV_APP_SECRET);
        let (id, key, secret_text) = match (id, key, &secret) {
            (None, None, None) => return Ok(None),
            (Some(id), Some(key), Some(secret)) => (id, key, secret),
            (id, key, _) => {
                let missing = if id.is_none() {
                    ENV_APP_ID
                } else if key.is_none() {
                    ENV_APP_KEY
                } else {
                    ENV_APP_SECRET
                };
                secret.zeroize();
                return Err(ConfigError::EnvIncomplete { missing });
            }
        };
        let parsed_secret = parse_secret(secret_text);
        secret.zeroize();
        let id = parse_app_id(ENV_APP_ID, id)?;
        let key = parse_app_key(ENV_APP_KEY, &key)?;
        let secret = parsed_secret.ok_or_else(|| ConfigError::Invalid {
            field: ENV_APP_SECRET.to_owned(),
            rule: "must not be empty",
        })?;
        let mut app = Self::new(id, key, secret);
        app.ciphertext_only_from_env(&env)?;
        Ok(Some(app))
    }

    /// Replaces `ciphertext_only` with the patterns of `DOMVIA_APP_CIPHERTEXT_ONLY`, when set.
    fn ciphertext_only_from_env(
        &mut self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let Some(text) = env(ENV_APP_CIPHERTEXT_ONLY) else {
            return Ok(());
        };
        self.ciphertext_only = text
            .split_whitespace()
            .enumerate()
            .map(|(i, pattern)| {
                pattern
                    .parse::<ChannelPattern>()
                    .map_err(|error| ConfigError::Invalid {
                        field: format!("{ENV_APP_CIPHERTEXT_ONLY}[{i}]"),
                        rule: error.rule(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// The built-in dev app ([`DEV_APP_ID`], [`DEV_APP_KEY`], [`DEV_APP_SECRET`]).
    fn dev_app() -> Result<Self, ConfigError> {
        let key = parse_app_key("DEV_APP_KEY", DEV_APP_KEY)?;
        let secret = parse_secret(DEV_APP_SECRET).ok_or_else(|| ConfigError::Invalid {
            field: "DEV_APP_SECRET".to_owned(),
            rule: "must not be empty",
        })?;
        Ok(Self::new(DEV_APP_ID, key, secret))
    }
}

impl ServerConfig {
    /// The zero-config server (`127.0.0.1:6001`, default timeouts, no TLS) hosting the app
    /// from the environment ([`AppConfig::from_env`]), or the dev app when the
    /// environment names none (`DOMVIA_APP_CIPHERTEXT_ONLY` applies to either).
    ///
    /// ```
    /// use domvia_server::ServerConfig;
    ///
    /// let dev = ServerConfig::from_env_and_defaults(|_| None)?;
    /// assert_eq!(dev.apps[0].id, domvia_server::config::DEV_APP_ID);
    ///
    /// let env = |name: &str| match name {
    ///     "DOMVIA_APP_ID" => Some("chat".to_owned()),
    ///     "DOMVIA_APP_KEY" => Some("chat-key".to_owned()),
    ///     "DOMVIA_APP_SECRET" => Some("a long random secret".to_owned()),
    ///     _ => None,
    /// };
    /// let config = ServerConfig::from_env_and_defaults(env)?;
    /// assert_eq!(config.apps[0].key.as_str(), "chat-key");
    /// # Ok::<(), domvia_server::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// As [`AppConfig::from_env`].
    pub fn from_env_and_defaults(
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let app = match AppConfig::from_env(&env)? {
            Some(app) => app,
            None => {
                let mut app = AppConfig::dev_app()?;
                app.ciphertext_only_from_env(&env)?;
                app
            }
        };
        Ok(Self::new(DEFAULT_LISTEN, vec![app]))
    }
}
