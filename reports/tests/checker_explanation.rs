//! The real checker's explanation, as the [`LinearizabilityFailure`] a run
//! writes into `results.json`, points at the same operation ids as the
//! operations the reports crate builds from the history.

use faultline_checker::history::{Event, EventType, History, Process};
use faultline_checker::linearizability::{check_history, CheckOptions};
use faultline_checker::model::ModelKind;
use faultline_checker::{LinearizabilityFailure, RunResults, Verdict};
use faultline_reports::{faults_from_history, operations_from_history, render_run, ReportInput};
use serde_json::{json, Value};

const MS: u64 = 1_000_000;

/// time, process, type, f, key, value.
type Row = (
    u64,
    Process,
    EventType,
    &'static str,
    Option<&'static str>,
    Value,
);

fn history() -> History {
    let rows: Vec<Row> = vec![
        (
            0,
            Process::Client(1),
            EventType::Invoke,
            "write",
            Some("a"),
            json!(1),
        ),
        (
            2 * MS,
            Process::Client(2),
            EventType::Invoke,
            "write",
            Some("b"),
            json!(7),
        ),
        (
            5 * MS,
            Process::Client(1),
            EventType::Ok,
            "write",
            Some("a"),
            json!(1),
        ),
        (
            6 * MS,
            Process::Client(2),
            EventType::Ok,
            "write",
            Some("b"),
            json!(7),
        ),
        (
            8 * MS,
            Process::Nemesis,
            EventType::Info,
            "start-partition",
            None,
            json!(["n1"]),
        ),
        (
            10 * MS,
            Process::Client(1),
            EventType::Invoke,
            "write",
            Some("a"),
            json!(2),
        ),
        (
            12 * MS,
            Process::Client(2),
            EventType::Invoke,
            "read",
            Some("a"),
            Value::Null,
        ),
        (
            15 * MS,
            Process::Client(1),
            EventType::Ok,
            "write",
            Some("a"),
            json!(2),
        ),
        (
            20 * MS,
            Process::Client(2),
            EventType::Ok,
            "read",
            Some("a"),
            json!(1),
        ),
        (
            21 * MS,
            Process::Client(1),
            EventType::Invoke,
            "read",
            Some("a"),
            Value::Null,
        ),
        (
            23 * MS,
            Process::Client(1),
            EventType::Ok,
            "read",
            Some("a"),
            json!(2),
        ),
        (
            30 * MS,
            Process::Client(2),
            EventType::Invoke,
            "read",
            Some("a"),
            Value::Null,
        ),
        (
            32 * MS,
            Process::Client(2),
            EventType::Ok,
            "read",
            Some("a"),
            json!(1),
        ),
        (
            40 * MS,
            Process::Nemesis,
            EventType::Info,
            "stop-partition",
            None,
            Value::Null,
        ),
    ];
    History {
        events: rows
            .into_iter()
            .enumerate()
            .map(|(i, (time_ns, process, kind, f, key, value))| Event {
                index: i as u64,
                time_ns,
                process,
                kind,
                f: f.to_string(),
                key: key.map(str::to_string),
                value,
                value_unknown: false,
            })
            .collect(),
    }
}

#[test]
fn checker_explanation_ids_match_the_report_operations() {
    let history = history();
    let opts = CheckOptions {
        threads: 1,
        ..CheckOptions::default()
    };
    let report = check_history(&history, &ModelKind::Kv, &opts).unwrap();
    let explanation = report
        .partitions
        .iter()
        .find_map(|p| p.explanation.clone())
        .expect("the stale read of a is not linearizable");
    let failure = LinearizabilityFailure::from(&explanation);
    assert_eq!(failure.failing_op_id, explanation.failed.id as u64);
    assert_eq!(failure.prefix.len(), explanation.prefix.len());
    assert_eq!(report.failures(), vec![failure.clone()]);
    let results = RunResults {
        verdict: Verdict::Invalid,
        title: "kv".into(),
        ..RunResults::default()
    };
    let mut input = ReportInput::new(results, &history);
    input.results.linearizability_failures = vec![failure.clone()];
    assert_eq!(input.operations, operations_from_history(&history));
    assert_eq!(input.faults, faults_from_history(&history));
    let failed = input
        .operations
        .iter()
        .find(|o| o.id == failure.failing_op_id)
        .expect("the failing op is among the report's operations");
    assert_eq!(
        (failed.f.as_str(), failed.key.as_deref()),
        ("read", Some("a"))
    );
    assert_eq!(failed.call_ns, explanation.failed.call_ns);

    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(render_run(dir.path(), &input).unwrap()).unwrap();
    let id = failure.failing_op_id;
    assert!(
        html.contains(&format!("data-op=\"{id}\"><code>#{id} read a → 1")),
        "{html}"
    );
    assert!(html.contains("During: <span class=\"fault-chip\" data-kind=\"partition\""));
}
