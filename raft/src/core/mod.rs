//! The deterministic, sans-I/O Raft core.
//!
//! [`Raft`] is a state machine: [`Raft::step`] takes one [`api::Input`],
//! [`Raft::take_output`] drains the accumulated [`api::Output`]. One concern
//! per file: the log (`raft_log`), per-follower progress (`progress`),
//! elections, replication, snapshots, reads, leadership transfer, status and
//! errors.

pub mod api;
mod election;
pub mod error;
mod progress;
mod quorum;
mod raft;
mod raft_log;
mod read;
mod replication;
mod snapshot;
pub mod status;
mod transfer;

pub use self::error::{CoreError, RejectReason, StepError};
pub use self::raft::Raft;
pub use self::status::{Counters, PeerStatus, ProgressState, Role, Status};
