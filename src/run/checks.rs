//! The checkers of a run: linearizability per key (or the set / append
//! checks, per the workload), the cluster observer's Raft invariants, and
//! liveness; then statistics. The result is the report view that becomes
//! `results.json` (DESIGN §3: a top-level `valid`; invalid wins over
//! unknown, unknown over valid).

use super::config::RunConfig;
use super::sim::SimOutput;
use crate::report_view::{failure_views, linearizability_view, view_verdict};
use faultline_checker::history::{EventType, History, Process};
use faultline_checker::{check_history, CheckOptions};
use faultline_reports::{CheckerView, ReportInput, Verdict};
use faultline_workloads::CheckerModel;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The wall-clock budget of the linearizability search for one run.
const CHECK_TIME_LIMIT: Duration = Duration::from_secs(60);

/// Runs every checker over `out` and assembles the results.
pub fn check_run(config: &RunConfig, out: &SimOutput, started_at: &str) -> ReportInput {
    let history = &out.history;
    let model = build_model(config);
    let title = format!(
        "{}, {} nodes, seed {}",
        config.workload, config.nodes, config.seed
    );
    let mut input = ReportInput::from_history(&title, Verdict::Valid, history);
    input.test_name = Some(config.test_name.clone());
    input.started_at = Some(started_at.to_string());
    input.seed = Some(config.seed);
    input.replay_command = Some(config.replay_command());
    input.config = serde_json::to_value(config).unwrap_or(Value::Null);

    match model {
        CheckerModel::Set => {
            input
                .checkers
                .push(match faultline_checker::set::check_set(history) {
                    Ok(r) => CheckerView {
                        name: "set".into(),
                        verdict: view_verdict(r.verdict),
                        summary: first_line(&r.explanation),
                        findings: r.explanation.lines().skip(1).map(str::to_string).collect(),
                    },
                    Err(e) => broken("set", &e),
                });
        }
        CheckerModel::Append => {
            input
                .checkers
                .push(match faultline_checker::append::check_append(history) {
                    Ok(r) => CheckerView {
                        name: "append".into(),
                        verdict: view_verdict(r.verdict),
                        summary: first_line(&r.explanation),
                        findings: r.explanation.lines().skip(1).map(str::to_string).collect(),
                    },
                    Err(e) => broken("append", &e),
                });
        }
        CheckerModel::CasRegister | CheckerModel::Kv => {}
    }
    if let Some(kind) = model.model_kind() {
        if model != CheckerModel::Set {
            let opts = CheckOptions {
                time_limit: Some(CHECK_TIME_LIMIT),
                ..CheckOptions::default()
            };
            match check_history(history, &kind, &opts) {
                Ok(report) => {
                    input.linearizability_failures = failure_views(&report);
                    input.checkers.push(linearizability_view(&report));
                }
                Err(e) => input.checkers.push(broken("linearizability", &e)),
            }
        }
    }

    input.raft_violations = out.violations.iter().map(|v| v.to_string()).collect();
    input.checkers.push(CheckerView {
        name: "raft invariants".into(),
        verdict: if out.violations.is_empty() {
            Verdict::Valid
        } else {
            Verdict::Invalid
        },
        summary: if out.violations.is_empty() {
            "election safety, log matching, leader completeness, state machine safety and \
             commit monotonicity held after every step"
                .into()
        } else {
            format!("{} violation(s)", out.violations.len())
        },
        findings: input.raft_violations.clone(),
    });
    input.liveness_findings = out.liveness.clone();
    input.checkers.push(CheckerView {
        name: "liveness".into(),
        verdict: if out.liveness.is_empty() {
            Verdict::Valid
        } else {
            Verdict::Invalid
        },
        summary: if out.liveness.is_empty() {
            "after the final heal every final read succeeded and every node converged".into()
        } else {
            "no recovery after the final heal".into()
        },
        findings: out.liveness.clone(),
    });
    input.verdict = input
        .checkers
        .iter()
        .map(|c| c.verdict)
        .max()
        .unwrap_or(Verdict::Unknown);
    input.stats = stats(history, out);
    input
}

