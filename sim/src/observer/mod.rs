//! The cluster observer: after every simulation step it checks Raft's safety
//! properties across all nodes and records every violation with the
//! simulated time, the step and the nodes' states. The properties are
//! [`faultline_raft::invariants`], the same ones the core's randomized
//! harness checks; this module only feeds them what a turmoil node exposes
//! (its durable state, sampled: [`Vantage::Sampled`]).
//!
//! Checks that need only what changed since the last step (election safety,
//! state machine safety, term and commit monotonicity, durability of the
//! votes and acknowledgements each node sent, that every write a node
//! acknowledged to a client was committed, and lease safety) run on every
//! step, and so does the collection of what each node's driver found about
//! itself: the message rules of [`faultline_raft::invariants::rules`] and
//! read freshness, for which the observer hands every node the cluster's
//! highest commit index as the floor of the reads that arrive next;
//! checks that read whole logs (log matching, leader completeness) run every
//! `full_check_every_steps` steps and once more at the end.

mod view;

pub use view::{summaries, NodeView};

use faultline_raft::invariants::acks::{self, AckedWrite};
use faultline_raft::invariants::commit::CommitTracker;
use faultline_raft::invariants::committed::CommittedLog;
use faultline_raft::invariants::election::ElectionSafety;
use faultline_raft::invariants::leader_completeness;
use faultline_raft::invariants::leases::{LeaseSafety, LeaseView};
use faultline_raft::invariants::log_matching::LogMatching;
use faultline_raft::invariants::promises::{DurableLog, PromiseTracker};
use faultline_raft::invariants::state_machine::{self, Applied, StateCheckpoints};
use faultline_raft::invariants::{self, Vantage};
use faultline_raft::node::NodeHandles;
use faultline_raft::{LogIndex, NodeId, Role, Term};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One broken property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The property's name (one of [`invariants::names`]).
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
#[derive(Debug)]
pub struct Observer {
    config: ObserverConfig,
    steps: u64,
    election: ElectionSafety,
    commits: CommitTracker,
    committed: CommittedLog,
    logs: LogMatching,
    promises: PromiseTracker,
    leases: LeaseSafety,
    /// Each node's `starts` when last seen: a change is a restart.
    starts_of: BTreeMap<NodeId, u64>,
    /// The whole state machine's digest at each checkpoint index.
    states: StateCheckpoints,
    /// Each node's snapshot index when last seen: a new snapshot's last
    /// entry is checked against the committed entries.
    snapshot_of: BTreeMap<NodeId, LogIndex>,
    /// Per (leader, term), the committed indices already verified in its log.
    verified: BTreeMap<(NodeId, Term), LogIndex>,
    violations: Vec<Violation>,
}

impl Default for Observer {
    fn default() -> Self {
        Observer::new(ObserverConfig::default())
    }
}

impl Observer {
    /// An observer with the given tuning.
    pub fn new(config: ObserverConfig) -> Self {
        Observer {
            config,
            steps: 0,
            election: ElectionSafety::default(),
            commits: CommitTracker::default(),
            committed: CommittedLog::default(),
            logs: LogMatching::new(Vantage::Sampled),
            promises: PromiseTracker::default(),
            leases: LeaseSafety::default(),
            starts_of: BTreeMap::new(),
            snapshot_of: BTreeMap::new(),
            states: StateCheckpoints::default(),
            verified: BTreeMap::new(),
            violations: Vec::new(),
        }
    }

    /// Checks the cluster after one simulation step at simulated time `now`.
    /// `corrupted(id)` says whether the disk nemesis corrupted node `id`'s
    /// disk: a restart of such a node that recovered less than it synced is
    /// the environment's doing, not a broken promise.
    pub fn observe(
        &mut self,
        now: Duration,
        nodes: &BTreeMap<NodeId, NodeHandles>,
        corrupted: &dyn Fn(NodeId) -> bool,
    ) {
        self.steps += 1;
        let full = self
            .steps
            .is_multiple_of(self.config.full_check_every_steps.max(1));
        self.check(now, nodes, corrupted, full);
    }

    /// Runs every check, whole-log ones included (call once at the end).
    pub fn finish(
        &mut self,
        now: Duration,
        nodes: &BTreeMap<NodeId, NodeHandles>,
        corrupted: &dyn Fn(NodeId) -> bool,
    ) {
        self.check(now, nodes, corrupted, true);
    }

