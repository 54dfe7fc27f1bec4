//! Per-connection outbound queues: how the broker hands frames to a connection without
//! ever waiting for it.
//!
//! A connection registers an [`Outbox`] with the broker; [`Outbox::try_deliver`] must not
//! block. [`OutboundQueue`] is the standard implementation: a bounded FIFO (a
//! `std::sync::mpsc::sync_channel`) whose other end, the [`Inbox`], the connection's
//! writer drains. The socket layer may bring its own `Outbox` (e.g. over a tokio channel).
//!
//! ```
//! use std::sync::Arc;
//! use domvia_server::{Delivery, Outbox, OutboundQueue};
//!
//! let (out, inbox) = OutboundQueue::bounded(1);
//! assert_eq!(out.try_deliver(Arc::from("a")), Delivery::Queued);
//! assert_eq!(out.try_deliver(Arc::from("b")), Delivery::Full);
//! assert_eq!(inbox.try_recv().as_deref(), Some("a"));
//! drop(inbox);
//! assert_eq!(out.try_deliver(Arc::from("c")), Delivery::Closed);
//! ```

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use super::Frame;

/// What happened to a frame handed to an [`Outbox`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Delivery {
    /// The frame is queued for the connection.
    Queued,
    /// The queue is full: the frame was dropped and the connection is a slow consumer.
    Full,
    /// The connection's reader is gone: the frame was dropped.
    Closed,
}

/// Where the broker puts a connection's frames.
pub trait Outbox: Send + Sync {
    /// Queues `frame` without blocking, and says whether it was queued.
    fn try_deliver(&self, frame: Frame) -> Delivery;
}

/// The sending end of a bounded per-connection queue.
#[derive(Clone, Debug)]
pub struct OutboundQueue {
    /// `SyncSender::try_send` never blocks, so delivery costs the broker at most a short
    /// lock on this queue, whatever the connection does.
    sender: SyncSender<Frame>,
}

/// The receiving end of an [`OutboundQueue`], drained by the connection's writer.
#[derive(Debug)]
pub struct Inbox {
    receiver: Receiver<Frame>,
}

impl OutboundQueue {
    /// A queue holding at most `capacity` frames (at least one), and its [`Inbox`].
    #[must_use]
    pub fn bounded(capacity: usize) -> (Self, Inbox) {
        let (sender, receiver) = sync_channel(capacity.max(1));
        (Self { sender }, Inbox { receiver })
    }
}

impl Outbox for OutboundQueue {
    fn try_deliver(&self, frame: Frame) -> Delivery {
        match self.sender.try_send(frame) {
            Ok(()) => Delivery::Queued,
            Err(TrySendError::Full(_)) => Delivery::Full,
            Err(TrySendError::Disconnected(_)) => Delivery::Closed,
        }
    }
}

impl Inbox {
    /// The next queued frame, or `None` if the queue is empty (or every sender is gone).
    #[must_use]
    pub fn try_recv(&self) -> Option<Frame> {
        self.receiver.try_recv().ok()
    }

    /// Every frame queued so far, in order.
    #[must_use]
    pub fn drain(&self) -> Vec<Frame> {
        std::iter::from_fn(|| self.try_recv()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn zero_capacity_still_holds_one_frame() {
        let (out, inbox) = OutboundQueue::bounded(0);
        assert_eq!(out.try_deliver(Arc::from("x")), Delivery::Queued);
        assert_eq!(out.try_deliver(Arc::from("y")), Delivery::Full);
        assert_eq!(inbox.drain(), vec![Arc::<str>::from("x")]);
        assert_eq!(inbox.try_recv(), None);
    }
}
