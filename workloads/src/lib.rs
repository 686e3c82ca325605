//! faultline workloads crate (under construction).
