//! The strong-privacy demo `domvia serve` shows at `/` in zero-config mode (the dev app,
//! no `--config`, no `--no-demo`).
//!
//! Every file is embedded at build time (build.rs): the page (crates/cli/demo), the npm
//! package @domvia/realtime-e2ee (its JavaScript and WebAssembly, under `/demo/pkg/`) and
//! pusher-js. Each browser tab is a device; devices exchange keys end to end through the
//! gateway, which relays only ciphertext and metadata. [`trusted_server`] is the one piece
//! with the app secret, the part a real app replaces.
//!
//! Routes: `GET /` (the page), `GET /demo/<file>`, `GET /demo/config.json` (the app key
//! the page connects with), `POST /demo/auth` (the trusted server). Everything else is
//! left to the gateway.

pub(crate) mod trusted_server;

use bytes::Bytes;
use domvia_protocol::{AppKey, AppSecret};
use domvia_server::http::{Body, ExtraRoutes, json_error};
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;

use self::trusted_server::TrustedServer;

mod assets {
    include!(concat!(env!("OUT_DIR"), "/demo_assets.rs"));
}

/// The page may load only its own files, connect only to its own origin (the gateway's
/// WebSocket and the trusted server), and compile WebAssembly; nothing inline.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     connect-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob: mediastream:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Where the page's files are served.
const PREFIX: &str = "/demo/";
/// Where the trusted server answers pusher-js's channel authorization.
const AUTH_PATH: &str = "/demo/auth";
/// The page's settings: `{"appKey": …}`.
const CONFIG_PATH: &str = "/demo/config.json";

/// The demo's routes, for [`domvia_server::Server::bind_with_extra_routes`].
#[derive(Debug)]
pub(crate) struct DemoRoutes {
    trusted_server: TrustedServer,
    /// `{"appKey": …}`, for the page.
    config_json: String,
}

impl DemoRoutes {
    /// The demo, its trusted server signing with the app `key` and `secret`.
    pub(crate) fn new(key: AppKey, secret: AppSecret) -> Self {
        Self {
            config_json: serde_json::json!({ "appKey": key.as_str() }).to_string(),
            trusted_server: TrustedServer::new(key, secret),
        }
    }
}

impl ExtraRoutes for DemoRoutes {
    fn respond(&self, request: &Request<Bytes>) -> Option<Response<Body>> {
        let path = request.uri().path();
        if path == AUTH_PATH {
            return Some(if request.method() == Method::POST {
                self.auth(request.body())
            } else {
                json_error(StatusCode::METHOD_NOT_ALLOWED, "POST only")
            });
        }
        if path == CONFIG_PATH {
            return Some(domvia_server::http::text(
                StatusCode::OK,
                "application/json",
                self.config_json.clone(),
            ));
        }
        let file = if path == "/" {
            "index.html"
        } else {
            path.strip_prefix(PREFIX)?
        };
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return Some(json_error(StatusCode::METHOD_NOT_ALLOWED, "GET only"));
        }
        Some(match asset(file) {
            Some(body) => file_response(file, body),
            None => json_error(StatusCode::NOT_FOUND, "not found"),
        })
    }
}

impl DemoRoutes {
    fn auth(&self, form: &[u8]) -> Response<Body> {
        match self.trusted_server.authorize(form) {
            Ok(grant) => {
                domvia_server::http::text(StatusCode::OK, "application/json", grant.to_json())
            }
            Err(refused) => {
                let status = match refused {
                    trusted_server::AuthRefused::BadField { .. } => StatusCode::BAD_REQUEST,
                    trusted_server::AuthRefused::Forbidden { .. } => StatusCode::FORBIDDEN,
                };
                let body =
                    serde_json::json!({ "error": refused.to_string(), "code": refused.code() });
                domvia_server::http::text(status, "application/json", body.to_string())
            }
        }
    }
}

/// The embedded file at `path` (relative to `/demo/`).
fn asset(path: &str) -> Option<&'static [u8]> {
    assets::ASSETS
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, body)| *body)
}

/// The content type of a served file, by extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    }
}

fn file_response(path: &str, body: &'static [u8]) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(body)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type(path)),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    fn routes() -> DemoRoutes {
        DemoRoutes::new("k".parse().unwrap(), AppSecret::new("s").unwrap())
    }

    fn get(path: &str) -> Option<Response<Body>> {
        let request = Request::get(path).body(Bytes::new()).unwrap();
        routes().respond(&request)
    }

    #[test]
    fn the_package_the_glue_and_the_page_are_embedded() {
        for file in [
            "index.html",
            "pkg/index.js",
            "pkg/lib/load.js",
            "pkg/wasm/domvia_e2ee_wasm.js",
            "pkg/wasm/domvia_e2ee_wasm_bg.wasm",
            "vendor/pusher-js/pusher.min.js",
        ] {
            assert!(asset(file).is_some_and(|body| !body.is_empty()), "{file}");
        }
        assert!(
            asset("pkg/wasm/domvia_e2ee_wasm_bg.wasm")
                .unwrap()
                .starts_with(b"\0asm")
        );
    }

    #[test]
    fn files_get_their_content_type_and_unknown_paths_are_left_alone() {
        let wasm = get("/demo/pkg/wasm/domvia_e2ee_wasm_bg.wasm").unwrap();
        assert_eq!(wasm.headers()[header::CONTENT_TYPE], "application/wasm");
        let page = get("/").unwrap();
        assert_eq!(
            page.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert_eq!(
            get("/demo/missing.js").unwrap().status(),
            StatusCode::NOT_FOUND
        );
        assert!(get("/elsewhere").is_none());
    }

    #[test]
    fn auth_is_post_only() {
        assert_eq!(
            get(AUTH_PATH).unwrap().status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }
}
