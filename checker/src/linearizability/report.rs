//! What a linearizability check found, as serde data (for `results.json` and
//! the HTML report) and as plain text a person can follow, in the manner of
//! Knossos and Elle: the longest order that works, the state it leaves, the
//! operation that cannot come next, and what ran alongside it.

use crate::history::{Operation, Outcome};
use crate::verdict::Verdict;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// How many operations of a long prefix the text rendering shows.
const PREFIX_SHOWN_MAX: usize = 8;

/// The result of checking a whole history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    /// The combined verdict: invalid if any partition is, else unknown if any
    /// is, else valid.
    #[serde(rename = "valid")]
    pub verdict: Verdict,
    /// The model's name.
    pub model: String,
    /// Operations given to the checker (all outcomes).
    pub operations: usize,
    /// The most bytes the searches held at once (see
    /// [`crate::CheckOptions::memory_bytes_max`]).
    pub memory_bytes_peak: usize,
    /// One result per partition (key), ordered by key; operations without a
    /// key come first.
    pub partitions: Vec<PartitionResult>,
}

/// The result for one independent partition of the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionResult {
    /// The key, or `None` for operations without one.
    pub key: Option<String>,
    /// This partition's verdict.
    #[serde(rename = "valid")]
    pub verdict: Verdict,
    /// Operations the search had to place.
    pub operations: usize,
    /// Operations left out: `fail`ed ones, and those that constrain nothing
    /// (such as `info` reads).
    pub dropped: usize,
    /// Search loop iterations.
    pub steps: u64,
    /// (linearized set, state) pairs memoized.
    pub memo_entries: usize,
    /// The bytes this partition's search held when it ended.
    pub memory_bytes: usize,
    /// Why the verdict is unknown, when it is.
    pub note: Option<String>,
    /// Why the verdict is invalid, when it is.
    pub explanation: Option<Explanation>,
}

/// Why a partition is not linearizable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The partition's key.
    pub key: Option<String>,
    /// The operation the longest linearization could not get past.
    pub failed: OpSummary,
    /// Ids of the operations of the longest linearizable prefix, in the order
    /// they were linearized.
    pub prefix: Vec<usize>,
    /// The last few operations of that prefix (at most 8), for display.
    pub prefix_tail: Vec<OpSummary>,
    /// What the model calls its object ("register", "set").
    pub object: String,
    /// The model state after the prefix.
    pub state_after: String,
    /// The other operations whose execution overlapped the failed one in
    /// real time, in invocation order.
    pub concurrent: Vec<OpSummary>,
}

/// One operation, as an explanation shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpSummary {
    /// The operation's id.
    pub id: usize,
    /// The issuing process.
    pub process: u64,
    /// The function.
    pub f: String,
    /// The input value.
    pub input: Value,
    /// The output value (`null` unless it completed `ok`).
    pub output: Value,
    /// How it ended.
    pub outcome: Outcome,
    /// Invocation time in nanoseconds.
    pub call_ns: u64,
    /// Completion time, if it completed.
    pub return_ns: Option<u64>,
    /// A short rendering such as `read 2` or `cas 1->3`.
    pub text: String,
}

impl OpSummary {
    /// Summarizes `op`.
    pub fn of(op: &Operation) -> Self {
        Self {
            id: op.id,
            process: op.process,
            f: op.f.clone(),
            input: op.input.clone(),
            output: op.output.clone(),
            outcome: op.outcome,
            call_ns: op.call_ns,
            return_ns: op.return_ns,
            text: short_text(op),
        }
    }

    /// `read 2 (op 7, process 4, 1.200 s → 1.300 s)`.
    fn long_text(&self) -> String {
        let end = match (self.outcome, self.return_ns) {
            (Outcome::Info, _) | (_, None) => "never returned".to_string(),
            (_, Some(ns)) => format!("→ {}", time_text(ns)),
        };
        format!(
            "{} (op {}, process {}, {} {end})",
            self.text,
            self.id,
            self.process,
            time_text(self.call_ns)
        )
    }
}

