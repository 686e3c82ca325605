//! The seam through which the nemesis acts: a [`FaultTarget`] is whatever
//! runs the nodes (the simulated cluster in `faultline-sim`, or a test
//! double). The executor knows faults only as calls on this trait, so it
//! never depends on the simulator.
//!
//! Nodes are named by id; links are one-way, `from` → `to`.

use crate::clock::SimClock;
use crate::disk_faults::DiskFaults;
use crate::message_faults::MessageFaults;
use crate::trigger::NodeState;
use faultline_raft::NodeId;
use std::time::Duration;

/// What the nemesis may do to a cluster.
pub trait FaultTarget {
    /// Every node's id, ascending.
    fn node_ids(&self) -> Vec<NodeId>;
    /// The node that leads the highest term now, if any.
    fn leader(&self) -> Option<NodeId>;
    /// Drops every message from `from` to `to` (one way) until healed.
    fn cut_link(&mut self, from: NodeId, to: NodeId);
    /// Repairs every cut link.
    fn heal_links(&mut self);
    /// Crashes `node` (power loss: unsynced writes are lost); it stays down
    /// until [`FaultTarget::restart`].
    fn crash(&mut self, node: NodeId);
    /// Restarts a crashed node from what its disk kept (no-op otherwise).
    fn restart(&mut self, node: NodeId);
    /// Restarts `node` if its driver stopped on a fatal error (a failed
    /// disk) without being crashed on purpose.
    fn revive(&mut self, node: NodeId);
    /// Freezes `node`'s driver (SIGSTOP).
    fn pause(&mut self, node: NodeId);
    /// Thaws `node`'s driver (SIGCONT).
    fn resume(&mut self, node: NodeId);
    /// `node`'s clock, which the clock faults move.
    fn clock(&self, node: NodeId) -> Option<&SimClock>;
    /// `node`'s disk fault switch.
    fn disk_faults(&self, node: NodeId) -> Option<&DiskFaults>;
    /// `node`'s outbound message fault switch.
    fn message_faults(&self, node: NodeId) -> Option<&MessageFaults>;
    /// Drops each message from `from` to `to` with `probability`.
    fn set_link_loss(&mut self, from: NodeId, to: NodeId, probability: f64);
    /// Sets the largest one-way latency from `from` to `to`.
    fn set_link_latency_max(&mut self, from: NodeId, to: NodeId, max: Duration);
    /// The largest one-way latency of a link without faults.
    fn link_latency_max_nominal(&self) -> Duration;
    /// Every node's state, for protocol-aware faults (by id, ascending); a
    /// target that cannot see its nodes returns none, and such faults then
    /// never fire.
    fn protocol_view(&self) -> Vec<NodeState> {
        Vec::new()
    }
}
