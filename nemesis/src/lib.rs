//! faultline nemesis crate (under construction).