fn build_model(config: &RunConfig) -> CheckerModel {
    faultline_workloads::build_workload(
        config.workload,
        &faultline_workloads::WorkloadConfig::default(),
    )
    .map(|w| w.checker())
    .unwrap_or(CheckerModel::Kv)
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_string()
}

fn broken(name: &str, e: &dyn std::fmt::Display) -> CheckerView {
    CheckerView {
        name: name.into(),
        verdict: Verdict::Unknown,
        summary: format!("the history could not be checked: {e}"),
        findings: vec![e.to_string()],
    }
}

/// Ops by outcome, availability during and outside faults, time to recover
/// after the final heal, and the cluster's counters.
fn stats(history: &History, out: &SimOutput) -> BTreeMap<String, Value> {
    let mut s = BTreeMap::new();
    let mut by_outcome: BTreeMap<&str, u64> = BTreeMap::new();
    // Fault intervals from the nemesis events: a fault is active from its
    // start to the next stop of the same family (or stop-all).
    let mut active: BTreeMap<String, u64> = BTreeMap::new();
    let mut intervals: Vec<(u64, u64)> = Vec::new();
    for e in &history.events {
        if e.process != Process::Nemesis {
            continue;
        }
        if let Some(family) = e.f.strip_prefix("start-") {
            active.insert(family.to_string(), e.time_ns);
        } else if e.f == "stop-all" {
            intervals.extend(active.values().map(|&start| (start, e.time_ns)));
            active.clear();
        } else if let Some(family) = e.f.strip_prefix("stop-") {
            if let Some(start) = active.remove(family) {
                intervals.push((start, e.time_ns));
            }
        }
    }
    intervals.extend(active.values().map(|&start| (start, u64::MAX)));
    let during = |t: u64| intervals.iter().any(|&(a, b)| a <= t && t < b);
    let (mut ok_in, mut all_in, mut ok_out, mut all_out) = (0u64, 0u64, 0u64, 0u64);
    let mut first_ok_after_heal: Option<u64> = None;
    let mut invoked: BTreeMap<u64, u64> = BTreeMap::new();
    for e in &history.events {
        let Process::Client(p) = e.process else {
            continue;
        };
        match e.kind {
            EventType::Invoke => {
                invoked.insert(p, e.time_ns);
            }
            kind => {
                let name = match kind {
                    EventType::Ok => "ok",
                    EventType::Fail => "fail",
                    _ => "info",
                };
                *by_outcome.entry(name).or_default() += 1;
                let t = invoked.remove(&p).unwrap_or(e.time_ns);
                let ok = kind == EventType::Ok;
                if during(t) {
                    all_in += 1;
                    ok_in += u64::from(ok);
                } else {
                    all_out += 1;
                    ok_out += u64::from(ok);
                }
                if let Some(h) = out.heal_ns {
                    if ok && e.time_ns >= h && first_ok_after_heal.is_none() {
                        first_ok_after_heal = Some(e.time_ns);
                    }
                }
            }
        }
    }
    for (k, v) in by_outcome {
        s.insert(format!("ops_{k}"), json!(v));
    }
    let ratio = |a: u64, b: u64| {
        if b == 0 {
            Value::Null
        } else {
            json!((a as f64 / b as f64 * 1000.0).round() / 1000.0)
        }
    };
    s.insert("availability_during_faults".into(), ratio(ok_in, all_in));
    s.insert("availability_outside_faults".into(), ratio(ok_out, all_out));
    s.insert("fault_periods".into(), json!(intervals.len()));
    if let (Some(h), Some(ok)) = (out.heal_ns, first_ok_after_heal) {
        s.insert(
            "recovery_s_after_final_heal".into(),
            json!((ok - h) as f64 / 1e9),
        );
    }
    s.insert("simulated_s".into(), json!(out.sim_end_ns as f64 / 1e9));
    let phases: BTreeMap<&str, f64> = out
        .phases
        .iter()
        .map(|(name, ns)| (name.as_str(), *ns as f64 / 1e9))
        .collect();
    s.insert("phase_start_s".into(), json!(phases));
    s.insert("simulation_steps".into(), json!(out.steps));
    for (k, v) in &out.counters {
        s.insert(format!("cluster_{k}"), json!(v));
    }
    s
}
