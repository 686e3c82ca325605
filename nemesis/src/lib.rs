//! faultline nemesis crate (under construction).

pub mod clock;
pub mod net;
