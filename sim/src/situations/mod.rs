//! Coverage of situations: which interesting situations a run reached, how
//! often, and when first. A profile that never reaches one is blind to the
//! bugs that need it, whatever its verdicts say.
//!
//! [`SituationTracker`] samples every node's observation and counters after
//! each simulation step (cheap scalars only) and compares each sample with
//! the previous one; [`history`] adds what only the history shows. The
//! names, and what each means, are [`names`]. Everything is counted in
//! simulated time from ordered collections, so a seed counts the same every
//! time. Sampling is per step: a state that begins and ends between two
//! samples is not seen.

pub mod history;

use faultline_checker::SituationCount;
use faultline_raft::node::NodeHandles;
use faultline_raft::{LogIndex, NodeId, Role, Term};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The situations, by name (kebab-case; `results.json`'s `situations` keys).
pub mod names {
    /// A leader was elected in a new term while some node's log held
    /// entries beyond the highest commit index any node knew (sampled the
    /// step before the new leader appeared, so its own no-op is not counted).
    /// Once per new leader term.
    pub const LEADER_CHANGE_WITH_UNCOMMITTED: &str = "leader-change-with-uncommitted";
    /// A running, unpaused node still believed it led an older term while
    /// another running node led a higher one. Once per (node, term).
    pub const DEPOSED_LEADER_SERVING: &str = "deposed-leader-serving";
    /// Two running nodes believed they led, in different terms, at the same
    /// step (a paused one still believes). Once per pair of (node, term).
    pub const TWO_LEADERS: &str = "two-leaders";
    /// A node's durable append replaced a held entry of another term: a
    /// follower truncated a conflicting suffix. Once per such append.
    pub const LOG_TRUNCATED_ON_CONFLICT: &str = "log-truncated-on-conflict";
    /// A follower restored a snapshot sent by a leader (InstallSnapshot).
    pub const SNAPSHOT_INSTALLED: &str = "snapshot-installed";
    /// A node took an application snapshot (and compacted its log).
    pub const SNAPSHOT_TAKEN: &str = "snapshot-taken";
    /// The KV state machine did not apply a committed command again because
    /// its session had seen the sequence number (a client retry was
    /// deduplicated). Counted per replica that refused it.
    pub const RETRY_DEDUPLICATED: &str = "retry-deduplicated";
    /// A client read completed `ok` while a partition was in effect (between
    /// the history's `start-partition` and its `stop-partition` or
    /// `stop-all`).
    pub const READ_DURING_PARTITION: &str = "read-during-partition";
    /// A node restarted and its log's recovery stopped early, discarding a
    /// torn or corrupt tail (the recovery note of the WAL).
    pub const RESTART_WITH_TORN_TAIL: &str = "restart-with-torn-tail";
    /// A node that believed it led went down (crashed or stopped).
    pub const LEADER_CRASHED: &str = "leader-crashed";

    /// Every situation, in the order tables list them.
    pub const ALL: &[&str] = &[
        LEADER_CHANGE_WITH_UNCOMMITTED,
        DEPOSED_LEADER_SERVING,
        TWO_LEADERS,
        LOG_TRUNCATED_ON_CONFLICT,
        SNAPSHOT_INSTALLED,
        SNAPSHOT_TAKEN,
        RETRY_DEDUPLICATED,
        READ_DURING_PARTITION,
        RESTART_WITH_TORN_TAIL,
        LEADER_CRASHED,
    ];
}

/// One node as the tracker samples it after a step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeSample {
    /// The node.
    pub id: NodeId,
    /// Its driver runs.
    pub running: bool,
    /// Its pause gate holds it.
    pub paused: bool,
    /// Its core's role is leader.
    pub leader: bool,
    /// Its current term.
    pub term: Term,
    /// Its commit index.
    pub commit: LogIndex,
    /// Its durable log's last index.
    pub last_index: LogIndex,
    /// How many times it started.
    pub starts: u64,
    /// Its last recovery stopped early (a recovery note).
    pub recovery_cut: bool,
    /// Conflict truncations so far.
    pub conflict_truncations: u64,
    /// Snapshots taken so far.
    pub snapshots_taken: u64,
    /// Snapshots installed so far.
    pub snapshots_installed: u64,
    /// Retries deduplicated so far.
    pub retries_deduplicated: u64,
}

impl NodeSample {
    /// Samples one node's observation and counters.
    pub fn of(h: &NodeHandles) -> Self {
        let stats = &h.stats;
        let o = h.observation.lock();
        NodeSample {
            id: o.id,
            running: o.running,
            paused: o.paused,
            leader: o.role == Role::Leader,
            term: o.hard_state.term,
            commit: o.commit_index,
            last_index: o.last_index,
            starts: o.starts,
            recovery_cut: o.recovery_note.is_some(),
            conflict_truncations: o.conflict_truncations,
            snapshots_taken: stats.snapshots_taken.load(Ordering::Relaxed),
            snapshots_installed: stats.snapshots_installed.load(Ordering::Relaxed),
            retries_deduplicated: stats.retries_deduplicated.load(Ordering::Relaxed),
        }
    }
}

