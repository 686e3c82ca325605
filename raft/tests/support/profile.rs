//! What one seed's run looks like: cluster size, core configuration and how
//! hostile the environment is, all drawn from the seed so that the suite of
//! seeds covers calm and stormy runs, tiny and large batches, with and
//! without pre-vote and check-quorum.

use super::network::NetFaults;
use faultline_raft::{Config, NodeId, ReadMode};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Relative weights of the actions taken when no message is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionWeights {
    /// Advance the clock one tick on every live node.
    pub tick: u32,
    /// A client proposes at a random live node.
    pub propose: u32,
    /// A client asks a random live node for a read index.
    pub read: u32,
    /// A random live node's application takes a snapshot.
    pub snapshot: u32,
    /// The leader is asked to transfer leadership.
    pub transfer: u32,
    /// A random live node crashes.
    pub crash: u32,
    /// The network is partitioned.
    pub partition: u32,
    /// A node receives a message from outside the cluster (or misaddressed).
    pub garbage: u32,
    /// The leader is asked for a configuration change.
    pub membership: u32,
}

/// The parameters of one run.
#[derive(Debug, Clone)]
pub struct RunProfile {
    /// The initial voters' ids (1..=n).
    pub nodes: Vec<NodeId>,
    /// Ids of nodes that start outside the configuration (empty, with no
    /// configuration) and may be added by membership changes.
    pub spares: Vec<NodeId>,
    /// The configuration shared by every node (its `id` is overwritten).
    pub config: Config,
    /// Network faults during the fault phase.
    pub faults: NetFaults,
    /// Per-link queue bound.
    pub queue_capacity: usize,
    /// Chance (per mille) that a loop iteration delivers a message when one is ready.
    pub deliver_per_mille: u32,
    /// The action mix.
    pub weights: ActionWeights,
    /// Length of the fault phase in ticks.
    pub fault_ticks: u64,
    /// A crashed node restarts after a uniform number of ticks in this range.
    pub down_ticks: (u64, u64),
    /// A partition heals after a uniform number of ticks in this range.
    pub partition_ticks: (u64, u64),
    /// An application snapshots only once it applied this many entries past its last one.
    pub snapshot_min_entries: u64,
    /// A proposal action sends between 1 and this many proposals.
    pub proposal_batch_max: u32,
    /// Proposal payload size range in bytes.
    pub payload_bytes: (usize, usize),
}

impl RunProfile {
    /// Draws a profile from the run's RNG.
    pub fn draw(rng: &mut ChaCha8Rng) -> Self {
        let node_count = rng.gen_range(3..=5u64);
        let mut config = Config::new(1);
        // A quarter of the runs use tight timing (election timeouts close to
        // the message delay): elections are frequent and often split, which
        // is where vote-handling bugs show.
        let tight = rng.gen_bool(0.25);
        config.election_ticks = if tight {
            rng.gen_range(3..=6)
        } else {
            rng.gen_range(8..=16)
        };
        config.heartbeat_ticks = if tight { 1 } else { rng.gen_range(1..=3) };
        config.pre_vote = rng.gen_bool(0.75);
        config.check_quorum = rng.gen_bool(0.75);
        config.max_entries_per_msg = rng.gen_range(1..=8);
        config.max_bytes_per_msg = rng.gen_range(64..=1024);
        config.max_inflight_msgs = rng.gen_range(1..=4);
        config.snapshot_chunk_bytes = rng.gen_range(16..=96);
        config.read_mode = if rng.gen_bool(0.25) {
            ReadMode::Lease
        } else {
            ReadMode::ReadIndex
        };
        config.lease_drift_ticks = rng.gen_range(1..=3);
        config.max_uncommitted_entries = rng.gen_range(8..=64);
        let calm = rng.gen_bool(0.2);
        let faults = if calm {
            NetFaults {
                drop_per_mille: 0,
                duplicate_per_mille: 0,
                reorder_per_mille: rng.gen_range(0..=200),
                delay_ticks_max: rng.gen_range(0..=1),
            }
        } else {
            NetFaults {
                drop_per_mille: rng.gen_range(0..=150),
                duplicate_per_mille: rng.gen_range(0..=100),
                reorder_per_mille: rng.gen_range(0..=500),
                delay_ticks_max: rng.gen_range(0..=3),
            }
        };
        let weights = ActionWeights {
            tick: 100,
            propose: rng.gen_range(10..=40),
            read: rng.gen_range(0..=10),
            snapshot: rng.gen_range(4..=16),
            transfer: rng.gen_range(0..=2),
            crash: if calm { 0 } else { rng.gen_range(0..=3) },
            partition: if calm { 0 } else { rng.gen_range(0..=3) },
            garbage: rng.gen_range(0..=2),
            membership: 0,
        };
        // Drawn last, so the draws above are those of runs without
        // membership changes. A fifth of the runs change nothing.
        let weights = ActionWeights {
            membership: rng.gen_range(0..=4),
            ..weights
        };
        let spare_count = 2;
        config.member_id_max = Some(node_count + spare_count);
        RunProfile {
            nodes: (1..=node_count).collect(),
            spares: (node_count + 1..=node_count + spare_count).collect(),
            config,
            faults,
            queue_capacity: rng.gen_range(8..=32),
            deliver_per_mille: 850,
            weights,
            fault_ticks: 600,
            down_ticks: (5, 60),
            partition_ticks: (5, 80),
            snapshot_min_entries: rng.gen_range(3..=20),
            proposal_batch_max: rng.gen_range(1..=6),
            payload_bytes: (1, 48),
        }
    }

    /// The configuration of node `id`.
    pub fn config_for(&self, id: NodeId) -> Config {
        let mut config = self.config.clone();
        config.id = id;
        config
    }
}
