//! The core's inputs, the answers it gives to proposals and reads, and its
//! configuration. The effects it asks for are in [`crate::core::output`].

use crate::bugs::BugSet;
use crate::types::{LogIndex, Message, NodeId, Snapshot, Term};
use serde::{Deserialize, Serialize};

/// How linearizable reads are confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReadMode {
    /// The leader confirms it is still leader with a round of heartbeats to a
    /// quorum before serving the read (Raft thesis §6.4).
    #[default]
    ReadIndex,
    /// The leader serves reads without a round trip while its lease holds; the
    /// lease is the election timeout minus `Config::lease_drift_ticks`
    /// (Raft thesis §6.4.1). Only safe under bounded clock drift.
    Lease,
}

/// Static configuration of one core. Times are in logical ticks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// This node's id.
    pub id: NodeId,
    /// Base election timeout `T`; each timeout is drawn uniformly from `[T, 2T)`.
    pub election_ticks: u64,
    /// A leader sends heartbeats every this many ticks.
    pub heartbeat_ticks: u64,
    /// Run a pre-vote round before starting a real election.
    pub pre_vote: bool,
    /// A leader that has not heard from a quorum for an election timeout steps down.
    pub check_quorum: bool,
    /// At most this many entries per AppendEntries.
    pub max_entries_per_msg: usize,
    /// At most about this many bytes of entries per AppendEntries.
    pub max_bytes_per_msg: usize,
    /// At most this many unacknowledged AppendEntries in flight per follower.
    pub max_inflight_msgs: usize,
    /// Snapshot chunk size for InstallSnapshot.
    pub snapshot_chunk_bytes: usize,
    /// How reads are confirmed.
    pub read_mode: ReadMode,
    /// Clock-drift bound subtracted from the election timeout to get the lease.
    pub lease_drift_ticks: u64,
    /// At most this many proposals waiting in the leader's log beyond the
    /// commit index; more are refused as `Overloaded` (a bound, not a hang).
    pub max_uncommitted_entries: usize,
    /// Draw each election timeout at random from `[T, 2T)` (the default).
    /// `false` fixes it at `T` and never draws from the RNG: for an
    /// exhaustive explorer of the core, where the timeout firing is itself
    /// the choice point and no hidden randomness may steer the core.
    #[serde(default = "election_jitter_default", skip_serializing_if = "is_true")]
    pub election_jitter: bool,
    /// Seeded bugs switched on ([`crate::bugs`]; empty: correct Raft).
    #[serde(default, skip_serializing_if = "BugSet::is_empty")]
    pub bugs: BugSet,
}

impl Config {
    /// Defaults suited to a 10 ms tick: 1 s election timeout base, 100 ms heartbeat.
    pub fn new(id: NodeId) -> Self {
        Config {
            id,
            election_ticks: 100,
            heartbeat_ticks: 10,
            pre_vote: true,
            check_quorum: true,
            max_entries_per_msg: 64,
            max_bytes_per_msg: 64 * 1024,
            max_inflight_msgs: 8,
            snapshot_chunk_bytes: 16 * 1024,
            read_mode: ReadMode::ReadIndex,
            lease_drift_ticks: 20,
            max_uncommitted_entries: 4096,
            election_jitter: true,
            bugs: BugSet::NONE,
        }
    }
}

/// The serde default of [`Config::election_jitter`] (configs written
/// before the field existed had jitter).
fn election_jitter_default() -> bool {
    true
}

/// Leaves the default [`Config::election_jitter`] out of serialized configs.
fn is_true(value: &bool) -> bool {
    *value
}

