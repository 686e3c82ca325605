//! # faultline-checker
//!
//! Decides whether recorded histories are linearizable, and checks other
//! properties of them. Depends on no other faultline crate, so it can check a
//! history that came from any system.

pub mod append;
mod elements;
pub mod error;
pub(crate) mod exact;
pub mod history;
pub mod import;
pub mod io;
pub mod linearizability;
pub mod model;
pub mod results;
pub mod set;
pub mod synthetic;
pub mod verdict;

pub use linearizability::{
    check_history, check_operations, check_with_model, CheckError, CheckOptions, CheckReport,
    RealTimeOrder,
};
pub use model::{Model, ModelKind};
pub use results::{CheckerResult, LinearizabilityFailure, RunResults};
pub use verdict::Verdict;
