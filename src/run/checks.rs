//! The checkers of a run: linearizability per key (or the set / append
//! checks, per the workload), the cluster observer's Raft invariants, and
//! liveness; then statistics. The result is the checker's
//! [`RunResults`], stored as `results.json`; the run's verdict combines the
//! checkers' by the one rule of [`faultline_checker::verdict`].
//!
//! When the disk nemesis destroyed data a node had synced (see
//! [`faultline_sim::data_loss`]), Raft's stable-storage assumption no longer holds
//! from that moment: a safety failure that only shows after it is reported
//! as `unknown` with the loss named, never as `invalid` (the linearizability
//! checker re-checks the history before the loss, so a real bug before it
//! still makes the run invalid).

use super::config::{CheckSettings, RunConfig};
use super::sim::SimOutput;
use faultline_checker::history::History;
use faultline_checker::{
    check_history, CheckOptions, CheckerResult, ModelKind, RunResults, Verdict,
};
use faultline_nemesis::fault::{FaultFamily, FaultKind};
use faultline_raft::ReadMode;
use faultline_sim::data_loss::DataLoss;
use faultline_workloads::CheckerModel;
use serde_json::Value;
use std::time::Duration;

/// Runs every checker over `out` and assembles the results.
pub fn check_run(config: &RunConfig, out: &SimOutput, started_at: &str) -> RunResults {
    let history = &out.history;
    let mut results = RunResults {
        title: format!(
            "{}, {} nodes, seed {}",
            config.workload, config.nodes, config.seed
        ),
        test_name: Some(config.test_name.clone()),
        started_at: Some(started_at.to_string()),
        seed: Some(config.seed),
        replay_command: Some(config.replay_command()),
        config: serde_json::to_value(config).unwrap_or(Value::Null),
        ..RunResults::default()
    };
    let model = build_model(config);
    match model {
        CheckerModel::Set => results.checkers.push(final_reads(
            "set",
            faultline_checker::set::check_set(history).map(|r| r.checker_result()),
            &out.data_losses,
        )),
        CheckerModel::Append => results.checkers.push(final_reads(
            "append",
            faultline_checker::append::check_append(history).map(|r| r.checker_result()),
            &out.data_losses,
        )),
        CheckerModel::CasRegister | CheckerModel::Kv => {}
    }
    if let (Some(kind), false) = (model.model_kind(), model == CheckerModel::Set) {
        linearizability(&mut results, &kind, out, &config.check);
    }
    results.checkers.push(raft_invariants(out, config));
    results.checkers.push(liveness(out));
    results.checkers.push(stability(out));
    results.checkers.push(bounds(out, config));
    results.combine();
    results.group_findings();
    results.stats = super::stats::stats(history, out);
    results.situations = out.situations.clone();
    results
}

/// The set or append check, which judges the final reads: they come after
/// any loss of synced data, so an invalid verdict after one is excused.
fn final_reads(
    name: &str,
    checked: Result<CheckerResult, faultline_checker::error::HistoryError>,
    losses: &[DataLoss],
) -> CheckerResult {
    let mut result = checked.unwrap_or_else(|e| CheckerResult::unchecked(name, &e));
    excuse(&mut result, losses);
    result
}

/// Linearizability per key; when it fails after a loss of synced data, the
/// history before the loss is checked again, so a bug before it stays
/// invalid.
fn linearizability(
    results: &mut RunResults,
    kind: &ModelKind,
    out: &SimOutput,
    budget: &CheckSettings,
) {
    let history = &out.history;
    let opts = CheckOptions {
        max_search_steps: Some(budget.search_steps_max),
        time_limit: Some(Duration::from_secs(budget.time_limit_s_max)),
        ..CheckOptions::default()
    };
    match check_history(history, kind, &opts) {
        Ok(report) => {
            results.linearizability_failures = report.failures();
            let mut result = report.checker_result();
            if let (Verdict::Invalid, Some(loss)) = (result.verdict, out.data_losses.first()) {
                let before = prefix(history, loss.time_ns);
                let valid_before =
                    check_history(&before, kind, &opts).is_ok_and(|r| r.verdict == Verdict::Valid);
                if valid_before {
                    excuse(&mut result, &out.data_losses);
                }
            }
            results.checkers.push(result);
        }
        Err(e) => results
            .checkers
            .push(CheckerResult::unchecked("linearizability", &e)),
    }
}

