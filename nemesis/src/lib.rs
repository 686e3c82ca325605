//! # faultline-nemesis
//!
//! The simulated cluster and the faults that strike it. Raft nodes from
//! `faultline-raft` run inside turmoil hosts on a simulated network, disk and
//! per-node clock; a nemesis moves those at chosen moments.
//!
//! * The world the nodes see: [`net`] (turmoil TCP behind the node's
//!   `Network` seam), [`clock`] (a skewable per-node clock), [`disk`] (the
//!   write-ahead log on turmoil's filesystem shim, so a crash drops unsynced
//!   writes) and [`disk_faults`] (injected corruption and I/O errors).
//! * [`cluster`]: builds N nodes with durable storage and drives the
//!   simulation; crash, restart, partition and heal; [`observer`] checks
//!   Raft's invariants across nodes after every step; [`node_log`] writes
//!   each node's `tracing` events to its own log.
//! * The nemesis: [`fault`] (the catalogue of fault kinds), [`grudge`]
//!   (partition shapes), [`plan`] and [`schedule`] (when which fault
//!   strikes whom, from a seed) and [`executor`] (applies and undoes them).

pub mod clock;
pub mod cluster;
pub mod disk;
pub mod disk_faults;
pub mod executor;
pub mod fault;
pub mod grudge;
pub mod net;
pub mod node_log;
pub mod observer;
pub mod plan;
pub mod schedule;
