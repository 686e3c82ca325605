//! Fixtures shared by the reports tests: small deterministic histories
//! built event by event, as a run would record them.

#![allow(dead_code)]

use faultline_checker::history::{Event, EventType, History, Process};
use faultline_checker::results::PrefixStep;
use faultline_checker::{CheckerResult, LinearizabilityFailure, RunResults, Verdict};
use faultline_reports::ReportInput;
use serde_json::{json, Value};

/// A tiny deterministic generator (64-bit LCG), so fixtures need no RNG crate.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Lcg(seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407))
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

const MS: u64 = 1_000_000;

/// time, process, type, f, key, value.
type Row = (u64, Process, EventType, String, Option<String>, Value);

/// A register history: `processes` clients issuing `ops` read/write/cas ops
/// over ~30 s on `keys` keys, with a partition from 10 s to 20 s and a kill
/// at 15 s. Ops during the partition are slow and some fail or time out
/// (`info`); a process whose op ended `info` is replaced by a fresh one.
pub fn history(ops: usize, processes: u64, keys: u64, seed: u64) -> History {
    let mut rng = Lcg::new(seed);
    let mut events: Vec<Row> = Vec::new();
    let span_ns = 30_000 * MS;
    let per_process = (ops as u64).div_ceil(processes);
    let mut next_process = processes;
    for p in 0..processes {
        let mut process = p;
        let mut t = rng.below(50) * MS;
        for _ in 0..per_process {
            if events.iter().filter(|e| e.2 == EventType::Invoke).count() >= ops {
                break;
            }
            let faulty = (10_000 * MS..20_000 * MS).contains(&t);
            let latency = if faulty {
                50 + rng.below(900)
            } else {
                1 + rng.below(20)
            } * MS;
            let key = Some(format!("k{}", rng.below(keys)));
            let (f, input) = match rng.below(3) {
                0 => ("read", Value::Null),
                1 => ("write", json!(rng.below(5))),
                _ => ("cas", json!([rng.below(5), rng.below(5)])),
            };
            let outcome = match (faulty, rng.below(10)) {
                (true, 0..=2) => EventType::Info,
                (true, 3..=4) | (false, 0) => EventType::Fail,
                _ => EventType::Ok,
            };
            let output = match (f, outcome) {
                ("read", EventType::Ok) => json!(rng.below(5)),
                _ => input.clone(),
            };
            events.push((
                t,
                Process::Client(process),
                EventType::Invoke,
                f.into(),
                key.clone(),
                input,
            ));
            events.push((
                t + latency,
                Process::Client(process),
                outcome,
                f.into(),
                key,
                output,
            ));
            t += latency + span_ns / per_process / 2 + rng.below(20) * MS;
            if outcome == EventType::Info {
                process = next_process;
                next_process += 1;
            }
        }
    }
    let nemesis = |t: u64, kind: EventType, f: &str, v: Value| {
        (t, Process::Nemesis, kind, f.to_string(), None, v)
    };
    events.push(nemesis(
        10_000 * MS,
        EventType::Invoke,
        "start-partition",
        json!({"nodes": [["n1", "n2"], ["n3", "n4", "n5"]], "description": "n1 n2 | n3 n4 n5"}),
    ));
    events.push(nemesis(
        20_000 * MS,
        EventType::Invoke,
        "stop-partition",
        Value::Null,
    ));
    events.push(nemesis(15_000 * MS, EventType::Info, "kill", json!(["n3"])));
    // Stable order: by time, invokes before completions at equal times.
    events.sort_by_key(|e| (e.0, e.2 != EventType::Invoke));
    History {
        events: events
            .into_iter()
            .enumerate()
            .map(|(i, (time_ns, process, kind, f, key, value))| Event {
                index: i as u64,
                time_ns,
                process,
                kind,
                f,
                key,
                value,
                value_unknown: false,
            })
            .collect(),
    }
}

