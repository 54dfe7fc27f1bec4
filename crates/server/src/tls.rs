//! TLS (WSS and HTTPS) through rustls.
//!
//! SKELETON: the config helper owns this file.

use std::io;

use crate::config::TlsConfig;

/// Loads the certificate chain and key and builds an acceptor.
///
/// # Errors
/// When a file cannot be read or holds no usable certificate or key.
pub fn acceptor(_tls: &TlsConfig) -> io::Result<tokio_rustls::TlsAcceptor> {
    Err(io::Error::other("TLS is not implemented yet"))
}
