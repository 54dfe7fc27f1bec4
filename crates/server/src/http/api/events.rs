//! Publishing: `POST /events` and `POST /batch_events`.
//!
//! Rules (Pusher HTTP API reference, "Events"; pusher-http-node `trigger`,
//! `triggerBatch`, `sendToUser`):
//! - an event is `{name, data, channels | channel, socket_id?, info?}`; a batch is
//!   `{batch: [{channel, name, data, socket_id?, info?}, …]}`;
//! - `data` is the string sent to clients; SDKs encode objects themselves, and any other
//!   JSON value is encoded here the same way;
//! - at most `max_event_channels` channels per event and `max_batch_events` events per
//!   batch (400), `data` at most `max_payload_bytes` (413);
//! - on a channel the app declares ciphertext-only, `data` must be an end-to-end encrypted
//!   envelope or another shape of `spec/ciphertext-only-channels.md` (400 otherwise);
//! - `socket_id` (`\d+\.\d+`) is the connection that must not receive the event;
//! - `#server-to-user-{id}` channels are how `sendToUser` publishes, and are allowed;
//! - a batch is checked whole before anything is published: all or nothing;
//! - every channel published to costs one message of the app's per-second budget (429
//!   when spent) and counts once in `api_events`.

use std::sync::atomic::Ordering;

use domvia_protocol::{ChannelName, EventName, SocketId};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::ApiError;
use super::channels::{Attributes, parse_channel};
use crate::app::App;
use crate::metrics::EventSource;

/// The body of `POST /events`.
#[derive(Deserialize)]
struct EventBody {
    name: String,
    data: Option<Value>,
    channels: Option<Vec<String>>,
    channel: Option<String>,
    socket_id: Option<String>,
    info: Option<String>,
}

/// The body of `POST /batch_events`.
#[derive(Deserialize)]
struct BatchBody {
    batch: Vec<BatchEvent>,
}

/// One event of a batch.
#[derive(Deserialize)]
struct BatchEvent {
    channel: String,
    name: String,
    data: Option<Value>,
    socket_id: Option<String>,
    info: Option<String>,
}

/// A checked event, ready to publish.
struct Publication {
    channels: Vec<ChannelName>,
    event: EventName,
    data: String,
    except: Option<SocketId>,
    wanted: Attributes,
}

/// The fields of an event as received, before checking.
struct Unchecked {
    name: String,
    channels: Vec<String>,
    data: Option<Value>,
    socket_id: Option<String>,
    info: Option<String>,
}

/// `POST /events`.
///
/// # Errors
/// Any event, size or budget error; nothing is published then.
pub(super) fn trigger(app: &App, body: &[u8]) -> Result<Value, ApiError> {
    let event: EventBody = parse_json(body)?;
    let channels = match (event.channels, event.channel) {
        (Some(channels), None) => channels,
        (None, Some(channel)) => vec![channel],
        (Some(_), Some(_)) => return Err(ApiError::AmbiguousChannels),
        (None, None) => return Err(ApiError::MissingChannels),
    };
    let publication = check(
        app,
        Unchecked {
            name: event.name,
            channels,
            data: event.data,
            socket_id: event.socket_id,
            info: event.info,
        },
    )?;
    take_budget(app, publication.channels.len())?;
    publish(app, &publication);
    if !publication.wanted.any() {
        return Ok(json!({}));
    }
    Ok(json!({ "channels": channel_attributes(app, &publication) }))
}

