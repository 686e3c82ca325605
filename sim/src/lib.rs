//! # faultline-sim
//!
//! The simulation harness: Raft nodes from `faultline-raft` run as turmoil
//! hosts on a simulated network, disk and per-node clock, built with the
//! faulty seams of `faultline-nemesis`, and watched after every step.
//!
//! * [`net`] and [`disk`]: the node's `Network` and `Disk` seams on
//!   turmoil's TCP and filesystem shim (so a crash drops unsynced writes).
//! * [`cluster`]: builds N nodes with durable storage and drives the
//!   simulation; crash, restart, partition and heal; it is the nemesis's
//!   `FaultTarget`.
//! * [`observer`]: checks Raft's invariants across nodes after every step.
//! * [`data_loss`]: tells when injected disk faults destroyed acknowledged
//!   state, so a verdict is not blamed on the Raft.
//! * [`situations`]: which interesting situations a run reached (coverage:
//!   a profile that never reaches one is blind to the bugs that need it).
//! * [`node_log`]: writes each node's `tracing` events to its own log (the
//!   binary installs the subscriber that feeds it).

pub mod cluster;
pub mod data_loss;
pub mod disk;
pub mod net;
pub mod node_log;
pub mod observer;
pub mod situations;
