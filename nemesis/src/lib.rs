//! faultline nemesis crate (under construction).

pub mod clock;
pub mod disk;
pub mod net;
pub mod fault;
pub mod grudge;
pub mod schedule;
