//! Why the core refused an input or a recovered state.
//!
//! A refused input is never fatal: the core stays fully usable, the input is
//! simply dropped (after any protocol answer it calls for, such as telling a
//! stale leader the newer term) and counted in [`crate::Status`] under
//! [`RejectReason::as_str`].

/// Why an input was rejected by [`crate::Raft::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RejectReason {
    /// The sender is not a member of the current configuration.
    UnknownPeer,
    /// The message is addressed to another node, or claims to come from us.
    WrongRecipient,
    /// The message's term is older than ours (expected under delays; the
    /// sender is told our term where the protocol calls for it).
    StaleTerm,
    /// A message that makes no sense in our current role and term (for
    /// example a vote response while we are not campaigning, or a second
    /// leader claiming our term).
    UnexpectedMessage,
    /// A vote request ignored because we heard from a live leader within the
    /// election timeout (leader stickiness, thesis §4.2.3).
    LeaderLease,
    /// An index beyond our log, or entries that are not contiguous.
    IndexOutOfRange,
    /// Entries whose terms are not ascending or exceed the sender's term.
    MalformedEntries,
    /// A leader asked to overwrite an entry we know to be committed.
    ConflictBelowCommit,
    /// A snapshot chunk at an unexpected offset or with different metadata
    /// than the transfer in progress.
    InconsistentSnapshotChunk,
    /// A snapshot whose metadata does not match our log (wrong term or
    /// configuration at its index, or beyond the applied index).
    BadSnapshot,
    /// A snapshot not newer than the one we already have.
    StaleSnapshot,
    /// A `Persisted` notice for an index or term we do not hold.
    StalePersisted,
    /// A refusal of an AppendEntries the leader has moved past (another of
    /// a pipelined window, a duplicate, a reordered answer).
    StaleRejection,
    /// A request only a leader can serve (a leadership transfer).
    NotLeader,
}

impl RejectReason {
    /// A short stable name, used as the key of the rejection counters.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::UnknownPeer => "unknown_peer",
            RejectReason::WrongRecipient => "wrong_recipient",
            RejectReason::StaleTerm => "stale_term",
            RejectReason::UnexpectedMessage => "unexpected_message",
            RejectReason::LeaderLease => "leader_lease",
            RejectReason::IndexOutOfRange => "index_out_of_range",
            RejectReason::MalformedEntries => "malformed_entries",
            RejectReason::ConflictBelowCommit => "conflict_below_commit",
            RejectReason::InconsistentSnapshotChunk => "inconsistent_snapshot_chunk",
            RejectReason::BadSnapshot => "bad_snapshot",
            RejectReason::StaleSnapshot => "stale_snapshot",
            RejectReason::StalePersisted => "stale_persisted",
            RejectReason::StaleRejection => "stale_rejection",
            RejectReason::NotLeader => "not_leader",
        }
    }
}

impl RejectReason {
    /// Whether refusals of this kind are expected on a healthy cluster with
    /// delayed, duplicated or reordered messages (stale terms, late answers,
    /// leader stickiness); the others point at a confused or faulty peer.
    pub fn is_routine(self) -> bool {
        matches!(
            self,
            RejectReason::StaleTerm
                | RejectReason::UnexpectedMessage
                | RejectReason::LeaderLease
                | RejectReason::StaleSnapshot
                | RejectReason::StalePersisted
                | RejectReason::StaleRejection
                | RejectReason::NotLeader
                | RejectReason::IndexOutOfRange
        )
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`crate::Raft::step`]: the input was dropped and counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("input rejected: {reason}")]
pub struct StepError {
    /// Why it was rejected.
    pub reason: RejectReason,
}

/// Why a core could not be built from a configuration or a recovered state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The recovered state is internally inconsistent.
    #[error("invalid recovered state: {0}")]
    InvalidState(String),
}