/// `POST /batch_events`.
///
/// # Errors
/// [`ApiError::TooManyEvents`], the first invalid event's error as
/// [`ApiError::InBatch`], or a budget error; nothing is published then.
pub(super) fn trigger_batch(app: &App, body: &[u8]) -> Result<Value, ApiError> {
    let batch: BatchBody = parse_json(body)?;
    let max = app.config().limits.max_batch_events;
    if batch.batch.len() > max {
        return Err(ApiError::TooManyEvents {
            count: batch.batch.len(),
            max,
        });
    }
    let publications = batch
        .batch
        .into_iter()
        .enumerate()
        .map(|(index, event)| {
            let unchecked = Unchecked {
                name: event.name,
                channels: vec![event.channel],
                data: event.data,
                socket_id: event.socket_id,
                info: event.info,
            };
            check(app, unchecked).map_err(|error| error.in_batch(index))
        })
        .collect::<Result<Vec<_>, _>>()?;
    take_budget(app, publications.len())?;
    for publication in &publications {
        publish(app, publication);
    }
    if !publications
        .iter()
        .any(|publication| publication.wanted.any())
    {
        return Ok(json!({}));
    }
    let infos: Vec<Value> = publications
        .iter()
        .map(|publication| {
            // A batch event has one channel: its attributes are the entry itself.
            let mut attributes = channel_attributes(app, publication);
            let entry = publication
                .channels
                .first()
                .and_then(|channel| attributes.remove(channel.as_str()));
            entry.unwrap_or_else(|| json!({}))
        })
        .collect();
    Ok(json!({ "batch": infos }))
}

fn parse_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| ApiError::InvalidJson {
        reason: error.to_string(),
    })
}

/// Checks every field of one event against the app's limits.
fn check(app: &App, event: Unchecked) -> Result<Publication, ApiError> {
    let limits = &app.config().limits;
    let name: EventName = event
        .name
        .parse()
        .map_err(|source| ApiError::InvalidEventName { source })?;
    if name.is_reserved() {
        return Err(ApiError::ReservedEventName);
    }
    if event.channels.is_empty() {
        return Err(ApiError::MissingChannels);
    }
    if event.channels.len() > limits.max_event_channels {
        return Err(ApiError::TooManyChannels {
            count: event.channels.len(),
            max: limits.max_event_channels,
        });
    }
    let mut channels: Vec<ChannelName> = Vec::with_capacity(event.channels.len());
    for name in &event.channels {
        let channel = parse_channel(name)?;
        // A channel named twice gets the event once.
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    let data = match event.data {
        None | Some(Value::Null) => return Err(ApiError::MissingData),
        Some(Value::String(data)) => data,
        Some(other) => other.to_string(),
    };
    if data.len() > limits.max_payload_bytes {
        return Err(ApiError::PayloadTooLarge {
            size: data.len(),
            max: limits.max_payload_bytes,
        });
    }
    // The shape is checked once; the first ciphertext-only channel names the refusal.
    if let Some(channel) = channels
        .iter()
        .find(|channel| app.config().is_ciphertext_only(channel))
    {
        app.check_ciphertext_only(channel, &data, EventSource::HttpApi)
            .map_err(|source| ApiError::PlaintextRefused {
                channel: channel.clone(),
                source,
            })?;
    }
    let except = event
        .socket_id
        .map(|id| id.parse::<SocketId>())
        .transpose()
        .map_err(|source| ApiError::InvalidSocketId { source })?;
    Ok(Publication {
        channels,
        event: name,
        data,
        except,
        wanted: Attributes::parse(event.info.as_deref()),
    })
}

/// Takes one message per channel from the app's budget.
fn take_budget(app: &App, messages: usize) -> Result<(), ApiError> {
    if app.take_message_budget(u32::try_from(messages).unwrap_or(u32::MAX)) {
        Ok(())
    } else {
        Err(ApiError::OverQuota)
    }
}

fn publish(app: &App, publication: &Publication) {
    for channel in &publication.channels {
        app.publish(
            channel,
            &publication.event,
            publication.data.clone(),
            publication.except.as_ref(),
            None,
        );
    }
    app.metrics().api_events.fetch_add(
        u64::try_from(publication.channels.len()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

/// `{channel: {attributes}}` for every channel of `publication`, read after publishing.
fn channel_attributes(app: &App, publication: &Publication) -> Map<String, Value> {
    publication
        .channels
        .iter()
        .map(|channel| {
            let info = app.channel_info(channel);
            let attributes = publication.wanted.of(channel, &info);
            (channel.as_str().to_owned(), Value::Object(attributes))
        })
        .collect()
}
