//! faultline reports crate (under construction).