/// The observer's Raft invariants; violations that all follow a loss of
/// synced data are excused.
fn raft_invariants(out: &SimOutput, config: &RunConfig) -> CheckerResult {
    let mut result = CheckerResult {
        name: "raft invariants".into(),
        verdict: if out.violations.is_empty() {
            Verdict::Valid
        } else {
            Verdict::Invalid
        },
        summary: if out.violations.is_empty() {
            "election safety, log matching, leader completeness, state machine safety, term \
             and commit monotonicity, the durability of votes and acknowledgements, \
             acknowledged-means-committed, lease safety and read freshness held after every \
             step, and every node kept the rules of term adoption, stale-term refusal, the \
             vote restriction, the election quorum and the current-term commit on every \
             input"
                .into()
        } else {
            format!("{} violation(s)", out.violations.len())
        },
        findings: out.violations.iter().map(|v| v.to_string()).collect(),
        groups: Vec::new(),
    };
    let first_loss_ns = out.data_losses.first().map_or(u64::MAX, |l| l.time_ns);
    if out.violations.iter().all(|v| v.time_ns >= first_loss_ns) {
        excuse(&mut result, &out.data_losses);
    }
    excuse_lease_under_clock_faults(&mut result, out, config.read_mode);
    result
}

/// A lease is only as good as the clocks: the clock nemesis skews, bumps
/// and strobes clocks far beyond any lease's drift allowance, so when the
/// only violations are of lease safety and a clock fault came first, the
/// verdict is `unknown` with that named (the environment broke the lease's
/// assumption), never `invalid`. `clock-drift` stays within the allowance,
/// so it excuses nothing: a lease broken under it is Raft's fault. Under lease reads a stale read (read
/// freshness) is the same broken assumption, seen at the node.
fn excuse_lease_under_clock_faults(
    result: &mut CheckerResult,
    out: &SimOutput,
    read_mode: ReadMode,
) {
    let lease = faultline_raft::invariants::names::LEASE_SAFETY;
    let freshness = faultline_raft::invariants::names::READ_FRESHNESS;
    let lease_made = |p: &str| p == lease || read_mode == ReadMode::Lease && p == freshness;
    let drift = FaultKind::ClockDrift.as_str();
    let bounded = |v: &Value| v.get("fault").and_then(|f| f.as_str()) == Some(drift);
    let first_clock_ns = out
        .history
        .events
        .iter()
        .find(|e| e.f == FaultFamily::Clock.start_f() && !bounded(&e.value))
        .map(|e| e.time_ns);
    let Some(first_clock_ns) = first_clock_ns else {
        return;
    };
    let excusable = !out.violations.is_empty()
        && out
            .violations
            .iter()
            .all(|v| lease_made(v.property) && v.time_ns >= first_clock_ns);
    if result.verdict != Verdict::Invalid || !excusable {
        return;
    }
    result.verdict = Verdict::Unknown;
    result.summary = format!(
        "{}; not attributable to Raft: lease reads after a clock fault at {:.3} s (leases assume \
         clock drift within --lease-drift)",
        result.summary,
        first_clock_ns as f64 / 1e9
    );
}

/// Stability: no elections in a converged fault-free cluster, and deposed
/// leaders step down ([`super::stability`]); excused after a loss of synced
/// data, like every other property.
fn stability(out: &SimOutput) -> CheckerResult {
    let mut result = CheckerResult {
        name: "stability".into(),
        verdict: if out.stability.is_empty() {
            Verdict::Valid
        } else {
            Verdict::Invalid
        },
        summary: if out.stability.is_empty() {
            "no election once the fault-free cluster converged, and every deposed leader \
             stepped down in time"
                .into()
        } else {
            format!("{} stability finding(s)", out.stability.len())
        },
        findings: out.stability.clone(),
        groups: Vec::new(),
    };
    excuse(&mut result, &out.data_losses);
    result
}

/// The run's deterministic work bound: a run stopped by a message storm
/// has no verdict of its own (`unknown`, the storm named), though what the
/// other checkers found before the stop still counts.
fn bounds(out: &SimOutput, config: &RunConfig) -> CheckerResult {
    match &out.bound_hit {
        None => CheckerResult {
            name: "bounds".into(),
            verdict: Verdict::Valid,
            summary: format!(
                "at most {} Raft messages and client requests in every simulated second",
                config.sim.messages_per_s_max
            ),
            findings: Vec::new(),
            groups: Vec::new(),
        },
        Some(storm) => CheckerResult {
            name: "bounds".into(),
            verdict: Verdict::Unknown,
            summary: "the run was stopped by its work bound (a message storm)".into(),
            findings: vec![storm.clone()],
            groups: Vec::new(),
        },
    }
}

/// Recovery after the final heal; divergent logs after a loss of synced
/// data may never converge, so such a failure is excused.
fn liveness(out: &SimOutput) -> CheckerResult {
    if out.bound_hit.is_some() {
        return CheckerResult {
            name: "liveness".into(),
            verdict: Verdict::Unknown,
            summary: "not judged: the run was stopped by its work bound before the final heal"
                .into(),
            findings: Vec::new(),
            groups: Vec::new(),
        };
    }
    let mut result = CheckerResult {
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
        groups: Vec::new(),
    };
    excuse(&mut result, &out.data_losses);
    result
}

