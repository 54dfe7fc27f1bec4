//! TLS (WSS and HTTPS) through rustls on the aws-lc-rs provider.
//!
//! [`acceptor`] reads a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or
//! SEC1), checks that the key belongs to the leaf certificate, and offers ALPN `http/1.1`
//! (the WebSocket upgrade is an HTTP/1.1 request). A failure is an [`io::Error`] whose
//! message names the file and what is wrong; its inner error is a [`TlsError`] with a
//! stable [`code`](TlsError::code).
//!
//! ```no_run
//! use domvia_server::TlsConfig;
//!
//! let acceptor = domvia_server::tls::acceptor(&TlsConfig::new("cert.pem", "key.pem"))?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use zeroize::Zeroizing;

use crate::config::TlsConfig;

/// Which of the two files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFile {
    /// The certificate chain.
    Certificate,
    /// The private key.
    Key,
}

impl fmt::Display for TlsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Certificate => "TLS certificate file",
            Self::Key => "TLS key file",
        })
    }
}

/// Why the TLS files cannot be used. No variant quotes the files' contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file cannot be read.
    #[error("{file} {}: cannot read: {source}", path.display())]
    Read {
        /// Which file.
        file: TlsFile,
        /// Its path.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A PEM section is broken.
    #[error("{file} {}: malformed PEM ({problem})", path.display())]
    MalformedPem {
        /// Which file.
        file: TlsFile,
        /// Its path.
        path: PathBuf,
        /// What is broken.
        problem: &'static str,
    },
    /// The certificate file holds no `CERTIFICATE` section.
    #[error(
        "TLS certificate file {}: no certificate found (expected a PEM \
         '-----BEGIN CERTIFICATE-----' section)",
        path.display()
    )]
    NoCertificate {
        /// Its path.
        path: PathBuf,
    },
    /// The key file holds no private key section.
    #[error(
        "TLS key file {}: no private key found (expected a PEM 'PRIVATE KEY', \
         'RSA PRIVATE KEY' or 'EC PRIVATE KEY' section)",
        path.display()
    )]
    NoKey {
        /// Its path.
        path: PathBuf,
    },
    /// The key is not the leaf certificate's.
    #[error(
        "TLS key file {} does not match the certificate in {}",
        key.display(),
        cert.display()
    )]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// rustls refused the key or the certificate (an unsupported algorithm, a corrupt
    /// DER encoding).
    #[error("TLS files {} and {}: {source}", cert.display(), key.display())]
    Unusable {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        source: rustls::Error,
    },
}

impl TlsError {
    /// A stable, machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Read { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                "tls_not_found"
            }
            Self::Read { .. } => "tls_read",
            Self::MalformedPem { .. } => "tls_malformed_pem",
            Self::NoCertificate { .. } => "tls_no_certificate",
            Self::NoKey { .. } => "tls_no_key",
            Self::KeyMismatch { .. } => "tls_key_mismatch",
            Self::Unusable { .. } => "tls_unusable",
        }
    }

    fn kind(&self) -> io::ErrorKind {
        match self {
            Self::Read { source, .. } => source.kind(),
            Self::MalformedPem { .. }
            | Self::NoCertificate { .. }
            | Self::NoKey { .. }
            | Self::KeyMismatch { .. }
            | Self::Unusable { .. } => io::ErrorKind::InvalidData,
        }
    }
}

impl From<TlsError> for io::Error {
    fn from(error: TlsError) -> Self {
        Self::new(error.kind(), error)
    }
}

/// Loads the certificate chain and key and builds an acceptor.
///
/// # Errors
/// An [`io::Error`] wrapping a [`TlsError`] when a file cannot be read or holds no usable
/// certificate or key, or when the key does not match the certificate.
pub fn acceptor(tls: &TlsConfig) -> io::Result<TlsAcceptor> {
    Ok(TlsAcceptor::from(Arc::new(server_config(tls)?)))
}

fn server_config(tls: &TlsConfig) -> Result<rustls::ServerConfig, TlsError> {
    let (cert_path, key_path) = (&tls.cert_path, &tls.key_path);
    let certs = certificates(cert_path)?;
    let key = private_key(key_path)?;
    let unusable = |source| TlsError::Unusable {
        cert: cert_path.clone(),
        key: key_path.clone(),
        source,
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(unusable)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| match error {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                TlsError::KeyMismatch {
                    cert: cert_path.clone(),
                    key: key_path.clone(),
                }
            }
            other => unusable(other),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn read(file: TlsFile, path: &Path) -> Result<Zeroizing<Vec<u8>>, TlsError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|source| TlsError::Read {
            file,
            path: path.to_owned(),
            source,
        })
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(TlsFile::Certificate, path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| malformed(TlsFile::Certificate, path, &error))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(TlsFile::Key, path)?;
    match PrivateKeyDer::from_pem_slice(&pem) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => Err(TlsError::NoKey {
            path: path.to_owned(),
        }),
        Err(error) => Err(malformed(TlsFile::Key, path, &error)),
    }
}

/// The PEM parser's errors, described without the bytes some of them carry.
fn malformed(file: TlsFile, path: &Path, error: &pem::Error) -> TlsError {
    let problem = match error {
        pem::Error::MissingSectionEnd { .. } => "a section has no END line",
        pem::Error::IllegalSectionStart { .. } => "a BEGIN line is malformed",
        pem::Error::Base64Decode(_) => "a section is not valid base64",
        pem::Error::SectionTooLarge => "a section is too large",
        _ => "unreadable",
    };
    TlsError::MalformedPem {
        file,
        path: path.to_owned(),
        problem,
    }
}
