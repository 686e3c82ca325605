//! # faultline-raft
//!
//! A Raft consensus implementation with a deterministic, sans-I/O core.
//!
//! ## The order of effects
//!
//! The core never performs I/O. A node driver feeds it [`Input`]s with
//! [`Raft::step`] and then drains an [`Output`] with [`Raft::take_output`],
//! carrying the output out in exactly this order:
//!
//! 1. **persist**: write the received snapshot (if any), then the entries,
//!    then the hard state, and sync; then report [`Input::Persisted`];
//! 2. **send** the messages (they may promise what step 1 made durable: a
//!    vote, an acknowledgement);
//! 3. **apply**: install the snapshot in the state machine, then apply the
//!    committed entries in index order;
//! 4. **answer** proposals and reads (a read at index `i` is served once the
//!    state machine has applied `i`).
//!
//! Time is logical ticks; randomness comes from an RNG seeded at construction.

pub mod codec;
pub mod core;
pub mod kv;
#[cfg(feature = "node")]
pub mod node;
pub mod storage;
pub mod types;

pub use crate::core::api::{
    Config, Input, Output, ProposalOutcome, ProposalResult, ReadMode, ReadOutcome, ReadResult,
};
pub use crate::core::{
    CoreError, Counters, DurableState, PeerStatus, ProgressState, Raft, RejectReason, Role, Status,
    StepError,
};
pub use crate::storage::{LogStorage, RecoveredState, StorageError};
pub use crate::types::*;

/// Storage recovers more than the core needs (a note on where recovery
/// stopped early); the core restarts from the durable state alone.
impl From<RecoveredState> for DurableState {
    fn from(recovered: RecoveredState) -> Self {
        let RecoveredState {
            hard_state,
            snapshot,
            entries,
            truncated_at: _,
        } = recovered;
        DurableState {
            hard_state,
            snapshot,
            entries,
        }
    }
}
