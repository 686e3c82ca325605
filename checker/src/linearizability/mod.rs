//! The linearizability checker: split a history into independent partitions
//! (P-compositionality: one per key), search each for a linearization in
//! parallel within one memory budget, and report a verdict with an
//! explanation for every partition that has none.
//!
//! The search memoizes (linearized set, state) pairs; a linearized set is
//! stored relative to its frontier (every operation before the first one
//! not linearized is in the set), so a memo entry costs a few dozen bytes
//! however long the history is, and memory grows with the states explored,
//! not with their product with the history's length.
//!
//! Entry points: [`check_history`] and [`check_operations`] for a built-in
//! [`ModelKind`], and
//! [`check_with_model`] for any [`Model`].

mod bitset;
#[cfg(test)]
mod forms_tests;
mod memo;
mod report;
mod rounds;
mod run;
mod search;

pub use report::{CheckReport, Explanation, OpSummary, PartitionResult};
pub use run::check_with_model;

use crate::error::HistoryError;
use crate::history::{History, Operation};
use crate::model::{
    AppendKvModel, FifoQueueModel, ModelError, ModelKind, MultiRegisterModel, MutexModel,
    RegisterFlavor, RegisterModel, SetModel, UnorderedQueueModel,
};
use std::time::Duration;
use thiserror::Error;

/// Budgets and parallelism for a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    /// Wall-clock limit for the whole check; when it passes, unfinished
    /// partitions are `unknown`. `None` means no limit. Where it strikes
    /// depends on the machine's speed: use it as a safety net beside
    /// [`CheckOptions::max_search_steps`], which is deterministic.
    pub time_limit: Option<Duration>,
    /// The most search steps one partition may take before it is `unknown`
    /// (a deterministic budget: the same history gives the same verdict on
    /// every machine). `None` means no limit.
    pub max_search_steps: Option<u64>,
    /// The most (linearized set, state) pairs the searches may hold
    /// memoized at once, over all partitions together; a search that would
    /// need more is `unknown`.
    pub max_cache_entries: usize,
    /// The most bytes the searches may hold at once, over all partitions
    /// together (memo, linearized sets, event lists and stacks; not the
    /// operations given to the check). Undecided partitions share what is
    /// free evenly and a decided one frees its share; when every undecided
    /// search needs more, the one holding the most ends `unknown`, with the
    /// size it reached in its note. A deterministic budget: capacities are
    /// counted, not measured. Reported as [`CheckReport::memory_bytes_peak`].
    pub memory_bytes_max: usize,
    /// Worker threads for partitions; 0 means one per available core.
    pub threads: usize,
    /// What orders operations in real time.
    pub order: RealTimeOrder,
}

/// What decides that one operation returned before another was invoked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RealTimeOrder {
    /// The events' times (`call_ns`, `return_ns`), ties broken by history
    /// index. For validated histories whose times never go backwards (our
    /// CSV and JSON Lines) this is the same as [`RealTimeOrder::HistoryIndex`].
    #[default]
    Timestamps,
    /// The history indices of the events alone (the file's line order), as
    /// Knossos orders a Jepsen history; times are for display only.
    HistoryIndex,
}

impl Default for CheckOptions {
    /// No time or step limit, 1 GiB and 50 million memo entries over all
    /// partitions, one thread per core.
    fn default() -> Self {
        Self {
            time_limit: None,
            max_search_steps: None,
            max_cache_entries: 50_000_000,
            memory_bytes_max: 1 << 30,
            threads: 0,
            order: RealTimeOrder::Timestamps,
        }
    }
}

/// Input the checker cannot interpret.
#[derive(Debug, Error)]
pub enum CheckError {
    /// The history breaks the history contract (DESIGN §3).
    #[error(transparent)]
    History(#[from] HistoryError),
    /// An operation does not fit the model (unknown function, malformed value).
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Pairs `history` into operations (validating it) and checks them against
/// one of the built-in models.
pub fn check_history(
    history: &History,
    model: &ModelKind,
    opts: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    let ops = history.operations()?;
    check_operations(&ops, model, opts)
}

/// Checks `ops` against one of the built-in models.
pub fn check_operations(
    ops: &[Operation],
    model: &ModelKind,
    opts: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    let report = match model {
        ModelKind::Register { initial } => check_with_model(
            ops,
            &RegisterModel::new(RegisterFlavor::Plain, initial.clone()),
            opts,
        ),
        ModelKind::CasRegister { initial } => check_with_model(
            ops,
            &RegisterModel::new(RegisterFlavor::Cas, initial.clone()),
            opts,
        ),
        ModelKind::Kv => check_with_model(
            ops,
            &RegisterModel::new(RegisterFlavor::KeyValue, serde_json::Value::Null),
            opts,
        ),
        ModelKind::AppendKv => check_with_model(ops, &AppendKvModel, opts),
        ModelKind::Set => check_with_model(ops, &SetModel, opts),
        ModelKind::Mutex => check_with_model(ops, &MutexModel, opts),
        ModelKind::MultiRegister { initial } => {
            check_with_model(ops, &MultiRegisterModel::new(initial.clone()), opts)
        }
        ModelKind::UnorderedQueue => check_with_model(ops, &UnorderedQueueModel, opts),
        ModelKind::FifoQueue => check_with_model(ops, &FifoQueueModel, opts),
    }?;
    Ok(report)
}
