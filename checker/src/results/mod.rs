//! The results model every part of faultline reads and writes: one
//! checker-result shape ([`CheckerResult`]: name, verdict, summary,
//! findings), the structured explanation of a linearizability failure
//! ([`LinearizabilityFailure`]) and one run's results ([`RunResults`], the
//! `results.json` of a stored run). Verdicts combine by the one rule of
//! [`crate::verdict`] and are encoded as Jepsen encodes them.
//!
//! Every checker's own result converts into a [`CheckerResult`]:
//! [`CheckReport::checker_result`] (linearizability), [`SetResult::checker_result`],
//! and [`AppendResult::checker_result`].
//!
//! # `results.json`
//!
//! ```json
//! {
//!   "valid": false,
//!   "title": "kv, 5 nodes, seed 42",
//!   "test_name": "kv", "started_at": "2026-11-23T10:41:00Z",
//!   "checkers": [{"name": "linearizability (kv)", "valid": false,
//!                 "summary": "1 of 10 keys is not linearizable", "findings": ["key k3: read 2"],
//!                 "groups": [{"kind": "not linearizable", "first": "key k3: read 2", "count": 1,
//!                             "span": {"keys": ["k3"]}}]}],
//!   "config": {"nodes": 5}, "seed": 42, "replay_command": "faultline run --seed 42 ...",
//!   "stats": {"ops_ok": 120, "availability_during_faults": 0.61},
//!   "linearizability_failures": [{"key": "k3", "failing_op_id": 17,
//!       "prefix": [3, 9], "state_after": "4", "concurrent_op_ids": [16, 18],
//!       "text": "plain-text explanation"}],
//!   "situations": {"two-leaders": {"count": 2, "first_ms": 10234},
//!                  "snapshot-installed": {"count": 0}}
//! }
//! ```
//!
//! `groups` ([`FindingGroup`], computed by [`groups::group_findings`]) holds
//! a checker's findings grouped by kind: the first in full, the count, and
//! the span (times in ms, log indices, nodes, keys) of the whole group. It
//! is left out when a checker has no findings; results without it (older
//! builds) are grouped when read ([`CheckerResult::grouped`]). A Raft
//! invariant finding's lines after the first are the nodes' states
//! ([`NodeState`]).
//!
//! `situations` says which interesting situations the run reached (their
//! names and meanings are the harness's to define), each with how many
//! times and the simulated time of the first, in ms; results without it
//! (older builds, imported histories) load with it empty.
//!
//! Every field but `valid` may be missing (it takes its default) and unknown
//! fields are ignored, so results written by older builds still load; so do
//! their verdicts written as strings (`"valid": "invalid"`), a field named
//! `verdict` instead of `valid`, and a single `linearizability_failure`
//! object.

pub mod groups;
pub mod node_state;

pub use groups::{FindingGroup, GroupSpan};
pub use node_state::{NodeState, TermRun};

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::append::AppendResult;
use crate::linearizability::{CheckReport, Explanation};
use crate::set::SetResult;
use crate::verdict::Verdict;

/// One checker's decision, in the shape every checker shares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckerResult {
    /// The checker's name (`linearizability (kv)`, `set`, `raft invariants`, ...).
    pub name: String,
    /// Its verdict.
    #[serde(rename = "valid", alias = "verdict")]
    pub verdict: Verdict,
    /// One line of plain text: what it checked and what it found.
    #[serde(default, alias = "summary_text")]
    pub summary: String,
    /// Individual findings, plain text each (the first line says what broke;
    /// further lines give detail).
    #[serde(default)]
    pub findings: Vec<String>,
    /// The findings grouped by kind ([`groups::group_findings`]); empty when
    /// not grouped yet (see [`CheckerResult::grouped`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<FindingGroup>,
}

impl CheckerResult {
    /// A result from a checker's plain-text explanation: its first line is
    /// the summary, every further line a finding.
    pub fn from_explanation(name: &str, verdict: Verdict, explanation: &str) -> CheckerResult {
        let mut lines = explanation.lines();
        CheckerResult {
            name: name.to_string(),
            verdict,
            summary: lines.next().unwrap_or("").to_string(),
            findings: lines.map(str::to_string).collect(),
            groups: Vec::new(),
        }
    }

    /// The kind of a finding that names none: `not linearizable` for an
    /// invalid linearizability result, else the checker's name.
    fn default_kind(&self) -> &str {
        if self.name.starts_with("linearizability") && self.verdict == Verdict::Invalid {
            "not linearizable"
        } else {
            &self.name
        }
    }

    /// Fills [`CheckerResult::groups`] from the findings (the one grouping,
    /// [`groups::group_findings`]).
    pub fn group(&mut self) {
        self.groups = groups::group_findings(&self.findings, self.default_kind());
    }

