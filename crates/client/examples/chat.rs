//! End-to-end encrypted chat between two clients through a running gateway.
//!
//! ```text
//! cargo run -p domvia-cli -- serve                      # the gateway, dev app, port 6001
//! cargo run -p domvia-client --example chat -- Hello!   # another terminal
//! ```
//!
//! Alice and Bob join `presence-e2ee-room-42`, authorized in-process with the dev app's
//! secret (as a trusted server process may; end users' devices use an auth endpoint).
//! They share a room key (here by copying a keyring; in an app, by a key share, see
//! spec/key-lifecycle.md). Alice seals a chat message; the gateway relays only ciphertext;
//! Bob opens it. Set `DOMVIA_URL` for another gateway than `ws://127.0.0.1:6001`.

#![allow(clippy::print_stdout, reason = "an example prints what happens")]

use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domvia_client::{Client, EncryptedChannel, SecretAuthorizer};
use domvia_e2ee::{KeyId, Keyring};
use domvia_protocol::{AppKey, AppSecret};
use serde_json::json;
use tokio::time::timeout;

const ROOM: &str = "presence-e2ee-room-42";
const WAIT: Duration = Duration::from_secs(5);

async fn join(url: &str, user: &str) -> Result<Client, Box<dyn Error>> {
    let key: AppKey = "domvia-dev-key".parse()?;
    let authorizer = SecretAuthorizer::new(key.clone(), AppSecret::new("domvia-dev-secret")?)
        .with_presence_member(user, Some(json!({ "name": user })));
    let client = Client::builder(url, key)
        .authorizer(Arc::new(authorizer))
        .connect()?;
    let socket_id = timeout(WAIT, client.connected())
        .await
        .map_err(|_| format!("no gateway at {url}: is `domvia serve` running?"))??;
    println!("{user} connected as socket {socket_id}");
    Ok(client)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("DOMVIA_URL").unwrap_or_else(|_| "ws://127.0.0.1:6001".to_owned());
    let words: Vec<String> = std::env::args().skip(1).collect();
    let text = if words.is_empty() {
        "Private message".to_owned()
    } else {
        words.join(" ")
    };

    let key_id: KeyId = "room-42".parse()?;
    let mut alice_keys = Keyring::new();
    alice_keys.generate(key_id.clone())?;
    let bob_keys = Keyring::import(&alice_keys.export())?;

    let alice = join(&url, "alice").await?;
    let bob = join(&url, "bob").await?;
    let bob_room = EncryptedChannel::new(
        bob.subscribe(ROOM).await?,
        Arc::new(Mutex::new(bob_keys)),
        key_id.clone(),
    )?;
    let mut inbox = bob_room.receive()?;
    let mut wire = bob_room.channel().bind(domvia_client::CHAT_EVENT)?;
    let alice_room = EncryptedChannel::new(
        alice.subscribe(ROOM).await?,
        Arc::new(Mutex::new(alice_keys)),
        key_id,
    )?;
    let members: Vec<String> = alice_room
        .channel()
        .members()?
        .keys()
        .map(|id| id.as_str().to_owned())
        .collect();
    println!("members of {ROOM}: {}", members.join(", "));

    alice_room
        .send_chat("msg-1", &json!({ "body": text, "sender_id": "alice" }))
        .await?;
    let relayed = timeout(WAIT, wire.recv())
        .await?
        .ok_or("the channel closed")?;
    println!("the gateway relayed: {}", relayed.data);
    match timeout(WAIT, inbox.recv())
        .await?
        .ok_or("the channel closed")?
    {
        Ok(message) => println!(
            "bob decrypted from {}: {}",
            message
                .user_id
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default(),
            message.payload
        ),
        Err(failure) => println!("bob could not open it: {failure} ({})", failure.code()),
    }
    alice.disconnect();
    bob.disconnect();
    Ok(())
}
