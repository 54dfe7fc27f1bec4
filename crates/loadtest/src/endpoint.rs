//! Where the server under test listens: its WebSocket and HTTP API addresses, resolved
//! once before a run so that opening 10 000 connections does no DNS.
//!
//! ```
//! use domvia_loadtest::endpoint::{Endpoint, Scheme};
//!
//! let e = Endpoint::parse("ws://127.0.0.1:6001", Scheme::Ws)?;
//! assert_eq!((e.host_port.as_str(), e.port), ("127.0.0.1:6001", 6001));
//! assert!(Endpoint::parse("wss://example.com", Scheme::Ws).is_err());
//! # Ok::<(), domvia_loadtest::endpoint::EndpointError>(())
//! ```

use std::net::{IpAddr, SocketAddr};

use hyper::Uri;
use tokio::net::{TcpSocket, TcpStream};

/// The schemes the harness speaks (no TLS: it measures the server, not a TLS stack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `ws://`.
    Ws,
    /// `http://`.
    Http,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ws => "ws",
            Self::Http => "http",
        }
    }
}

/// Why an address was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// Not a URL.
    #[error("{url:?} is not a URL")]
    NotAUrl {
        /// What was given.
        url: String,
    },
    /// A scheme other than the one expected.
    #[error("{url:?} must start with {expected}:// (TLS is not supported)")]
    WrongScheme {
        /// What was given.
        url: String,
        /// The expected scheme.
        expected: &'static str,
    },
    /// The name resolves to nothing.
    #[error("cannot resolve {host_port}: {source}")]
    Resolve {
        /// `host:port`.
        host_port: String,
        /// The resolver's reason.
        source: std::io::Error,
    },
}

/// A server address: what to put in `Host` and where to connect.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// `host:port` as given, for the `Host` header and URLs.
    pub host_port: String,
    /// The port.
    pub port: u16,
    scheme: Scheme,
}

impl Endpoint {
    /// Parses `url` (`ws://host:port` or `http://host:port`; a path is ignored).
    ///
    /// # Errors
    /// [`EndpointError::NotAUrl`] or [`EndpointError::WrongScheme`].
    pub fn parse(url: &str, scheme: Scheme) -> Result<Self, EndpointError> {
        let not_a_url = || EndpointError::NotAUrl {
            url: url.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|_| not_a_url())?;
        if uri.scheme_str() != Some(scheme.as_str()) {
            return Err(EndpointError::WrongScheme {
                url: url.to_owned(),
                expected: scheme.as_str(),
            });
        }
        let host = uri.host().ok_or_else(not_a_url)?;
        let port = uri.port_u16().unwrap_or(80);
        Ok(Self {
            host_port: format!("{host}:{port}"),
            port,
            scheme,
        })
    }

    /// The first address `host:port` resolves to.
    ///
    /// # Errors
    /// [`EndpointError::Resolve`].
    pub async fn resolve(&self) -> Result<SocketAddr, EndpointError> {
        let resolve_error = |source| EndpointError::Resolve {
            host_port: self.host_port.clone(),
            source,
        };
        tokio::net::lookup_host(&self.host_port)
            .await
            .map_err(resolve_error)?
            .next()
            .ok_or_else(|| resolve_error(std::io::ErrorKind::NotFound.into()))
    }

    /// `scheme://host:port{path}`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme.as_str(), self.host_port)
    }
}

/// Opens a TCP connection to `addr` with Nagle off, from `source` when given (several
/// loopback sources multiply the ephemeral ports available to one client).
///
/// # Errors
/// The operating system's.
pub async fn connect_tcp(addr: SocketAddr, source: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let stream = match source {
        None => TcpStream::connect(addr).await?,
        Some(ip) => {
            let socket = if ip.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            socket.bind(SocketAddr::new(ip, 0))?;
            socket.connect(addr).await?
        }
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}
