//! End-to-end behaviour of `check_operations`: explanations, budgets,
//! `info` and `fail` handling, partitioning and deterministic output.

use faultline_checker::history::{Operation, Outcome};
use faultline_checker::{check_operations, CheckError, CheckOptions, ModelKind, Verdict};
use serde_json::{json, Value};
use std::time::Duration;

/// An operation on `key` from `process` with its outcome, invoked at
/// `call_s` seconds and completed at `return_s` seconds (`None`: never).
fn op(
    id: usize,
    process: u64,
    key: &str,
    f: &str,
    input: Value,
    output: Value,
    (outcome, call_s, return_s): (Outcome, u64, Option<u64>),
) -> Operation {
    let ns = 1_000_000_000;
    Operation {
        id,
        process,
        f: f.to_string(),
        key: Some(key.to_string()),
        input,
        output,
        output_unknown: false,
        outcome,
        call_ns: call_s * ns,
        return_ns: return_s.map(|r| r * ns),
        invoke_index: 2 * id as u64,
        complete_index: return_s.map(|_| 2 * id as u64 + 1),
    }
}

fn cas_register() -> ModelKind {
    ModelKind::CasRegister {
        initial: Value::Null,
    }
}

/// write 1 completes, then a read on another process returns the old value.
fn stale_read() -> Vec<Operation> {
    vec![
        op(
            0,
            1,
            "3",
            "write",
            json!(1),
            Value::Null,
            (Outcome::Ok, 1, Some(2)),
        ),
        op(
            1,
            4,
            "3",
            "read",
            Value::Null,
            json!(1),
            (Outcome::Ok, 3, Some(4)),
        ),
        op(
            2,
            2,
            "3",
            "write",
            json!(5),
            Value::Null,
            (Outcome::Info, 4, None),
        ),
        op(
            3,
            4,
            "3",
            "read",
            Value::Null,
            json!(2),
            (Outcome::Ok, 5, Some(6)),
        ),
    ]
}

#[test]
fn a_stale_read_is_explained_with_prefix_state_and_concurrent_ops() {
    let report =
        check_operations(&stale_read(), &cas_register(), &CheckOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Invalid);
    let explanation = report.partitions[0]
        .explanation
        .as_ref()
        .expect("invalid partitions explain");
    assert_eq!(explanation.key.as_deref(), Some("3"));
    assert_eq!(explanation.failed.id, 3);
    assert_eq!(
        explanation.state_after, "5",
        "the longest prefix ends with the info write"
    );
    assert_eq!(explanation.prefix, vec![0, 1, 2]);
    let text = report.to_string();
    assert!(text.contains("Key \"3\": no linearization"), "{text}");
    assert!(text.contains("after it the register is 5"), "{text}");
    assert!(
        text.contains("read 2 (op 3, process 4, 5.000 s → 6.000 s) cannot take effect"),
        "{text}"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["valid"], serde_json::json!(false));
    assert_eq!(json["partitions"][0]["explanation"]["failed"]["id"], 3);
}

#[test]
fn operations_pending_beside_the_failure_are_listed() {
    let ops = vec![
        op(
            0,
            1,
            "k",
            "write",
            json!(1),
            Value::Null,
            (Outcome::Ok, 1, Some(2)),
        ),
        op(
            1,
            2,
            "k",
            "write",
            json!(3),
            Value::Null,
            (Outcome::Ok, 3, Some(8)),
        ),
        op(
            2,
            3,
            "k",
            "read",
            Value::Null,
            json!(7),
            (Outcome::Ok, 4, Some(5)),
        ),
    ];
    let report = check_operations(&ops, &cas_register(), &CheckOptions::default()).unwrap();
    let explanation = report.partitions[0].explanation.as_ref().unwrap();
    assert_eq!(explanation.failed.id, 2);
    let concurrent: Vec<usize> = explanation.concurrent.iter().map(|o| o.id).collect();
    assert_eq!(concurrent, vec![1]);
}

