//! The end of every run: with every fault healed and every node restarted,
//! a leader must emerge and a fresh proposal must be applied on every node
//! within a bounded number of quiet ticks.

use super::network::NetFaults;
use super::sim::Simulation;
use faultline_raft::invariants::{names, Violation};
use faultline_raft::{Input, LogIndex, NodeId, ProposalOutcome, Term};

/// Messages delivered per tick at most in the liveness phase.
const QUIET_DELIVERIES_PER_TICK_MAX: usize = 10_000;

impl Simulation {
    /// Heals everything, then requires a leader and a new proposal applied
    /// on every node within a bounded number of quiet ticks.
    pub(super) fn liveness_phase(&mut self) -> Result<(), Violation> {
        self.heal();
        self.net.set_faults(NetFaults::quiet());
        for node in self.nodes.values_mut() {
            node.armed = None;
        }
        let down: Vec<NodeId> = self
            .nodes
            .iter()
            .filter(|(_, n)| !n.is_up())
            .map(|(id, _)| *id)
            .collect();
        for id in down {
            self.restart(id)?;
        }
        if self.trace.enabled() {
            self.trace
                .record(format!("t{} LIVENESS PHASE (all healed)", self.now_tick));
        }
        let quiet_ticks_max = 60 * self.profile.config.election_ticks;
        let deadline = self.now_tick + quiet_ticks_max;
        let mut marker: Option<(NodeId, LogIndex, Term)> = None;
        while self.now_tick < deadline {
            let mut delivered = 0;
            while self.net.has_ready(self.now_tick) && delivered < QUIET_DELIVERIES_PER_TICK_MAX {
                self.deliver()?;
                delivered += 1;
            }
            self.retire_removed_nodes();
            if let Some((node, index, term)) = marker {
                if self.client.is_acknowledged(node, index) {
                    if self.converged(index) {
                        return Ok(());
                    }
                } else if !self.client.is_waiting(node, index)
                    || self.nodes[&node]
                        .raft
                        .as_ref()
                        .is_none_or(|r| r.term_at(index) != Some(term))
                {
                    // Overwritten by another leader's entry (or about to be):
                    // propose again.
                    marker = None;
                }
            }
            if marker.is_none() {
                if let Some((leader, _)) = self.current_leader() {
                    marker = self.propose_marker(leader)?;
                }
            }
            self.tick()?;
        }
        let summary: Vec<String> = self
            .nodes
            .iter()
            .map(|(id, n)| match &n.raft {
                Some(r) => {
                    let peers: Vec<String> = r
                        .status()
                        .peers
                        .iter()
                        .map(|p| {
                            format!(
                                "n{} {:?} match {} next {} inflight {}",
                                p.id, p.state, p.match_index, p.next_index, p.inflight_msgs
                            )
                        })
                        .collect();
                    format!(
                        "n{id} {:?} t{} commit {} applied {} first {} config {}{}",
                        r.role(),
                        r.term(),
                        r.commit_index(),
                        n.app.applied_index,
                        r.first_index(),
                        r.membership(),
                        if peers.is_empty() {
                            String::new()
                        } else {
                            format!(" peers {{{}}}", peers.join("; "))
                        }
                    )
                }
                None => format!("n{id} down"),
            })
            .collect();
        let acknowledged = marker.is_some_and(|(n, i, _)| self.client.is_acknowledged(n, i));
        Err(Violation::new(
            if acknowledged {
                names::CONFIG_CONVERGENCE
            } else {
                "liveness"
            },
            format!(
                "{quiet_ticks_max} quiet ticks after healing every fault, {}: [{}]",
                match marker {
                    None => "no leader accepted a proposal".to_string(),
                    Some((n, i, _)) => format!(
                        "the proposal at n{n} index {i} was not applied on every member of \
                         one committed configuration"
                    ),
                },
                summary.join(", ")
            ),
        ))
    }

    /// Once a leader has committed in its term and its configuration is
    /// committed, that configuration is the final one (no change is asked
    /// any more): nodes outside it are retired (shut down for good), as an
    /// operator would, so that one that never learned of its removal does
    /// not campaign forever where pre-vote and check-quorum are off.
    fn retire_removed_nodes(&mut self) {
        let Some((leader, _)) = self.current_leader() else {
            return;
        };
        let Some(raft) = self.nodes[&leader].raft.as_ref() else {
            return;
        };
        let status = raft.status();
        let settled = raft.term_at(status.commit_index) == Some(status.term)
            && status.membership_index <= status.commit_index;
        if !settled {
            return;
        }
        let retired: Vec<NodeId> = self
            .nodes
            .iter()
            .filter(|(id, n)| n.is_up() && !status.membership.contains(**id))
            .map(|(id, _)| *id)
            .collect();
        for id in retired {
            if self.trace.enabled() {
                self.trace
                    .record(format!("t{} n{id} RETIRED (not a member)", self.now_tick));
            }
            let node = self.nodes.get_mut(&id).expect("node exists");
            node.raft = None;
            node.restart_at_tick = u64::MAX;
            self.invariants.node_crashed(id);
            self.leader_commits.remove(&id);
        }
    }

    /// Whether every member of the leader's committed configuration applied
    /// `index` (and the configuration's own entry) and holds that
    /// configuration in force.
    fn converged(&self, index: LogIndex) -> bool {
        let Some((leader, _)) = self.current_leader() else {
            return false;
        };
        let Some(raft) = self.nodes[&leader].raft.as_ref() else {
            return false;
        };
        let status = raft.status();
        if status.membership_index > status.commit_index {
            return false;
        }
        let needed = index.max(status.membership_index);
        let all = status.membership.members().all(|id| {
            self.nodes.get(&id).is_some_and(|node| {
                node.app.applied_index >= needed
                    && node
                        .raft
                        .as_ref()
                        .is_some_and(|r| r.membership() == &status.membership)
            })
        });
        all
    }

    /// Proposes at `leader`; returns where it was appended, if it was.
    pub(super) fn propose_marker(
        &mut self,
        leader: NodeId,
    ) -> Result<Option<(NodeId, LogIndex, Term)>, Violation> {
        let id = self.client.next_id();
        let data = format!("marker{id}").into_bytes();
        self.client.proposed(id, leader, data.clone());
        if self.trace.enabled() {
            self.trace
                .record(format!("t{} n{leader} Propose marker {id}", self.now_tick));
        }
        self.step(leader, Input::Propose { id, data })?;
        Ok(match self.client.last_outcome(id) {
            Some(ProposalOutcome::Appended { index, term }) => Some((leader, *index, *term)),
            _ => None,
        })
    }
}
