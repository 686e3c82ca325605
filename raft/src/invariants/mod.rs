//! Raft's safety properties, written once for every harness that watches a
//! cluster: the pure randomized harness in `raft/tests` (which sees each
//! core's in-memory state after every step), the turmoil cluster's observer
//! in `faultline-sim` (which samples each node's durable state), and any
//! exhaustive explorer of the core.
//!
//! Each property lives in its own file and observes nodes only through
//! [`NodeView`] and plain numbers, so it can be fed hand-made observations
//! (see the tests) to prove that it can fail. Where a check is sound only
//! for one kind of observation, [`Vantage`] says which, and the check is
//! skipped for the other instead of crying wolf.

pub mod acks;
pub mod commit;
pub mod committed;
pub mod config;
pub mod digest;
pub mod durability;
pub mod election;
pub mod leader_completeness;
pub mod leases;
pub mod log_matching;
pub mod promises;
pub mod reads;
pub mod rules;
pub mod state_machine;

#[cfg(test)]
mod tests;

use crate::{Entry, LogIndex, Membership, NodeId, Term};
use std::fmt;

/// The property names, as they appear in violations, reports and results.
pub mod names {
    /// At most one leader per term.
    pub const ELECTION_SAFETY: &str = "election-safety";
    /// Same index and term imply the same entry and the same prefix.
    pub const LOG_MATCHING: &str = "log-matching";
    /// A live node's commit index never falls.
    pub const COMMIT_MONOTONIC: &str = "commit-monotonic";
    /// A live node's term never falls.
    pub const TERM_MONOTONIC: &str = "term-monotonic";
    /// Committed indices hold one entry on every node.
    pub const COMMIT_SAFETY: &str = "commit-safety";
    /// Every leader holds every entry committed before its term.
    pub const LEADER_COMPLETENESS: &str = "leader-completeness";
    /// No two nodes apply different entries (or reach different states) at one index.
    pub const STATE_MACHINE_SAFETY: &str = "state-machine-safety";
    /// A message's promises are durable before it leaves.
    pub const PERSISTENCE_CONTRACT: &str = "persistence-contract";
    /// A granted vote and acknowledged entries survive every restart.
    pub const PROMISE_DURABILITY: &str = "promise-durability";
    /// A write acknowledged to a client is committed: durable on a majority,
    /// and the committed entry at its index is the client's.
    pub const ACKNOWLEDGED_COMMITTED: &str = "acknowledged-committed";
    /// No node serves a lease read once another node leads a higher term
    /// and has committed in it.
    pub const LEASE_SAFETY: &str = "lease-safety";
    /// Reads observe every write acknowledged before them.
    pub const READ_LINEARIZABILITY: &str = "read-linearizability";
    /// A read observes every entry committed anywhere in the cluster before
    /// it arrived (thesis §6.4).
    pub const READ_FRESHNESS: &str = "read-freshness";
    /// A request or response of a newer term makes its receiver adopt it (§5.1).
    pub const TERM_ADOPTION: &str = "term-adoption";
    /// AppendEntries and vote requests of a stale term are refused (§5.1).
    pub const STALE_TERM_REFUSED: &str = "stale-term-refused";
    /// One vote per term, and only for an up-to-date log (§5.2, §5.4.1).
    pub const VOTE_RESTRICTION: &str = "vote-restriction";
    /// A leader holds votes of its term from a quorum (§5.2).
    pub const ELECTION_QUORUM: &str = "election-quorum";
    /// A leader commits by counting replicas only entries of its term (§5.4.2).
    pub const CURRENT_TERM_COMMIT: &str = "current-term-commit";
    /// A node uses the latest configuration in its log (§6, thesis §4.1).
    pub const CONFIG_IN_FORCE: &str = "config-in-force";
    /// Configurations follow each other by one server, or through C_old,new.
    pub const CONFIG_CHANGE_SHAPE: &str = "config-change-shape";
    /// A leader has at most one configuration change of its term in flight.
    pub const ONE_CHANGE_IN_FLIGHT: &str = "one-change-in-flight";
    /// A leader changes the configuration only after committing in its term.
    pub const CHANGE_AFTER_TERM_COMMIT: &str = "change-after-term-commit";
    /// A committed index is held by a quorum of the configuration that
    /// committed it (a majority of each half while joint).
    pub const COMMIT_QUORUM: &str = "commit-quorum";
    /// After the final heal every member converges on the last committed
    /// configuration.
    pub const CONFIG_CONVERGENCE: &str = "config-convergence";
}

/// A broken invariant: which one, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Violation {
    /// The invariant's name, one of [`names`] (harnesses may add their own).
    pub invariant: &'static str,
    /// What was observed, in a sentence.
    pub detail: String,
}

impl Violation {
    /// A violation of `invariant` described by `detail`.
    pub fn new(invariant: &'static str, detail: impl Into<String>) -> Self {
        Violation {
            invariant,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} violated: {}", self.invariant, self.detail)
    }
}

