//! The replicated key-value state machine that faultline's clients drive.
//!
//! * [`KvCommand`] / [`KvOp`]: what clients propose (read, write,
//!   compare-and-set, append), tagged with `(client_id, seq)`; encode with
//!   [`encode_command`] into an entry's command bytes.
//! * [`KvStateMachine`]: applies committed entries
//!   ([`KvStateMachine::apply_entry`] or [`KvStateMachine::apply`]), answers
//!   ReadIndex/lease reads with [`KvStateMachine::read`], and snapshots and
//!   restores itself ([`KvStateMachine::snapshot`],
//!   [`KvStateMachine::restore`]).
//! * [`KvReply`]: what applying produced; its docs say how a client maps
//!   each reply to a Jepsen `ok` / `fail` / `info`.
//! * [`Sessions`]: the replicated client-session table that makes retries
//!   exactly-once, bounded by [`SessionLimits`].

mod command;
mod error;
mod session;
mod snapshot;
mod state_machine;

pub use command::{
    decode_command, decode_reply, encode_command, encode_reply, ClientId, KvCommand, KvOp, KvReply,
    Seq,
};
pub use error::KvError;
pub use session::{Session, SessionCheck, SessionLimits, Sessions};
pub use state_machine::{KvCounters, KvStateMachine};

#[cfg(test)]
mod tests;
