//! The safety properties the randomized harness checks after every step,
//! one file per property. They observe cores only through [`NodeView`], so
//! each property can also be fed hand-made observations (see the
//! `*_flags_*` tests in `randomized.rs`) to prove that it can fail.

pub mod commit;
pub mod durability;
pub mod election;
pub mod leader_completeness;
pub mod log_matching;
pub mod reads;
pub mod state_machine;

use faultline_raft::{Entry, LogIndex, NodeId, Term};
use std::fmt;

/// A broken invariant: which one, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The invariant's name, e.g. `election safety`.
    pub invariant: &'static str,
    /// What was observed.
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

/// What the invariants may look at in one core.
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
    /// The entry at `index`, if the log holds it.
    fn entry(&self, index: LogIndex) -> Option<Entry>;
}

/// The shape of one log as the log-matching check scanned it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogShape {
    /// The index just before the first stored entry (the snapshot's, or 0).
    pub base: LogIndex,
    /// The term at `base` (0 for the empty sentinel), if the core knows it.
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
}

/// Every invariant together, fed by the cluster driver.
#[derive(Debug, Default)]
pub struct Invariants {
    /// At most one leader per term.
    pub election: election::ElectionSafety,
    /// Same index and term imply the same entry and the same prefix.
    pub logs: log_matching::LogMatching,
    /// Commit indices never regress and agree on committed entries.
    pub commits: commit::CommitTracker,
    /// All nodes apply the same sequence.
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
        self.commits.observe(view, &shape)?;
        leader_completeness::check(view, &shape, &self.commits)
    }

    /// Forgets a node's volatile state: it crashed.
    pub fn node_crashed(&mut self, id: NodeId) {
        self.logs.forget(id);
        self.commits.forget(id);
        self.reads.forget_node(id);
    }
}