#[test]
fn an_info_write_may_take_effect_after_its_process_gave_up() {
    let ops = vec![
        op(
            0,
            1,
            "k",
            "write",
            json!(1),
            Value::Null,
            (Outcome::Info, 1, None),
        ),
        op(
            1,
            2,
            "k",
            "read",
            Value::Null,
            Value::Null,
            (Outcome::Ok, 2, Some(3)),
        ),
        op(
            2,
            2,
            "k",
            "read",
            Value::Null,
            json!(1),
            (Outcome::Ok, 10, Some(11)),
        ),
    ];
    let report = check_operations(&ops, &cas_register(), &CheckOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Valid);
}

#[test]
fn failed_operations_and_info_reads_are_dropped() {
    let ops = vec![
        op(
            0,
            1,
            "k",
            "write",
            json!(1),
            Value::Null,
            (Outcome::Fail, 1, Some(2)),
        ),
        op(
            1,
            2,
            "k",
            "read",
            Value::Null,
            Value::Null,
            (Outcome::Info, 3, None),
        ),
        op(
            2,
            3,
            "k",
            "read",
            Value::Null,
            Value::Null,
            (Outcome::Ok, 4, Some(5)),
        ),
    ];
    let report = check_operations(&ops, &cas_register(), &CheckOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Valid);
    assert_eq!(
        (
            report.partitions[0].operations,
            report.partitions[0].dropped
        ),
        (1, 2)
    );
}

#[test]
fn exhausted_budgets_give_unknown_never_valid() {
    let mut ops = Vec::new();
    for i in 0..12 {
        let p = i as u64;
        ops.push(op(
            i,
            p,
            "k",
            "write",
            json!(i),
            Value::Null,
            (Outcome::Ok, 1, Some(100)),
        ));
    }
    let tiny_memo = CheckOptions {
        max_cache_entries: 3,
        ..CheckOptions::default()
    };
    let report = check_operations(&ops, &cas_register(), &tiny_memo).unwrap();
    assert_eq!(report.verdict, Verdict::Unknown);
    assert!(report.partitions[0]
        .note
        .as_deref()
        .unwrap()
        .contains("memoized its limit"));
    let no_time = CheckOptions {
        time_limit: Some(Duration::ZERO),
        ..CheckOptions::default()
    };
    let mut many = Vec::new();
    for i in 0..40 {
        let (f, input, output) = if i % 2 == 0 {
            ("write", json!(i), Value::Null)
        } else {
            ("read", Value::Null, json!(i + 1000))
        };
        many.push(op(
            i,
            i as u64,
            "k",
            f,
            input,
            output,
            (Outcome::Ok, 1, Some(100)),
        ));
    }
    let report = check_operations(&many, &cas_register(), &no_time).unwrap();
    assert_ne!(report.verdict, Verdict::Valid);

    // The step budget is deterministic: the same history, the same
    // `unknown` with the same step count, every time; a budget large
    // enough decides it.
    let few_steps = CheckOptions {
        max_search_steps: Some(5),
        ..CheckOptions::default()
    };
    let a = check_operations(&many, &cas_register(), &few_steps).unwrap();
    let b = check_operations(&many, &cas_register(), &few_steps).unwrap();
    assert_eq!(a.verdict, Verdict::Unknown);
    assert_eq!(a.partitions[0].steps, 5);
    assert_eq!(a.partitions, b.partitions);
    assert!(
        a.partitions[0]
            .note
            .as_deref()
            .unwrap()
            .contains("budget of 5 steps"),
        "{:?}",
        a.partitions[0].note
    );
    let more = CheckOptions {
        max_search_steps: Some(50),
        ..CheckOptions::default()
    };
    let c = check_operations(&many, &cas_register(), &more).unwrap();
    assert_eq!(c.verdict, Verdict::Unknown);
    assert_eq!(c.partitions[0].steps, 50);
}

