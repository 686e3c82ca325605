//! The outbound-message seam: before the driver queues each Raft message
//! for a peer it asks an [`OutboundFaults`] what to do with it: send it once
//! (always, in production), twice (duplication) or later (so that later
//! messages overtake it: reordering). TCP never duplicates or reorders, but
//! a Raft node must tolerate both from retries, reconnects and stale
//! connections, so the packet nemesis injects them here.
//!
//! A fault may also hand a node copies of old messages addressed to it
//! ([`OutboundFaults::delivered_late`]): the network delivering an old
//! message late, after the terms moved on.
//!
//! This crate ships only [`SendAsIs`]; the seeded fault switch lives with the
//! other faults in `faultline-nemesis`, as the faulty disk does.

use crate::types::Message;
use std::fmt::Debug;
use std::time::Duration;

/// What to do with one outbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fate {
    /// Send it this many times (1 or more).
    pub copies: u32,
    /// Hold it back this long before queueing it (`None`: send now).
    pub hold: Option<Duration>,
}

impl Fate {
    /// Send the message once, now.
    pub const AS_IS: Fate = Fate {
        copies: 1,
        hold: None,
    };
}

/// Decides the fate of each outbound Raft message of one node (seeing the
/// message, so a fault may pick on a kind of message, as a middlebox could).
pub trait OutboundFaults: Debug + Send + Sync + 'static {
    /// The fate of `message`, the next outbound message.
    fn decide(&self, message: &Message) -> Fate;

    /// Old messages addressed to this node that the network delivers now
    /// (a stale replay), taken as inputs before the node's next one; none
    /// by default.
    fn delivered_late(&self) -> Vec<Message> {
        Vec::new()
    }
}

/// No faults: every message is sent once, at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct SendAsIs;

impl OutboundFaults for SendAsIs {
    fn decide(&self, _message: &Message) -> Fate {
        Fate::AS_IS
    }
}
