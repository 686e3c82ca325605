//! Speed of the linearizability checker on Porcupine's published histories
//! (when `../shared/data/porcupine` is present) and on a generated
//! 100,000-operation history of 10 keys from 10 processes.
//!
//! Porcupine (Go) on this machine kind: the 102 etcd histories take 1,049 ms
//! in total (etcd_002 alone 397 ms), kv c50-ok 376 ms and c50-bad 62 ms.
//! Only checking is timed; importing happens once, outside the measurement.

use criterion::{criterion_main, Criterion};
use faultline_checker::history::Operation;
use faultline_checker::import::{self, Format};
use faultline_checker::synthetic::KvHistorySpec;
use faultline_checker::{check_operations, CheckOptions, ModelKind, Verdict};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

fn data_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/porcupine/test_data"
    ))
}

fn load_ops(file: &str, format: Format) -> Vec<Operation> {
    let imported = import::load(&data_dir().join(file), Some(format)).expect("history imports");
    imported.history.operations().expect("history pairs")
}

fn check(ops: &[Operation], model: &ModelKind) -> Verdict {
    check_operations(ops, model, &CheckOptions::default())
        .expect("ops fit the model")
        .verdict
}

fn porcupine(c: &mut Criterion) {
    let mut group = c.benchmark_group("porcupine");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));

    // The checker's seeded generator on its defaults: 100,000 operations,
    // 10 keys, 10 processes (see `faultline bench check` for larger ones).
    let big = KvHistorySpec::default().generate().operations;
    assert_eq!(check(&big, &ModelKind::Kv), Verdict::Valid);
    group.bench_function("generated_100k_ops_10_keys_10_processes", |b| {
        b.iter(|| check(&big, &ModelKind::Kv))
    });

    if !data_dir().exists() {
        println!(
            "skipped Porcupine histories: {} is absent",
            data_dir().display()
        );
        group.finish();
        return;
    }
    let register = ModelKind::CasRegister {
        initial: Value::Null,
    };
    let etcd: Vec<Vec<Operation>> = (0..=102)
        .filter(|n| *n != 95)
        .map(|n| load_ops(&format!("jepsen/etcd_{n:03}.log"), Format::PorcupineEtcd))
        .collect();
    group.bench_function("etcd_all_102", |b| {
        b.iter(|| {
            etcd.iter()
                .map(|ops| check(ops, &register))
                .collect::<Vec<_>>()
        })
    });
    let etcd_002 = &etcd[2];
    group.bench_function("etcd_002", |b| b.iter(|| check(etcd_002, &register)));
    for name in ["c50-ok", "c50-bad"] {
        let ops = load_ops(&format!("kv/{name}.txt"), Format::PorcupineKv);
        group.bench_function(format!("kv_{name}"), |b| {
            b.iter(|| check(&ops, &ModelKind::AppendKv))
        });
    }
    group.finish();
}

/// Criterion's generated group function, kept out of the public surface.
mod group {
    criterion::criterion_group!(benches, super::porcupine);
}

criterion_main!(group::benches);
