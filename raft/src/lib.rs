//! # faultline-raft
//!
//! A Raft consensus implementation with a deterministic, sans-I/O core.
//!
//! The core never performs I/O. A node driver feeds it [`Input`]s with
//! [`Raft::step`], drains an [`Output`] with [`Raft::take_output`] and
//! carries it out in the one safe order the [`Output`] type documents
//! (persist, then send, then apply), stage by stage with
//! [`Output::into_effects`].
//!
//! Time is logical ticks; randomness comes from an RNG seeded at construction.

pub mod bugs;
pub mod codec;
pub mod core;
pub mod invariants;
pub mod kv;
#[cfg(feature = "node")]
pub mod node;
pub mod storage;
pub mod types;

pub use crate::core::api::{
    Config, Input, MembershipChange, MembershipChangeOutcome, MembershipChangeResult,
    ProposalOutcome, ProposalResult, ReadMode, ReadOutcome, ReadResult,
};
pub use crate::core::output::{Output, ToApply, ToPersist, ToSend};
pub use crate::core::{
    CoreError, Counters, DurableState, PeerStatus, ProgressState, Raft, RejectReason, Role, Status,
    StepError,
};
pub use crate::storage::{LogStorage, RecoveredState, StorageError};
pub use crate::types::*;
