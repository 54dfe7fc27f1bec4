//! Authorizing private and presence subscriptions, and signing users in.
//!
//! An [`Authorizer`] turns `(socket_id, channel)` into the `auth` token (and, for presence,
//! the `channel_data`) that `pusher:subscribe` carries. Two are provided:
//! - [`HttpAuthorizer`]: POSTs `socket_id` and `channel_name`, form-encoded, to the app's
//!   auth endpoint, like pusher-js, and reads `{"auth": …, "channel_data"?: …}` back;
//! - [`SecretAuthorizer`]: signs in-process with the app secret, for a trusted server
//!   process (never ship the secret to end users' devices).

use std::future::Future;
use std::pin::Pin;

use domvia_protocol::{AppKey, AppSecret, ChannelName, SocketId, sign_channel, sign_user};
use serde_json::Value;

use crate::error::ClientError;

/// A boxed future, so [`Authorizer`] can be a trait object.
pub type AuthFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ClientError>> + Send + 'a>>;

/// What authorizes one subscription.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ChannelAuth {
    /// `"{app_key}:{signature}"`.
    pub auth: String,
    /// The signed presence `channel_data` (presence channels only).
    pub channel_data: Option<String>,
}

/// What signs a user in (`pusher:signin`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UserAuth {
    /// `"{app_key}:{signature}"`.
    pub auth: String,
    /// The signed `user_data` JSON (with a string `id`).
    pub user_data: String,
}

/// Produces the tokens private and presence subscriptions and sign-ins need. Called again
/// with the new socket id after every reconnect.
pub trait Authorizer: Send + Sync {
    /// Authorizes `socket_id` on `channel`.
    ///
    /// # Errors
    /// [`ClientError::Authorization`] when the subscription is refused or cannot be signed.
    fn authorize_channel<'a>(
        &'a self,
        socket_id: &'a SocketId,
        channel: &'a ChannelName,
    ) -> AuthFuture<'a, ChannelAuth>;

    /// Signs in `socket_id` (only called when the client is built with
    /// [`crate::ClientBuilder::sign_in`]). The default refuses.
    ///
    /// # Errors
    /// [`ClientError::Authorization`].
    fn authenticate_user<'a>(&'a self, socket_id: &'a SocketId) -> AuthFuture<'a, UserAuth> {
        let _ = socket_id;
        Box::pin(async {
            Err(ClientError::Authorization {
                reason: "this authorizer does not sign users in".to_owned(),
                status: None,
            })
        })
    }
}

/// Signs in-process with the app's key and secret, as a trusted server process may.
#[derive(Clone, Debug)]
pub struct SecretAuthorizer {
    key: AppKey,
    secret: AppSecret,
    presence_data: Option<String>,
    user_data: Option<String>,
}

impl SecretAuthorizer {
    /// An authorizer for the app `key` with `secret`. Presence needs
    /// [`SecretAuthorizer::with_presence_member`], or [`SecretAuthorizer::with_user_data`]
    /// with [`crate::ClientBuilder::sign_in`] to join as the signed-in user.
    #[must_use]
    pub fn new(key: AppKey, secret: AppSecret) -> Self {
        Self {
            key,
            secret,
            presence_data: None,
            user_data: None,
        }
    }

    /// The presence member this process joins as: `{"user_id": id, "user_info": info}`.
    #[must_use]
    pub fn with_presence_member(mut self, user_id: &str, user_info: Option<Value>) -> Self {
        let mut data = serde_json::json!({ "user_id": user_id });
        if let (Some(info), Value::Object(map)) = (user_info, &mut data) {
            map.insert("user_info".to_owned(), info);
        }
        self.presence_data = Some(data.to_string());
        self
    }

    /// The user this process signs in as (`user_data` must be a JSON object with a string
    /// `id`; the gateway checks it).
    #[must_use]
    pub fn with_user_data(mut self, user_data: &Value) -> Self {
        self.user_data = Some(user_data.to_string());
        self
    }
}

