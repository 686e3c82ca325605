//! Acknowledged data destroyed by the disk nemesis. Raft assumes stable
//! storage: a node that acknowledged log entries and later cannot read them
//! back (the disk-corruption fault flipped a byte of a synced record, so the
//! write-ahead log's recovery stops at a checksum mismatch and drops the
//! rest, or cannot open the log at all when a snapshot is corrupt) can
//! legitimately lose committed data, or stay down, together with a lagging
//! majority. A violation that follows such a loss is therefore not
//! attributable to the Raft implementation; [`DataLossTracker`] records when
//! it happened so the checkers can tell the two apart (the binary's
//! `run::checks` uses it).

use crate::cluster::SimCluster;
use faultline_raft::NodeId;
use std::collections::BTreeMap;
use std::time::Duration;

/// One node's restart that recovered less than it had synced (or could not
/// open its log), because the disk nemesis had corrupted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataLoss {
    /// The node.
    pub node: NodeId,
    /// Simulated time of the restart that found the corruption.
    pub time_ns: u64,
    /// What the log's recovery reported.
    pub note: String,
}

impl std::fmt::Display for DataLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "n{} lost synced log records to injected disk corruption at {:.3} s ({})",
            self.node,
            self.time_ns as f64 / 1e9,
            self.note
        )
    }
}

/// Watches restarts for recoveries cut short on corrupted disks.
#[derive(Debug, Default)]
pub struct DataLossTracker {
    starts: BTreeMap<NodeId, u64>,
    losses: Vec<DataLoss>,
}

impl DataLossTracker {
    /// Call after every simulation step.
    pub fn observe(&mut self, now: Duration, cluster: &SimCluster<'_>) {
        for (&id, h) in cluster.handles() {
            let (starts, note) = {
                let o = h.observation.lock();
                let note = o.recovery_note.clone().or_else(|| o.fatal_error.clone());
                (o.starts, note)
            };
            let seen = self.starts.insert(id, starts).unwrap_or(0);
            if starts <= seen || starts <= 1 {
                continue;
            }
            let corrupted = cluster.disk_faults(id).is_some_and(|d| d.injected().1 > 0);
            if let (Some(note), true) = (note, corrupted) {
                self.losses.push(DataLoss {
                    node: id,
                    time_ns: now.as_nanos() as u64,
                    note,
                });
            }
        }
    }

    /// Every loss seen, in time order.
    pub fn finish(self) -> Vec<DataLoss> {
        self.losses
    }
}
