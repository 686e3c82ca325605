//! What a report shows: [`ReportInput`], a serde view of one run's results.
//!
//! The reports crate never decides anything: it renders what the checkers
//! decided. These types are deliberately plain (strings, numbers, JSON
//! values) so that `results.json` in a stored run can be deserialized
//! straight into a [`ReportInput`]; a `results.json` may carry more fields
//! than these (unknown fields are ignored) and may omit any of them except
//! `valid` (missing ones take their defaults).
//!
//! # `results.json` layout
//!
//! ```json
//! {
//!   "valid": "invalid",                      // or "valid" / "unknown" / true / false
//!   "title": "kv, 5 nodes, partition+kill",
//!   "test_name": "kv", "started_at": "2026-11-23T10:41:00Z",
//!   "checkers": [{"name": "linearizability", "valid": "invalid",
//!                 "summary": "key k3: op 17 cannot be linearized", "findings": ["..."]}],
//!   "config": {"nodes": 5},  "seed": 42,  "replay_command": "faultline run --seed 42",
//!   "stats": {"ops_ok": 120, "availability_during_faults": 0.61},
//!   "operations": [{"id": 0, "process": 1, "f": "write", "key": "k3", "input": 4,
//!                   "output": null, "outcome": "ok", "call_ns": 1000, "return_ns": 2000}],
//!   "faults": [{"kind": "partition", "start_ns": 10, "end_ns": 20,
//!               "nodes": ["n1", "n2"], "description": "n1 n2 | n3 n4 n5"}],
//!   "linearizability_failures": [{"key": "k3", "failing_op_id": 17,
//!       "prefix": [3, {"op_id": 9, "state": "4"}], "state_after": "4",
//!       "concurrent_op_ids": [16, 18],
//!       "text": "plain-text explanation"}],
//!   "raft_violations": ["term 3: two leaders n1 n4"],
//!   "liveness_findings": ["no recovery: n2 did not converge"]
//! }
//! ```
//!
//! `operations` and `faults` may be left out of `results.json`: [`crate::load_run`]
//! then rebuilds them from the run's history file.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A checker's decision: invalid wins over unknown, unknown over valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The history satisfies the property.
    Valid,
    /// The checker could not decide within its budget (never shown as valid).
    #[default]
    Unknown,
    /// The history violates the property.
    Invalid,
}

impl Verdict {
    /// The lowercase name used in JSON and in the page (`valid`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Unknown => "unknown",
        }
    }

    /// Parses `valid` / `invalid` / `unknown` (any case) or a JSON boolean.
    pub fn from_json(value: &Value) -> Option<Verdict> {
        match value {
            Value::Bool(true) => Some(Verdict::Valid),
            Value::Bool(false) => Some(Verdict::Invalid),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "valid" | "true" => Some(Verdict::Valid),
                "invalid" | "false" => Some(Verdict::Invalid),
                "unknown" => Some(Verdict::Unknown),
                _ => None,
            },
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Verdict::from_json(&value).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "verdict must be \"valid\", \"invalid\", \"unknown\" or a boolean, got {value}"
            ))
        })
    }
}

/// Everything one report shows. See the module docs for the JSON layout.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    /// The overall verdict (`results.json`'s top-level `valid`).
    #[serde(rename = "valid", alias = "verdict")]
    pub verdict: Verdict,
    /// A one-line title for the page.
    #[serde(default)]
    pub title: String,
    /// The test's name (the store directory above the run), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_name: Option<String>,
    /// When the run started, as printed by the runner (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Each checker's verdict and findings.
    #[serde(default)]
    pub checkers: Vec<CheckerView>,
    /// The run configuration, shown as JSON.
    #[serde(default)]
    pub config: Value,
    /// The seed that reproduces the run.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The exact command that replays the run.
    #[serde(default)]
    pub replay_command: Option<String>,
    /// Named statistics (ops by outcome, availability, recovery time, ...).
    #[serde(default)]
    pub stats: BTreeMap<String, Value>,
    /// Every client operation of the history.
    #[serde(default)]
    pub operations: Vec<OpView>,
    /// Fault periods injected by the nemesis.
    #[serde(default)]
    pub faults: Vec<FaultPeriod>,
    /// One entry per key whose history is not linearizable.
    #[serde(
        default,
        alias = "linearizability_failure",
        deserialize_with = "one_or_many"
    )]
    pub linearizability_failures: Vec<FailureView>,
    /// Raft invariant violations observed in the cluster, one line each.
    #[serde(default)]
    pub raft_violations: Vec<String>,
    /// Liveness findings (e.g. "no recovery after the final heal").
    #[serde(default)]
    pub liveness_findings: Vec<String>,
}

