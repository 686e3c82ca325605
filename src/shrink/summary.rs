//! What a shrink found, on one screen and in `shrink.json` (stored in the
//! shrunk run's directory): the reason kept, the original's and the
//! shrunk run's size, the faults that remained as they were applied, the
//! settings that changed, how the failure now shows, the search's cost and
//! whether the result replayed identically.

use std::collections::BTreeMap;
use std::fmt::Write;

use faultline_checker::history::History;
use serde::{Deserialize, Serialize};

use super::Measures;
use crate::run::config::RunConfig;

/// A shrink's outcome, as `shrink.json` stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShrinkRecord {
    /// The run that was shrunk.
    pub original_run_dir: String,
    /// The shrunk run's directory.
    pub shrunk_run_dir: String,
    /// The reason kept (`checker: kind`), or `any failure`.
    pub reason: String,
    /// The original's size (as re-run by this build).
    pub original: Measures,
    /// The shrunk run's size.
    pub shrunk: Measures,
    /// Candidate runs tried.
    pub runs: u64,
    /// Wall-clock seconds the shrink took, search and checks included.
    pub wall_s: f64,
    /// The budget of candidate runs.
    pub budget_runs: u64,
    /// The budget of wall-clock seconds.
    pub budget_secs: u64,
    /// Whether a budget ran out before the search was done.
    pub budget_exhausted: bool,
    /// How many of the shrunk run's two re-runs gave the same history.
    pub replays_identical: u32,
    /// Every change the search kept, in order.
    pub changes: Vec<String>,
    /// Other failures candidates ran into (not accepted), with counts.
    pub other_failures: BTreeMap<String, u64>,
    /// Candidates that could not run, with counts.
    pub candidate_errors: BTreeMap<String, u64>,
    /// The command that replays the shrunk run.
    pub replay: String,
}

/// The one-screen summary of a shrink: `record`, the shrunk run's
/// settings next to the original's, its faults (from its `history`) and
/// how its failure shows (`failure`, the run's own summary).
pub fn render(
    record: &ShrinkRecord,
    original: &RunConfig,
    shrunk: &RunConfig,
    history: &History,
    failure: &str,
) -> String {
    let mut out = String::new();
    let (o, s) = (&record.original, &record.shrunk);
    let _ = writeln!(
        out,
        "shrunk {} seed {}: still invalid for {}",
        shrunk.test_name, shrunk.seed, record.reason
    );
    let _ = writeln!(out, "                 original → shrunk");
    let _ = writeln!(
        out,
        "  faults         {:>8} → {}",
        o.faults_count, s.faults_count
    );
    let _ = writeln!(
        out,
        "  operations     {:>8} → {}",
        o.operations_count, s.operations_count
    );
    let _ = writeln!(out, "  simulated s    {:>8.1} → {:.1}", o.sim_s, s.sim_s);
    let settings = changed_settings(original, shrunk);
    if !settings.is_empty() {
        let _ = writeln!(out, "  settings: {}", settings.join(", "));
    }
    let faults = faultline_reports::from_history::faults_from_history(history);
    let _ = match faults.len() {
        0 => writeln!(out, "no faults: the failure needs none"),
        1 => writeln!(out, "1 fault:"),
        n => writeln!(out, "{n} faults:"),
    };
    for f in &faults {
        let end = f.end_ns.map_or("the final heal".to_string(), |e| {
            format!("{:.1} s", e as f64 / 1e9)
        });
        let _ = writeln!(
            out,
            "  {} at {:.1} s until {end}: {}",
            f.kind,
            f.start_ns as f64 / 1e9,
            describe(&f.description)
        );
    }
    for line in failure.lines().skip(1).take(6) {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "search: {} runs in {:.1} s (budget {} runs, {} s{}); {} change{} kept",
        record.runs,
        record.wall_s,
        record.budget_runs,
        record.budget_secs,
        if record.budget_exhausted {
            ", ran out: this is the best found"
        } else {
            ""
        },
        record.changes.len(),
        if record.changes.len() == 1 { "" } else { "s" }
    );
    for (reason, n) in &record.other_failures {
        let _ = writeln!(out, "  also seen, not kept: {reason} ({n} runs)");
    }
    for (error, n) in &record.candidate_errors {
        let _ = writeln!(out, "  could not run: {error} ({n} runs)");
    }
    let _ = writeln!(
        out,
        "determinism: {}",
        if record.replays_identical == 2 {
            "re-run twice, the history was identical both times".to_string()
        } else {
            format!(
                "DETERMINISM BUG: re-run twice, {} of 2 histories matched the shrunk run's",
                record.replays_identical
            )
        }
    );
    let _ = writeln!(out, "shrunk run: {}", record.shrunk_run_dir);
    let _ = writeln!(out, "replay: {}", record.replay);
    out
}

/// The settings that differ, as `name old → new`.
fn changed_settings(a: &RunConfig, b: &RunConfig) -> Vec<String> {
    let pairs = [
        (
            "main phase s",
            a.time_limit_s.to_string(),
            b.time_limit_s.to_string(),
        ),
        ("quiet s", a.quiet_s.to_string(), b.quiet_s.to_string()),
        (
            "clients",
            a.concurrency.to_string(),
            b.concurrency.to_string(),
        ),
        ("ops/s", a.rate_per_s.to_string(), b.rate_per_s.to_string()),
        ("keys", a.keys.to_string(), b.keys.to_string()),
        ("nodes", a.nodes.to_string(), b.nodes.to_string()),
    ];
    pairs
        .into_iter()
        .filter(|(_, x, y)| x != y)
        .map(|(name, x, y)| format!("{name} {x} → {y}"))
        .collect()
}

/// A fault as applied (the nemesis event's JSON value) in a few words:
/// who drops whom for a partition, the nodes and magnitudes otherwise.
fn describe(value: &str) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(value) else {
        return value.to_string();
    };
    let ids = |v: &serde_json::Value| -> String {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|n| format!("n{n}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    let mut parts = Vec::new();
    for (name, v) in &fields {
        match name.as_str() {
            "fault" => {}
            "kind" => parts.insert(0, v.as_str().unwrap_or("").to_string()),
            "nodes" => parts.push(format!("on {}", ids(v))),
            "grudge" => {
                let drops = v.get("drops").and_then(|d| d.as_object());
                let cuts: Vec<String> = drops
                    .into_iter()
                    .flatten()
                    .filter(|(_, d)| d.as_array().is_some_and(|a| !a.is_empty()))
                    .map(|(n, d)| format!("n{n} drops {}", ids(d)))
                    .collect();
                parts.push(cuts.join("; "));
            }
            _ => parts.push(format!("{name} {v}")),
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applied_faults_read_as_words() {
        assert_eq!(
            describe(
                r#"{"fault":"partition","grudge":{"drops":{"1":[3],"2":[],"3":[1,2]}},"kind":"partition-majority"}"#
            ),
            "partition-majority, n1 drops n3; n3 drops n1,n2"
        );
        assert_eq!(describe(r#"{"fault":"kill","nodes":[2,5]}"#), "on n2,n5");
        assert_eq!(describe("not json"), "not json");
    }
}
