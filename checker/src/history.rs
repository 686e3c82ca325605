//! The history model (DESIGN §3): Jepsen-style events and the operations
//! paired from them.
//!
//! Every client operation is an `invoke` event followed by exactly one
//! completion from the same process: `ok` (it happened), `fail` (it certainly
//! did not happen) or `info` (unknown). Nemesis actions appear under the
//! process [`Process::Nemesis`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who issued an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Process {
    /// A client process; a process whose op ended in `info` never issues again.
    Client(u64),
    /// The fault injector.
    Nemesis,
}

/// The kind of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// The operation was issued.
    Invoke,
    /// The operation completed and took effect.
    Ok,
    /// The operation certainly did not take effect.
    Fail,
    /// Unknown whether the operation took effect (timeout, crash).
    Info,
}

/// One row of a history.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the history, 0-based and strictly increasing.
    pub index: u64,
    /// When the event happened, in nanoseconds (simulated time for our runs).
    pub time_ns: u64,
    /// Who issued it.
    pub process: Process,
    /// Invoke or a completion.
    pub kind: EventType,
    /// The operation's function: `read`, `write`, `cas`, `append`, `add`, or a
    /// nemesis action such as `start-partition`.
    pub f: String,
    /// The key the operation touches, if the model is keyed.
    pub key: Option<String>,
    /// The op's input on invoke and its output on completion (DESIGN §3):
    /// `null` for a read's invoke and the value read on its `ok`; the written
    /// value for write; `[old, new]` for cas; the element for append/add; an
    /// array for a set or list read; for the nemesis, a description of what it
    /// touched.
    pub value: Value,
}

/// A whole recorded history, in event order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The events, ordered by `index`.
    pub events: Vec<Event>,
}

/// How a client operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It took effect, with the recorded output.
    Ok,
    /// It certainly did not take effect.
    Fail,
    /// Unknown; it may take effect at any time after its invocation, or never.
    Info,
}

/// A client operation: an invoke paired with its completion. Operations of a
/// history that never completed are treated as `info` with no return time.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// A dense 0-based id, in invocation order.
    pub id: usize,
    /// The issuing client process.
    pub process: u64,
    /// The function (`read`, `write`, `cas`, ...).
    pub f: String,
    /// The key, if any.
    pub key: Option<String>,
    /// The input value from the invoke event.
    pub input: Value,
    /// The output value from an `ok` completion (`Value::Null` otherwise).
    pub output: Value,
    /// How it ended.
    pub outcome: Outcome,
    /// Invocation time in nanoseconds.
    pub call_ns: u64,
    /// Completion time; `None` for `info` (the op may take effect at any later time).
    pub return_ns: Option<u64>,
    /// History index of the invoke event.
    pub invoke_index: u64,
    /// History index of the completion event, if any.
    pub complete_index: Option<u64>,
}
