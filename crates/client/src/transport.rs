//! Opening the WebSocket: `ws://` over TCP, `wss://` over rustls with the caller's
//! `ClientConfig` (so the choice of root certificates stays with the application).

use std::sync::Arc;
use std::time::Duration;

use domvia_protocol::AppKey;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::ClientConfig;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::http::Uri;

use crate::error::ClientError;

/// The client's name and version in the connection URL, as pusher-js sends `client=js`.
const CLIENT_NAME: &str = "domvia-rust";

/// Any byte stream the WebSocket runs over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The WebSocket, over TCP or TLS.
pub(crate) type Socket = WebSocketStream<Box<dyn Io>>;

/// Where to connect, parsed once.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    host: String,
    port: u16,
    tls: bool,
    /// The full URL of the app's WebSocket.
    url: String,
}

impl Endpoint {
    /// Parses `ws://host[:port][/prefix]` or `wss://…` and adds `/app/{key}?protocol=7…`.
    pub(crate) fn parse(url: &str, key: &AppKey) -> Result<Self, ClientError> {
        let invalid = |reason| ClientError::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        let tls = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(invalid("the scheme must be ws or wss")),
        };
        let authority = uri.authority().ok_or(invalid("no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("user info is not supported"));
        }
        if uri.query().is_some() {
            return Err(invalid("a query is not supported"));
        }
        let host = authority.host();
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let prefix = uri.path().trim_end_matches('/');
        let scheme = if tls { "wss" } else { "ws" };
        let version = env!("CARGO_PKG_VERSION");
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            tls,
            url: format!(
                "{scheme}://{authority}{prefix}/app/{key}?protocol=7&client={CLIENT_NAME}&version={version}"
            ),
        })
    }

    /// Whether this is a `wss://` endpoint.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls
    }

    /// The app's WebSocket URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Opens the WebSocket, within `timeout`.
    pub(crate) async fn connect(
        &self,
        tls: Option<&Arc<ClientConfig>>,
        timeout: Duration,
    ) -> Result<Socket, String> {
        tokio::time::timeout(timeout, self.open(tls))
            .await
            .map_err(|_| "timed out".to_owned())?
    }

    async fn open(&self, tls: Option<&Arc<ClientConfig>>) -> Result<Socket, String> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("TCP connect: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| format!("TCP: {e}"))?;
        let stream: Box<dyn Io> = if self.tls {
            let config = tls.ok_or("wss:// without a TLS configuration")?;
            let name = ServerName::try_from(self.host.clone())
                .map_err(|_| "the host is not a valid TLS server name")?;
            let tls = TlsConnector::from(Arc::clone(config))
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS handshake: {e}"))?;
            Box::new(tls)
        } else {
            Box::new(tcp)
        };
        let (socket, _) = tokio_tungstenite::client_async(self.url.as_str(), stream)
            .await
            .map_err(|e| format!("WebSocket handshake: {e}"))?;
        Ok(socket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let key: AppKey = "k".parse().unwrap();
        let e = Endpoint::parse("ws://127.0.0.1:6001", &key).unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.is_tls()),
            ("127.0.0.1", 6001, false)
        );
        assert!(
            e.url()
                .starts_with("ws://127.0.0.1:6001/app/k?protocol=7&client=domvia-rust")
        );
        let e = Endpoint::parse("wss://example.com/realtime/", &key).unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.is_tls()),
            ("example.com", 443, true)
        );
        assert!(e.url().starts_with("wss://example.com/realtime/app/k?"));
        let e = Endpoint::parse("ws://[::1]:80", &key).unwrap();
        assert_eq!(e.host, "::1");
        for bad in [
            "http://x",
            "x",
            "",
            "ws://u:p@x",
            "ws://x/?a=1",
            "ws:///path",
        ] {
            let err = Endpoint::parse(bad, &key).unwrap_err();
            assert_eq!(err.code(), "invalid_url", "{bad}");
        }
    }
}
