//! Builds a report's operations and fault periods from a checker [`History`].
//!
//! Client operations are an invoke paired with the next completion of the
//! same process. Nemesis events (process [`Process::Nemesis`]) become fault
//! periods: `start-<kind>` opens a period of `<kind>` and `stop-<kind>` (or
//! `heal-<kind>`) closes it; any other nemesis function is an instantaneous
//! fault of that kind. A nemesis that logs an invoke and a completion per
//! action opens or closes a period once (the first of the pair counts).

use faultline_checker::history::{Event, EventType, History, Operation, Process};
use serde_json::Value;

use crate::input::{FaultPeriod, OpView};

/// The history's client operations, numbered densely from 0 in invocation
/// order (the checker's operation ids), paired by the checker's own history
/// contract ([`History::operations_lenient`]).
///
/// An `info` op keeps the time its client gave up as its return time (the
/// timeline draws the bar up to there). A history that breaks the contract
/// (the checker reports that) is still drawn: the events the contract
/// refuses are left out, an invoke with no completion is `info` with no
/// return time.
pub fn operations_from_history(history: &History) -> Vec<OpView> {
    history
        .operations_lenient()
        .iter()
        .map(|op| view_of(op, history))
        .collect()
}

fn view_of(op: &Operation, history: &History) -> OpView {
    let completed_ns = op.complete_index.and_then(|index| {
        let at = history
            .events
            .binary_search_by_key(&index, |e| e.index)
            .ok()?;
        Some(history.events[at].time_ns)
    });
    OpView {
        id: op.id as u64,
        process: op.process,
        f: op.f.clone(),
        key: op.key.clone(),
        input: op.input.clone(),
        output: op.output.clone(),
        outcome: op.outcome,
        call_ns: op.call_ns,
        return_ns: op.return_ns.or(completed_ns).map(|r| r.max(op.call_ns)),
    }
}

/// The fault periods recorded by the nemesis, ordered by start time.
///
/// `start-<kind>` opens a period; `stop-<kind>` (or `heal-<kind>`) closes the
/// open period of that kind with the same `id` in its value, if the value
/// has one, else the oldest open one; `stop-all` closes every open period.
/// Periods still open at the end have no end time.
pub fn faults_from_history(history: &History) -> Vec<FaultPeriod> {
    let mut open: Vec<(Option<u64>, FaultPeriod)> = Vec::new();
    let mut done: Vec<FaultPeriod> = Vec::new();
    let close = |p: FaultPeriod, at: u64, done: &mut Vec<FaultPeriod>| {
        let mut p = p;
        p.end_ns = Some(at.max(p.start_ns));
        done.push(p);
    };
    for event in history
        .events
        .iter()
        .filter(|e| e.process == Process::Nemesis)
    {
        let f = event.f.as_str();
        let id = event.value.get("id").and_then(Value::as_u64);
        if f == "stop-all" || f == "heal-all" {
            for (_, p) in open.drain(..) {
                close(p, event.time_ns, &mut done);
            }
        } else if let Some(kind) = f.strip_prefix("start-") {
            let duplicate = open.iter().any(|(i, p)| p.kind == kind && *i == id);
            if !duplicate {
                open.push((id, period(kind, event)));
            }
        } else if let Some(kind) = f.strip_prefix("stop-").or_else(|| f.strip_prefix("heal-")) {
            let at = open
                .iter()
                .position(|(i, p)| p.kind == kind && (id.is_none() || *i == id))
                .or_else(|| open.iter().position(|(_, p)| p.kind == kind));
            if let Some(at) = at {
                let (_, p) = open.remove(at);
                close(p, event.time_ns, &mut done);
            }
        } else if event.kind != EventType::Invoke || !completes_later(history, event) {
            let mut p = period(f, event);
            p.end_ns = Some(event.time_ns);
            done.push(p);
        }
    }
    done.extend(open.into_iter().map(|(_, p)| p));
    done.sort_by(|a, b| (a.start_ns, &a.kind).cmp(&(b.start_ns, &b.kind)));
    done
}

/// Whether a nemesis invoke is followed by a completion of the same function
/// (so the instantaneous fault is recorded once, at its completion).
fn completes_later(history: &History, invoke: &Event) -> bool {
    history
        .events
        .iter()
        .skip_while(|e| e.index <= invoke.index)
        .filter(|e| e.process == Process::Nemesis)
        .take(1)
        .any(|e| e.kind != EventType::Invoke && e.f == invoke.f)
}

fn period(kind: &str, event: &Event) -> FaultPeriod {
    FaultPeriod {
        kind: kind.to_string(),
        start_ns: event.time_ns,
        end_ns: None,
        nodes: nodes_of(&event.value),
        description: describe(&event.value),
    }
}

