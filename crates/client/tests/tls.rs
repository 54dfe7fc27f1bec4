#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
//! `wss://` against the gateway's TLS listener, with a self-signed certificate.

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use domvia_client::{Client, ConnectionState};
use domvia_server::{Server, TlsConfig};
use serde_json::json;
use support::{config_on, key, next, within};
use tokio_rustls::rustls;

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A gateway on 127.0.0.1:0 serving TLS for `localhost`, and a client config trusting it.
async fn tls_server(scratch: &Scratch) -> (Server, Arc<rustls::ClientConfig>) {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::create_dir_all(&scratch.0).unwrap();
    let cert = scratch.0.join("cert.pem");
    let key_path = scratch.0.join("key.pem");
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key_path, generated.signing_key.serialize_pem()).unwrap();
    let mut config = config_on("127.0.0.1:0".parse().unwrap());
    config.tls = Some(TlsConfig::new(cert, key_path));
    let server = Server::bind(config).await.unwrap();

    let mut roots = rustls::RootCertStore::empty();
    roots.add(generated.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (server, Arc::new(client))
}

/// Waits until the handshake was refused: the client is unavailable, with no socket id.
async fn never_connects(client: &Client) {
    let mut state = client.state();
    within(state.wait_for(|s| *s == ConnectionState::Unavailable))
        .await
        .unwrap();
    assert_eq!(client.socket_id(), None);
}

fn scratch(name: &str) -> Scratch {
    Scratch(std::env::temp_dir().join(format!("domvia-client-tls-{}-{name}", std::process::id())))
}

#[tokio::test]
async fn wss_with_the_applications_roots() {
    let dir = scratch("ok");
    let (server, tls) = tls_server(&dir).await;
    let url = format!("wss://localhost:{}", server.local_addr().port());
    let authorizer = domvia_client::SecretAuthorizer::new(key(), support::secret());
    let connect = || {
        Client::builder(url.clone(), key())
            .tls_config(Arc::clone(&tls))
            .authorizer(Arc::new(authorizer.clone()))
            .connect()
            .unwrap()
    };
    let alice = connect();
    let bob = connect();
    within(alice.connected()).await.unwrap();
    within(bob.connected()).await.unwrap();
    let alice_orders = alice.subscribe("private-orders").await.unwrap();
    let mut events = alice_orders.bind("client-x").unwrap();
    let bob_orders = bob.subscribe("private-orders").await.unwrap();
    bob_orders
        .trigger("client-x", &json!({"tls": true}))
        .await
        .unwrap();
    assert_eq!(next(&mut events).await.data, r#"{"tls":true}"#);
}

#[tokio::test]
async fn wss_refuses_an_untrusted_certificate() {
    let dir = scratch("untrusted");
    let (server, _) = tls_server(&dir).await;
    // Trusts nothing at all.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let nobody = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let client = Client::builder(
        format!("wss://localhost:{}", server.local_addr().port()),
        key(),
    )
    .tls_config(Arc::new(nobody))
    .connect()
    .unwrap();
    never_connects(&client).await;
}

#[tokio::test]
async fn wss_without_a_configuration_trusts_only_the_public_web_roots() {
    let dir = scratch("default");
    let (server, _) = tls_server(&dir).await;
    // No tls_config: the default roots (webpki-roots) do not include the self-signed
    // certificate, so the handshake is refused and the client never connects.
    let client = Client::builder(
        format!("wss://localhost:{}", server.local_addr().port()),
        key(),
    )
    .connect()
    .unwrap();
    never_connects(&client).await;
}