    fn check(
        &mut self,
        now: Duration,
        nodes: &BTreeMap<NodeId, NodeHandles>,
        corrupted: &dyn Fn(NodeId) -> bool,
        full: bool,
    ) {
        // The highest term and commit index any node reached: every read
        // that arrives from now on must see at least that commit.
        let (term_max, commit_max) = nodes.values().fold((0, 0), |(t, c), h| {
            let o = h.observation.lock();
            (t.max(o.hard_state.term), c.max(o.commit_index))
        });
        let mut found: Vec<invariants::Violation> = Vec::new();
        let mut acked = Vec::new();
        let mut lease_views = Vec::with_capacity(nodes.len());
        for h in nodes.values() {
            let (id, role, term, commit, applied, kept, snapshot) = {
                let mut o = h.observation.lock();
                o.commit_floor = o.commit_floor.max(commit_max);
                found.append(&mut o.local_violations);
                lease_views.push(LeaseView {
                    node: o.id,
                    term: o.hard_state.term,
                    leads_committed: o.running
                        && o.role == Role::Leader
                        && o.term_at(o.commit_index) == Some(o.hard_state.term),
                    lease_reads: o.lease_reads,
                    starts: o.starts,
                });
                let applied: Vec<_> = o.applied.drain(..).collect();
                let id = o.id;
                acked.extend(o.acked_writes.drain(..).map(|(index, term)| AckedWrite {
                    node: id,
                    index,
                    term,
                }));
                let restarted = self.starts_of.insert(id, o.starts) != Some(o.starts);
                if restarted {
                    self.commits.forget(id);
                    self.logs.forget(id);
                    let cut_short = o.recovery_note.is_some() || o.fatal_error.is_some();
                    if cut_short && corrupted(id) {
                        self.promises.forgive(id);
                    }
                }
                self.promises.promised(id, std::mem::take(&mut o.promised));
                let kept = self.promises.check(id, restarted, &o.hard_state, &*o);
                let snapshot = (o.snapshot_index, o.snapshot_term);
                (
                    id,
                    o.role,
                    o.hard_state.term,
                    o.commit_index,
                    applied,
                    kept,
                    snapshot,
                )
            };
            let (snapshot_index, snapshot_term) = snapshot;
            if snapshot_index > 0
                && self.snapshot_of.insert(id, snapshot_index) != Some(snapshot_index)
            {
                found.extend(
                    state_machine::snapshot_held(
                        id,
                        snapshot_index,
                        snapshot_term,
                        term_max,
                        &mut self.committed,
                    )
                    .err(),
                );
            }
            found.extend(kept.err());
            found.extend(self.election.observe(id, term, role == Role::Leader).err());
            for e in applied {
                if let Some(state) = e.state {
                    found.extend(self.states.record(id, e.index, state).err());
                }
                let e = Applied {
                    node: id,
                    index: e.index,
                    term: e.term,
                    digest: e.digest,
                    term_max_seen: term_max,
                };
                found.extend(state_machine::applied(e, &mut self.committed).err());
            }
            found.extend(self.commits.observe(id, term, commit).err());
        }
        self.check_acks(nodes, &acked, &mut found);
        found.extend(self.leases.observe(&lease_views));
        let mut views = None;
        if full || !found.is_empty() {
            let v: Vec<NodeView> = nodes
                .values()
                .map(|h| NodeView::of(&h.observation.lock()))
                .collect();
            if full {
                self.check_logs(&v, &mut found);
            }
            views = Some(v);
        }
        self.record(now, found, views.as_deref());
    }

    /// Every write acknowledged this step is committed: synced by a
    /// majority, and the committed entry at its index ([`acks`]).
    fn check_acks(
        &self,
        nodes: &BTreeMap<NodeId, NodeHandles>,
        acked: &[AckedWrite],
        found: &mut Vec<invariants::Violation>,
    ) {
        if acked.is_empty() {
            return;
        }
        let observations: Vec<_> = nodes.values().map(|h| h.observation.lock()).collect();
        let synced: Vec<_> = observations.iter().map(|o| o.synced()).collect();
        for &ack in acked {
            let logs = synced.iter().map(|l| l as &dyn DurableLog);
            if let Err(v) = acks::check(ack, logs, &self.committed) {
                found.push(v);
                return;
            }
        }
    }

    /// The whole-log checks: log matching on every log, leader completeness
    /// on every running leader's.
    fn check_logs(&mut self, views: &[NodeView], found: &mut Vec<invariants::Violation>) {
        for v in views {
            if let Err(violation) = self.logs.observe_shape(v, &v.shape) {
                found.push(violation);
                break;
            }
        }
        for v in views.iter().filter(|v| v.running && v.role == Role::Leader) {
            let key = (v.id, v.term);
            let from = self.verified.get(&key).copied().unwrap_or(0);
            let unchecked = self.committed.range(from + 1..);
            let upto = match leader_completeness::first_missing(v.id, v.term, &v.shape, unchecked) {
                Some((index, violation)) => {
                    found.push(violation);
                    index
                }
                None => self.committed.max_index().max(from),
            };
            self.verified.insert(key, upto);
        }
    }

    fn record(
        &mut self,
        now: Duration,
        found: Vec<invariants::Violation>,
        views: Option<&[NodeView]>,
    ) {
        for violation in found {
            if self.violations.len() >= self.config.max_violations {
                break;
            }
            let nodes = views
                .map(|v| v.iter().map(NodeView::summary).collect())
                .unwrap_or_default();
            self.violations.push(Violation {
                property: violation.invariant,
                time_ns: now.as_nanos().min(u128::from(u64::MAX)) as u64,
                step: self.steps,
                detail: violation.detail,
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
        self.committed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_raft::node::TokioClock;
    use std::sync::Arc;

    fn cluster(n: NodeId) -> BTreeMap<NodeId, NodeHandles> {
        (1..=n)
            .map(|id| (id, NodeHandles::new(id, Arc::new(TokioClock::new()))))
            .collect()
    }

    #[test]
    fn every_node_gets_the_cluster_commit_floor_and_its_own_findings_are_recorded() {
        let nodes = cluster(3);
        nodes[&2].observation.lock().commit_index = 7;
        let mut observer = Observer::default();
        let never = |_: NodeId| false;
        observer.observe(Duration::from_secs(1), &nodes, &never);
        for h in nodes.values() {
            assert_eq!(h.observation.lock().commit_floor, 7);
        }
        assert!(observer.violations().is_empty());
        let found = invariants::Violation::new(invariants::names::TERM_ADOPTION, "n3 stayed");
        nodes[&3]
            .observation
            .lock()
            .record_local_violations(vec![found]);
        observer.observe(Duration::from_secs(2), &nodes, &never);
        let v = observer.violations();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].property, invariants::names::TERM_ADOPTION);
        assert_eq!(v[0].time_ns, 2_000_000_000);
        assert!(nodes[&3].observation.lock().local_violations.is_empty());
        observer.observe(Duration::from_secs(3), &nodes, &never);
        assert_eq!(observer.violations().len(), 1, "drained, recorded once");
    }
}
