//! The core's inputs, the answers it gives to proposals and reads, and its
//! configuration. The effects it asks for are in [`crate::core::output`].

use crate::bugs::BugSet;
use crate::types::{LogIndex, Membership, Message, NodeId, Snapshot, Term};
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
    /// Node ids up to this one may join the cluster later. A request
    /// (AppendEntries, InstallSnapshot, a vote request) from such an id is
    /// processed even when it is not in this node's configuration (thesis
    /// §4.1: servers process RPCs from servers outside their configuration),
    /// so a node that has not yet learned of a newer configuration still
    /// follows its leader, and a removed server's campaigns meet pre-vote and
    /// the leader lease. `None` (the default): only members are heard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id_max: Option<NodeId>,
    /// A learner may be promoted to voter only once its log is at most this
    /// many entries behind the leader's (thesis §4.2.1: a new server catches
    /// up before it counts towards quorums).
    #[serde(
        default = "catch_up_entries_max_default",
        skip_serializing_if = "is_catch_up_entries_max_default"
    )]
    pub catch_up_entries_max: u64,
    /// Seeded bugs switched on ([`crate::bugs`]; empty: correct Raft).
    #[serde(default, skip_serializing_if = "BugSet::is_empty")]
    pub bugs: BugSet,
}

/// The default [`Config::catch_up_entries_max`].
const CATCH_UP_ENTRIES_MAX_DEFAULT: u64 = 16;

/// The serde default of [`Config::catch_up_entries_max`].
fn catch_up_entries_max_default() -> u64 {
    CATCH_UP_ENTRIES_MAX_DEFAULT
}

/// Leaves the default [`Config::catch_up_entries_max`] out of serialized configs.
fn is_catch_up_entries_max_default(value: &u64) -> bool {
    *value == CATCH_UP_ENTRIES_MAX_DEFAULT
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
            member_id_max: None,
            catch_up_entries_max: CATCH_UP_ENTRIES_MAX_DEFAULT,
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
    /// Change the cluster's configuration; `id` is echoed in a
    /// [`MembershipChangeResult`].
    ChangeMembership {
        /// The caller's id for this change.
        id: u64,
        /// The change.
        change: MembershipChange,
    },
}

/// A configuration change asked of the leader.
///
/// A change of at most one voter (adding, promoting or removing one node,
/// adding or removing learners) is appended as the new configuration
/// directly (thesis §4.1). A [`MembershipChange::Target`] whose voters
/// differ from the current ones in any other way goes through the joint
/// configuration C_old,new (Raft §6), which the leader leaves on its own
/// once it commits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipChange {
    /// Add a voter (a learner already in the configuration is promoted, with
    /// the catch-up check of [`MembershipChange::Promote`]).
    AddVoter(NodeId),
    /// Add a learner: it receives the log and snapshots but does not vote.
    AddLearner(NodeId),
    /// Make a learner a voter, once it is caught up within
    /// [`Config::catch_up_entries_max`] entries.
    Promote(NodeId),
    /// Remove a voter or a learner (the leader itself included: it steps
    /// down once the configuration without it commits).
    Remove(NodeId),
    /// Move to this whole configuration (its `outgoing` is ignored).
    Target(Membership),
}

/// What happened to a configuration change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipChangeOutcome {
    /// The new configuration was appended at `index` in `term`; it is in
    /// force on this node now, and commits later (or is rolled back if the
    /// entry is overwritten).
    Accepted {
        /// Where the configuration entry was appended.
        index: LogIndex,
        /// The leader's term.
        term: Term,
    },
    /// This node is not the leader; `leader_hint` is the leader it knows of.
    NotLeader {
        /// The current leader if known.
        leader_hint: Option<NodeId>,
    },
    /// A change is in flight (its entry, or the joint configuration's exit,
    /// is uncommitted), or this leader has not yet committed an entry of its
    /// own term, so a change of an earlier term may still be in flight.
    ChangeInProgress,
    /// The change would leave the configuration without a voter.
    NoVotersLeft,
    /// The node to promote or remove is not in the configuration (to
    /// promote: it is not a learner).
    UnknownNode(NodeId),
    /// The learner is more than [`Config::catch_up_entries_max`] entries
    /// behind the leader.
    NotCaughtUp(NodeId),
    /// The configuration already is what the change asks for.
    Unchanged,
}

/// The answer to one [`Input::ChangeMembership`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipChangeResult {
    /// The change's id.
    pub id: u64,
    /// What happened.
    pub outcome: MembershipChangeOutcome,
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
