//! The history recorder: writes invocations, completions and nemesis
//! actions into a [`History`] with simulated-time stamps, enforcing the
//! history contract (DESIGN §3) as it goes.
//!
//! * Indices are dense from 0; time never goes backwards.
//! * A client process completes what it invoked exactly once; a completion
//!   copies the invoke's `f` and key.
//! * A process whose op ended `info` is retired and may never issue again.
//! * Nemesis actions are single `info` events under [`Process::Nemesis`],
//!   with `f` such as `start-partition` and a value naming what they touched.
//!
//! The contract is checked by the checker's own
//! [`faultline_checker::history::Validator`], so the recorder accepts
//! exactly what the checker accepts. Every violation is returned as a
//! [`RecordError`] and leaves the history unchanged; nothing panics.

use faultline_checker::error::HistoryError;
use faultline_checker::history::{Event, EventType, History, Process, Validator};
use serde_json::Value;

use crate::error::RecordError;
use crate::op::Op;

/// Builds a history event by event (see the module docs).
#[derive(Debug)]
pub struct Recorder {
    history: History,
    /// The checker's contract state machine, fed every event first.
    contract: Validator,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            history: History::new(),
            contract: Validator::new(None),
        }
    }
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Recorder::default()
    }

    /// Records the invocation of `op` (its process, f, key and value).
    pub fn invoke_op(&mut self, time_ns: u64, op: &Op) -> Result<u64, RecordError> {
        self.invoke(
            time_ns,
            op.process,
            op.f.as_str(),
            Some(&op.key),
            op.value.clone(),
        )
    }

    /// Records an invocation; returns its history index.
    pub fn invoke(
        &mut self,
        time_ns: u64,
        process: u64,
        f: &str,
        key: Option<&str>,
        value: Value,
    ) -> Result<u64, RecordError> {
        self.push(
            time_ns,
            Process::Client(process),
            EventType::Invoke,
            f.to_string(),
            key.map(str::to_string),
            value,
        )
    }

    /// Records the completion of `process`'s open op: `ok` with its output,
    /// `fail`, or `info`; the completion copies the invoke's `f` and key.
    /// Returns the history index.
    pub fn complete(
        &mut self,
        time_ns: u64,
        process: u64,
        kind: EventType,
        value: Value,
    ) -> Result<u64, RecordError> {
        if kind == EventType::Invoke {
            return Err(RecordError::InvokeAsCompletion);
        }
        // Without a pending op there is no f or key to copy: the contract
        // then refuses the completion for what the process did last (never
        // invoked, already completed, retired).
        let (f, key) = self
            .contract
            .pending(process)
            .map_or(("complete".to_string(), None), |op| {
                (op.f.clone(), op.key.clone())
            });
        self.push(time_ns, Process::Client(process), kind, f, key, value)
    }

    /// Records a nemesis action (`start-partition`, `stop-kill`, ...) with a
    /// value describing the nodes it touched. Returns the history index.
    pub fn nemesis(&mut self, time_ns: u64, f: &str, value: Value) -> Result<u64, RecordError> {
        self.push(
            time_ns,
            Process::Nemesis,
            EventType::Info,
            f.to_string(),
            None,
            value,
        )
    }

    /// Processes with an invocation still open, in ascending order.
    pub fn open_processes(&self) -> Vec<u64> {
        let mut open: Vec<u64> = self
            .history
            .events
            .iter()
            .filter_map(|e| match e.process {
                Process::Client(p) if self.contract.pending(p).is_some() => Some(p),
                _ => None,
            })
            .collect();
        open.sort_unstable();
        open.dedup();
        open
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The finished history. Ops still open stay open: checkers treat them
    /// as `info` (they may have taken effect).
    pub fn into_history(self) -> History {
        self.history
    }

    /// Appends the event if the contract accepts it.
    fn push(
        &mut self,
        time_ns: u64,
        process: Process,
        kind: EventType,
        f: String,
        key: Option<String>,
        value: Value,
    ) -> Result<u64, RecordError> {
        let index = self.history.events.len() as u64;
        let event = Event {
            index,
            time_ns,
            process,
            kind,
            f,
            key,
            value,
            value_unknown: false,
        };
        self.contract
            .push(&event, None)
            .map_err(|e| contract_error(index, e))?;
        self.history.events.push(event);
        Ok(index)
    }
}

fn contract_error(index: u64, e: HistoryError) -> RecordError {
    match e {
        HistoryError::Invalid { field, reason, .. } | HistoryError::Parse { field, reason, .. } => {
            RecordError::Contract {
                index,
                field,
                reason,
            }
        }
        HistoryError::Io { error, .. } => RecordError::Contract {
            index,
            field: "event".into(),
            reason: error.to_string(),
        },
    }
}
