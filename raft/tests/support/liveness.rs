//! The end of every run: with every fault healed and every node restarted,
//! a leader must emerge and a fresh proposal must be applied on every node
//! within a bounded number of quiet ticks.

use super::network::NetFaults;
use super::sim::Simulation;
use faultline_raft::invariants::Violation;
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
            if let Some((node, index, term)) = marker {
                if self.client.is_acknowledged(node, index) {
                    if self.nodes.values().all(|n| n.app.applied_index >= index) {
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
                        "n{id} {:?} t{} commit {} applied {} first {}{}",
                        r.role(),
                        r.term(),
                        r.commit_index(),
                        n.app.applied_index,
                        r.first_index(),
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
        Err(Violation::new(
            "liveness",
            format!(
                "{quiet_ticks_max} quiet ticks after healing every fault, {}: [{}]",
                match marker {
                    None => "no leader accepted a proposal".to_string(),
                    Some((n, i, _)) =>
                        format!("the proposal at n{n} index {i} was not applied everywhere"),
                },
                summary.join(", ")
            ),
        ))
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
