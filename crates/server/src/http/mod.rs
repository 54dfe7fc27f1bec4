//! The HTTP side: routing between the WebSocket endpoint, the HTTP API, metrics and health.

pub mod api;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::gateway::Gateway;

/// The body type of every response.
pub type Body = Full<Bytes>;

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
