//! # faultline-checker
//!
//! Decides whether recorded histories are linearizable, and checks other
//! properties of them. Depends on no other faultline crate, so it can check a
//! history that came from any system.

pub mod history;
pub mod error;
pub mod import;
pub mod io;