/// A valid run's report input.
pub fn valid_input(ops: usize) -> ReportInput {
    let h = history(ops, 5, 3, 7);
    let results = RunResults {
        verdict: Verdict::Valid,
        title: "register, 5 nodes, partition + kill".into(),
        test_name: Some("register".into()),
        started_at: Some("2026-11-23T10:41:00Z".into()),
        checkers: vec![CheckerResult {
            name: "linearizability".into(),
            verdict: Verdict::Valid,
            summary: "all 3 keys linearizable".into(),
            findings: vec![],
            groups: vec![],
        }],
        config: json!({"nodes": 5, "workload": "register", "nemesis": ["partition", "kill"]}),
        seed: Some(7),
        replay_command: Some("faultline run --seed 7 --workload register".into()),
        stats: [
            ("ops_ok".to_string(), json!(100)),
            ("availability".to_string(), json!(0.8125)),
        ]
        .into_iter()
        .collect(),
        ..RunResults::default()
    };
    ReportInput::new(results, &h)
}

/// The id of the op the invalid fixture blames: the first ok read invoked
/// during the partition.
pub fn culprit(input: &ReportInput) -> u64 {
    input
        .operations
        .iter()
        .find(|o| {
            o.f == "read"
                && o.outcome == faultline_checker::history::Outcome::Ok
                && o.call_ns > 12_000 * MS
        })
        .map(|o| o.id)
        .expect("fixture has a read during the partition")
}

/// An invalid run's report input: a stale read during the partition, with
/// hostile text in the history to prove escaping.
pub fn invalid_input(ops: usize) -> ReportInput {
    let mut input = valid_input(ops);
    input.results.verdict = Verdict::Invalid;
    input.results.title = "register <script>alert(1)</script>".into();
    let failing = culprit(&input);
    let op = input
        .operations
        .iter_mut()
        .find(|o| o.id == failing)
        .unwrap();
    op.output = json!("</script><b>stale</b>");
    let key = op.key.clone();
    let call = op.call_ns;
    let ret = op.return_ns.unwrap();
    let concurrent: Vec<u64> = input
        .operations
        .iter()
        .filter(|o| {
            o.id != failing
                && o.key == key
                && o.call_ns <= ret
                && o.return_ns.unwrap_or(u64::MAX) >= call
        })
        .map(|o| o.id)
        .collect();
    let prefix: Vec<PrefixStep> = input
        .operations
        .iter()
        .filter(|o| o.key == key && o.return_ns.is_some_and(|r| r < call))
        .take(4)
        .map(|o| PrefixStep {
            op_id: o.id,
            state: Some(format!("{}", o.id % 5)),
        })
        .collect();
    input.results.checkers[0] = CheckerResult {
        name: "linearizability".into(),
        verdict: Verdict::Invalid,
        summary: format!(
            "key {}: op {failing} cannot be linearized",
            key.clone().unwrap()
        ),
        findings: vec![format!("op {failing} read a value no write produced")],
        groups: vec![],
    };
    input.results.linearizability_failures = vec![LinearizabilityFailure {
        key,
        failing_op_id: failing,
        prefix,
        state_after: Some("3".into()),
        concurrent_op_ids: concurrent,
        text: "read returned </script><b>stale</b> but the register held 3".into(),
    }];
    input.results.checkers.push(CheckerResult {
        name: "raft invariants".into(),
        verdict: Verdict::Invalid,
        summary: "1 violation(s)".into(),
        findings: vec!["term 4: two leaders <n1> & <n3>".into()],
        groups: vec![],
    });
    input.results.checkers.push(CheckerResult {
        name: "liveness".into(),
        verdict: Verdict::Invalid,
        summary: "no recovery after the final heal".into(),
        findings: vec!["no recovery: n3 did not converge within 5 s".into()],
        groups: vec![],
    });
    input
}

