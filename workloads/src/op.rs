//! Operations in the checker's vocabulary: a function, a key and a value
//! encoded as DESIGN §3 prescribes.

use serde::Serialize;
use serde_json::Value;

/// The function of a client operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpFn {
    /// Read a register, a set or a list; the invoke value is `null`.
    Read,
    /// Write a register; the value is the new value.
    Write,
    /// Compare-and-set; the value is `[old, new]`.
    Cas,
    /// Append an element to a list; the value is the element.
    Append,
    /// Add an element to a set; the value is the element.
    Add,
}

impl OpFn {
    /// The name recorded in the history's `f` column.
    pub fn as_str(self) -> &'static str {
        match self {
            OpFn::Read => "read",
            OpFn::Write => "write",
            OpFn::Cas => "cas",
            OpFn::Append => "append",
            OpFn::Add => "add",
        }
    }
}

impl std::fmt::Display for OpFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a workload wants done, before a process is assigned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpSpec {
    /// The function.
    pub f: OpFn,
    /// The key it touches.
    pub key: String,
    /// The invoke value (DESIGN §3 encoding).
    pub value: Value,
}

impl OpSpec {
    /// A read of `key` (invoke value `null`).
    pub fn read(key: impl Into<String>) -> Self {
        OpSpec {
            f: OpFn::Read,
            key: key.into(),
            value: Value::Null,
        }
    }
}

/// An operation handed to a worker: the spec plus who runs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Op {
    /// The worker (client slot) that runs it, `0..concurrency`.
    pub worker: usize,
    /// The history process id it is recorded under.
    pub process: u64,
    /// The function.
    pub f: OpFn,
    /// The key it touches.
    pub key: String,
    /// The invoke value (DESIGN §3 encoding).
    pub value: Value,
    /// Whether this is one of the final reads after the quiet period.
    pub final_read: bool,
}
