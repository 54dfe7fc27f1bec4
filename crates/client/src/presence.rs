//! Applying channel frames to the channel table: subscription results, presence members
//! and events.
//!
//! Presence follows pusher-js: the member list arrives whole with
//! `pusher_internal:subscription_succeeded`, then changes one member at a time; each change
//! is also delivered to the channel's bindings as `pusher:member_added` /
//! `pusher:member_removed` with `{"user_id", "user_info"?}` as data.

use domvia_protocol::{ChannelName, EventName, ServerFrame, UserId};
use serde_json::{Value, json};

use crate::error::ClientError;
use crate::state::{ChannelStatus, Shared};

/// The event name presence changes are delivered under.
fn member_event(name: &str) -> Option<EventName> {
    name.parse().ok()
}

/// Applies a channel frame (anything but the connection-level ones).
pub(crate) fn apply(shared: &Shared, frame: ServerFrame) {
    match frame {
        ServerFrame::SubscriptionSucceeded { channel, presence } => {
            shared.with_slot(&channel, |slot| {
                slot.members = presence
                    .map(|snapshot| snapshot.members.into_iter().collect())
                    .unwrap_or_default();
                slot.status.send_replace(ChannelStatus::Subscribed);
            });
        }
        ServerFrame::SubscriptionError {
            channel,
            error,
            status,
            ..
        } => {
            let refused = ClientError::SubscriptionRefused {
                channel: channel.clone(),
                status,
                message: error,
            };
            shared.with_slot(&channel, |slot| {
                slot.status.send_replace(ChannelStatus::Failed(refused));
            });
        }
        ServerFrame::MemberAdded {
            channel,
            user_id,
            user_info,
        } => {
            let info = user_info.unwrap_or(Value::Null);
            let data = json!({ "user_id": user_id.as_str(), "user_info": info });
            shared.with_slot(&channel, |slot| {
                slot.members.insert(user_id.clone(), info);
            });
            notify(shared, &channel, "pusher:member_added", &data, user_id);
        }
        ServerFrame::MemberRemoved { channel, user_id } => {
            let data = json!({ "user_id": user_id.as_str() });
            shared.with_slot(&channel, |slot| {
                slot.members.remove(&user_id);
            });
            notify(shared, &channel, "pusher:member_removed", &data, user_id);
        }
        ServerFrame::Event {
            event,
            channel,
            data,
            user_id,
        } => shared.dispatch(&channel, event, data, user_id),
        other => tracing::debug!(?other, "frame ignored"),
    }
}

fn notify(shared: &Shared, channel: &ChannelName, name: &str, data: &Value, user: UserId) {
    if let Some(event) = member_event(name) {
        shared.dispatch(channel, event, data.to_string(), Some(user));
    }
}
