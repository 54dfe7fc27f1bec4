//! The WebSocket side of protocol 7.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::gateway::Gateway;
use crate::http::{Body, json_error};

/// Answers a request to `/app/{key}`.
pub fn upgrade(
    _gateway: Arc<Gateway>,
    _request: Request<Incoming>,
    _peer: SocketAddr,
) -> Response<Body> {
    json_error(StatusCode::NOT_IMPLEMENTED, "todo")
}
