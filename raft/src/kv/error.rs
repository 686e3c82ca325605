//! Errors of the KV state machine.

use crate::types::LogIndex;

/// Why a KV operation on the state machine failed. None of these change the
/// state machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// Bytes that should hold a command or reply did not decode.
    #[error("malformed {what}: {reason}")]
    Decode {
        /// What was being decoded ("command", "reply").
        what: &'static str,
        /// Why decoding failed.
        reason: String,
    },
    /// A snapshot failed its checksum, did not decode, or broke an invariant.
    #[error("corrupt KV snapshot: {reason}")]
    CorruptSnapshot {
        /// What was wrong.
        reason: String,
    },
    /// The entry at `index` was already applied (or covered by the restored
    /// snapshot); applying it again would break exactly-once semantics.
    #[error("log index {index} is already applied (applied index is {applied})")]
    AlreadyApplied {
        /// The entry's index.
        index: LogIndex,
        /// The state machine's applied index.
        applied: LogIndex,
    },
    /// Entries must be applied in order without gaps.
    #[error("log index {index} applied out of order (expected {expected})")]
    OutOfOrder {
        /// The entry's index.
        index: LogIndex,
        /// The index that should come next.
        expected: LogIndex,
    },
}