/// An invalid report whose Raft invariants checker found `findings`
/// state-machine-safety violations at successive indices from 117 (each
/// with its five node-state lines, as the observer records them) plus one
/// leader-completeness violation, with the story before the first: the
/// majority partition, the new leader, and the node states with n1's
/// term-1 entries diverging from n3's term-2 ones.
pub fn grouped_input(ops: usize, findings: usize) -> ReportInput {
    use faultline_checker::NodeState;
    use faultline_reports::{LogLine, Story, StoryBefore, StoryEvent};
    let mut input = invalid_input(ops);
    // Plain text: this page is the README's picture of an invalid report.
    input.results.title = "register, 5 nodes, seed 7".into();
    let failing = input.results.linearizability_failures[0].failing_op_id;
    if let Some(op) = input.operations.iter_mut().find(|o| o.id == failing) {
        op.output = json!(4);
    }
    input.results.linearizability_failures[0].text =
        "read 4 cannot take effect next: the register holds 3".into();
    let nodes = [
        "n1 Follower term=1 commit=130 applied=130 snapshot=0 last=130 starts=1 log=[t1:1..=130]",
        "n2 Follower term=2 commit=116 applied=116 snapshot=0 last=117 starts=1 log=[t1:1..=116 t2:117..=117]",
        "n3 Leader term=2 commit=117 applied=117 snapshot=0 last=117 starts=1 log=[t1:1..=116 t2:117..=117]",
        "n4 DOWN Follower term=1 commit=130 applied=130 snapshot=100 last=130 starts=2 log=[t1:100..=130]",
        "n5 Follower term=2 commit=116 applied=116 snapshot=0 last=117 starts=1 log=[t1:1..=116 t2:117..=117]",
    ];
    let dump: String = nodes.iter().map(|n| format!("\n    {n}")).collect();
    let mut all: Vec<String> = (0..findings)
        .map(|i| {
            let ms = 11_407 + i as u64;
            format!(
                "state-machine-safety violated at {}.{:03} s (step {ms}): index {}: node 1 holds it \
                 committed as term 1 but node {} as term 2{dump}",
                ms / 1000,
                ms % 1000,
                117 + i % 14,
                [2, 3, 5][i % 3]
            )
        })
        .collect();
    all.insert(
        1,
        format!("leader-completeness violated at 11.425 s (step 11425): leader 3 of term 2 has no entry at index 118{dump}"),
    );
    input.results.checkers[1] = CheckerResult {
        name: "raft invariants".into(),
        verdict: Verdict::Invalid,
        summary: format!("{} violation(s)", all.len()),
        findings: all,
        groups: vec![],
    };
    input.results.group_findings();
    let event = |ms: u64, node: Option<&str>, kind: &str, text: &str, line: usize| StoryEvent {
        time_ns: ms * MS,
        node: node.map(String::from),
        kind: kind.into(),
        text: text.into(),
        log: Some(LogLine {
            path: format!("nodes/{}.log", node.unwrap_or("n1")),
            line,
            stamp: format!("{}.{:03}000s", ms / 1000, ms % 1000),
        }),
    };
    input.story = Some(Story {
        checker: "raft invariants".into(),
        kind: "state-machine-safety".into(),
        failure_ns: 11_407 * MS,
        window_start_ns: 6_407 * MS,
        nodes: vec!["n1".into(), "n2".into(), "n3".into(), "n5".into()],
        index: Some(117),
        events: vec![
            event(
                10_000,
                None,
                "nemesis",
                "start-partition (partition-majority: n1 n4 | n2 n3 n5)",
                7,
            ),
            event(
                11_390,
                Some("n3"),
                "election",
                "election timeout: asking for pre-votes next_term=2",
                12,
            ),
            event(11_398, Some("n3"), "leader", "became leader of term 2", 14),
        ],
        strip: nodes.iter().map(|n| NodeState::parse(n).unwrap()).collect(),
        before: Some(StoryBefore {
            time_ns: 10_000 * MS,
            fault: "start-partition (partition-majority: n1 n4 | n2 n3 n5)".into(),
            strip: (1..=5)
                .map(|id| {
                    let line = format!(
                        "n{id} {} term=1 commit=110 applied=110 snapshot=100 last=112 starts=1 \
                         log=[t1:100..=112]",
                        if id == 1 { "Leader" } else { "Follower" }
                    );
                    NodeState::parse(&line).unwrap()
                })
                .collect(),
        }),
    });
    input
}
