//! A point-in-time view of one core for metrics, logs and invariant checks.

use crate::types::{LogIndex, Membership, NodeId, Term};
use serde::Serialize;
use std::collections::BTreeMap;

/// The role a node plays in its current term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Role {
    /// Follows a leader (or waits for one).
    Follower,
    /// Asks for pre-votes before disturbing anyone's term (thesis §9.6).
    PreCandidate,
    /// Campaigns for votes in its own term (Raft §5.2).
    Candidate,
    /// Leads its term.
    Leader,
}

impl Role {
    /// A short stable name for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre_candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// How a leader is replicating to one follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ProgressState {
    /// Finding the point where the follower's log matches: one message at a time.
    Probe,
    /// Streaming entries optimistically, up to the inflight window.
    Replicate,
    /// Sending a snapshot in chunks; entries wait until it is installed.
    Snapshot,
}

/// A leader's view of one follower.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerStatus {
    /// The follower.
    pub id: NodeId,
    /// The highest index known to match the leader's log.
    pub match_index: LogIndex,
    /// The next index to send.
    pub next_index: LogIndex,
    /// The replication state.
    pub state: ProgressState,
    /// AppendEntries messages sent and not yet acknowledged.
    pub inflight_msgs: usize,
}

/// Counters that only grow over the life of a core.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Pre-vote rounds started.
    pub pre_votes_started: u64,
    /// Real elections started (term increments by campaigning).
    pub elections_started: u64,
    /// Elections won.
    pub elections_won: u64,
    /// Times a leader stepped down because it lost contact with a quorum.
    pub check_quorum_step_downs: u64,
    /// Leadership transfers started, completed (TimeoutNow sent) and aborted.
    pub transfers_started: u64,
    /// TimeoutNow messages sent to complete a transfer.
    pub transfers_timeout_now_sent: u64,
    /// Transfers abandoned after an election timeout.
    pub transfers_aborted: u64,
    /// Proposals appended to the log.
    pub proposals_appended: u64,
    /// Proposals refused (not leader, overloaded, transferring).
    pub proposals_refused: u64,
    /// Configuration changes appended.
    pub membership_changes_accepted: u64,
    /// Configuration changes refused.
    pub membership_changes_refused: u64,
    /// Times a leader stepped down because the committed configuration no
    /// longer counts it as a voter.
    pub removed_step_downs: u64,
    /// Reads answered `Ready` through a ReadIndex heartbeat round.
    pub reads_read_index: u64,
    /// Reads answered `Ready` from the leader lease.
    pub reads_lease: u64,
    /// Reads answered `NotLeader`.
    pub reads_refused: u64,
    /// Snapshots received completely and handed out for installation.
    pub snapshots_installed: u64,
    /// Snapshot transfers started towards followers.
    pub snapshots_sent: u64,
    /// Log compactions after `SnapshotTaken`.
    pub compactions: u64,
    /// Messages sent, by [`crate::types::MessageBody::kind`].
    pub messages_sent: BTreeMap<&'static str, u64>,
    /// Messages received (accepted or not), by kind.
    pub messages_received: BTreeMap<&'static str, u64>,
    /// Inputs rejected, by [`crate::RejectReason::as_str`].
    pub rejected: BTreeMap<&'static str, u64>,
}

impl Counters {
    /// The total number of rejected inputs.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// A snapshot of one core's state, from [`crate::Raft::status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// This node.
    pub id: NodeId,
    /// Its role.
    pub role: Role,
    /// Its current term.
    pub term: Term,
    /// Whom it voted for in `term`.
    pub voted_for: Option<NodeId>,
    /// The leader it knows of in `term`.
    pub leader: Option<NodeId>,
    /// The highest index known committed.
    pub commit_index: LogIndex,
    /// The highest index handed out to be applied.
    pub applied_index: LogIndex,
    /// The highest index reported durable with `Input::Persisted`.
    pub persisted_index: LogIndex,
    /// The first index held in memory (`snapshot_index + 1`).
    pub first_index: LogIndex,
    /// The last index of the log.
    pub last_index: LogIndex,
    /// The last index covered by the latest snapshot (0: none).
    pub snapshot_index: LogIndex,
    /// The configuration in force.
    pub membership: Membership,
    /// The index of the latest configuration entry in the log (the
    /// snapshot's index if it holds none, 0 for the bootstrap one); the
    /// change is in flight while this is above `commit_index`.
    pub membership_index: LogIndex,
    /// The target of a leadership transfer in progress.
    pub transfer_target: Option<NodeId>,
    /// Whether a leader currently holds a read lease.
    pub lease_held: bool,
    /// Reads waiting for confirmation.
    pub pending_reads: usize,
    /// A leader's view of its followers (empty on other roles).
    pub peers: Vec<PeerStatus>,
    /// Lifetime counters.
    pub counters: Counters,
}
