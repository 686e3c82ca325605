//! The deterministic, sans-I/O Raft core.

pub mod api;
