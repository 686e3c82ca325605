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
    /// What happened before the first violation, when the caller worked
    /// it out (a stored run's node logs and history); shown as told.
    pub story: Option<Story>,
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
            story: None,
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

/// The story before a run's first violation: what broke first, the nodes
/// it involves, the events that led up to it and every node's state at
/// that moment. The caller decides what belongs in it; the page shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Story {
    /// The checker whose finding is told.
    pub checker: String,
    /// The finding's kind (its group's).
    pub kind: String,
    /// When the first violation was seen, nanoseconds.
    pub failure_ns: u64,
    /// The events' window starts here, nanoseconds.
    pub window_start_ns: u64,
    /// The nodes the finding involves (`n1`, ...); empty: all.
    pub nodes: Vec<String>,
    /// The log index the finding is about, if any (marked on the strip).
    pub index: Option<u64>,
    /// Events in the window, in time order.
    pub events: Vec<StoryEvent>,
    /// Every node's state at the first violation, when recorded.
    pub strip: Vec<faultline_checker::NodeState>,
    /// The fault that most likely started it (the last fault to start
    /// before the violation on the nodes involved) and every node's state
    /// as that fault started, when the node logs recorded it.
    pub before: Option<StoryBefore>,
}

/// The cluster just before the fault that started a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryBefore {
    /// When the fault started, nanoseconds.
    pub time_ns: u64,
    /// The fault, as the story's events describe it.
    pub fault: String,
    /// Every node's state as it started.
    pub strip: Vec<faultline_checker::NodeState>,
}

/// One event of a [`Story`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryEvent {
    /// Simulated time, nanoseconds.
    pub time_ns: u64,
    /// The node it happened on (`n3`); `None` for the nemesis.
    pub node: Option<String>,
    /// What kind of event: `nemesis`, `leader`, `election`, `step-down`,
    /// `truncation`, `crash`, `start`, `restart`, `snapshot`.
    pub kind: String,
    /// What happened, in a line.
    pub text: String,
    /// The node-log line it comes from.
    pub log: Option<LogLine>,
}

/// A line of a node log, relative to the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The log's path relative to the report (`nodes/n3.log`).
    pub path: String,
    /// The line number, from 1.
    pub line: usize,
    /// The line's timestamp as written (`11.398000s`), to find it by.
    pub stamp: String,
}