    /// The findings' groups: the stored ones, or, for a result stored
    /// without them, the same grouping computed now.
    pub fn grouped(&self) -> Cow<'_, [FindingGroup]> {
        if self.groups.is_empty() && !self.findings.is_empty() {
            Cow::Owned(groups::group_findings(&self.findings, self.default_kind()))
        } else {
            Cow::Borrowed(&self.groups)
        }
    }

    /// The result of a checker that could not run on its input: `unknown`,
    /// never `valid`, with the reason.
    pub fn unchecked(name: &str, reason: &dyn std::fmt::Display) -> CheckerResult {
        CheckerResult {
            name: name.to_string(),
            verdict: Verdict::Unknown,
            summary: format!("the history could not be checked: {reason}"),
            findings: vec![reason.to_string()],
            groups: Vec::new(),
        }
    }

    /// `name: first line of the first finding` (or of the summary), at most
    /// `chars_max` characters: what a one-line listing says about it.
    pub fn headline(&self, chars_max: usize) -> String {
        let detail = self.findings.first().unwrap_or(&self.summary);
        let line: String = detail
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(chars_max)
            .collect();
        format!("{}: {line}", self.name)
    }
}

/// One step of the longest linearizable prefix. Reads from an object
/// `{"op_id": 3, "state": "4"}` or from a bare op id `3`.
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

/// Why one key's history is not linearizable: the checker's
/// [`Explanation`] as stored data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinearizabilityFailure {
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

impl From<&Explanation> for LinearizabilityFailure {
    fn from(e: &Explanation) -> Self {
        LinearizabilityFailure {
            key: e.key.clone(),
            failing_op_id: e.failed.id as u64,
            prefix: e
                .prefix
                .iter()
                .map(|&id| PrefixStep {
                    op_id: id as u64,
                    state: None,
                })
                .collect(),
            state_after: Some(e.state_after.clone()),
            concurrent_op_ids: e.concurrent.iter().map(|o| o.id as u64).collect(),
            text: e.to_string(),
        }
    }
}

impl CheckReport {
    /// The linearizability checker's result: one finding per partition
    /// that is not valid.
    pub fn checker_result(&self) -> CheckerResult {
        let findings = self
            .partitions
            .iter()
            .filter(|p| p.verdict != Verdict::Valid)
            .map(|p| {
                let key = p.key.as_deref().unwrap_or("(no key)");
                match (&p.explanation, &p.note) {
                    (Some(e), _) => format!("key {key}: {}", e.failed.text),
                    (None, Some(note)) => format!("key {key}: {note}"),
                    (None, None) => format!("key {key}: {}", p.verdict),
                }
            })
            .collect();
        CheckerResult {
            name: format!("linearizability ({})", self.model),
            verdict: self.verdict,
            summary: format!(
                "{} operations in {} partitions: {}",
                self.operations,
                self.partitions.len(),
                self.verdict
            ),
            findings,
            groups: Vec::new(),
        }
    }

    /// The explanation of every partition that is not linearizable.
    pub fn failures(&self) -> Vec<LinearizabilityFailure> {
        self.partitions
            .iter()
            .filter_map(|p| p.explanation.as_ref())
            .map(LinearizabilityFailure::from)
            .collect()
    }
}

impl SetResult {
    /// The set checker's result.
    pub fn checker_result(&self) -> CheckerResult {
        CheckerResult::from_explanation("set", self.verdict, &self.explanation)
    }
}

impl AppendResult {
    /// The append checker's result.
    pub fn checker_result(&self) -> CheckerResult {
        CheckerResult::from_explanation("append", self.verdict, &self.explanation)
    }
}

/// How often a run reached one situation, and when it first did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SituationCount {
    /// Occurrences.
    pub count: u64,
    /// Simulated time of the first occurrence, ms since the run began
    /// (`None` while `count` is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_ms: Option<u64>,
}

impl SituationCount {
    /// Notes `n` more occurrences at `at_ms` (the first time is kept).
    pub fn add(&mut self, n: u64, at_ms: u64) {
        if n == 0 {
            return;
        }
        self.count += n;
        self.first_ms = Some(self.first_ms.map_or(at_ms, |t| t.min(at_ms)));
    }
}

/// One run's results: what `results.json` holds (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// The overall verdict: every checker's, combined.
    #[serde(rename = "valid", alias = "verdict")]
    pub verdict: Verdict,
    /// A one-line title.
    #[serde(default)]
    pub title: String,
    /// The test's name (the store directory above the run), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_name: Option<String>,
    /// When the run started (UTC, RFC 3339), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Each checker's result.
    #[serde(default)]
    pub checkers: Vec<CheckerResult>,
    /// The run configuration (`config.json`), as JSON.
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
    /// One entry per key whose history is not linearizable.
    #[serde(
        default,
        alias = "linearizability_failure",
        deserialize_with = "one_or_many"
    )]
    pub linearizability_failures: Vec<LinearizabilityFailure>,
    /// Situations the run reached, by name (every name the harness knows,
    /// reached or not; empty when none were recorded).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub situations: BTreeMap<String, SituationCount>,
}

impl RunResults {
    /// Sets the overall verdict from the checkers' (the one combination
    /// rule) and returns it.
    pub fn combine(&mut self) -> Verdict {
        self.verdict = Verdict::combine_all(self.checkers.iter().map(|c| c.verdict));
        self.verdict
    }

