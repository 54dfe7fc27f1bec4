#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
//! Private and presence subscriptions through an HTTP auth endpoint and the in-process
//! authorizer; forged and refused authorization.

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use domvia_client::{ChannelAuth, Client, ClientError, HttpAuthorizer, SecretAuthorizer, UserAuth};
use domvia_protocol::{AppSecret, ChannelName, SocketId, sign_channel};
use serde_json::json;
use support::{auth_endpoint, builder, key, server, url, within};

fn http_client(server: &domvia_server::Server, authorizer: HttpAuthorizer) -> Client {
    Client::builder(url(server), key())
        .authorizer(Arc::new(authorizer))
        .subscribe_timeout(support::WAIT)
        .connect()
        .unwrap()
}

/// `error` is the auth endpoint's refusal with HTTP `status`.
fn assert_refused_with(error: &ClientError, status: u16) {
    assert!(
        matches!(error, ClientError::Authorization { status: Some(s), .. } if *s == status),
        "{error:?}"
    );
}

#[tokio::test]
async fn private_and_presence_through_the_http_endpoint() {
    let server = server().await;
    let endpoint = auth_endpoint().await;
    let authorizer = HttpAuthorizer::new(&endpoint.url)
        .header("authorization", "Bearer let-me-in")
        .param("user", "carol");
    let client = http_client(&server, authorizer);
    within(client.connected()).await.unwrap();

    client.subscribe("private-orders").await.unwrap();
    let room = client.subscribe("presence-room").await.unwrap();
    assert_eq!(endpoint.requests.load(Ordering::SeqCst), 2);
    assert_eq!(room.me().unwrap().unwrap().as_str(), "carol");
    let members = room.members().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[&"carol".parse().unwrap()], json!({ "via": "http" }));
    // Public channels need no authorization.
    client.subscribe("public-news").await.unwrap();
    assert_eq!(endpoint.requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refusals_from_the_http_endpoint() {
    let server = server().await;
    let endpoint = auth_endpoint().await;

    // Without the header the endpoint answers 401.
    let client = http_client(&server, HttpAuthorizer::new(&endpoint.url));
    let error = client.subscribe("private-orders").await.unwrap_err();
    assert_refused_with(&error, 401);

    let client = http_client(
        &server,
        HttpAuthorizer::new(&endpoint.url).header("authorization", "Bearer let-me-in"),
    );
    let error = client.subscribe("private-forbidden").await.unwrap_err();
    assert_refused_with(&error, 403);
    // Asking again asks the endpoint again.
    let error = client.subscribe("private-forbidden").await.unwrap_err();
    assert_refused_with(&error, 403);
    let error = client.subscribe("private-garbage").await.unwrap_err();
    assert_eq!(error.code(), "authorization_failed");
    assert!(error.to_string().contains("not JSON"), "{error}");
    let error = client.subscribe("private-numeric").await.unwrap_err();
    assert!(
        error.to_string().contains("auth is not a string"),
        "{error}"
    );
    let error = client.subscribe("private-empty").await.unwrap_err();
    assert!(error.to_string().contains("has no auth"), "{error}");
    // A failed subscription is forgotten: the same client subscribes elsewhere fine.
    client.subscribe("private-fine").await.unwrap();

    // An endpoint nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/auth", listener.local_addr().unwrap());
    drop(listener);
    let client = http_client(&server, HttpAuthorizer::new(dead));
    let error = client.subscribe("private-orders").await.unwrap_err();
    assert!(
        matches!(error, ClientError::Authorization { status: None, .. }),
        "{error:?}"
    );
}

/// Signs with a secret that is not the app's: the gateway refuses.
struct Forger;

impl domvia_client::Authorizer for Forger {
    fn authorize_channel<'a>(
        &'a self,
        socket_id: &'a SocketId,
        channel: &'a ChannelName,
    ) -> domvia_client::AuthFuture<'a, ChannelAuth> {
        Box::pin(async move {
            let wrong = AppSecret::new("not-the-secret").unwrap();
            Ok(ChannelAuth {
                auth: sign_channel(&key(), &wrong, socket_id, channel, None),
                channel_data: None,
            })
        })
    }
}

