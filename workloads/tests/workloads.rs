//! Workload tests: value encodings, op mixes, key rotation, names, and the
//! set / append checkers passing correct stores and catching broken ones.

mod support;

use std::collections::BTreeMap;

use faultline_checker::append::check_append;
use faultline_checker::history::EventType;
use faultline_checker::set::check_set;
use faultline_checker::{check_history, CheckOptions, Verdict};
use faultline_workloads::{
    build_workload, CheckerModel, Generator, GeneratorConfig, OpFn, WorkloadConfig, WorkloadError,
    WorkloadKind,
};
use support::{drive, rng, DriverConfig, Run};

const S: u64 = 1_000_000_000;

fn run(kind: WorkloadKind, workload: WorkloadConfig, driver: &DriverConfig, seed: u64) -> Run {
    let config = GeneratorConfig {
        concurrency: 5,
        rate_per_s: 200.0,
        time_limit_ns: 20 * S,
        quiet_ns: S,
        ..GeneratorConfig::default()
    };
    let mut g =
        Generator::new(config, build_workload(kind, &workload).unwrap(), rng(seed)).unwrap();
    drive(&mut g, driver, seed)
}

#[test]
fn workload_names_parse_and_unknown_names_are_named_in_the_error() {
    for kind in WorkloadKind::ALL {
        assert_eq!(kind.as_str().parse::<WorkloadKind>().unwrap(), kind);
    }
    let err = "queue".parse::<WorkloadKind>().unwrap_err();
    assert_eq!(err, WorkloadError::UnknownName("queue".into()));
    assert!(err.to_string().contains("\"queue\""));
}

#[test]
fn each_workload_names_its_checker() {
    let expected = [
        (WorkloadKind::Register, CheckerModel::CasRegister),
        (WorkloadKind::Kv, CheckerModel::Kv),
        (WorkloadKind::Set, CheckerModel::Set),
        (WorkloadKind::Append, CheckerModel::Append),
    ];
    for (kind, model) in expected {
        let w = build_workload(kind, &WorkloadConfig::default()).unwrap();
        assert_eq!((w.name(), w.checker()), (kind.as_str(), model));
    }
}

#[test]
fn register_ops_use_design_encodings_and_cas_sometimes_succeeds() {
    let r = run(
        WorkloadKind::Register,
        WorkloadConfig::default(),
        &DriverConfig::default(),
        4,
    );
    let mut by_f: BTreeMap<OpFn, usize> = BTreeMap::new();
    for (_, op) in &r.ops {
        *by_f.entry(op.f).or_default() += 1;
        assert_eq!(op.key, "0");
        match op.f {
            OpFn::Read => assert!(op.value.is_null()),
            OpFn::Write => assert!(op.value.as_u64().is_some_and(|v| v < 5)),
            OpFn::Cas => {
                let pair = op.value.as_array().unwrap();
                assert_eq!(pair.len(), 2);
                assert_ne!(pair[0], pair[1]);
            }
            other => panic!("register issued {other}"),
        }
    }
    assert_eq!(by_f.len(), 3, "{by_f:?}");
    let cas_outcomes: BTreeMap<EventType, usize> = r
        .history
        .events
        .iter()
        .filter(|e| e.f == "cas" && e.kind != EventType::Invoke)
        .fold(BTreeMap::new(), |mut m, e| {
            *m.entry(e.kind).or_default() += 1;
            m
        });
    assert!(
        cas_outcomes.get(&EventType::Ok).is_some_and(|n| *n > 0),
        "{cas_outcomes:?}"
    );
    assert!(
        cas_outcomes.get(&EventType::Fail).is_some_and(|n| *n > 0),
        "{cas_outcomes:?}"
    );
}

#[test]
fn kv_keys_rotate_with_jittered_budgets_so_they_drift_out_of_step() {
    let config = WorkloadConfig {
        active_keys: 3,
        ops_per_key_mean: 40,
        ..WorkloadConfig::default()
    };
    let r = run(WorkloadKind::Kv, config, &DriverConfig::default(), 9);
    let mut per_key: BTreeMap<u64, usize> = BTreeMap::new();
    for (_, op) in r.ops.iter().filter(|(_, op)| !op.final_read) {
        *per_key.entry(op.key.parse().unwrap()).or_default() += 1;
    }
    assert!(
        per_key.len() > 10,
        "keys should be retired and replaced: {per_key:?}"
    );
    // Retired keys (all but the last few active ones) got a budget in [20, 60].
    let retired: Vec<usize> = per_key.values().take(per_key.len() - 3).copied().collect();
    assert!(retired.iter().all(|n| (20..=60).contains(n)), "{retired:?}");
    let distinct: std::collections::BTreeSet<usize> = retired.iter().copied().collect();
    assert!(
        distinct.len() > 3,
        "budgets should be jittered: {retired:?}"
    );
}

