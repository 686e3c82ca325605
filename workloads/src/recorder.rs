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
//! Every violation is returned as a [`RecordError`] and leaves the history
//! unchanged; nothing panics.

use std::collections::BTreeMap;

use faultline_checker::history::{Event, EventType, History, Process};
use serde_json::Value;

use crate::error::RecordError;
use crate::op::Op;

/// Where a client process stands.
#[derive(Debug, Clone)]
enum ClientState {
    /// An invocation is open.
    Open {
        f: String,
        key: Option<String>,
        invoke_index: u64,
    },
    /// Its last op completed `ok` or `fail`.
    Idle,
    /// Its last op ended `info`.
    Retired { info_index: u64 },
}

/// Builds a history event by event (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    history: History,
    last_time_ns: u64,
    clients: BTreeMap<u64, ClientState>,
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
        self.check_time(time_ns)?;
        if f.is_empty() {
            return Err(RecordError::EmptyFunction);
        }
        if key == Some("") {
            return Err(RecordError::EmptyKey);
        }
        match self.clients.get(&process) {
            Some(ClientState::Open { invoke_index, .. }) => {
                return Err(RecordError::AlreadyOpen {
                    process,
                    open_index: *invoke_index,
                })
            }
            Some(ClientState::Retired { info_index }) => {
                return Err(RecordError::Retired {
                    process,
                    info_index: *info_index,
                })
            }
            Some(ClientState::Idle) | None => {}
        }
        let key = key.map(str::to_string);
        let index = self.push(
            time_ns,
            Process::Client(process),
            EventType::Invoke,
            f,
            key.clone(),
            value,
        );
        self.clients.insert(
            process,
            ClientState::Open {
                f: f.to_string(),
                key,
                invoke_index: index,
            },
        );
        Ok(index)
    }

    /// Records the completion of `process`'s open op: `ok` with its output,
    /// `fail`, or `info`. Returns the history index.
    pub fn complete(
        &mut self,
        time_ns: u64,
        process: u64,
        kind: EventType,
        value: Value,
    ) -> Result<u64, RecordError> {
        self.check_time(time_ns)?;
        if kind == EventType::Invoke {
            return Err(RecordError::InvokeAsCompletion);
        }
        let (f, key) = match self.clients.get(&process) {
            Some(ClientState::Open { f, key, .. }) => (f.clone(), key.clone()),
            Some(ClientState::Retired { info_index }) => {
                return Err(RecordError::Retired {
                    process,
                    info_index: *info_index,
                })
            }
            Some(ClientState::Idle) | None => return Err(RecordError::NotOpen { process }),
        };
        let index = self.push(time_ns, Process::Client(process), kind, &f, key, value);
        let state = if kind == EventType::Info {
            ClientState::Retired { info_index: index }
        } else {
            ClientState::Idle
        };
        self.clients.insert(process, state);
        Ok(index)
    }

    /// Records a nemesis action (`start-partition`, `stop-kill`, ...) with a
    /// value describing the nodes it touched. Returns the history index.
    pub fn nemesis(&mut self, time_ns: u64, f: &str, value: Value) -> Result<u64, RecordError> {
        self.check_time(time_ns)?;
        if f.is_empty() {
            return Err(RecordError::EmptyFunction);
        }
        Ok(self.push(time_ns, Process::Nemesis, EventType::Info, f, None, value))
    }

    /// Processes with an invocation still open, in ascending order.
    pub fn open_processes(&self) -> Vec<u64> {
        self.clients
            .iter()
            .filter(|(_, s)| matches!(s, ClientState::Open { .. }))
            .map(|(p, _)| *p)
            .collect()
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

    fn check_time(&self, time_ns: u64) -> Result<(), RecordError> {
        if time_ns < self.last_time_ns {
            return Err(RecordError::TimeWentBackwards {
                time_ns,
                last_ns: self.last_time_ns,
            });
        }
        Ok(())
    }

    fn push(
        &mut self,
        time_ns: u64,
        process: Process,
        kind: EventType,
        f: &str,
        key: Option<String>,
        value: Value,
    ) -> u64 {
        let index = self.history.events.len() as u64;
        self.history.events.push(Event {
            index,
            time_ns,
            process,
            kind,
            f: f.to_string(),
            key,
            value,
        });
        self.last_time_ns = time_ns;
        index
    }
}
