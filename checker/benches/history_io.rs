//! Throughput of history I/O: CSV and JSON Lines writing and reading
//! (with validation), pairing into operations, and importing Porcupine's
//! largest kv history when `../shared/data/porcupine` is present.

use criterion::{Criterion, Throughput};
use faultline_checker::history::{Event, EventType, History, Process};
use faultline_checker::import::{self, Format};
use faultline_checker::io::{csv, jsonl};
use serde_json::json;

/// 100,000 operations over 10 keys from 10 processes, each op an invoke and
/// an `ok` one tick later, interleaved across processes.
fn big_history() -> History {
    const OPS: u64 = 100_000;
    const PROCESSES: u64 = 10;
    let mut events = Vec::with_capacity(2 * OPS as usize);
    let mut index = 0;
    for round in 0..OPS / PROCESSES {
        for phase in [EventType::Invoke, EventType::Ok] {
            for p in 0..PROCESSES {
                let n = round * PROCESSES + p;
                let (f, value) = match (n % 3, phase) {
                    (0, EventType::Invoke) => ("read", json!(null)),
                    (0, _) => ("read", json!(n % 7)),
                    (1, _) => ("write", json!(n % 7)),
                    _ => ("cas", json!([n % 7, (n + 1) % 7])),
                };
                events.push(Event {
                    index,
                    time_ns: index * 1_000,
                    process: Process::Client(p),
                    kind: phase,
                    f: f.to_owned(),
                    key: Some(((n * 7) % 10).to_string()),
                    value,
                    value_unknown: false,
                });
                index += 1;
            }
        }
    }
    History { events }
}

fn history_io(c: &mut Criterion) {
    let history = big_history();
    let mut csv_bytes = Vec::new();
    csv::write(&history, &mut csv_bytes).expect("csv");
    let mut jsonl_bytes = Vec::new();
    jsonl::write(&history, &mut jsonl_bytes).expect("jsonl");

    let mut group = c.benchmark_group("history_io_100k_ops");
    group.sample_size(10);
    group.throughput(Throughput::Elements(history.events.len() as u64));
    group.bench_function("csv_write", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(csv_bytes.len());
            csv::write(&history, &mut out).expect("csv");
            out
        })
    });
    group.bench_function("csv_read_validated", |b| {
        b.iter(|| csv::read(csv_bytes.as_slice(), "bench.csv").expect("csv"))
    });
    group.bench_function("jsonl_write", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(jsonl_bytes.len());
            jsonl::write(&history, &mut out).expect("jsonl");
            out
        })
    });
    group.bench_function("jsonl_read_validated", |b| {
        b.iter(|| jsonl::read(jsonl_bytes.as_slice(), "bench.jsonl").expect("jsonl"))
    });
    group.bench_function("operations", |b| {
        b.iter(|| history.operations().expect("valid"))
    });
    group.finish();

    let kv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/porcupine/test_data/kv/c50-ok.txt");
    match std::fs::read_to_string(&kv) {
        Ok(text) => {
            c.bench_function("import_porcupine_kv_c50_ok", |b| {
                b.iter(|| import::read_str(&text, "c50-ok.txt", Format::PorcupineKv).expect("kv"))
            });
        }
        Err(_) => eprintln!("skipping the kv import: {} is absent", kv.display()),
    }
}

// What `criterion_group!`/`criterion_main!` expand to, written out so the
// generated public function does not trip the workspace's `missing_docs`.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    history_io(&mut criterion);
    criterion.final_summary();
}