#[test]
fn bad_mix_and_settings_are_rejected() {
    let append_in_register = WorkloadConfig {
        mix: Some(vec![(OpFn::Append, 1)]),
        ..WorkloadConfig::default()
    };
    let err = build_workload(WorkloadKind::Register, &append_in_register).unwrap_err();
    assert!(err.to_string().contains("no append"), "{err}");
    let all_zero = WorkloadConfig {
        mix: Some(vec![(OpFn::Add, 0)]),
        ..WorkloadConfig::default()
    };
    assert!(build_workload(WorkloadKind::Set, &all_zero).is_err());
    let no_keys = WorkloadConfig {
        active_keys: 0,
        ..WorkloadConfig::default()
    };
    assert!(matches!(
        build_workload(WorkloadKind::Kv, &no_keys),
        Err(WorkloadError::InvalidSetting {
            field: "active_keys",
            ..
        })
    ));
}

#[test]
fn set_adds_are_unique_and_increasing_and_a_correct_store_passes_the_set_checker() {
    let driver = DriverConfig {
        info_probability: 0.05,
        fail_probability: 0.05,
        ..DriverConfig::default()
    };
    let r = run(WorkloadKind::Set, WorkloadConfig::default(), &driver, 12);
    let adds: Vec<u64> = r
        .ops
        .iter()
        .filter(|(_, op)| op.f == OpFn::Add)
        .map(|(_, op)| op.value.as_u64().unwrap())
        .collect();
    assert!(adds.windows(2).all(|w| w[0] < w[1]));
    let result = check_set(&r.history).unwrap();
    assert_eq!(result.verdict, Verdict::Valid, "{}", result.explanation);
    assert!(result.keys[0].ok_count > 100);
}

#[test]
fn a_store_that_forgets_adds_fails_the_set_checker() {
    let driver = DriverConfig {
        forget_every: Some(17),
        ..DriverConfig::default()
    };
    let r = run(WorkloadKind::Set, WorkloadConfig::default(), &driver, 13);
    let result = check_set(&r.history).unwrap();
    assert_eq!(result.verdict, Verdict::Invalid);
    assert!(result.keys[0]
        .lost
        .iter()
        .all(|l| l.element.as_i64().unwrap() % 17 == 0));
    assert!(!result.keys[0].lost.is_empty());
}

#[test]
fn a_correct_store_passes_the_append_checker_and_a_forgetful_one_fails_it() {
    let driver = DriverConfig {
        info_probability: 0.05,
        ..DriverConfig::default()
    };
    let good = run(WorkloadKind::Append, WorkloadConfig::default(), &driver, 14);
    let result = check_append(&good.history).unwrap();
    assert_eq!(result.verdict, Verdict::Valid, "{}", result.explanation);
    assert!(result.keys.len() > 3);
    let bad_driver = DriverConfig {
        forget_every: Some(7),
        ..DriverConfig::default()
    };
    let bad = run(
        WorkloadKind::Append,
        WorkloadConfig::default(),
        &bad_driver,
        14,
    );
    let result = check_append(&bad.history).unwrap();
    assert_eq!(result.verdict, Verdict::Invalid);
    assert!(
        result.anomaly_counts.get("lost").is_some_and(|n| *n > 0),
        "{:?}",
        result.anomaly_counts
    );
}

fn linearizability(kind: WorkloadKind, r: &Run) -> Verdict {
    let model = build_workload(kind, &WorkloadConfig::default())
        .unwrap()
        .checker()
        .model_kind();
    let opts = CheckOptions {
        threads: 1,
        ..CheckOptions::default()
    };
    check_history(&r.history, &model.unwrap(), &opts)
        .unwrap()
        .verdict
}

#[test]
fn register_and_kv_histories_of_a_correct_store_are_linearizable_and_stale_reads_are_not() {
    for kind in [WorkloadKind::Register, WorkloadKind::Kv] {
        let driver = DriverConfig {
            info_probability: 0.05,
            ..DriverConfig::default()
        };
        let good = run(kind, WorkloadConfig::default(), &driver, 15);
        assert_eq!(linearizability(kind, &good), Verdict::Valid, "{kind}");
        let stale = DriverConfig {
            stale_read_probability: 0.2,
            ..DriverConfig::default()
        };
        let bad = run(kind, WorkloadConfig::default(), &stale, 15);
        assert_eq!(linearizability(kind, &bad), Verdict::Invalid, "{kind}");
    }
}