/// Node names from a nemesis value: an array of names (nested arrays, such
/// as partition sides, flatten), or the first `nodes` / `targets` field
/// found in an object (searched breadth-first).
fn nodes_of(value: &Value) -> Vec<String> {
    fn collect(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Number(n) => out.push(n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match value {
        Value::Array(_) => collect(value, &mut out),
        Value::Object(_) => {
            let mut queue = std::collections::VecDeque::from([value]);
            while let Some(Value::Object(map)) = queue.pop_front() {
                if let Some(v) = map.get("nodes").or_else(|| map.get("targets")) {
                    collect(v, &mut out);
                    break;
                }
                queue.extend(map.values().filter(|v| v.is_object()));
            }
        }
        _ => {}
    }
    out.sort();
    out.dedup();
    out
}

/// Longest fault description kept (compact JSON of a big grudge is long).
pub const DESCRIPTION_CHARS_MAX: usize = 240;

fn describe(value: &Value) -> String {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Object(map) => match map.get("description") {
            Some(Value::String(s)) => s.clone(),
            _ => value.to_string(),
        },
        other => other.to_string(),
    };
    if text.chars().count() > DESCRIPTION_CHARS_MAX {
        let mut cut: String = text.chars().take(DESCRIPTION_CHARS_MAX).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checker::history::Outcome;
    use serde_json::json;

    fn ev(index: u64, t: u64, process: Process, kind: EventType, f: &str, value: Value) -> Event {
        Event {
            index,
            time_ns: t,
            process,
            kind,
            f: f.to_string(),
            key: Some("k".to_string()),
            value,
            value_unknown: false,
        }
    }

    #[test]
    fn info_ops_keep_the_time_their_client_gave_up() {
        let c = Process::Client;
        let history = History {
            events: vec![
                ev(0, 10, c(1), EventType::Invoke, "write", json!(3)),
                ev(1, 12, c(2), EventType::Invoke, "read", Value::Null),
                ev(2, 15, c(2), EventType::Ok, "read", json!(3)),
                ev(3, 20, c(1), EventType::Info, "write", Value::Null),
                ev(4, 30, c(3), EventType::Invoke, "cas", json!([3, 4])),
            ],
        };
        let ops = operations_from_history(&history);
        assert_eq!(ops.len(), 3);
        assert_eq!(
            (ops[0].id, ops[0].outcome, ops[0].return_ns),
            (0, Outcome::Info, Some(20))
        );
        assert_eq!(
            (ops[1].outcome, ops[1].output.clone()),
            (Outcome::Ok, json!(3))
        );
        assert_eq!((ops[2].outcome, ops[2].return_ns), (Outcome::Info, None));
    }

    #[test]
    fn nemesis_start_and_stop_become_one_period_with_nodes() {
        let n = Process::Nemesis;
        let history = History {
            events: vec![
                ev(
                    0,
                    5,
                    n,
                    EventType::Invoke,
                    "start-partition",
                    json!({"nodes": [["n1"], ["n2", "n3"]]}),
                ),
                ev(1, 6, n, EventType::Info, "start-partition", Value::Null),
                ev(2, 50, n, EventType::Invoke, "kill", json!(["n2"])),
                ev(3, 51, n, EventType::Info, "kill", json!(["n2"])),
                ev(4, 90, n, EventType::Invoke, "stop-partition", Value::Null),
                ev(
                    5,
                    95,
                    n,
                    EventType::Invoke,
                    "start-clock",
                    json!("bump n3 +5s"),
                ),
            ],
        };
        let faults = faults_from_history(&history);
        assert_eq!(faults.len(), 3);
        assert_eq!(faults[0].kind, "partition");
        assert_eq!((faults[0].start_ns, faults[0].end_ns), (5, Some(90)));
        assert_eq!(faults[0].nodes, vec!["n1", "n2", "n3"]);
        assert_eq!((faults[1].kind.as_str(), faults[1].start_ns), ("kill", 51));
        assert_eq!((faults[2].kind.as_str(), faults[2].end_ns), ("clock", None));
        assert_eq!(faults[2].description, "bump n3 +5s");
    }

    #[test]
    fn stops_match_fault_ids_and_stop_all_heals_everything() {
        let n = Process::Nemesis;
        let i = EventType::Info;
        let history = History {
            events: vec![
                ev(
                    0,
                    10,
                    n,
                    i,
                    "start-kill",
                    json!({"id": 1, "fault": {"Kill": {"nodes": [2]}}}),
                ),
                ev(
                    1,
                    20,
                    n,
                    i,
                    "start-kill",
                    json!({"id": 2, "fault": {"Kill": {"nodes": [4]}}}),
                ),
                ev(2, 30, n, i, "stop-kill", json!({"id": 2})),
                ev(
                    3,
                    40,
                    n,
                    i,
                    "start-pause",
                    json!({"id": 3, "nodes": ["n5"]}),
                ),
                ev(4, 90, n, i, "stop-all", Value::Null),
            ],
        };
        let faults = faults_from_history(&history);
        let summary: Vec<(&str, u64, Option<u64>, Vec<String>)> = faults
            .iter()
            .map(|f| (f.kind.as_str(), f.start_ns, f.end_ns, f.nodes.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("kill", 10, Some(90), vec!["2".to_string()]),
                ("kill", 20, Some(30), vec!["4".to_string()]),
                ("pause", 40, Some(90), vec!["n5".to_string()]),
            ]
        );
    }
}