fn build_model(config: &RunConfig) -> CheckerModel {
    faultline_workloads::build_workload(
        config.workload,
        &faultline_workloads::WorkloadConfig::default(),
    )
    .map(|w| w.checker())
    .unwrap_or(CheckerModel::Kv)
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
fn excuse(view: &mut CheckerResult, losses: &[DataLoss]) {
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
    use faultline_sim::observer::Violation;
    use std::collections::BTreeMap;

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
            fault_plan: Default::default(),
            heal_ns: None,
            steps: 10,
            counters: BTreeMap::new(),
            bound_hit: None,
            stability: Vec::new(),
            situations: BTreeMap::new(),
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

    /// `out` with a clock fault starting before its first event.
    fn clock_fault_first(out: &mut SimOutput) {
        clock_fault_first_as(out, Value::Null);
    }

    /// `out` with a clock fault, described by `value`, starting first.
    fn clock_fault_first_as(out: &mut SimOutput, value: Value) {
        let mut clock = out.history.events[0].clone();
        clock.value = value;
        clock.process = faultline_checker::history::Process::Nemesis;
        clock.kind = faultline_checker::history::EventType::Info;
        clock.f = FaultFamily::Clock.start_f();
        clock.key = None;
        out.history.events.insert(0, clock);
        for (i, e) in out.history.events.iter_mut().enumerate() {
            e.index = i as u64;
        }
    }

    #[test]
    fn stale_reads_after_a_clock_fault_are_unknown_under_leases_only() {
        let mut out = output(history(5000, "1"), &[6000], None);
        out.violations[0].property = faultline_raft::invariants::names::READ_FRESHNESS;
        clock_fault_first(&mut out);
        let raft = |read_mode| {
            let mut config = RunConfig::with_seed(1);
            config.read_mode = read_mode;
            let r = check_run(&config, &out, "now");
            let c = r.checkers.iter().find(|c| c.name == "raft invariants");
            c.map(|c| c.verdict).unwrap()
        };
        assert_eq!(raft(ReadMode::Lease), Verdict::Unknown);
        assert_eq!(raft(ReadMode::ReadIndex), Verdict::Invalid);
    }

    #[test]
    fn lease_violations_after_a_clock_fault_are_unknown_and_without_one_invalid() {
        let mut out = output(history(5000, "1"), &[6000], None);
        out.violations[0].property = faultline_raft::invariants::names::LEASE_SAFETY;
        assert_eq!(verdicts(&out).1, Verdict::Invalid);
        clock_fault_first(&mut out);
        let r = check_run(&RunConfig::with_seed(1), &out, "now");
        let raft = r
            .checkers
            .iter()
            .find(|c| c.name == "raft invariants")
            .unwrap();
        assert_eq!(raft.verdict, Verdict::Unknown, "{}", raft.summary);
        assert!(raft.summary.contains("clock fault"), "{}", raft.summary);
        // Another property broken too: invalid, whatever the clocks did.
        out.violations
            .push(output(history(5000, "1"), &[7000], None).violations[0].clone());
        assert_eq!(verdicts(&out).1, Verdict::Invalid);
    }

    #[test]
    fn lease_violations_after_bounded_clock_drift_stay_invalid() {
        let mut out = output(history(5000, "1"), &[6000], None);
        out.violations[0].property = faultline_raft::invariants::names::LEASE_SAFETY;
        let drift = faultline_nemesis::plan::Fault::ClockDrift {
            rates_ppm: [(1, 1_050_000)].into(),
        };
        clock_fault_first_as(&mut out, serde_json::to_value(drift).unwrap());
        assert_eq!(verdicts(&out).1, Verdict::Invalid);
        // The same violation after an unbounded skew is excused.
        let skew = faultline_nemesis::plan::Fault::ClockSkew {
            rates_ppm: [(1, 1_050_000)].into(),
        };
        out.history.events[0].value = serde_json::to_value(skew).unwrap();
        assert_eq!(verdicts(&out).1, Verdict::Unknown);
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
        // A storm stops the run: unknown, unless something was already
        // invalid.
        let mut storm = output(history(5000, "1"), &[], None);
        storm.bound_hit = Some("message storm: 900000 in the second ending at 3 s".into());
        assert_eq!(verdicts(&storm).2, Unknown);
        storm.violations = output(history(5000, "1"), &[2000], None).violations;
        assert_eq!(verdicts(&storm).2, Invalid);
        // Nothing wrong: a loss alone changes nothing.
        assert_eq!(
            verdicts(&output(history(5000, "1"), &[], Some(4000))),
            (Valid, Valid, Valid)
        );
    }
}
