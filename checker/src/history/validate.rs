//! The history contract, checked one event at a time, and the pairing of
//! invokes with completions into [`Operation`]s.
//!
//! One validator serves both in-memory histories (errors name the event
//! index) and parsed files (errors name `file:line`), so every importer
//! enforces exactly the same rules.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Event, EventType, Operation, Outcome, Process};
use crate::error::{HistoryError, Location};

/// Where an earlier event came from, for messages such as "pending since
/// line 12".
#[derive(Debug, Clone, Copy)]
struct Mark {
    line: Option<u64>,
    index: u64,
}

impl std::fmt::Display for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}"),
            None => write!(f, "event {}", self.index),
        }
    }
}

/// What a client process is doing.
#[derive(Debug, Clone, Copy)]
enum ProcessState {
    /// It has an invoke without a completion: the operation `op`.
    Pending { op: usize, invoked: Mark },
    /// Its last operation completed with `ok` or `fail`.
    Idle { completed: Mark },
    /// Its last operation ended in `info`: it must never issue again.
    Crashed { info: Mark },
}

/// Checks events in order against the history contract (DESIGN §3) and
/// pairs them into operations.
#[derive(Debug, Clone)]
pub struct Validator {
    source: Option<String>,
    previous: Option<(u64, u64, Mark)>,
    processes: BTreeMap<u64, ProcessState>,
    operations: Vec<Operation>,
    line_order: bool,
}

impl Validator {
    /// A validator for the input named `source` (`None` for an in-memory
    /// history).
    pub fn new(source: Option<&str>) -> Self {
        Validator {
            source: source.map(str::to_owned),
            previous: None,
            processes: BTreeMap::new(),
            operations: Vec::new(),
            line_order: false,
        }
    }

    /// When `line_order` is true, the events' order is the real-time order
    /// and times are for display only: a time before the previous event's is
    /// accepted (imported Jepsen histories, where each worker stamps its own
    /// `:time`). When false (the default) time must never go backwards.
    pub fn set_line_order(&mut self, line_order: bool) {
        self.line_order = line_order;
    }

    fn location(&self, here: Mark) -> Location {
        match here.line {
            Some(line) => Location::line(self.source.as_deref(), line),
            None => Location::event(self.source.as_deref(), here.index),
        }
    }

    fn invalid(&self, here: Mark, field: &str, reason: String) -> HistoryError {
        HistoryError::invalid(self.location(here), field, reason)
    }

    /// Checks `event` (read from `line`, if it came from text) against the
    /// events before it and records it.
    pub fn push(&mut self, event: &Event, line: Option<u64>) -> Result<(), HistoryError> {
        let here = Mark {
            line,
            index: event.index,
        };
        self.check_order(event, here)?;
        if event.f.is_empty() {
            return Err(self.invalid(here, "f", "empty function name".into()));
        }
        if event.key.as_deref() == Some("") {
            return Err(self.invalid(
                here,
                "key",
                "empty key (a missing key is an empty CSV cell or JSON null)".into(),
            ));
        }
        if event.value_unknown && event.kind != EventType::Ok {
            return Err(self.invalid(
                here,
                "value",
                format!(
                    "an unknown value is only meaningful on an ok completion, not on {}",
                    event.kind
                ),
            ));
        }
        if event.value_unknown && !event.value.is_null() {
            return Err(self.invalid(
                here,
                "value",
                format!("a value marked unknown must be null, found {}", event.value),
            ));
        }
        if let Process::Client(process) = event.process {
            match event.kind {
                EventType::Invoke => self.invoke(process, event, here)?,
                EventType::Ok | EventType::Fail | EventType::Info => {
                    self.complete(process, event, here)?
                }
            }
        }
        self.previous = Some((event.index, event.time_ns, here));
        Ok(())
    }

    fn check_order(&self, event: &Event, here: Mark) -> Result<(), HistoryError> {
        let Some((index, time_ns, mark)) = self.previous else {
            return Ok(());
        };
        if event.index <= index {
            return Err(self.invalid(
                here,
                "index",
                format!(
                    "index {} does not increase (the previous event, {mark}, has index {index})",
                    event.index
                ),
            ));
        }
        if event.time_ns < time_ns && !self.line_order {
            return Err(self.invalid(
                here,
                "time_ns",
                format!(
                    "time goes backwards: {} ns is before {time_ns} ns of the previous event ({mark})",
                    event.time_ns
                ),
            ));
        }
        Ok(())
    }

