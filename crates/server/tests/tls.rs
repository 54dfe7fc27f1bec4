//! TLS: a real handshake and HTTP request against a bound server, and the errors for
//! unusable files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests"
)]

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use domvia_server::tls::{TlsError, acceptor};
use domvia_server::{Server, ServerConfig, TlsConfig};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;

/// A directory under the system temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("domvia-tls-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, file: &str, contents: &str) -> PathBuf {
        let path = self.0.join(file);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh self-signed certificate for `localhost`: (cert PEM, key PEM, cert DER).
fn self_signed() -> (String, String, CertificateDer<'static>) {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (
        generated.cert.pem(),
        generated.signing_key.serialize_pem(),
        generated.cert.der().clone(),
    )
}

fn tls_error(error: &io::Error) -> &TlsError {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TlsError>())
        .unwrap_or_else(|| panic!("not a TlsError: {error:?}"))
}

/// The error `acceptor` refuses `tls` with.
fn refused(tls: &TlsConfig) -> io::Error {
    match acceptor(tls) {
        Ok(_) => panic!("accepted {tls:?}"),
        Err(error) => error,
    }
}

fn connector(trusted: CertificateDer<'static>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TlsConnector::from(Arc::new(config))
}

async fn tls_server(tmp: &Scratch) -> (Server, CertificateDer<'static>) {
    let (cert, key, der) = self_signed();
    let mut config = ServerConfig::from_env_and_defaults(|_| None).unwrap();
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.tls = Some(TlsConfig::new(
        tmp.write("cert.pem", &cert),
        tmp.write("key.pem", &key),
    ));
    (Server::bind(config).await.unwrap(), der)
}

#[tokio::test]
async fn health_over_https_with_alpn_http_1_1() {
    let tmp = Scratch::new("health");
    let (server, der) = tls_server(&tmp).await;

    let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = connector(der).connect(name, tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));

    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get("/health")
        .header(http::header::HOST, "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"ok":true}"#);

    server.shutdown().await;
}

#[tokio::test]
async fn a_plain_client_gets_no_http_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let tmp = Scratch::new("plain");
    let (server, _der) = tls_server(&tmp).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    tcp.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    assert!(!answer.starts_with(b"HTTP/"), "plain HTTP was served");
    server.shutdown().await;
}

#[test]
fn a_missing_file_is_not_found_and_named() {
    let tmp = Scratch::new("missing");
    let (_cert, key, _) = self_signed();
    let key = tmp.write("key.pem", &key);
    let cert = tmp.0.join("nope.pem");
    let error = refused(&TlsConfig::new(&cert, &key));
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert_eq!(tls_error(&error).code(), "tls_not_found");
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!(
            "TLS certificate file {}: cannot read",
            cert.display()
        )),
        "{shown}"
    );
}

#[test]
fn garbage_instead_of_a_certificate_or_a_key() {
    let tmp = Scratch::new("garbage");
    let (cert, key, _) = self_signed();
    let (cert, key) = (tmp.write("cert.pem", &cert), tmp.write("key.pem", &key));
    let garbage = tmp.write("garbage.pem", "hello, this is not PEM\n");

    let error = refused(&TlsConfig::new(&garbage, &key));
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    assert_eq!(tls_error(&error).code(), "tls_no_certificate");
    assert!(
        error.to_string().starts_with(&format!(
            "TLS certificate file {}: no certificate found",
            garbage.display()
        )),
        "{error}"
    );

    let error = refused(&TlsConfig::new(&cert, &garbage));
    assert_eq!(tls_error(&error).code(), "tls_no_key");
    assert!(
        error.to_string().starts_with(&format!(
            "TLS key file {}: no private key found",
            garbage.display()
        )),
        "{error}"
    );

    // A key where the certificate should be, and the reverse.
    let error = refused(&TlsConfig::new(&key, &key));
    assert_eq!(tls_error(&error).code(), "tls_no_certificate");
    let error = refused(&TlsConfig::new(&cert, &cert));
    assert_eq!(tls_error(&error).code(), "tls_no_key");
}

#[test]
fn a_broken_pem_section_is_malformed_and_not_quoted() {
    let tmp = Scratch::new("broken");
    let (cert, key, _) = self_signed();
    let cert = tmp.write("cert.pem", &cert);
    // Cut the key off before its END line.
    let body: String = key.lines().take(2).collect::<Vec<_>>().join("\n");
    let broken = tmp.write("broken.pem", &body);
    let error = refused(&TlsConfig::new(&cert, &broken));
    assert_eq!(tls_error(&error).code(), "tls_malformed_pem");
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("TLS key file"), "{shown}");
    let secret_line = key.lines().nth(1).unwrap();
    assert!(!shown.contains(secret_line), "key material shown: {shown}");
}

#[test]
fn a_key_from_another_certificate_is_a_mismatch() {
    let tmp = Scratch::new("mismatch");
    let (cert, _key, _) = self_signed();
    let (_other_cert, other_key, _) = self_signed();
    let (cert, key) = (
        tmp.write("cert.pem", &cert),
        tmp.write("key.pem", &other_key),
    );
    let error = refused(&TlsConfig::new(&cert, &key));
    assert_eq!(tls_error(&error).code(), "tls_key_mismatch");
    assert_eq!(
        error.to_string(),
        format!(
            "TLS key file {} does not match the certificate in {}",
            key.display(),
            cert.display()
        )
    );
}

#[tokio::test]
async fn bind_reports_tls_errors_before_listening() {
    let tmp = Scratch::new("bind");
    let mut config = ServerConfig::from_env_and_defaults(|_| None).unwrap();
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.tls = Some(TlsConfig::new(
        tmp.0.join("cert.pem"),
        Path::new("/nonexistent/key.pem"),
    ));
    let error = Server::bind(config).await.unwrap_err();
    assert_eq!(tls_error(&error).code(), "tls_not_found");
}

#[tokio::test]
async fn wss_speaks_protocol_7_over_tls() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;

    let tmp = Scratch::new("wss");
    let (server, der) = tls_server(&tmp).await;
    let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let tls = connector(der)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let url = format!(
        "wss://localhost:{}/app/{}?protocol=7&client=test&version=1",
        server.local_addr().port(),
        domvia_server::config::DEV_APP_KEY
    );
    let (mut ws, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    let Some(Ok(Message::Text(first))) = ws.next().await else {
        panic!("no first frame over WSS");
    };
    assert!(first.contains("pusher:connection_established"), "{first}");
    server.shutdown().await;
}
