//! The HTTP API (`/apps/{id}/…`).
//!
//! SKELETON: the HTTP API helper owns this file.

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::{Body, json_error};
use crate::gateway::Gateway;

/// Serves one `/apps/…` request.
pub async fn handle(_gateway: &Arc<Gateway>, _request: Request<Incoming>) -> Response<Body> {
    json_error(StatusCode::NOT_FOUND, "not found")
}
