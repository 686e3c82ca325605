//! The cluster observer: after every simulation step it checks Raft's safety
//! properties across all nodes (one file per property) and records every
//! violation with the simulated time, the step and the nodes' states.
//!
//! Checks that need only what changed since the last step (election safety,
//! state machine safety, commit monotonicity) run on every step; checks that
//! compare whole logs (log matching, leader completeness) run every
//! `full_check_every_steps` steps and once more at the end, on a run-length
//! encoding of each log's terms, so a long run stays fast.

mod commit_monotonic;
mod election_safety;
mod leader_completeness;
mod log_matching;
mod state_machine_safety;

use faultline_raft::node::{NodeHandles, NodeObservation};
use faultline_raft::{LogIndex, NodeId, Role, Term};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One broken property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The property's name (`election-safety`, `log-matching`, ...).
    pub property: &'static str,
    /// Simulated time of the step that revealed it.
    pub time_ns: u64,
    /// The simulation step that revealed it.
    pub step: u64,
    /// What is wrong, in a sentence.
    pub detail: String,
    /// Each node's state at that moment, one line per node.
    pub nodes: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} violated at {:.3} s (step {}): {}",
            self.property,
            self.time_ns as f64 / 1e9,
            self.step,
            self.detail
        )?;
        for n in &self.nodes {
            write!(f, "\n    {n}")?;
        }
        Ok(())
    }
}

/// A node's state as the whole-log checks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    /// The node.
    pub id: NodeId,
    /// Whether its driver runs.
    pub running: bool,
    /// Its role.
    pub role: Role,
    /// Its current term.
    pub term: Term,
    /// Its commit index.
    pub commit: LogIndex,
    /// Its applied index.
    pub applied: LogIndex,
    /// How many times it started.
    pub starts: u64,
    /// The last index covered by its durable snapshot.
    pub snapshot_index: LogIndex,
    /// Its durable log's last index.
    pub last_index: LogIndex,
    /// Its durable log as runs `(term, first index, last index)`, ascending;
    /// the snapshot's last entry is the first run when a snapshot exists.
    pub runs: Vec<(Term, LogIndex, LogIndex)>,
}

impl NodeView {
    fn of(o: &NodeObservation) -> Self {
        let mut runs: Vec<(Term, LogIndex, LogIndex)> = Vec::new();
        if o.snapshot_index > 0 {
            runs.push((o.snapshot_term, o.snapshot_index, o.snapshot_index));
        }
        for (offset, &term) in o.log_terms.iter().enumerate() {
            let index = o.snapshot_index + 1 + offset as u64;
            match runs.last_mut() {
                Some(last) if last.0 == term && last.2 + 1 == index => last.2 = index,
                _ => runs.push((term, index, index)),
            }
        }
        NodeView {
            id: o.id,
            running: o.running,
            role: o.role,
            term: o.hard_state.term,
            commit: o.commit_index,
            applied: o.applied_index,
            starts: o.starts,
            snapshot_index: o.snapshot_index,
            last_index: o.last_index,
            runs,
        }
    }

    /// The term of the durable entry at `index` (or the snapshot's last), if held.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        let pos = self.runs.partition_point(|r| r.2 < index);
        self.runs
            .get(pos)
            .filter(|r| r.1 <= index && index <= r.2)
            .map(|r| r.0)
    }

    fn summary(&self) -> String {
        let runs: Vec<String> = self
            .runs
            .iter()
            .map(|(t, a, b)| format!("t{t}:{a}..={b}"))
            .collect();
        format!(
            "n{} {}{:?} term={} commit={} applied={} snapshot={} last={} starts={} log=[{}]",
            self.id,
            if self.running { "" } else { "DOWN " },
            self.role,
            self.term,
            self.commit,
            self.applied,
            self.snapshot_index,
            self.last_index,
            self.starts,
            runs.join(" ")
        )
    }
}

/// Observer tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObserverConfig {
    /// Run the whole-log checks every this many steps (at least 1).
    pub full_check_every_steps: u64,
    /// Stop recording after this many violations (the run is already invalid).
    pub max_violations: usize,
}

impl Default for ObserverConfig {
    fn default() -> Self {
        ObserverConfig {
            full_check_every_steps: 25,
            max_violations: 32,
        }
    }
}

/// Checks Raft's safety properties across a cluster, step by step.
#[derive(Debug, Default)]
pub struct Observer {
    config: ObserverConfig,
    steps: u64,
    election: election_safety::ElectionSafety,
    applied: state_machine_safety::StateMachineSafety,
    commits: commit_monotonic::CommitMonotonic,
    completeness: leader_completeness::LeaderCompleteness,
    violations: Vec<Violation>,
}

impl Observer {
    /// An observer with the given tuning.
    pub fn new(config: ObserverConfig) -> Self {
        Observer {
            config,
            ..Observer::default()
        }
    }

    /// Checks the cluster after one simulation step at simulated time `now`.
    pub fn observe(&mut self, now: Duration, nodes: &BTreeMap<NodeId, NodeHandles>) {
        self.steps += 1;
        let full = self
            .steps
            .is_multiple_of(self.config.full_check_every_steps.max(1));
        self.check(now, nodes, full);
    }

    /// Runs every check, whole-log ones included (call once at the end).
    pub fn finish(&mut self, now: Duration, nodes: &BTreeMap<NodeId, NodeHandles>) {
        self.check(now, nodes, true);
    }

    fn check(&mut self, now: Duration, nodes: &BTreeMap<NodeId, NodeHandles>, full: bool) {
        let max_term = nodes
            .values()
            .map(|h| h.observation.lock().hard_state.term)
            .max()
            .unwrap_or(0);
        let mut found: Vec<(&'static str, String)> = Vec::new();
        for h in nodes.values() {
            let (id, role, term, commit, starts, applied) = {
                let mut o = h.observation.lock();
                let applied: Vec<_> = o.applied.drain(..).collect();
                (
                    o.id,
                    o.role,
                    o.hard_state.term,
                    o.commit_index,
                    o.starts,
                    applied,
                )
            };
            if role == Role::Leader {
                found.extend(
                    self.election
                        .leader(id, term)
                        .map(|d| ("election-safety", d)),
                );
            }
            for e in applied {
                found.extend(
                    self.applied
                        .applied(id, e, max_term)
                        .map(|d| ("state-machine-safety", d)),
                );
            }
            found.extend(
                self.commits
                    .commit(id, starts, commit)
                    .map(|d| ("commit-monotonic", d)),
            );
        }
        let mut views = None;
        if full || !found.is_empty() {
            let v: Vec<NodeView> = nodes
                .values()
                .map(|h| NodeView::of(&h.observation.lock()))
                .collect();
            if full {
                found.extend(log_matching::check(&v).map(|d| ("log-matching", d)));
                found.extend(
                    self.completeness
                        .check(&v, self.applied.committed())
                        .into_iter()
                        .map(|d| ("leader-completeness", d)),
                );
            }
            views = Some(v);
        }
        for (property, detail) in found {
            if self.violations.len() >= self.config.max_violations {
                break;
            }
            let nodes = views
                .as_ref()
                .map(|v| v.iter().map(NodeView::summary).collect())
                .unwrap_or_default();
            self.violations.push(Violation {
                property,
                time_ns: now.as_nanos().min(u128::from(u64::MAX)) as u64,
                step: self.steps,
                detail,
                nodes,
            });
        }
    }

    /// Every violation recorded so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// How many steps were observed.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// How many distinct log indices were seen applied (and so committed).
    pub fn committed_entries(&self) -> usize {
        self.applied.committed().len()
    }
}
