//! Sequential models of the objects under test, and the [`Model`] trait that
//! maps recorded [`Operation`]s onto them.
//!
//! A model has two halves: a *specification* (a
//! `stateright::semantics::SequentialSpec`, see [`LinearizableSpec`]) that
//! says what each operation returns in each state, and a *translation* that
//! turns a recorded operation into the spec's operation plus the return value
//! the history observed. The built-in models cover a register, a
//! compare-and-set register, a per-key map of registers, Porcupine's
//! append-string key/value store, and Knossos's set, mutex, multi-register,
//! unordered queue and FIFO queue; [`ModelKind`] names them for the command
//! line. Implement [`Model`] to check your own object.

mod append_kv;
mod kind;
mod multi_register;
mod mutex;
mod queue;
mod register;
mod rope;
mod set;
mod spec;
mod values;

pub use append_kv::{AppendKvModel, AppendKvOp, AppendKvRet, AppendKvSpec};
pub use kind::{ModelKind, ParseModelError};
pub use multi_register::{MicroOp, MultiRegisterModel, MultiRegisterSpec, Txn, TxnReads};
pub use mutex::{MutexModel, MutexOp, MutexRet, MutexSpec};
pub use queue::{
    FifoOp, FifoQueueModel, FifoQueueSpec, FifoRet, UnorderedOp, UnorderedQueueModel,
    UnorderedQueueSpec, UnorderedRet,
};
pub use register::{RegisterFlavor, RegisterModel, RegisterOp, RegisterRet, RegisterSpec};
pub use rope::Rope;
pub use set::{SetModel, SetOp, SetRet, SetSpec};
pub use spec::{LinearizableSpec, Step};
/// The sequential-specification trait models build on, re-exported so a
/// user-defined model needs no `stateright` dependency of its own.
pub use stateright::semantics::SequentialSpec;
pub use values::{Atom, ValueTable};

use crate::history::{Operation, Outcome};
use thiserror::Error;

/// How one recorded operation enters the search.
#[derive(Debug, Clone, PartialEq)]
pub enum Translation<S: SequentialSpec> {
    /// Linearize `op`; `expected` is the recorded return value, or `None` when
    /// it is unknown (an `info` operation), which accepts any return value.
    Apply {
        /// The specification's operation.
        op: S::Op,
        /// The return value the history observed, if known.
        expected: Option<S::Ret>,
    },
    /// The operation constrains nothing and is left out (e.g. an `info` read).
    Ignore,
}

/// A recorded operation the model cannot interpret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("operation {op_id} (history index {invoke_index}, process {process}, f {f:?}): {reason}")]
pub struct ModelError {
    /// The operation's id.
    pub op_id: usize,
    /// History index of the operation's invoke event.
    pub invoke_index: u64,
    /// The issuing process.
    pub process: u64,
    /// The operation's function.
    pub f: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ModelError {
    /// An error about `op`.
    pub fn new(op: &Operation, reason: impl Into<String>) -> Self {
        Self {
            op_id: op.id,
            invoke_index: op.invoke_index,
            process: op.process,
            f: op.f.clone(),
            reason: reason.into(),
        }
    }
}

/// A model the linearizability search can check histories against. The
/// search calls [`Model::partition_key`] on every operation, checks each
/// partition independently (P-compositionality), and within a partition
/// calls [`Model::translate`] once per operation that did not `fail`.
pub trait Model: Sync {
    /// The sequential specification.
    type Spec: LinearizableSpec;

    /// A short name for reports (`cas-register`).
    fn name(&self) -> String;

    /// The independent object `op` acts on; operations with different keys
    /// are checked separately. The default partitions by the op's `key`.
    fn partition_key(&self, op: &Operation) -> Result<Option<String>, ModelError> {
        Ok(op.key.clone())
    }

    /// The state every partition starts in.
    fn initial(&self, values: &mut ValueTable) -> Self::Spec;

    /// Maps a recorded operation (never a `fail`) onto the specification.
    fn translate(
        &self,
        op: &Operation,
        values: &mut ValueTable,
    ) -> Result<Translation<Self::Spec>, ModelError>;

    /// A person-readable rendering of a state (`1`, `"x 0 y"`, `[1, 2]`).
    fn describe_state(&self, state: &Self::Spec, values: &ValueTable) -> String;

    /// What to call the object in explanations ("the register is 1").
    fn object_noun(&self) -> &'static str {
        "state"
    }
}

/// The recorded return value of `op` if it completed `ok`, `None` if unknown.
pub(crate) fn known<T>(op: &Operation, value: impl FnOnce() -> T) -> Option<T> {
    (op.outcome == Outcome::Ok).then(value)
}