#[test]
fn partitions_are_checked_independently_and_reported_in_key_order() {
    let mut ops = stale_read();
    ops.push(op(
        4,
        7,
        "1",
        "write",
        json!(9),
        Value::Null,
        (Outcome::Ok, 1, Some(2)),
    ));
    ops.push(op(
        5,
        8,
        "1",
        "read",
        Value::Null,
        json!(9),
        (Outcome::Ok, 3, Some(4)),
    ));
    let one = CheckOptions {
        threads: 1,
        ..CheckOptions::default()
    };
    let two = CheckOptions {
        threads: 2,
        ..CheckOptions::default()
    };
    let a = check_operations(&ops, &ModelKind::Kv, &one).unwrap();
    let b = check_operations(&ops, &ModelKind::Kv, &two).unwrap();
    assert_eq!(a, b, "the report does not depend on the thread count");
    let keys: Vec<_> = a
        .partitions
        .iter()
        .map(|p| p.key.clone().unwrap())
        .collect();
    assert_eq!(keys, ["1", "3"]);
    assert_eq!(a.partitions[0].verdict, Verdict::Valid);
    assert_eq!(a.verdict, Verdict::Invalid);
}

#[test]
fn operations_the_model_cannot_read_are_errors_naming_the_operation() {
    let ops = vec![op(
        0,
        1,
        "k",
        "cas",
        json!(5),
        Value::Null,
        (Outcome::Ok, 1, Some(2)),
    )];
    let err = check_operations(&ops, &cas_register(), &CheckOptions::default()).unwrap_err();
    assert!(matches!(err, CheckError::Model(_)));
    assert!(
        err.to_string().contains("cas value must be [old, new]"),
        "{err}"
    );
    let plain = ModelKind::Register {
        initial: Value::Null,
    };
    let ops = vec![op(
        0,
        1,
        "k",
        "cas",
        json!([1, 2]),
        Value::Null,
        (Outcome::Ok, 1, Some(2)),
    )];
    assert!(check_operations(&ops, &plain, &CheckOptions::default()).is_err());
    let mut keyless = stale_read();
    keyless[0].key = None;
    assert!(check_operations(&keyless, &ModelKind::Kv, &CheckOptions::default()).is_err());
}

#[test]
fn set_and_append_models_check_whole_reads() {
    let set_ops = vec![
        op(
            0,
            1,
            "s",
            "add",
            json!(1),
            Value::Null,
            (Outcome::Ok, 1, Some(2)),
        ),
        op(
            1,
            2,
            "s",
            "add",
            json!(2),
            Value::Null,
            (Outcome::Info, 3, None),
        ),
        op(
            2,
            3,
            "s",
            "read",
            Value::Null,
            json!([2, 1]),
            (Outcome::Ok, 4, Some(5)),
        ),
        op(
            3,
            3,
            "s",
            "read",
            Value::Null,
            json!([1]),
            (Outcome::Ok, 6, Some(7)),
        ),
    ];
    let report = check_operations(&set_ops, &ModelKind::Set, &CheckOptions::default()).unwrap();
    assert_eq!(
        report.verdict,
        Verdict::Invalid,
        "an element cannot vanish from a set"
    );
    let append_ops = vec![
        op(
            0,
            1,
            "a",
            "append",
            json!("x"),
            Value::Null,
            (Outcome::Ok, 1, Some(3)),
        ),
        op(
            1,
            2,
            "a",
            "append",
            json!("y"),
            Value::Null,
            (Outcome::Ok, 2, Some(4)),
        ),
        op(
            2,
            3,
            "a",
            "read",
            Value::Null,
            json!("yx"),
            (Outcome::Ok, 5, Some(6)),
        ),
    ];
    let report =
        check_operations(&append_ops, &ModelKind::AppendKv, &CheckOptions::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Valid);
}
