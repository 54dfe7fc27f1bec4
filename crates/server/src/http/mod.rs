//! The HTTP side: routing between the WebSocket endpoint, the HTTP API, metrics and health,
//! and the [`ExtraRoutes`] an embedding program may serve beside them.

pub mod api;

use std::convert::Infallible;
use std::fmt::Debug;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;

use crate::gateway::Gateway;

/// The body type of every response.
pub type Body = Full<Bytes>;

/// The most body an [`ExtraRoutes`] request may carry; more is answered 413.
pub const EXTRA_BODY_LIMIT: usize = 64 * 1024;

/// HTTP routes served beside the gateway's own, for paths the gateway does not own.
///
/// The gateway keeps `/app`, `/app/*`, `/apps/*`, `/metrics` and `/health`; every other
/// request is offered to the extra routes (with its body read, at most
/// [`EXTRA_BODY_LIMIT`] bytes) and answered 404 when they decline. `domvia serve` uses this
/// to serve its demo page; a program embedding the gateway can serve its own pages.
///
/// ```
/// use bytes::Bytes;
/// use domvia_server::http::{Body, ExtraRoutes, text};
/// use ::http::{Request, Response, StatusCode};
///
/// #[derive(Debug)]
/// struct Hello;
///
/// impl ExtraRoutes for Hello {
///     fn respond(&self, request: &Request<Bytes>) -> Option<Response<Body>> {
///         (request.uri().path() == "/hello")
///             .then(|| text(StatusCode::OK, "text/plain", "hello".to_owned()))
///     }
/// }
/// # assert!(Hello.respond(&Request::new(Bytes::new())).is_none());
/// ```
pub trait ExtraRoutes: Send + Sync + Debug {
    /// The response to `request`, or `None` for a path these routes do not serve.
    fn respond(&self, request: &Request<Bytes>) -> Option<Response<Body>>;
}

/// Whether the gateway itself answers `path`, whatever the extra routes say.
#[must_use]
pub fn gateway_owns(path: &str) -> bool {
    path == "/app"
        || path.starts_with("/app/")
        || path.starts_with("/apps/")
        || path == "/metrics"
        || path == "/health"
}

/// Routes one request.
///
/// # Errors
/// Never: every failure becomes a response.
pub async fn handle(
    gateway: Arc<Gateway>,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, Infallible> {
    gateway
        .metrics()
        .http_requests
        .fetch_add(1, Ordering::Relaxed);
    let path = request.uri().path();
    if let Some(routes) = gateway.extra_routes().filter(|_| !gateway_owns(path)) {
        return Ok(extra(Arc::clone(routes), request).await);
    }
    let response = if path.starts_with("/app/") || path == "/app" {
        crate::ws::upgrade(gateway, request, peer)
    } else if path.starts_with("/apps/") {
        api::handle(&gateway, request).await
    } else if path == "/metrics" && request.method() == Method::GET {
        text(
            StatusCode::OK,
            "text/plain; version=0.0.4",
            gateway.metrics().render(),
        )
    } else if path == "/health" && request.method() == Method::GET {
        if gateway.is_shutting_down() {
            json_error(StatusCode::SERVICE_UNAVAILABLE, "shutting down")
        } else {
            text(
                StatusCode::OK,
                "application/json",
                "{\"ok\":true}".to_owned(),
            )
        }
    } else {
        json_error(StatusCode::NOT_FOUND, "not found")
    };
    Ok(response)
}

/// Offers `request`, body read, to the extra routes; 404 when they decline.
async fn extra(routes: Arc<dyn ExtraRoutes>, request: Request<Incoming>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > EXTRA_BODY_LIMIT) {
        return json_error(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    }
    let body = match Limited::new(body, EXTRA_BODY_LIMIT).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<LengthLimitError>() => {
            return json_error(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
        }
        Err(_) => return json_error(StatusCode::BAD_REQUEST, "unreadable request body"),
    };
    let request = Request::from_parts(parts, body);
    routes
        .respond(&request)
        .unwrap_or_else(|| json_error(StatusCode::NOT_FOUND, "not found"))
}

/// A response with a text body.
#[must_use]
pub fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}

/// A JSON error body `{"error": message}` with `status`.
#[must_use]
pub fn json_error(status: StatusCode, message: &str) -> Response<Body> {
    text(
        status,
        "application/json",
        serde_json::json!({ "error": message }).to_string(),
    )
}
