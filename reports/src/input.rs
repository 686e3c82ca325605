//! What a report shows: [`ReportInput`], one run's results (the checker's
//! [`RunResults`], as `results.json` holds them) with the operations and
//! fault periods the timeline and plots draw, built from the run's history.
//!
//! The reports crate never decides anything: it renders what the checkers
//! decided. The results model (verdicts, checker results, the
//! `results.json` layout) is the checker's: see
//! [`faultline_checker::results`].

use faultline_checker::history::{History, Outcome};
use faultline_checker::RunResults;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::from_history::{faults_from_history, operations_from_history};

/// Everything one report shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportInput {
    /// The run's results (verdicts, checkers, config, stats, failures).
    pub results: RunResults,
    /// Every client operation of the history.
    pub operations: Vec<OpView>,
    /// Fault periods injected by the nemesis.
    pub faults: Vec<FaultPeriod>,
    /// The run's node logs, as paths relative to the report (`nodes/n1.log`),
    /// linked from the page.
    pub node_logs: Vec<String>,
}

impl ReportInput {
    /// A report of `results` over `history`: its operations and fault
    /// periods filled in from the history.
    pub fn new(results: RunResults, history: &History) -> ReportInput {
        ReportInput {
            results,
            operations: operations_from_history(history),
            faults: faults_from_history(history),
            node_logs: Vec::new(),
        }
    }
}

/// One client operation: an invocation and its completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpView {
    /// The operation's id (the checker's dense id, in invocation order).
    pub id: u64,
    /// The client process that issued it.
    pub process: u64,
    /// The function (`read`, `write`, `cas`, ...).
    pub f: String,
    /// The key, if the workload is keyed.
    #[serde(default)]
    pub key: Option<String>,
    /// The input value.
    #[serde(default)]
    pub input: Value,
    /// The output value (`null` unless the op completed `ok` with a result).
    #[serde(default)]
    pub output: Value,
    /// How it ended.
    pub outcome: Outcome,
    /// Invocation time, nanoseconds.
    pub call_ns: u64,
    /// Completion time in nanoseconds: for `info`, when the client stopped
    /// waiting; `None` when the history ends before any completion.
    #[serde(default)]
    pub return_ns: Option<u64>,
}

impl OpView {
    /// The op's latency in nanoseconds, if it has a completion time.
    pub fn latency_ns(&self) -> Option<u64> {
        self.return_ns.map(|r| r.saturating_sub(self.call_ns))
    }
}

/// One period during which a fault was active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultPeriod {
    /// The fault kind (`partition`, `kill`, `clock`, ...): one colour each.
    pub kind: String,
    /// When it started, nanoseconds.
    pub start_ns: u64,
    /// When it was healed; `None` if it lasted to the end of the history.
    #[serde(default)]
    pub end_ns: Option<u64>,
    /// The nodes it touched.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Plain-text detail (e.g. the partition's sides).
    #[serde(default)]
    pub description: String,
}