/// Counts situations step by step (see the module docs).
#[derive(Debug, Default)]
pub struct SituationTracker {
    previous: BTreeMap<NodeId, NodeSample>,
    leader_term_max: Term,
    leader_pairs: BTreeSet<(NodeId, Term, NodeId, Term)>,
    deposed: BTreeSet<(NodeId, Term)>,
    counts: BTreeMap<&'static str, SituationCount>,
}

impl SituationTracker {
    /// Samples every node after a step at simulated time `now`.
    pub fn observe(&mut self, now: Duration, nodes: &BTreeMap<NodeId, NodeHandles>) {
        let samples: Vec<NodeSample> = nodes.values().map(NodeSample::of).collect();
        self.observe_samples(now.as_millis() as u64, &samples);
    }

    /// Compares one step's samples (one per node) with the previous step's.
    pub fn observe_samples(&mut self, now_ms: u64, samples: &[NodeSample]) {
        self.leaders(now_ms, samples);
        for s in samples {
            let before = self.previous.get(&s.id).copied().unwrap_or(NodeSample {
                id: s.id,
                ..NodeSample::default()
            });
            if before != *s {
                self.node(now_ms, &before, s);
                self.previous.insert(s.id, *s);
            }
        }
    }

    fn add(&mut self, name: &'static str, n: u64, at_ms: u64) {
        if n > 0 {
            self.counts.entry(name).or_default().add(n, at_ms);
        }
    }

    /// New leader terms, two leaders, deposed leaders.
    fn leaders(&mut self, now_ms: u64, samples: &[NodeSample]) {
        let believers: Vec<&NodeSample> =
            samples.iter().filter(|s| s.running && s.leader).collect();
        let newest = believers.iter().map(|s| s.term).max().unwrap_or(0);
        if newest > self.leader_term_max {
            self.leader_term_max = newest;
            let commit_max = self.previous.values().map(|p| p.commit).max().unwrap_or(0);
            if self.previous.values().any(|p| p.last_index > commit_max) {
                self.add(names::LEADER_CHANGE_WITH_UNCOMMITTED, 1, now_ms);
            }
        }
        for old in &believers {
            for new in believers.iter().filter(|n| n.term > old.term) {
                if self
                    .leader_pairs
                    .insert((old.id, old.term, new.id, new.term))
                {
                    self.add(names::TWO_LEADERS, 1, now_ms);
                }
            }
            let outranked = believers.iter().any(|n| n.term > old.term);
            if outranked && !old.paused && self.deposed.insert((old.id, old.term)) {
                self.add(names::DEPOSED_LEADER_SERVING, 1, now_ms);
            }
        }
    }

    /// One node's restarts, crashes and counters since its previous sample.
    fn node(&mut self, now_ms: u64, before: &NodeSample, now: &NodeSample) {
        if now.starts > before.starts && now.starts > 1 && now.recovery_cut {
            self.add(names::RESTART_WITH_TORN_TAIL, 1, now_ms);
        }
        if before.running && before.leader && !now.running {
            self.add(names::LEADER_CRASHED, 1, now_ms);
        }
        let grew = |f: fn(&NodeSample) -> u64| f(now).saturating_sub(f(before));
        let deltas = [
            (
                names::LOG_TRUNCATED_ON_CONFLICT,
                grew(|s| s.conflict_truncations),
            ),
            (names::SNAPSHOT_TAKEN, grew(|s| s.snapshots_taken)),
            (names::SNAPSHOT_INSTALLED, grew(|s| s.snapshots_installed)),
            (names::RETRY_DEDUPLICATED, grew(|s| s.retries_deduplicated)),
        ];
        for (name, n) in deltas {
            self.add(name, n, now_ms);
        }
    }

    /// Every situation (each name of [`names::ALL`], reached or not), with
    /// those only the `history` shows added.
    pub fn finish(
        self,
        history: &faultline_checker::history::History,
    ) -> BTreeMap<String, SituationCount> {
        let mut all: BTreeMap<String, SituationCount> = names::ALL
            .iter()
            .map(|&n| (n.to_string(), SituationCount::default()))
            .collect();
        for (name, count) in self.counts {
            all.insert(name.to_string(), count);
        }
        all.insert(
            names::READ_DURING_PARTITION.to_string(),
            history::reads_during_partition(history),
        );
        all
    }
}

#[cfg(test)]
mod tests;
