//! The Pusher Channels protocol 7 wire model for the Domvia gateway.
//!
//! Pure and synchronous: no async runtime, no I/O, no clock and no RNG (time and randomness
//! are passed in). It knows nothing of Domvia's end-to-end encryption: payloads are opaque.
//! Everything here is checked against the sources the gateway must interoperate with
//! (pusher-js, pusher-http-node and the Pusher protocol and HTTP API documentation); each
//! module names the rule it implements.
//!
//! - [`channel`]: [`ChannelName`], parsed once into a [`ChannelKind`];
//! - [`event`]: [`EventName`], [`ClientEventName`], [`SocketId`];
//! - [`user`]: the [`UserId`] newtype;
//! - [`close`]: [`CloseCode`] and the [`Reconnect`] semantics of its ranges;
//! - [`auth`]: channel authorization and user authentication signatures;
//! - [`member`]: the signed presence `channel_data` and signin `user_data`;
//! - [`http_sig`]: HTTP API request signatures;
//! - [`ciphertext`]: ciphertext-only channels: [`ChannelPattern`] and the shape check of
//!   their event data, [`check_ciphertext`];
//! - [`message`]: the JSON frames, client → server ([`ClientFrame`]) and
//!   server → client ([`ServerFrame`]).
//!
//! ```
//! use domvia_protocol::{AppKey, AppSecret, ChannelName, SocketId, sign_channel, verify_channel};
//!
//! let key: AppKey = "278d425bdf160c739803".parse()?;
//! let secret = AppSecret::new("7ad3773142a6692b25b8")?;
//! let socket_id: SocketId = "1234.1234".parse()?;
//! let channel: ChannelName = "private-foobar".parse()?;
//!
//! let auth = sign_channel(&key, &secret, &socket_id, &channel, None);
//! verify_channel(&auth, &key, &secret, &socket_id, &channel, None)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod auth;
pub mod channel;
pub mod ciphertext;
pub mod close;
pub mod event;
pub mod http_sig;
pub mod member;
pub mod message;
pub mod user;

pub use auth::{
    AppKey, AppSecret, AuthError, sign_channel, sign_user, verify_channel,
    verify_presence_as_signed_in, verify_user,
};
pub use channel::{ChannelKind, ChannelName, ChannelNameError, MAX_CHANNEL_NAME_LEN};
pub use ciphertext::{ChannelPattern, ChannelPatternError, CiphertextError, check_ciphertext};
pub use close::{CloseCode, Reconnect};
pub use event::{ClientEventName, EventError, EventName, MAX_EVENT_NAME_LEN, SocketId};
pub use http_sig::{
    HttpAuthError, MAX_TIMESTAMP_SKEW_SECS, RequestToSign, sign_request, verify_request,
};
pub use member::{PresenceMember, UserData};
pub use message::{ClientFrame, FrameError, PresenceSnapshot, ServerFrame};
pub use user::{UserId, UserIdError};
