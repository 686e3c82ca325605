//! A run's statistics: operations by outcome, availability during and
//! outside faults, time to recover after the final heal, phases, and the
//! cluster's counters (`results.json`'s `stats`).

use super::sim::SimOutput;
use faultline_checker::history::{EventType, History, Process};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Ops by outcome, availability during and outside faults, time to recover
/// after the final heal, and the cluster's counters.
pub fn stats(history: &History, out: &SimOutput) -> BTreeMap<String, Value> {
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
