//! Speed of the linearizability checker on Porcupine's published histories
//! (when `../shared/data/porcupine` is present) and on a generated
//! 100,000-operation history of 10 keys from 10 processes.
//!
//! Porcupine (Go) on this machine kind: the 102 etcd histories take 1,049 ms
//! in total (etcd_002 alone 397 ms), kv c50-ok 376 ms and c50-bad 62 ms.
//! Only checking is timed; importing happens once, outside the measurement.

use criterion::{criterion_main, Criterion};
use faultline_checker::history::{Operation, Outcome};
use faultline_checker::import::{self, Format};
use faultline_checker::{check_operations, CheckOptions, ModelKind, Verdict};
use serde_json::{json, Value};
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

/// SplitMix64, so the generated history is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

/// An operation's output and whether it took effect.
type Applied = (Value, bool);

/// A linearizable history of `ops` read / write / cas operations on 10 keys
/// from 10 processes: each operation takes effect at a random moment between
/// its invoke and its completion, so operations overlap as in a real run.
fn generated_kv_history(ops: usize) -> Vec<Operation> {
    const PROCESSES: usize = 10;
    const KEYS: u64 = 10;
    let mut rng = Rng(0x0FA1_711E);
    let mut truth: Vec<Option<u64>> = vec![None; KEYS as usize];
    // Per process: the pending op and, once it took effect, its output.
    let mut pending: Vec<Option<(usize, Option<Applied>)>> = vec![None; PROCESSES];
    let mut out: Vec<Operation> = Vec::with_capacity(ops);
    let mut time: u64 = 0;
    while out.len() < ops || pending.iter().any(Option::is_some) {
        time += 1;
        let p = rng.below(PROCESSES as u64) as usize;
        match pending[p].take() {
            None if out.len() < ops => {
                let key = rng.below(KEYS);
                let (f, input) = match rng.below(3) {
                    0 => ("read", Value::Null),
                    1 => ("write", json!(rng.below(5))),
                    _ => ("cas", json!([rng.below(5), rng.below(5)])),
                };
                out.push(Operation {
                    id: out.len(),
                    process: p as u64,
                    f: f.to_string(),
                    key: Some(key.to_string()),
                    input,
                    output: Value::Null,
                    output_unknown: false,
                    outcome: Outcome::Info,
                    call_ns: time,
                    return_ns: None,
                    invoke_index: time,
                    complete_index: None,
                });
                pending[p] = Some((out.len() - 1, None));
            }
            None => {}
            Some((i, None)) => {
                let op = &out[i];
                let key: usize = op.key.as_deref().and_then(|k| k.parse().ok()).unwrap_or(0);
                let slot = &mut truth[key];
                let applied = match op.f.as_str() {
                    "read" => (json!(*slot), true),
                    "write" => {
                        *slot = op.input.as_u64();
                        (Value::Null, true)
                    }
                    _ => {
                        let matched = *slot == op.input[0].as_u64();
                        if matched {
                            *slot = op.input[1].as_u64();
                        }
                        (Value::Null, matched)
                    }
                };
                pending[p] = Some((i, Some(applied)));
            }
            Some((i, Some((output, took_effect)))) => {
                let op = &mut out[i];
                op.outcome = if took_effect {
                    Outcome::Ok
                } else {
                    Outcome::Fail
                };
                op.output = output;
                op.return_ns = Some(time);
                op.complete_index = Some(time);
            }
        }
    }
    out
}

fn porcupine(c: &mut Criterion) {
    let mut group = c.benchmark_group("porcupine");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));

    let big = generated_kv_history(100_000);
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