/// Accepts a single object, an array of objects, or `null`.
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<FailureView>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<FailureView>),
        One(Box<FailureView>),
        None(()),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(f) => vec![*f],
        OneOrMany::None(()) => Vec::new(),
    })
}

/// One checker's decision, as the page shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckerView {
    /// The checker's name (`linearizability`, `set`, `raft-invariants`, ...).
    pub name: String,
    /// Its verdict.
    #[serde(rename = "valid", alias = "verdict")]
    pub verdict: Verdict,
    /// A one-paragraph summary in plain text.
    #[serde(default, alias = "summary_text")]
    pub summary: String,
    /// Individual findings, one line of plain text each.
    #[serde(default)]
    pub findings: Vec<String>,
}

/// How a client operation ended (mirrors the checker's outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpOutcome {
    /// It took effect.
    Ok,
    /// It certainly did not take effect.
    Fail,
    /// Unknown whether it took effect.
    Info,
}

impl OpOutcome {
    /// `ok`, `fail` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            OpOutcome::Ok => "ok",
            OpOutcome::Fail => "fail",
            OpOutcome::Info => "info",
        }
    }

    /// All outcomes, in display order.
    pub const ALL: [OpOutcome; 3] = [OpOutcome::Ok, OpOutcome::Fail, OpOutcome::Info];
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
    pub outcome: OpOutcome,
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

/// One step of the longest linearizable prefix. Deserializes from an
/// object `{"op_id": 3, "state": "4"}` or from a bare op id `3` (the
/// checker's `Explanation::prefix` is a list of ids, with only the final
/// state known).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrefixStep {
    /// The op linearized at this step.
    pub op_id: u64,
    /// The model's state after it, as text, when the checker recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl<'de> Deserialize<'de> for PrefixStep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Id(u64),
            Step {
                op_id: u64,
                #[serde(default)]
                state: Option<String>,
            },
        }
        Ok(match Repr::deserialize(deserializer)? {
            Repr::Id(op_id) => PrefixStep { op_id, state: None },
            Repr::Step { op_id, state } => PrefixStep { op_id, state },
        })
    }
}

/// Why one key's history is not linearizable, as the checker explained it.
///
/// From the checker's `linearizability::Explanation`: `failing_op_id =
/// failed.id`, `prefix = prefix` (the ids), `state_after = state_after`,
/// `concurrent_op_ids` = the ids of `concurrent`, `text` = its `Display`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FailureView {
    /// The key whose sub-history failed.
    #[serde(default)]
    pub key: Option<String>,
    /// The operation that cannot be linearized after the prefix.
    pub failing_op_id: u64,
    /// The longest linearizable prefix found, in linearization order.
    #[serde(default)]
    pub prefix: Vec<PrefixStep>,
    /// The model's state after the whole prefix, as text.
    #[serde(default)]
    pub state_after: Option<String>,
    /// Operations pending beside the failing one when the search got stuck.
    #[serde(default)]
    pub concurrent_op_ids: Vec<u64>,
    /// The checker's plain-text explanation.
    #[serde(default)]
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_json_accepts_booleans_single_failures_and_bare_prefix_ids() {
        let input: ReportInput = serde_json::from_str(
            r#"{"valid": false, "checkers": [{"name": "set", "verdict": true, "summary_text": "ok"}],
                "linearizability_failure": {"failing_op_id": 9, "prefix": [1, {"op_id": 4, "state": "2"}]},
                "some_future_field": [1, 2]}"#,
        )
        .unwrap();
        assert_eq!(input.verdict, Verdict::Invalid);
        assert_eq!(input.checkers[0].verdict, Verdict::Valid);
        assert_eq!(input.checkers[0].summary, "ok");
        let failure = &input.linearizability_failures[0];
        assert_eq!(
            failure.prefix[0],
            PrefixStep {
                op_id: 1,
                state: None
            }
        );
        assert_eq!(failure.prefix[1].state.as_deref(), Some("2"));
    }

    #[test]
    fn results_json_round_trips_with_a_top_level_valid_field() {
        let input = ReportInput {
            verdict: Verdict::Unknown,
            seed: Some(3),
            ..ReportInput::default()
        };
        let json = serde_json::to_value(&input).unwrap();
        assert_eq!(json["valid"], "unknown");
        assert_eq!(serde_json::from_value::<ReportInput>(json).unwrap(), input);
    }

    #[test]
    fn unrecognised_verdicts_are_errors_not_guesses() {
        assert!(serde_json::from_str::<ReportInput>(r#"{"valid": "probably"}"#).is_err());
        assert!(serde_json::from_str::<ReportInput>(r#"{"title": "no verdict"}"#).is_err());
    }
}