impl Config {
    /// Checks every value is in range: a non-zero id, `1 <= heartbeat_ticks <
    /// election_ticks`, and non-zero batch, window and chunk sizes.
    pub fn validate(&self) -> Result<(), crate::core::error::CoreError> {
        let fail = |what: &str| {
            Err(crate::core::error::CoreError::InvalidConfig(
                what.to_string(),
            ))
        };
        if self.id == 0 {
            return fail("id must not be 0");
        }
        if self.election_ticks < 2 {
            return fail("election_ticks must be at least 2");
        }
        if self.heartbeat_ticks == 0 || self.heartbeat_ticks >= self.election_ticks {
            return fail("heartbeat_ticks must be in [1, election_ticks)");
        }
        if self.max_entries_per_msg == 0 || self.max_bytes_per_msg == 0 {
            return fail("max_entries_per_msg and max_bytes_per_msg must be positive");
        }
        if self.max_inflight_msgs == 0 {
            return fail("max_inflight_msgs must be positive");
        }
        if self.snapshot_chunk_bytes == 0 {
            return fail("snapshot_chunk_bytes must be positive");
        }
        if self.max_uncommitted_entries == 0 {
            return fail("max_uncommitted_entries must be positive");
        }
        if !self.bugs.is_empty() && !crate::bugs::CATALOGUE_COMPILED {
            return fail("bugs are switched on but this build has no bug catalogue (cargo feature `bug-catalogue`)");
        }
        Ok(())
    }

    /// This configuration with out-of-range values clamped to the nearest
    /// valid one (what [`crate::Raft::new`] and [`crate::Raft::restore`] use).
    pub fn normalized(mut self) -> Config {
        self.election_ticks = self.election_ticks.max(2);
        self.heartbeat_ticks = self.heartbeat_ticks.clamp(1, self.election_ticks - 1);
        self.max_entries_per_msg = self.max_entries_per_msg.max(1);
        self.max_bytes_per_msg = self.max_bytes_per_msg.max(1);
        self.max_inflight_msgs = self.max_inflight_msgs.max(1);
        self.snapshot_chunk_bytes = self.snapshot_chunk_bytes.max(1);
        self.max_uncommitted_entries = self.max_uncommitted_entries.max(1);
        self
    }
}

/// An event fed to the core with [`crate::Raft::step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// One logical clock tick.
    Tick,
    /// A message from a peer.
    Message(Message),
    /// Append an application command; `id` is echoed in a [`ProposalResult`].
    Propose {
        /// The caller's id for this proposal.
        id: u64,
        /// The command bytes.
        data: Vec<u8>,
    },
    /// Ask for a linearizable read point; answered with a [`ReadResult`].
    Read {
        /// The caller's id for this read.
        id: u64,
    },
    /// Entries up to `index` of term `term` (and every hard state and
    /// snapshot handed out before them) are now durable.
    Persisted {
        /// The last durable index.
        index: LogIndex,
        /// The term of the entry at `index`.
        term: Term,
    },
    /// The application took a snapshot covering the applied prefix up to
    /// `snapshot.meta.last_index`; the core compacts its log to it.
    SnapshotTaken {
        /// The snapshot (its data is kept to send to lagging followers).
        snapshot: Snapshot,
    },
    /// Hand leadership to `to` (Raft thesis §3.10).
    TransferLeadership {
        /// The target node.
        to: NodeId,
    },
}

/// What happened to a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProposalOutcome {
    /// Appended to the leader's log at `index` in `term`; it commits later (or
    /// is overwritten if leadership is lost: watch the applied entries).
    Appended {
        /// Where the entry was appended.
        index: LogIndex,
        /// The leader's term.
        term: Term,
    },
    /// This node is not the leader; `leader_hint` is the leader it knows of.
    NotLeader {
        /// The current leader if known.
        leader_hint: Option<NodeId>,
    },
    /// Too many uncommitted entries or a leadership transfer is in progress.
    Overloaded,
}

/// The answer to one [`Input::Propose`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalResult {
    /// The proposal's id.
    pub id: u64,
    /// What happened.
    pub outcome: ProposalOutcome,
}

/// What happened to a read request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadOutcome {
    /// Serve the read once the state machine has applied `index`.
    Ready {
        /// The read index.
        index: LogIndex,
    },
    /// This node is not (or no longer) the leader.
    NotLeader {
        /// The current leader if known.
        leader_hint: Option<NodeId>,
    },
}

/// The answer to one [`Input::Read`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadResult {
    /// The read's id.
    pub id: u64,
    /// What happened.
    pub outcome: ReadOutcome,
}
