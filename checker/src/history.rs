//! The history model (DESIGN §3): Jepsen-style events and the operations
//! paired from them.
//!
//! Every client operation is an `invoke` event followed by exactly one
//! completion from the same process: `ok` (it happened), `fail` (it certainly
//! did not happen) or `info` (unknown). Nemesis actions appear under the
//! process [`Process::Nemesis`].

mod process;
mod validate;

pub use validate::Validator;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::HistoryError;

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

/// One row of a history. Serializes (JSON Lines) as an object with the
/// fields `index, time_ns, process, type, f, key, value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the history, 0-based and strictly increasing.
    pub index: u64,
    /// When the event happened, in nanoseconds (simulated time for our runs).
    pub time_ns: u64,
    /// Who issued it.
    pub process: Process,
    /// Invoke or a completion.
    #[serde(rename = "type")]
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
    /// The operation completed (`ok`) but its output is unknown: the client
    /// did not learn the value, e.g. a read whose reply was lost, or a
    /// Jepsen read of `nil`. Then `value` is `null`, and a read matches every
    /// state. Only `ok` completions may say so. In JSON Lines it is
    /// `"value_unknown": true` (left out when false); in CSV an empty
    /// `value` cell.
    #[serde(default, skip_serializing_if = "is_false")]
    pub value_unknown: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
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
    /// The operation completed `ok` but its output is unknown (see
    /// [`Event::value_unknown`]); `output` is then `null`.
    pub output_unknown: bool,
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

impl EventType {
    /// The lowercase name used in CSV and JSON Lines (`invoke`, `ok`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Invoke => "invoke",
            EventType::Ok => "ok",
            EventType::Fail => "fail",
            EventType::Info => "info",
        }
    }

    /// Parses the lowercase name; `None` for anything else.
    pub fn from_name(name: &str) -> Option<EventType> {
        match name {
            "invoke" => Some(EventType::Invoke),
            "ok" => Some(EventType::Ok),
            "fail" => Some(EventType::Fail),
            "info" => Some(EventType::Info),
            _ => None,
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EventType {
    /// The outcome a completion event records; `None` for an invoke.
    pub fn outcome(self) -> Option<Outcome> {
        match self {
            EventType::Invoke => None,
            EventType::Ok => Some(Outcome::Ok),
            EventType::Fail => Some(Outcome::Fail),
            EventType::Info => Some(Outcome::Info),
        }
    }
}

impl Outcome {
    /// All outcomes, in display order.
    pub const ALL: [Outcome; 3] = [Outcome::Ok, Outcome::Fail, Outcome::Info];

    /// `ok`, `fail` or `info`.
    pub fn as_str(self) -> &'static str {
        self.event_type().as_str()
    }

    /// The completion event that records this outcome.
    pub fn event_type(self) -> EventType {
        match self {
            Outcome::Ok => EventType::Ok,
            Outcome::Fail => EventType::Fail,
            Outcome::Info => EventType::Info,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        History::default()
    }

    /// Checks the history contract (DESIGN §3) without keeping the pairing.
    /// Errors name the offending event by its index.
    pub fn validate(&self) -> Result<(), HistoryError> {
        self.operations().map(|_| ())
    }

    /// Pairs every client invoke with its completion, in invocation order.
    ///
    /// Validates the history on the way: indices strictly increase, time
    /// never goes backwards, every completion has a pending invoke of the
    /// same process (and the same `f` and key), no process has two pending
    /// invokes, and no process issues again after an `info`. Operations
    /// that never complete become [`Outcome::Info`] with `return_ns: None`;
    /// nemesis events are skipped.
    pub fn operations(&self) -> Result<Vec<Operation>, HistoryError> {
        let mut validator = Validator::new(None);
        for event in &self.events {
            validator.push(event, None)?;
        }
        Ok(validator.finish())
    }

    /// Pairs the history's operations as [`History::operations`] does, but
    /// for a history that breaks the contract: every event the contract
    /// refuses is skipped instead of failing the whole pairing (so a report
    /// can still draw what is there). A valid history pairs exactly as
    /// [`History::operations`] pairs it.
    pub fn operations_lenient(&self) -> Vec<Operation> {
        let mut validator = Validator::new(None);
        for event in &self.events {
            // A refused event leaves the validator as it was.
            let _ = validator.push(event, None);
        }
        validator.finish()
    }

    /// The number of client operations (invoke events).
    pub fn invocation_count(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.kind == EventType::Invoke && e.process != Process::Nemesis)
            .count()
    }
}

/// A history read from a text input, with the input's name and the
/// 1-based line of every event (so later errors and explanations can point
/// back into the file).
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedHistory {
    /// The input's name (usually a file path).
    pub source: String,
    /// The validated history.
    pub history: History,
    /// `lines[i]` is the line of `history.events[i]`.
    pub lines: Vec<u64>,
    /// Whether the events' order (the file's line order) is the real-time
    /// order and times are for display only, as in imported Jepsen histories
    /// where each worker stamps its own `:time`. When false (our CSV and
    /// JSON Lines) times must never go backwards.
    pub line_order: bool,
}

impl SourcedHistory {
    /// The line of the event with history index `index`, if present.
    pub fn line_of_index(&self, index: u64) -> Option<u64> {
        let pos = self
            .history
            .events
            .binary_search_by_key(&index, |e| e.index)
            .ok()?;
        self.lines.get(pos).copied()
    }

    /// Pairs the history into operations (see [`History::operations`]),
    /// naming file and line in any error.
    pub fn operations(&self) -> Result<Vec<Operation>, HistoryError> {
        let mut validator = Validator::new(Some(&self.source));
        validator.set_line_order(self.line_order);
        for (event, line) in self.history.events.iter().zip(&self.lines) {
            validator.push(event, Some(*line))?;
        }
        Ok(validator.finish())
    }
}

/// Builds a [`SourcedHistory`] event by event, validating as it goes so the
/// first contract violation is reported with its file and line.
#[derive(Debug)]
pub struct HistoryBuilder {
    source: String,
    validator: Validator,
    events: Vec<Event>,
    lines: Vec<u64>,
    line_order: bool,
}

impl HistoryBuilder {
    /// A builder for the input named `source`.
    pub fn new(source: &str) -> Self {
        HistoryBuilder {
            source: source.to_owned(),
            validator: Validator::new(Some(source)),
            events: Vec::new(),
            lines: Vec::new(),
            line_order: false,
        }
    }

    /// A builder for an imported format whose line order is the real-time
    /// order: times may go backwards and are kept for display only (see
    /// [`SourcedHistory::line_order`]).
    pub fn line_ordered(source: &str) -> Self {
        let mut builder = HistoryBuilder::new(source);
        builder.validator.set_line_order(true);
        builder.line_order = true;
        builder
    }

    /// The input's name.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The number of events accepted so far.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event was accepted yet.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Validates `event` (read from `line`) against the events before it and
    /// appends it.
    pub fn push(&mut self, event: Event, line: u64) -> Result<(), HistoryError> {
        self.validator.push(&event, Some(line))?;
        self.events.push(event);
        self.lines.push(line);
        Ok(())
    }

    /// The finished history.
    pub fn finish(self) -> SourcedHistory {
        SourcedHistory {
            source: self.source,
            history: History {
                events: self.events,
            },
            lines: self.lines,
            line_order: self.line_order,
        }
    }
}