#[tokio::test]
async fn a_forged_signature_is_refused_by_the_gateway() {
    let server = server().await;
    let client = Client::builder(url(&server), key())
        .authorizer(Arc::new(Forger))
        .connect()
        .unwrap();
    let error = client.subscribe("private-orders").await.unwrap_err();
    let ClientError::SubscriptionRefused {
        channel, status, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(channel.as_str(), "private-orders");
    assert!(*status == 401 || *status == 403, "{status}");
    // Refused again when asked again (not left waiting).
    let again = client.subscribe("private-orders").await.unwrap_err();
    assert_eq!(again.code(), "subscription_refused");
    // The default user authentication refuses too.
    let id: SocketId = "1.1".parse().unwrap();
    let refused: Result<UserAuth, _> =
        domvia_client::Authorizer::authenticate_user(&Forger, &id).await;
    assert_eq!(refused.unwrap_err().code(), "authorization_failed");
}

#[tokio::test]
async fn protected_channels_need_an_authorizer() {
    let server = server().await;
    let client = Client::builder(url(&server), key()).connect().unwrap();
    let error = client.subscribe("private-orders").await.unwrap_err();
    assert_eq!(error.code(), "authorization_failed");
    assert!(error.to_string().contains("authorizer"), "{error}");

    // The in-process authorizer needs a member for presence.
    let bare = SecretAuthorizer::new(key(), support::secret());
    let client = Client::builder(url(&server), key())
        .authorizer(Arc::new(bare))
        .connect()
        .unwrap();
    client.subscribe("private-orders").await.unwrap();
    let error = client.subscribe("presence-room").await.unwrap_err();
    assert_eq!(error.code(), "authorization_failed");
}

#[tokio::test]
async fn signed_in_users_join_presence_as_themselves() {
    let server = server().await;
    let client = builder(&server, "dave").sign_in(true).connect().unwrap();
    within(client.connected()).await.unwrap();
    let room = client.subscribe("presence-room").await.unwrap();
    assert_eq!(room.me().unwrap().unwrap().as_str(), "dave");
    assert!(
        room.members()
            .unwrap()
            .contains_key(&"dave".parse().unwrap())
    );

    // No presence member given: the subscription carries no channel_data, and the gateway
    // makes the signed-in user the member.
    let signed_in = SecretAuthorizer::new(key(), support::secret())
        .with_user_data(&json!({ "id": "frank", "user_info": { "role": "admin" } }));
    let client = Client::builder(url(&server), key())
        .authorizer(Arc::new(signed_in))
        .sign_in(true)
        .connect()
        .unwrap();
    let room = client.subscribe("presence-room").await.unwrap();
    assert_eq!(room.me().unwrap().unwrap().as_str(), "frank");
    let members = room.members().unwrap();
    assert_eq!(
        members[&"frank".parse().unwrap()],
        json!({ "role": "admin" })
    );
    assert_eq!(members.len(), 2);

    // A sign-in the authorizer cannot produce is reported, not fatal.
    let bare = SecretAuthorizer::new(key(), support::secret());
    let client = Client::builder(url(&server), key())
        .authorizer(Arc::new(bare))
        .sign_in(true)
        .connect()
        .unwrap();
    let mut errors = client.gateway_errors();
    within(client.connected()).await.unwrap();
    let error = within(errors.recv()).await.unwrap();
    assert_eq!(error.code(), "authorization_failed");
    client.subscribe("news").await.unwrap();
}

#[tokio::test]
async fn the_http_authorizer_signs_users_in() {
    let server = server().await;
    let endpoint = auth_endpoint().await;
    let authorizer = HttpAuthorizer::new(&endpoint.url)
        .header("authorization", "Bearer let-me-in")
        .param("user", "erin")
        .user_endpoint(format!("{}/user", endpoint.url));
    let client = Client::builder(url(&server), key())
        .authorizer(Arc::new(authorizer))
        .sign_in(true)
        .connect()
        .unwrap();
    within(client.connected()).await.unwrap();
    let room = client.subscribe("presence-room").await.unwrap();
    assert_eq!(room.me().unwrap().unwrap().as_str(), "erin");
    // Sign-in, then the subscription.
    assert_eq!(endpoint.requests.load(Ordering::SeqCst), 2);

    // Without a user endpoint, sign-in is reported as not authorized.
    let authorizer = HttpAuthorizer::new(&endpoint.url);
    let client = Client::builder(url(&server), key())
        .authorizer(Arc::new(authorizer))
        .sign_in(true)
        .connect()
        .unwrap();
    let mut errors = client.gateway_errors();
    let error = within(errors.recv()).await.unwrap();
    assert!(error.to_string().contains("user endpoint"), "{error}");
}

#[tokio::test]
async fn the_user_channel_times_out_when_no_sign_in_succeeds() {
    let server = server().await;
    // An authorizer that signs channels but cannot sign a user in.
    let bare = SecretAuthorizer::new(key(), support::secret());
    let client = Client::builder(url(&server), key())
        .authorizer(Arc::new(bare))
        .sign_in(true)
        .subscribe_timeout(std::time::Duration::from_millis(300))
        .connect()
        .unwrap();
    within(client.connected()).await.unwrap();
    let error = within(client.user_channel()).await.unwrap_err();
    assert!(
        matches!(error, ClientError::Timeout { waiting_for } if waiting_for.contains("signed in")),
        "{error:?}"
    );
    assert_eq!(client.user(), None);
}
