//! The randomized safety harness for the Raft core: a deterministic,
//! single-threaded simulation of 3 to 5 cores over a hostile network with
//! crashes, checking Raft's safety properties after every step.

pub mod actions;
pub mod client;
pub mod disk;
pub mod driver;
pub mod garbage;
pub mod liveness;
pub mod network;
pub mod node;
pub mod profile;
pub mod sim;
pub mod state_machine;
pub mod trace;
