//! The memory budget is one budget for all partitions, reported, and
//! deterministic; large generated histories are decided within it,
//! including a planted stale read.

use faultline_checker::synthetic::KvHistorySpec;
use faultline_checker::{check_operations, CheckOptions, ModelKind, Verdict};

fn two_keys() -> Vec<faultline_checker::history::Operation> {
    KvHistorySpec {
        ops: 6_000,
        keys: 2,
        processes: 8,
        seed: 3,
        ..KvHistorySpec::default()
    }
    .generate()
    .operations
}

#[test]
fn the_memory_budget_is_shared_by_all_partitions() {
    let ops = two_keys();
    let key = |k: &str| -> Vec<_> {
        ops.iter()
            .filter(|op| op.key.as_deref() == Some(k))
            .cloned()
            .collect()
    };
    let roomy = CheckOptions::default();
    let alone: Vec<usize> = ["0", "1"]
        .iter()
        .map(|k| {
            let report = check_operations(&key(k), &ModelKind::Kv, &roomy).unwrap();
            assert_eq!(report.verdict, Verdict::Valid);
            report.partitions[0].memory_bytes
        })
        .collect();
    // Enough for either key alone, not for both at once.
    let budget = alone[0].max(alone[1]) * 6 / 5;
    assert!(budget < alone[0] + alone[1], "{alone:?}");
    let tight = CheckOptions {
        memory_bytes_max: budget,
        ..CheckOptions::default()
    };
    for k in ["0", "1"] {
        let report = check_operations(&key(k), &ModelKind::Kv, &tight).unwrap();
        assert_eq!(report.verdict, Verdict::Valid, "key {k} alone fits");
        assert!(report.memory_bytes_peak <= budget);
    }
    let both = check_operations(&ops, &ModelKind::Kv, &tight).unwrap();
    assert_eq!(both.verdict, Verdict::Unknown);
    assert!(
        both.memory_bytes_peak <= budget,
        "{}",
        both.memory_bytes_peak
    );
    let unknown: Vec<_> = both
        .partitions
        .iter()
        .filter(|p| p.verdict == Verdict::Unknown)
        .collect();
    assert_eq!(unknown.len(), 1, "the other key gets the freed memory");
    let note = unknown[0].note.as_deref().unwrap();
    assert!(
        note.contains(&format!("memory budget of {budget} bytes over all keys")),
        "{note}"
    );
    assert!(note.contains("this key held"), "{note}");
    // Deterministic: the same budget gives the same report.
    assert_eq!(
        check_operations(&ops, &ModelKind::Kv, &tight).unwrap(),
        both
    );
}

#[test]
fn a_planted_stale_read_in_a_long_single_key_history_is_found() {
    let spec = KvHistorySpec {
        ops: 20_000,
        keys: 1,
        processes: 10,
        seed: 5,
        ..KvHistorySpec::default()
    };
    let valid = spec.generate();
    assert_eq!(valid.stale_read, None);
    let report = check_operations(&valid.operations, &ModelKind::Kv, &CheckOptions::default());
    assert_eq!(report.unwrap().verdict, Verdict::Valid);

    let planted = KvHistorySpec {
        stale_read: true,
        ..spec
    }
    .generate();
    let id = planted.stale_read.expect("a read qualifies");
    assert!(id >= 10_000, "planted in the second half");
    let report = check_operations(
        &planted.operations,
        &ModelKind::Kv,
        &CheckOptions::default(),
    )
    .unwrap();
    assert_eq!(report.verdict, Verdict::Invalid);
    let explanation = report.partitions[0].explanation.as_ref().unwrap();
    let named = std::iter::once(&explanation.failed).chain(&explanation.concurrent);
    assert!(
        named.map(|op| op.id).any(|op| op == id),
        "op {id} is named: {explanation}"
    );
}

#[test]
fn the_generator_is_deterministic_and_its_history_round_trips_as_events() {
    let spec = KvHistorySpec {
        ops: 500,
        stale_read: true,
        ..KvHistorySpec::default()
    };
    let a = spec.generate();
    assert_eq!(a, spec.generate());
    let other = KvHistorySpec { seed: 9, ..spec }.generate();
    assert_ne!(a.operations, other.operations);
    let events = a.history();
    assert_eq!(events.events.len(), 2 * a.operations.len());
    let back = events.operations().unwrap();
    assert_eq!(back.len(), a.operations.len());
    let verdict = |ops: &[_]| {
        check_operations(ops, &ModelKind::Kv, &CheckOptions::default())
            .unwrap()
            .verdict
    };
    assert_eq!(verdict(&back), verdict(&a.operations));
    assert_eq!(verdict(&back), Verdict::Invalid);
}