    /// Groups every checker's findings ([`CheckerResult::group`]).
    pub fn group_findings(&mut self) {
        for c in &mut self.checkers {
            c.group();
        }
    }

    /// The first checker that is not valid, if any.
    pub fn first_failing(&self) -> Option<&CheckerResult> {
        self.checkers.iter().find(|c| c.verdict != Verdict::Valid)
    }
}

/// Accepts a single object, an array of objects, or `null`.
fn one_or_many<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<LinearizabilityFailure>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<LinearizabilityFailure>),
        One(Box<LinearizabilityFailure>),
        None(()),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(f) => vec![*f],
        OneOrMany::None(()) => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_written_by_older_builds_still_load() {
        let results: RunResults = serde_json::from_str(
            r#"{"valid": "invalid", "checkers": [{"name": "set", "verdict": "valid", "summary_text": "ok"}],
                "linearizability_failure": {"failing_op_id": 9, "prefix": [1, {"op_id": 4, "state": "2"}]},
                "operations": [], "raft_violations": ["x"], "some_future_field": [1, 2]}"#,
        )
        .unwrap();
        assert_eq!(results.verdict, Verdict::Invalid);
        assert_eq!(results.checkers[0].verdict, Verdict::Valid);
        assert_eq!(results.checkers[0].summary, "ok");
        let failure = &results.linearizability_failures[0];
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
    fn results_round_trip_with_a_jepsen_valid_field() {
        let mut results = RunResults {
            seed: Some(3),
            checkers: vec![
                CheckerResult::from_explanation("a", Verdict::Valid, "fine"),
                CheckerResult::unchecked("b", &"no history"),
            ],
            ..RunResults::default()
        };
        assert_eq!(results.combine(), Verdict::Unknown);
        let json = serde_json::to_value(&results).unwrap();
        assert_eq!(json["valid"], "unknown");
        assert_eq!(json["checkers"][0]["valid"], true);
        assert_eq!(serde_json::from_value::<RunResults>(json).unwrap(), results);
        assert_eq!(
            results.first_failing().unwrap().headline(40),
            "b: no history"
        );
    }

    #[test]
    fn situations_round_trip_and_are_left_out_when_none_were_recorded() {
        let mut results = RunResults::default();
        let json = serde_json::to_value(&results).unwrap();
        assert!(json.get("situations").is_none(), "{json}");
        let mut two = SituationCount::default();
        two.add(0, 5);
        assert_eq!(two, SituationCount::default(), "nothing happened");
        two.add(1, 900);
        two.add(2, 400);
        assert_eq!((two.count, two.first_ms), (3, Some(400)));
        results.situations.insert("two-leaders".into(), two);
        results
            .situations
            .insert("snapshot-installed".into(), SituationCount::default());
        let json = serde_json::to_value(&results).unwrap();
        assert_eq!(
            json["situations"],
            serde_json::json!({"two-leaders": {"count": 3, "first_ms": 400},
                               "snapshot-installed": {"count": 0}})
        );
        assert_eq!(serde_json::from_value::<RunResults>(json).unwrap(), results);
    }

    #[test]
    fn groups_are_stored_when_grouped_and_computed_for_results_without_them() {
        let mut results = RunResults {
            checkers: vec![CheckerResult::from_explanation(
                "stability",
                Verdict::Invalid,
                "2 findings\nunstable: the term rose (n2) at 3.000 s\nunstable: again (n4) at 5.500 s",
            )],
            ..RunResults::default()
        };
        let old = serde_json::to_value(&results).unwrap();
        assert!(old["checkers"][0].get("groups").is_none(), "{old}");
        results.group_findings();
        let json = serde_json::to_value(&results).unwrap();
        assert_eq!(
            json["checkers"][0]["groups"],
            serde_json::json!([{"kind": "unstable", "first": "unstable: the term rose (n2) at 3.000 s",
                "count": 2, "members": [0, 1],
                "span": {"first_ms": 3000, "last_ms": 5500, "nodes": ["n2", "n4"]}}])
        );
        assert_eq!(serde_json::from_value::<RunResults>(json).unwrap(), results);
        let loaded: RunResults = serde_json::from_value(old).unwrap();
        assert_eq!(
            *loaded.checkers[0].grouped(),
            results.checkers[0].groups[..]
        );
    }

    #[test]
    fn a_verdict_is_never_guessed() {
        assert!(serde_json::from_str::<RunResults>(r#"{"valid": "probably"}"#).is_err());
        assert!(serde_json::from_str::<RunResults>(r#"{"title": "no verdict"}"#).is_err());
    }

    #[test]
    fn explanations_split_into_summary_and_findings() {
        let r = CheckerResult::from_explanation("set", Verdict::Invalid, "2 lost\nk1: 3\nk2: 4");
        assert_eq!(r.summary, "2 lost");
        assert_eq!(r.findings, ["k1: 3", "k2: 4"]);
        assert_eq!(r.headline(4), "set: k1: ");
    }
}
