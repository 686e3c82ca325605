//! The simulated cluster as the nemesis sees it: [`FaultTarget`] over
//! turmoil's links and hosts and the nodes' fault switches.

use super::{host_name, SimCluster};
use faultline_nemesis::clock::SimClock;
use faultline_nemesis::disk_faults::DiskFaults;
use faultline_nemesis::message_faults::MessageFaults;
use faultline_nemesis::target::FaultTarget;
use faultline_nemesis::trigger::NodeState;
use faultline_raft::{NodeId, Role};
use std::time::Duration;

impl FaultTarget for SimCluster<'_> {
    fn node_ids(&self) -> Vec<NodeId> {
        self.ids()
    }

    fn leader(&self) -> Option<NodeId> {
        SimCluster::leader(self).map(|(id, _)| id)
    }

    fn cut_link(&mut self, from: NodeId, to: NodeId) {
        self.sim.partition_oneway(host_name(from), host_name(to));
    }

    fn heal_links(&mut self) {
        self.heal();
    }

    fn crash(&mut self, node: NodeId) {
        SimCluster::crash(self, node);
    }

    fn restart(&mut self, node: NodeId) {
        SimCluster::restart(self, node);
    }

    fn revive(&mut self, node: NodeId) {
        SimCluster::revive(self, node);
    }

    fn pause(&mut self, node: NodeId) {
        if let Some(h) = self.handles().get(&node) {
            h.pause.pause();
        }
    }

    fn resume(&mut self, node: NodeId) {
        if let Some(h) = self.handles().get(&node) {
            h.pause.resume();
        }
    }

    fn clock(&self, node: NodeId) -> Option<&SimClock> {
        SimCluster::clock(self, node)
    }

    fn disk_faults(&self, node: NodeId) -> Option<&DiskFaults> {
        SimCluster::disk_faults(self, node)
    }

    fn message_faults(&self, node: NodeId) -> Option<&MessageFaults> {
        SimCluster::message_faults(self, node)
    }

    fn set_link_loss(&mut self, from: NodeId, to: NodeId, probability: f64) {
        self.sim
            .set_link_fail_rate(host_name(from), host_name(to), probability);
    }

    fn set_link_latency_max(&mut self, from: NodeId, to: NodeId, max: Duration) {
        self.sim
            .set_link_max_message_latency(host_name(from), host_name(to), max);
    }

    fn link_latency_max_nominal(&self) -> Duration {
        self.config().latency.1
    }

    fn protocol_view(&self) -> Vec<NodeState> {
        self.handles()
            .iter()
            .map(|(&id, h)| {
                let o = h.observation.lock();
                NodeState {
                    id,
                    running: o.running,
                    leads: o.running && o.role == Role::Leader,
                    campaigning: o.running && o.role == Role::Candidate,
                    knows_leader: o.running && o.role == Role::Follower && o.leader.is_some(),
                    term: o.hard_state.term,
                    voted_for: o.hard_state.voted_for,
                    commit_index: o.commit_index,
                    last_index: o.last_index,
                    committed_own_term: o.term_at(o.commit_index) == Some(o.hard_state.term),
                }
            })
            .collect()
    }
}
