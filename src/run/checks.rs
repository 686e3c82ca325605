//! The checkers of a run: linearizability per key (or the set / append
//! checks, per the workload), the cluster observer's Raft invariants, and
//! liveness; then statistics. The result is the report view that becomes
//! `results.json` (DESIGN §3: a top-level `valid`; invalid wins over
//! unknown, unknown over valid).
//!
//! When the disk nemesis destroyed data a node had synced (see
//! [`super::data_loss`]), Raft's stable-storage assumption no longer holds
//! from that moment: a safety failure that only shows after it is reported
//! as `unknown` with the loss named, never as `invalid` (the linearizability
//! checker re-checks the history before the loss, so a real bug before it
//! still makes the run invalid).

use super::config::RunConfig;
use super::data_loss::DataLoss;
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
                    let mut view = linearizability_view(&report);
                    if let (Verdict::Invalid, Some(loss)) = (view.verdict, out.data_losses.first())
                    {
                        let before = prefix(history, loss.time_ns);
                        let valid_before = check_history(&before, &kind, &opts)
                            .is_ok_and(|r| view_verdict(r.verdict) == Verdict::Valid);
                        if valid_before {
                            excuse(&mut view, &out.data_losses);
                        }
                    }
                    input.checkers.push(view);
                }
                Err(e) => input.checkers.push(broken("linearizability", &e)),
            }
        }
    }

    if let Some(view) = input.checkers.first_mut() {
        // The set and append checks judge the final reads, which come after
        // any loss.
        if matches!(view.name.as_str(), "set" | "append") && view.verdict == Verdict::Invalid {
            excuse(view, &out.data_losses);
        }
    }
    input.raft_violations = out.violations.iter().map(|v| v.to_string()).collect();
    let mut raft = CheckerView {
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
    };
    let first_loss_ns = out.data_losses.first().map_or(u64::MAX, |l| l.time_ns);
    if out.violations.iter().all(|v| v.time_ns >= first_loss_ns) {
        excuse(&mut raft, &out.data_losses);
    }
    input.checkers.push(raft);
    input.liveness_findings = out.liveness.clone();
    let mut liveness = CheckerView {
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
    };
    // Divergent logs after a loss of synced data may never converge.
    excuse(&mut liveness, &out.data_losses);
    input.checkers.push(liveness);
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

/// The part of `history` before `time_ns`: operations completed later stay
/// pending (they may or may not have happened), nemesis events included.
fn prefix(history: &History, time_ns: u64) -> History {
    History {
        events: history
            .events
            .iter()
            .filter(|e| e.time_ns < time_ns)
            .cloned()
            .collect(),
    }
}

/// Turns an invalid verdict into `unknown` when the disk nemesis destroyed
/// synced data first: Raft cannot be blamed for what it was not built to
/// survive. The losses are named in the findings.
fn excuse(view: &mut CheckerView, losses: &[DataLoss]) {
    if view.verdict != Verdict::Invalid || losses.is_empty() {
        return;
    }
    view.verdict = Verdict::Unknown;
    view.summary = format!(
        "{}; not attributable to Raft: it follows the loss of synced log records to injected \
         disk corruption (Raft assumes stable storage)",
        view.summary
    );
    let mut findings: Vec<String> = losses.iter().map(|l| l.to_string()).collect();
    findings.append(&mut view.findings);
    view.findings = findings;
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_nemesis::observer::Violation;

    /// A kv history: key 1 written 1 (ok), then read at `read_ns` returning
    /// `read` (ok).
    fn history(read_ns: u64, read: &str) -> History {
        let csv = format!(
            "index,time_ns,process,type,f,key,value\n\
             0,1000,0,invoke,write,1,1\n\
             1,2000,0,ok,write,1,1\n\
             2,{read_ns},1,invoke,read,1,null\n\
             3,{},1,ok,read,1,{read}\n",
            read_ns + 1000
        );
        faultline_checker::io::csv::read(csv.as_bytes(), "test.csv")
            .unwrap()
            .history
    }

    fn output(history: History, violation_ns: &[u64], loss_ns: Option<u64>) -> SimOutput {
        SimOutput {
            history,
            violations: violation_ns
                .iter()
                .map(|&t| Violation {
                    property: "leader-completeness",
                    time_ns: t,
                    step: t / 1_000_000,
                    detail: "lost a committed entry".into(),
                    nodes: Vec::new(),
                })
                .collect(),
            liveness: Vec::new(),
            data_losses: loss_ns
                .map(|t| DataLoss {
                    node: 2,
                    time_ns: t,
                    note: "checksum mismatch".into(),
                })
                .into_iter()
                .collect(),
            node_logs: BTreeMap::new(),
            phases: Vec::new(),
            sim_end_ns: 10_000_000,
            heal_ns: None,
            steps: 10,
            counters: BTreeMap::new(),
        }
    }

    fn verdicts(out: &SimOutput) -> (Verdict, Verdict, Verdict) {
        let r = check_run(&RunConfig::with_seed(1), out, "now");
        let of = |prefix: &str| {
            r.checkers
                .iter()
                .find(|c| c.name.starts_with(prefix))
                .map(|c| c.verdict)
                .unwrap()
        };
        (of("linearizability"), of("raft invariants"), r.verdict)
    }

    #[test]
    fn failures_after_injected_data_loss_are_unknown_and_before_it_invalid() {
        use Verdict::*;
        // No loss: a stale read and a violation are plainly invalid.
        assert_eq!(
            verdicts(&output(history(5000, "null"), &[6000], None)),
            (Invalid, Invalid, Invalid)
        );
        // The stale read and the violation come after the loss: unknown.
        let after = output(history(5000, "null"), &[6000], Some(4000));
        assert_eq!(verdicts(&after), (Unknown, Unknown, Unknown));
        let r = check_run(&RunConfig::with_seed(1), &after, "now");
        assert!(r.checkers.iter().any(|c| c
            .findings
            .iter()
            .any(|f| f.contains("n2 lost synced log records"))));
        // The stale read comes before the loss: the history before the loss
        // is already invalid, so the run is.
        assert_eq!(
            verdicts(&output(history(5000, "null"), &[], Some(9000))).0,
            Invalid
        );
        // A violation before the loss stays invalid.
        assert_eq!(
            verdicts(&output(history(5000, "1"), &[3000, 6000], Some(4000))).1,
            Invalid
        );
        // No recovery after a loss: divergent logs may never converge.
        let mut stuck = output(history(5000, "1"), &[], Some(4000));
        stuck
            .liveness
            .push("no convergence: n5 applied 3 of 9".into());
        assert_eq!(verdicts(&stuck).2, Unknown);
        stuck.data_losses.clear();
        assert_eq!(verdicts(&stuck).2, Invalid);
        // Nothing wrong: a loss alone changes nothing.
        assert_eq!(
            verdicts(&output(history(5000, "1"), &[], Some(4000))),
            (Valid, Valid, Valid)
        );
    }
}