/// What kind of state a harness observes, which decides the checks that
/// are sound for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Vantage {
    /// The core's in-memory state, after every step: the log and the term
    /// are always consistent, and every entry is seen while it exists.
    #[default]
    EveryStep,
    /// Durable state sampled now and then: an entry can come and go (or be
    /// compacted into a snapshot) unseen, and after a crash that lost
    /// unsynced writes the log and the hard state can disagree for a while.
    Sampled,
}

/// What the invariants may look at in one node.
pub trait NodeView {
    /// The node's id.
    fn id(&self) -> NodeId;
    /// Its current term.
    fn term(&self) -> Term;
    /// Whether it currently believes it is the leader.
    fn is_leader(&self) -> bool;
    /// Its commit index.
    fn commit_index(&self) -> LogIndex;
    /// The index of its first stored entry (the snapshot's last index + 1).
    fn first_index(&self) -> LogIndex;
    /// Its last log index (the snapshot's when the log is empty).
    fn last_index(&self) -> LogIndex;
    /// The term at `index`, if the log (or its snapshot boundary) holds it.
    fn term_at(&self, index: LogIndex) -> Option<Term>;
    /// The entry at `index`, if the view exposes payloads (a sampled view of
    /// terms alone returns `None`, and payloads are then not compared).
    fn entry(&self, _index: LogIndex) -> Option<Entry> {
        None
    }
    /// The configuration the node has in force, if the view exposes it.
    fn membership(&self) -> Option<Membership> {
        None
    }
    /// The configuration in force just before its first stored entry (its
    /// snapshot's, else the one it was started with), if the view exposes it.
    fn base_membership(&self) -> Option<Membership> {
        None
    }
}

/// The shape of one log: the terms of its entries after its snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LogShape {
    /// The index just before the first stored entry (the snapshot's, or 0).
    pub base: LogIndex,
    /// The term at `base` (0 for the empty sentinel), if the node knows it.
    pub base_term: Option<Term>,
    /// `terms[k]` is the term of entry `base + 1 + k`.
    pub terms: Vec<Term>,
}

impl LogShape {
    /// The last index in the log.
    pub fn last(&self) -> LogIndex {
        self.base + self.terms.len() as u64
    }

    /// The term at `index` if it is `base` or a stored entry.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == self.base {
            self.base_term
        } else if index > self.base && index <= self.last() {
            Some(self.terms[(index - self.base - 1) as usize])
        } else {
            None
        }
    }

    /// Reads a view's terms from its first stored index to its last.
    pub fn scan(view: &dyn NodeView) -> Result<LogShape, Violation> {
        let id = view.id();
        let first = view.first_index();
        let last = view.last_index();
        if first == 0 || first > last + 1 {
            return Err(Violation::new(
                names::LOG_MATCHING,
                format!("node {id}: first index {first} does not fit last index {last}"),
            ));
        }
        let base = first - 1;
        let base_term = if base == 0 {
            Some(0)
        } else {
            view.term_at(base)
        };
        let mut terms = Vec::with_capacity((last - base) as usize);
        for index in first..=last {
            let term = view.term_at(index).ok_or_else(|| {
                Violation::new(
                    names::LOG_MATCHING,
                    format!("node {id}: term_at({index}) is None inside its log [{first}, {last}]"),
                )
            })?;
            terms.push(term);
        }
        Ok(LogShape {
            base,
            base_term,
            terms,
        })
    }
}

/// Every per-step invariant of an every-step harness together.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct Invariants {
    /// At most one leader per term.
    pub election: election::ElectionSafety,
    /// Same index and term imply the same entry and the same prefix.
    pub logs: log_matching::LogMatching,
    /// Commit and term indices never regress; committed entries agree.
    pub commits: commit::CommitTracker,
    /// Every index some node counted committed, and its entry.
    pub committed: committed::CommittedLog,
    /// All nodes reach the same state at each index.
    pub machines: state_machine::StateMachineSafety,
    /// Reads observe every acknowledged write.
    pub reads: reads::ReadCheck,
}

impl Invariants {
    /// Checks a live core after one of its steps (and its output) completed.
    pub fn after_step(&mut self, view: &dyn NodeView) -> Result<(), Violation> {
        self.election
            .observe(view.id(), view.term(), view.is_leader())?;
        let shape = self.logs.observe(view)?;
        self.commits
            .observe(view.id(), view.term(), view.commit_index())?;
        self.commits
            .observe_log(view, &shape, &mut self.committed)?;
        config::check_log(view, &shape)?;
        if view.is_leader() {
            leader_completeness::check(
                view.id(),
                view.term(),
                &shape,
                self.committed.range(shape.base + 1..),
            )?;
        }
        Ok(())
    }

    /// Forgets a node's volatile state: it crashed.
    pub fn node_crashed(&mut self, id: NodeId) {
        self.logs.forget(id);
        self.commits.forget(id);
        self.reads.forget_node(id);
    }
}
