//! The simulated client: proposals at random nodes, and which of them were
//! acknowledged (their entry was applied, with the term it was appended in,
//! on the node that accepted it).

use faultline_raft::invariants::Violation;
use faultline_raft::{
    Entry, EntryPayload, LogIndex, NodeId, ProposalOutcome, ProposalResult, Term,
};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
struct Appended {
    id: u64,
    term: Term,
    data: Vec<u8>,
}

/// Proposals in flight and what became of them.
#[derive(Debug, Default)]
pub struct Client {
    next_id: u64,
    issued: BTreeMap<u64, (NodeId, Vec<u8>)>,
    appended: BTreeMap<(NodeId, LogIndex), Appended>,
    acked: BTreeSet<(NodeId, LogIndex)>,
    last_outcome: Option<(u64, ProposalOutcome)>,
    /// The leader the client last heard of.
    pub leader_hint: Option<NodeId>,
    /// Proposals handed to a core.
    pub proposed: u64,
    /// Proposals appended by a leader.
    pub accepted: u64,
    /// Proposals refused with NotLeader.
    pub not_leader: u64,
    /// Proposals refused with Overloaded.
    pub overloaded: u64,
    /// Appended proposals whose entry was applied: the client got "ok".
    pub acknowledged: u64,
    /// Appended proposals overwritten by another leader's entry.
    pub overwritten: u64,
}

impl Client {
    /// A fresh id for a proposal or read.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Remembers a proposal handed to `node`.
    pub fn proposed(&mut self, id: u64, node: NodeId, data: Vec<u8>) {
        self.proposed += 1;
        self.issued.insert(id, (node, data));
    }

    /// Handles a core's answer to a proposal.
    pub fn answered(&mut self, node: NodeId, result: &ProposalResult) -> Result<(), Violation> {
        let Some((at, data)) = self.issued.remove(&result.id) else {
            return Err(Violation::new(
                "proposal bookkeeping",
                format!(
                    "node {node} answered proposal {} that is not pending",
                    result.id
                ),
            ));
        };
        if at != node {
            return Err(Violation::new(
                "proposal bookkeeping",
                format!(
                    "proposal {} was sent to node {at} but answered by {node}",
                    result.id
                ),
            ));
        }
        self.last_outcome = Some((result.id, result.outcome.clone()));
        match result.outcome {
            ProposalOutcome::Appended { index, term } => {
                self.accepted += 1;
                self.appended.insert(
                    (node, index),
                    Appended {
                        id: result.id,
                        term,
                        data,
                    },
                );
            }
            ProposalOutcome::NotLeader { .. } => self.not_leader += 1,
            ProposalOutcome::Overloaded => self.overloaded += 1,
        }
        Ok(())
    }

    /// `node` applied `entry`; returns the index if that acknowledges a proposal.
    pub fn applied(&mut self, node: NodeId, entry: &Entry) -> Result<Option<LogIndex>, Violation> {
        let Some(proposal) = self.appended.remove(&(node, entry.index)) else {
            return Ok(None);
        };
        if entry.term != proposal.term {
            self.overwritten += 1;
            return Ok(None);
        }
        match &entry.payload {
            EntryPayload::Command(data) if *data == proposal.data => {
                self.acknowledged += 1;
                self.acked.insert((node, entry.index));
                Ok(Some(entry.index))
            }
            _ => Err(Violation::new(
                "proposal identity",
                format!(
                    "node {node} appended proposal {} at index {} term {}, but applied a \
                     different entry there in that term",
                    proposal.id, entry.index, entry.term
                ),
            )),
        }
    }

    /// Forgets proposals that `node` will never answer: it crashed, or it
    /// installed a snapshot covering them (outcome unknown to the client).
    pub fn forget(&mut self, node: NodeId, up_to: Option<LogIndex>) {
        match up_to {
            None => {
                self.issued.retain(|_, (at, _)| *at != node);
                self.appended.retain(|(at, _), _| *at != node);
            }
            Some(limit) => self
                .appended
                .retain(|(at, index), _| *at != node || *index > limit),
        }
    }

    /// Whether the proposal appended at `node` index `index` is still waiting.
    pub fn is_waiting(&self, node: NodeId, index: LogIndex) -> bool {
        self.appended.contains_key(&(node, index))
    }

    /// Whether the proposal appended at `node` index `index` was acknowledged.
    pub fn is_acknowledged(&self, node: NodeId, index: LogIndex) -> bool {
        self.acked.contains(&(node, index))
    }

    /// The outcome of proposal `id` if it was the last one answered.
    pub fn last_outcome(&self, id: u64) -> Option<&ProposalOutcome> {
        match &self.last_outcome {
            Some((last, outcome)) if *last == id => Some(outcome),
            _ => None,
        }
    }
}
