//! The vocabulary shared by every part of the consensus crate: identifiers,
//! log entries, hard state, membership, snapshots and the messages that peers
//! exchange.
//!
//! Raft log indices are 1-based: index 0 is the empty log's sentinel whose term
//! is 0. Every type here is plain data (serde-serialisable, `Clone`, `Eq`), so a
//! transport or a storage engine can encode it however it likes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A node's identity inside one cluster. `0` is never a valid id.
pub type NodeId = u64;
/// A Raft term. Terms only grow.
pub type Term = u64;
/// A 1-based position in the replicated log; `0` means "before the first entry".
pub type LogIndex = u64;

/// What a log entry carries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EntryPayload {
    /// Appended by a new leader at the start of its term (Raft §8), so that it
    /// can commit entries of earlier terms and serve reads.
    Noop,
    /// An opaque application command (for faultline, an encoded KV command).
    Command(Vec<u8>),
    /// A new cluster configuration; takes effect as soon as it is appended.
    Membership(Membership),
}

/// One entry of the replicated log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that created the entry.
    pub term: Term,
    /// The entry's 1-based position in the log.
    pub index: LogIndex,
    /// What the entry carries.
    pub payload: EntryPayload,
}

impl Entry {
    /// An approximate encoded size in bytes, used to bound message batches.
    pub fn size_bytes(&self) -> usize {
        let payload = match &self.payload {
            EntryPayload::Noop => 0,
            EntryPayload::Command(data) => data.len(),
            EntryPayload::Membership(m) => {
                8 * (m.voters.len() + m.learners.len() + m.outgoing.len())
            }
        };
        24 + payload
    }
}

/// The state that must be durable before a node answers anyone: its current
/// term, whom it voted for in that term, and the highest index it knows to be
/// committed (persisting `commit` is an optimisation for faster restarts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HardState {
    /// The latest term this node has seen.
    pub term: Term,
    /// The candidate this node voted for in `term`, if any.
    pub voted_for: Option<NodeId>,
    /// The highest log index known to be committed.
    pub commit: LogIndex,
}

/// A cluster configuration: the voters whose majority decides, and learners
/// that receive the log but do not vote.
///
/// During a joint-consensus change (Raft §6) `outgoing` holds the voters of
/// the configuration being left (C_old) and `voters` those of the one being
/// entered (C_new): every decision then needs a majority of each set
/// separately. Outside a change `outgoing` is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Membership {
    /// Nodes that vote and count towards quorums (C_new while joint).
    pub voters: BTreeSet<NodeId>,
    /// Nodes that replicate the log but do not vote.
    pub learners: BTreeSet<NodeId>,
    /// The voters of the configuration being left while joint (C_old);
    /// empty outside a joint change.
    #[serde(default)]
    pub outgoing: BTreeSet<NodeId>,
}

impl Membership {
    /// A configuration of the given voters and no learners.
    pub fn new(voters: impl IntoIterator<Item = NodeId>) -> Self {
        Membership {
            voters: voters.into_iter().collect(),
            learners: BTreeSet::new(),
            outgoing: BTreeSet::new(),
        }
    }

    /// Whether `id` is a voter (of either half, while joint) or a learner.
    pub fn contains(&self, id: NodeId) -> bool {
        self.is_voter(id) || self.learners.contains(&id)
    }

    /// Whether `id` votes: it is in `voters`, or in `outgoing` while joint.
    pub fn is_voter(&self, id: NodeId) -> bool {
        self.voters.contains(&id) || self.outgoing.contains(&id)
    }

    /// Whether this is a joint configuration C_old,new (Raft §6).
    pub fn is_joint(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// Every voter of either half, ascending.
    pub fn all_voters(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.voters.union(&self.outgoing).copied()
    }

    /// Every member, voters (of either half) first, then learners that are
    /// not also voters, each in ascending id order.
    pub fn members(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.all_voters().chain(
            self.learners
                .iter()
                .copied()
                .filter(move |l| !self.is_voter(*l)),
        )
    }
}

impl fmt::Display for Membership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |set: &BTreeSet<NodeId>| {
            set.iter()
                .map(|id| format!("n{id}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        write!(f, "voters [{}]", list(&self.voters))?;
        if !self.learners.is_empty() {
            write!(f, " learners [{}]", list(&self.learners))?;
        }
        if self.is_joint() {
            write!(f, " joint with old voters [{}]", list(&self.outgoing))?;
        }
        Ok(())
    }
}

/// What a snapshot covers: everything up to and including `last_index`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SnapshotMeta {
    /// The last log index the snapshot includes.
    pub last_index: LogIndex,
    /// The term of the entry at `last_index`.
    pub last_term: Term,
    /// The configuration in force at `last_index`.
    pub membership: Membership,
}

/// A snapshot of the application state machine with its metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Snapshot {
    /// What the snapshot covers.
    pub meta: SnapshotMeta,
    /// The application's serialised state at `meta.last_index`.
    pub data: Vec<u8>,
}

