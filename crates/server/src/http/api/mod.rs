//! The HTTP API (`/apps/{id}/…`), as the official Pusher server SDKs call it.
//!
//! | endpoint | module |
//! | --- | --- |
//! | `POST /apps/{id}/events`, `POST /apps/{id}/batch_events` | `events` |
//! | `GET /apps/{id}/channels`, `GET /apps/{id}/channels/{name}` | `channels` |
//! | `GET /apps/{id}/channels/{name}/users` | `channels` |
//! | `POST /apps/{id}/users/{user}/terminate_connections` | `channels` |
//!
//! Every request goes through the same steps, in this order, and the first failure is the
//! answer: the app exists (404); the path is an endpoint (404) taking this method (405);
//! the body fits the app's request limit (413); the signature checks out with the app's
//! key and secret (401, or 400 for a malformed query); the app is enabled (403); then the
//! endpoint's own checks (400, 413, 429). Every error is `{"error": "…"}` and is counted
//! in the metrics by its [`ApiError::code`]; nothing of a payload or a secret is logged.
//!
//! ```
//! use domvia_protocol::{AppKey, AppSecret, RequestToSign, sign_request};
//!
//! // What a server SDK sends: the signed query goes after `?`.
//! let key: AppKey = "app-key".parse()?;
//! let secret = AppSecret::new("app-secret")?;
//! let body = br#"{"name":"greet","channel":"news","data":"{\"hi\":1}"}"#;
//! let request = RequestToSign { method: "POST", path: "/apps/1/events", params: &[], body };
//! let query = sign_request(&request, &key, &secret, 1_700_000_000)?;
//! assert!(query.starts_with("auth_key=app-key&auth_timestamp=1700000000&auth_version=1.0&body_md5="));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod channels;
mod error;
mod events;
mod request;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use serde_json::Value;

pub use error::ApiError;
use request::{Query, Route};

use super::{Body, json_error, text};
use crate::gateway::Gateway;

/// Serves one `/apps/…` request; every failure is a JSON error response.
pub async fn handle(gateway: &Arc<Gateway>, request: Request<Incoming>) -> Response<Body> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    match serve(gateway, request, now).await {
        Ok(body) => text(StatusCode::OK, "application/json", body.to_string()),
        Err(error) => {
            let status = error.status();
            gateway.metrics().error(error.code());
            tracing::debug!(
                code = error.code(),
                status = status.as_u16(),
                "HTTP API request refused"
            );
            let mut response = json_error(status, &error.to_string());
            if let ApiError::MethodNotAllowed { allowed } = &error
                && let Ok(value) = header::HeaderValue::from_str(allowed.as_str())
            {
                response.headers_mut().insert(header::ALLOW, value);
            }
            response
        }
    }
}

/// The steps of the module docs, in order.
async fn serve(
    gateway: &Arc<Gateway>,
    request: Request<Incoming>,
    now: u64,
) -> Result<Value, ApiError> {
    let (parts, body) = request.into_parts();
    let raw_path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or("");
    let (app_id, segments) = request::split_path(raw_path)?;
    let app = gateway.app_by_id(&app_id).ok_or(ApiError::UnknownApp)?;
    let route = Route::parse(&parts.method, &segments)?;
    let limit = request::body_limit(&app.config().limits);
    let body = request::read_body(&parts.headers, body, limit).await?;
    request::authenticate(app, &parts.method, raw_path, raw_query, &body, now)?;
    if !app.config().enabled {
        return Err(ApiError::AppDisabled);
    }
    let query = Query::parse(raw_query)?;
    match route {
        Route::Events => events::trigger(app, &body),
        Route::BatchEvents => events::trigger_batch(app, &body),
        Route::Channels => channels::list(app, &query),
        Route::Channel(name) => channels::show(app, &name, &query),
        Route::ChannelUsers(name) => channels::users(app, &name),
        Route::TerminateUser(user) => channels::terminate(app, &user),
    }
}