    fn invoke(&mut self, process: u64, event: &Event, here: Mark) -> Result<(), HistoryError> {
        match self.processes.get(&process) {
            Some(ProcessState::Pending { invoked, .. }) => {
                return Err(self.invalid(
                    here,
                    "process",
                    format!(
                        "process {process} invokes again while its operation invoked at {invoked} is pending"
                    ),
                ));
            }
            Some(ProcessState::Crashed { info }) => {
                return Err(self.invalid(
                    here,
                    "process",
                    format!(
                        "process {process} issues again after its info at {info} (a crashed process must continue under a fresh id)"
                    ),
                ));
            }
            Some(ProcessState::Idle { .. }) | None => {}
        }
        let op = self.operations.len();
        self.operations.push(Operation {
            id: op,
            process,
            f: event.f.clone(),
            key: event.key.clone(),
            input: event.value.clone(),
            output: Value::Null,
            output_unknown: false,
            outcome: Outcome::Info,
            call_ns: event.time_ns,
            return_ns: None,
            invoke_index: event.index,
            complete_index: None,
        });
        self.processes
            .insert(process, ProcessState::Pending { op, invoked: here });
        Ok(())
    }

    fn complete(&mut self, process: u64, event: &Event, here: Mark) -> Result<(), HistoryError> {
        let (op, invoked) = match self.processes.get(&process) {
            Some(ProcessState::Pending { op, invoked }) => (*op, *invoked),
            Some(ProcessState::Idle { completed }) => {
                return Err(self.invalid(
                    here,
                    "type",
                    format!(
                        "{} completion without a pending invoke: process {process}'s last operation already completed at {completed} (two completions?)",
                        event.kind
                    ),
                ));
            }
            Some(ProcessState::Crashed { info }) => {
                return Err(self.invalid(
                    here,
                    "type",
                    format!(
                        "{} completion after process {process}'s operation already ended in info at {info}",
                        event.kind
                    ),
                ));
            }
            None => {
                return Err(self.invalid(
                    here,
                    "type",
                    format!(
                        "{} completion without invoke: process {process} has no pending operation",
                        event.kind
                    ),
                ));
            }
        };
        let operation = &self.operations[op];
        if operation.f != event.f {
            return Err(self.invalid(
                here,
                "f",
                format!(
                    "completion f {:?} does not match f {:?} of the invoke at {invoked}",
                    event.f, operation.f
                ),
            ));
        }
        if operation.key != event.key {
            return Err(self.invalid(
                here,
                "key",
                format!(
                    "completion key {:?} does not match key {:?} of the invoke at {invoked}",
                    event.key, operation.key
                ),
            ));
        }
        let operation = &mut self.operations[op];
        operation.complete_index = Some(event.index);
        let state = match event.kind {
            EventType::Ok => {
                operation.outcome = Outcome::Ok;
                operation.output = event.value.clone();
                operation.output_unknown = event.value_unknown;
                operation.return_ns = Some(event.time_ns);
                ProcessState::Idle { completed: here }
            }
            EventType::Fail => {
                operation.outcome = Outcome::Fail;
                operation.return_ns = Some(event.time_ns);
                ProcessState::Idle { completed: here }
            }
            EventType::Info | EventType::Invoke => {
                operation.outcome = Outcome::Info;
                ProcessState::Crashed { info: here }
            }
        };
        self.processes.insert(process, state);
        Ok(())
    }

    /// The operation `process` has pending (invoked, not yet completed).
    pub fn pending(&self, process: u64) -> Option<&Operation> {
        match self.processes.get(&process) {
            Some(ProcessState::Pending { op, .. }) => self.operations.get(*op),
            _ => None,
        }
    }

    /// The time of the last event accepted, in nanoseconds.
    pub fn last_time_ns(&self) -> Option<u64> {
        self.previous.map(|(_, time_ns, _)| time_ns)
    }

    /// The operations, in invocation order; those still pending are `info`
    /// with no return time.
    pub fn finish(self) -> Vec<Operation> {
        self.operations
    }
}
