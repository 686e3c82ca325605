//! The deterministic, sans-I/O Raft core.
//!
//! [`Raft`] is a state machine: [`Raft::step`] takes one [`api::Input`],
//! [`Raft::take_output`] drains the accumulated [`output::Output`], whose
//! documentation is the one statement of the order of effects.
//!
//! State, one concern per file, none of which knows [`Raft`]: the log
//! (`raft_log`), quorum arithmetic (`quorum`), the role and the state only
//! it has (`role`: a campaign's votes, or a leader's `LeaderState` from
//! `leader`, holding per-follower `progress`, the `read_state` and any
//! transfer), a snapshot being received (`incoming_snapshot`), and the
//! durable state a node restarts from (`durable`).
//!
//! Behaviour, as `impl Raft` blocks: `raft` (construction, the `step`
//! dispatcher, accessors), `message` (checks and dispatch of peer
//! messages), elections, replication, configuration changes
//! (`membership`), snapshots, reads and leadership transfer, each in its
//! own file; plus status and errors.

pub mod api;
pub mod durable;
mod election;
pub mod error;
mod fingerprint;
mod incoming_snapshot;
mod leader;
mod membership;
mod message;
pub mod output;
mod progress;
pub(crate) mod quorum;
mod raft;
mod raft_log;
mod read;
mod read_state;
mod replication;
mod role;
mod snapshot;
pub mod status;
mod transfer;

pub use self::durable::DurableState;
pub use self::error::{CoreError, RejectReason, StepError};
pub use self::raft::Raft;
pub use self::status::{Counters, PeerStatus, ProgressState, Role, Status};
