//! faultline nemesis crate (under construction).

pub mod clock;
pub mod cluster;
pub mod disk;
pub mod fault;
pub mod grudge;
pub mod plan;
pub mod net;
pub mod observer;
pub mod schedule;