/// A message between two Raft nodes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Message {
    /// The sender.
    pub from: NodeId,
    /// The recipient.
    pub to: NodeId,
    /// The sender's term (for a pre-vote request: the term it would campaign in).
    pub term: Term,
    /// The message's kind and fields.
    pub body: MessageBody,
}

/// The kinds of Raft messages.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MessageBody {
    /// Ask for a vote (Raft §5.2), or with `pre_vote` ask whether a vote would
    /// be granted without disturbing anyone's term (Raft thesis §9.6).
    RequestVote {
        /// A pre-vote: nobody changes term or records a vote.
        pre_vote: bool,
        /// The candidate's last log index.
        last_log_index: LogIndex,
        /// The term of the candidate's last log entry.
        last_log_term: Term,
        /// Sent because of a leadership transfer: voters ignore their leader lease.
        transfer: bool,
    },
    /// The answer to a (pre-)vote request.
    RequestVoteResponse {
        /// Answers a pre-vote.
        pre_vote: bool,
        /// Whether the vote was granted.
        granted: bool,
    },
    /// Replicate entries, or with none, a heartbeat (Raft §5.3).
    AppendEntries {
        /// The index of the entry just before `entries`.
        prev_log_index: LogIndex,
        /// The term of the entry at `prev_log_index`.
        prev_log_term: Term,
        /// The entries to store (possibly empty).
        entries: Vec<Entry>,
        /// The leader's commit index.
        leader_commit: LogIndex,
        /// Heartbeat round for ReadIndex confirmation (0: none).
        read_round: u64,
    },
    /// The answer to AppendEntries.
    AppendEntriesResponse {
        /// Whether the follower's log matched at `prev_log_index`.
        success: bool,
        /// On success, the highest index known to match the leader's log.
        match_index: LogIndex,
        /// On rejection, the term of the conflicting entry (None if the
        /// follower's log is too short).
        conflict_term: Option<Term>,
        /// On rejection, the first index the leader should try next.
        conflict_index: LogIndex,
        /// On rejection, the `prev_log_index` of the AppendEntries refused
        /// (0 on success): lets the leader tell the answer to its current
        /// probe from a stale or duplicated one.
        rejected_index: LogIndex,
        /// Echo of the request's `read_round`.
        read_round: u64,
    },
    /// One chunk of a snapshot (Raft §7).
    InstallSnapshot {
        /// What the whole snapshot covers.
        meta: SnapshotMeta,
        /// The byte offset of `data` within the snapshot.
        offset: u64,
        /// The chunk's bytes.
        data: Vec<u8>,
        /// This is the last chunk.
        done: bool,
    },
    /// The answer to one snapshot chunk.
    InstallSnapshotResponse {
        /// The snapshot's `last_index` this answers.
        last_index: LogIndex,
        /// The offset the follower expects next (the total length once done).
        next_offset: u64,
        /// Whether the whole snapshot is now installed.
        done: bool,
        /// The chunk was rejected (wrong offset or inconsistent metadata);
        /// the leader restarts the transfer from `next_offset`.
        rejected: bool,
    },
    /// Leadership transfer: campaign now, ignoring the election timer and
    /// pre-vote (Raft thesis §3.10).
    TimeoutNow,
}

impl MessageBody {
    /// A short stable name for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            MessageBody::RequestVote { pre_vote: true, .. } => "PreVote",
            MessageBody::RequestVote { .. } => "RequestVote",
            MessageBody::RequestVoteResponse { pre_vote: true, .. } => "PreVoteResponse",
            MessageBody::RequestVoteResponse { .. } => "RequestVoteResponse",
            MessageBody::AppendEntries { .. } => "AppendEntries",
            MessageBody::AppendEntriesResponse { .. } => "AppendEntriesResponse",
            MessageBody::InstallSnapshot { .. } => "InstallSnapshot",
            MessageBody::InstallSnapshotResponse { .. } => "InstallSnapshotResponse",
            MessageBody::TimeoutNow => "TimeoutNow",
        }
    }
}