impl Authorizer for SecretAuthorizer {
    fn authorize_channel<'a>(
        &'a self,
        socket_id: &'a SocketId,
        channel: &'a ChannelName,
    ) -> AuthFuture<'a, ChannelAuth> {
        Box::pin(async move {
            // Presence: the member given, or else the signed-in user (no channel_data).
            let channel_data = if channel.is_presence() {
                let data = self.presence_data.clone();
                if data.is_none() && self.user_data.is_none() {
                    return Err(ClientError::Authorization {
                        reason: "presence channels need SecretAuthorizer::with_presence_member \
                                 (or with_user_data and ClientBuilder::sign_in)"
                            .to_owned(),
                        status: None,
                    });
                }
                data
            } else {
                None
            };
            let auth = sign_channel(
                &self.key,
                &self.secret,
                socket_id,
                channel,
                channel_data.as_deref(),
            );
            Ok(ChannelAuth { auth, channel_data })
        })
    }

    fn authenticate_user<'a>(&'a self, socket_id: &'a SocketId) -> AuthFuture<'a, UserAuth> {
        Box::pin(async move {
            let user_data = self
                .user_data
                .clone()
                .ok_or_else(|| ClientError::Authorization {
                    reason: "sign-in needs SecretAuthorizer::with_user_data".to_owned(),
                    status: None,
                })?;
            let auth = sign_user(&self.key, &self.secret, socket_id, &user_data);
            Ok(UserAuth { auth, user_data })
        })
    }
}

/// POSTs to the app's auth endpoints, like pusher-js: `socket_id` and `channel_name`
/// form-encoded (plus any extra parameters), answered by `{"auth", "channel_data"?}`; the
/// optional user endpoint gets `socket_id` and answers `{"auth", "user_data"}`.
#[derive(Clone, Debug)]
pub struct HttpAuthorizer {
    http: reqwest::Client,
    channel_endpoint: String,
    user_endpoint: Option<String>,
    headers: Vec<(String, String)>,
    params: Vec<(String, String)>,
}

impl HttpAuthorizer {
    /// An authorizer POSTing to `channel_endpoint`.
    #[must_use]
    pub fn new(channel_endpoint: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            channel_endpoint: channel_endpoint.into(),
            user_endpoint: None,
            headers: Vec::new(),
            params: Vec::new(),
        }
    }

    /// The user authentication endpoint, for [`crate::ClientBuilder::sign_in`].
    #[must_use]
    pub fn user_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.user_endpoint = Some(endpoint.into());
        self
    }

    /// A header sent with every request (a session cookie, a bearer token).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A form parameter sent with every request.
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    async fn post(&self, endpoint: &str, fields: &[(&str, &str)]) -> Result<Value, ClientError> {
        // The serializer is not `Send`: finish it before the first await.
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, value) in fields.iter().copied().chain(
                self.params
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.as_str())),
            ) {
                form.append_pair(name, value);
            }
            form.finish()
        };
        let mut request = self
            .http
            .post(endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let failed =
            |reason: String, status: Option<u16>| ClientError::Authorization { reason, status };
        let response = request
            .send()
            .await
            .map_err(|e| failed(format!("auth endpoint unreachable: {e}"), None))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(failed(
                format!("auth endpoint answered {status}"),
                Some(status),
            ));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| failed(format!("reading the auth response: {e}"), Some(status)))?;
        serde_json::from_slice(&body)
            .map_err(|_| failed("the auth response is not JSON".to_owned(), Some(status)))
    }
}

fn string_member(body: &Value, field: &str) -> Result<Option<String>, ClientError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ClientError::Authorization {
            reason: format!("the auth response's {field} is not a string"),
            status: None,
        }),
    }
}

fn required(value: Option<String>, field: &str) -> Result<String, ClientError> {
    value.ok_or_else(|| ClientError::Authorization {
        reason: format!("the auth response has no {field}"),
        status: None,
    })
}

impl Authorizer for HttpAuthorizer {
    fn authorize_channel<'a>(
        &'a self,
        socket_id: &'a SocketId,
        channel: &'a ChannelName,
    ) -> AuthFuture<'a, ChannelAuth> {
        Box::pin(async move {
            let body = self
                .post(
                    &self.channel_endpoint,
                    &[
                        ("socket_id", socket_id.as_str()),
                        ("channel_name", channel.as_str()),
                    ],
                )
                .await?;
            Ok(ChannelAuth {
                auth: required(string_member(&body, "auth")?, "auth")?,
                channel_data: string_member(&body, "channel_data")?,
            })
        })
    }

    fn authenticate_user<'a>(&'a self, socket_id: &'a SocketId) -> AuthFuture<'a, UserAuth> {
        Box::pin(async move {
            let endpoint =
                self.user_endpoint
                    .as_deref()
                    .ok_or_else(|| ClientError::Authorization {
                        reason: "no user endpoint: call HttpAuthorizer::user_endpoint".to_owned(),
                        status: None,
                    })?;
            let body = self
                .post(endpoint, &[("socket_id", socket_id.as_str())])
                .await?;
            Ok(UserAuth {
                auth: required(string_member(&body, "auth")?, "auth")?,
                user_data: required(string_member(&body, "user_data")?, "user_data")?,
            })
        })
    }
}
