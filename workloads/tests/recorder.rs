//! Recorder tests: the history contract is enforced with errors, never
//! panics, and recorded histories validate in the checker.

use faultline_checker::history::{EventType, Process};
use faultline_workloads::{RecordError, Recorder};
use serde_json::json;

#[test]
fn records_dense_indices_monotone_time_and_copies_f_and_key_to_completions() {
    let mut r = Recorder::new();
    assert_eq!(r.invoke(10, 0, "write", Some("k"), json!(3)).unwrap(), 0);
    assert_eq!(r.invoke(11, 1, "read", Some("k"), json!(null)).unwrap(), 1);
    assert_eq!(
        r.nemesis(12, "start-partition", json!({"isolated": [1]}))
            .unwrap(),
        2
    );
    assert_eq!(r.complete(13, 1, EventType::Ok, json!(3)).unwrap(), 3);
    assert_eq!(r.complete(13, 0, EventType::Ok, json!(3)).unwrap(), 4);
    assert_eq!(r.open_processes(), Vec::<u64>::new());
    let h = r.into_history();
    let indices: Vec<u64> = h.events.iter().map(|e| e.index).collect();
    assert_eq!(indices, [0, 1, 2, 3, 4]);
    assert_eq!(
        (h.events[3].f.as_str(), h.events[3].key.as_deref()),
        ("read", Some("k"))
    );
    assert_eq!(h.events[2].process, Process::Nemesis);
    assert_eq!(h.events[2].kind, EventType::Info);
    let ops = h.operations().unwrap();
    assert_eq!(ops.len(), 2);
}

/// The field a contract error names, and whether its reason mentions `needle`.
fn refused(result: Result<u64, RecordError>, field: &str, needle: &str) {
    match result {
        Err(RecordError::Contract {
            field: f, reason, ..
        }) => {
            assert_eq!(f, field, "{reason}");
            assert!(reason.contains(needle), "{reason:?} lacks {needle:?}");
        }
        other => panic!("expected a contract error on {field}, got {other:?}"),
    }
}

#[test]
fn contract_violations_are_errors_and_leave_the_history_unchanged() {
    let mut r = Recorder::new();
    r.invoke(5, 0, "write", Some("k"), json!(1)).unwrap();
    let before = r.history().clone();
    refused(
        r.invoke(6, 0, "read", Some("k"), json!(null)),
        "process",
        "invokes again while its operation invoked at event 0 is pending",
    );
    refused(
        r.complete(6, 1, EventType::Ok, json!(1)),
        "type",
        "process 1 has no pending operation",
    );
    refused(
        r.complete(4, 0, EventType::Ok, json!(1)),
        "time_ns",
        "time goes backwards",
    );
    assert_eq!(
        r.complete(6, 0, EventType::Invoke, json!(1)),
        Err(RecordError::InvokeAsCompletion)
    );
    refused(r.invoke(6, 2, "", None, json!(1)), "f", "empty function");
    refused(
        r.invoke(6, 2, "read", Some(""), json!(1)),
        "key",
        "empty key",
    );
    refused(r.nemesis(6, "", json!(1)), "f", "empty function");
    assert_eq!(r.history(), &before);
    r.complete(6, 0, EventType::Ok, json!(1)).unwrap();
    refused(
        r.complete(7, 0, EventType::Ok, json!(1)),
        "type",
        "already completed at event 1",
    );
}

#[test]
fn a_process_never_issues_after_info() {
    let mut r = Recorder::new();
    r.invoke(1, 3, "write", Some("k"), json!(1)).unwrap();
    let info = r.complete(2, 3, EventType::Info, json!(null)).unwrap();
    refused(
        r.invoke(3, 3, "read", Some("k"), json!(null)),
        "process",
        &format!("after its info at event {info}"),
    );
    refused(
        r.complete(3, 3, EventType::Ok, json!(null)),
        "type",
        &format!("already ended in info at event {info}"),
    );
    // The worker continues under a fresh process id.
    r.invoke(3, 3 + 5, "read", Some("k"), json!(null)).unwrap();
    r.into_history().operations().unwrap();
}

#[test]
fn open_ops_are_left_open_and_read_as_info() {
    let mut r = Recorder::new();
    r.invoke(1, 0, "add", Some("s"), json!(1)).unwrap();
    r.invoke(2, 1, "add", Some("s"), json!(2)).unwrap();
    r.complete(3, 1, EventType::Ok, json!(2)).unwrap();
    assert_eq!(r.open_processes(), vec![0]);
    let ops = r.into_history().operations().unwrap();
    assert_eq!(ops[0].return_ns, None);
}
