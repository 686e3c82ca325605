//! Errors of the workloads crate: bad configuration, generator misuse and
//! history-contract violations. None of these paths panic.

use thiserror::Error;

/// A workload name or workload setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkloadError {
    /// The workload name is not one of the built-in workloads.
    #[error("unknown workload {0:?}; expected one of: register, kv, set, append")]
    UnknownName(String),
    /// A setting is out of range.
    #[error("workload setting {field}: {reason}")]
    InvalidSetting {
        /// The setting's name.
        field: &'static str,
        /// Why it is rejected.
        reason: String,
    },
}

/// A generator configured badly or driven out of contract.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GeneratorError {
    /// A configuration field is out of range.
    #[error("generator setting {field}: {reason}")]
    InvalidConfig {
        /// The field's name.
        field: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// The worker index is not below the concurrency.
    #[error("worker {worker} does not exist (concurrency {concurrency})")]
    NoSuchWorker {
        /// The worker asked about.
        worker: usize,
        /// The number of workers.
        concurrency: usize,
    },
    /// A worker asked for a new op while its previous op was still open.
    #[error("worker {worker} (process {process}) asked for an op while one is in flight")]
    WorkerBusy {
        /// The worker.
        worker: usize,
        /// Its current process.
        process: u64,
    },
    /// A completion was reported for a worker with nothing in flight.
    #[error("worker {worker} completed an op it never received")]
    NothingInFlight {
        /// The worker.
        worker: usize,
    },
    /// Time passed to the generator went backwards.
    #[error("time went backwards: {now_ns} ns after {last_ns} ns")]
    TimeWentBackwards {
        /// The time given.
        now_ns: u64,
        /// The latest time seen before.
        last_ns: u64,
    },
    /// `heal_done` was called when no final heal was due.
    #[error("final heal reported in phase {phase}, not while it was due")]
    HealNotDue {
        /// The phase the generator was in.
        phase: &'static str,
    },
}

/// An event that would break the history contract (DESIGN §3). The
/// contract is the checker's ([`faultline_checker::history::Validator`]):
/// the recorder refuses exactly what the checker would reject.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    /// The event breaks the contract: `field` is the event field at fault
    /// (`time_ns`, `process`, `type`, `f`, `key`), `reason` the checker's
    /// sentence (it names the earlier event involved).
    #[error("event {index}: {field}: {reason}")]
    Contract {
        /// The history index the event would have had.
        index: u64,
        /// The field at fault.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A completion must be `ok`, `fail` or `info`.
    #[error("an invoke cannot complete an op")]
    InvokeAsCompletion,
}