/// `write 3`, `read 2`, `read ?` (info or unknown value), `cas 1->3`,
/// `append "x"`, `dequeue 4`, `txn [["read","x",1]]`. Writes, appends, adds
/// and enqueues show only their input (importers often echo it back as
/// the output).
fn short_text(op: &Operation) -> String {
    let pending = op.outcome != Outcome::Ok;
    match (op.f.as_str(), &op.input) {
        ("read", _) if pending || op.output_unknown => "read ?".to_string(),
        ("read", _) => format!("read {}", op.output),
        ("dequeue", _) if pending || op.output_unknown => "dequeue ?".to_string(),
        ("dequeue", _) => format!("dequeue {}", op.output),
        ("txn", input) if pending || op.output_unknown => format!("txn {input}"),
        ("txn", _) => format!("txn {}", op.output),
        ("write" | "append" | "add" | "enqueue", input) => format!("{} {input}", op.f),
        ("cas", Value::Array(pair)) if pair.len() == 2 => format!("cas {}->{}", pair[0], pair[1]),
        (f, Value::Null) if op.output.is_null() => f.to_string(),
        (f, input) if op.output.is_null() => format!("{f} {input}"),
        (f, input) => format!("{f} {input} -> {}", op.output),
    }
}

/// Nanoseconds as seconds with millisecond precision, or raw nanoseconds for
/// histories whose "time" is an event counter.
fn time_text(ns: u64) -> String {
    if ns < 1_000_000 {
        format!("t={ns}")
    } else {
        format!("{}.{:03} s", ns / 1_000_000_000, (ns / 1_000_000) % 1000)
    }
}

fn key_text(key: &Option<String>) -> String {
    match key {
        Some(k) => format!("Key {k:?}"),
        None => "The history".to_string(),
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: no linearization. ", key_text(&self.key))?;
        if self.prefix.is_empty() {
            write!(f, "From the initial {} {}", self.object, self.state_after)?;
        } else {
            let hidden = self.prefix.len() - self.prefix_tail.len();
            let shown: Vec<String> = self
                .prefix_tail
                .iter()
                .map(|op| format!("{} (op {})", op.text, op.id))
                .collect();
            let earlier = if hidden > 0 {
                format!("… {hidden} earlier, ")
            } else {
                String::new()
            };
            write!(
                f,
                "The longest linearizable prefix has {} operation{}: [{earlier}{}]; after it the {} is {}",
                self.prefix.len(),
                if self.prefix.len() == 1 { "" } else { "s" },
                shown.join(", "),
                self.object,
                self.state_after
            )?;
        }
        write!(
            f,
            ", but {} cannot take effect next",
            self.failed.long_text()
        )?;
        if self.concurrent.is_empty() {
            write!(f, "; no operation was concurrent with it.")
        } else {
            writeln!(f, "; operations concurrent with it:")?;
            let lines: Vec<String> = self
                .concurrent
                .iter()
                .map(|op| format!("  - {}", op.long_text()))
                .collect();
            write!(f, "{}", lines.join("\n"))
        }
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} operation{} in {} partition{} checked against the {} model",
            self.verdict,
            self.operations,
            if self.operations == 1 { "" } else { "s" },
            self.partitions.len(),
            if self.partitions.len() == 1 { "" } else { "s" },
            self.model
        )?;
        for partition in &self.partitions {
            match (&partition.explanation, &partition.note) {
                (Some(explanation), _) => write!(f, "\n{explanation}")?,
                (None, Some(note)) => write!(f, "\n{}: unknown: {note}", key_text(&partition.key))?,
                (None, None) => {}
            }
        }
        Ok(())
    }
}

/// Builds the explanation for a partition whose longest prefix is `prefix`.
pub(crate) fn explain(
    key: &Option<String>,
    ops: &[&Operation],
    prefix: &[usize],
    stuck: usize,
    concurrent: &[usize],
    object: &str,
    state_after: String,
) -> Explanation {
    let tail_start = prefix.len().saturating_sub(PREFIX_SHOWN_MAX);
    Explanation {
        key: key.clone(),
        failed: OpSummary::of(ops[stuck]),
        prefix: prefix.iter().map(|&i| ops[i].id).collect(),
        prefix_tail: prefix[tail_start..]
            .iter()
            .map(|&i| OpSummary::of(ops[i]))
            .collect(),
        object: object.to_string(),
        state_after,
        concurrent: concurrent.iter().map(|&i| OpSummary::of(ops[i])).collect(),
    }
}
