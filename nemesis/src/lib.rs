//! faultline nemesis crate (under construction).

pub mod clock;
pub mod cluster;
pub mod disk;
pub mod disk_faults;
pub mod executor;
pub mod fault;
pub mod grudge;
pub mod net;
pub mod observer;
pub mod plan;
pub mod schedule;
