//! Throughput of the durable pieces under the consensus core: the
//! write-ahead log (append + sync, on the in-memory disk and on the real
//! filesystem) and the KV state machine (apply, snapshot, restore).
//!
//! Run: `cargo bench -p faultline-raft --bench storage_kv`.

use criterion::{BatchSize, Criterion, Throughput};
use faultline_raft::kv::{encode_command, KvCommand, KvOp, KvStateMachine};
use faultline_raft::storage::{LogStorage, MemDisk, StdDisk, Wal, WalOptions};
use faultline_raft::{Entry, EntryPayload, HardState};

/// Entries appended per measured iteration.
const ENTRIES: u64 = 4_096;
/// Entries per append call (one WAL record), each followed by a sync.
const BATCH: u64 = 64;
/// Size of each entry's command.
const PAYLOAD_BYTES: usize = 100;

fn batches() -> Vec<Vec<Entry>> {
    (0..ENTRIES / BATCH)
        .map(|b| {
            (b * BATCH + 1..=(b + 1) * BATCH)
                .map(|index| Entry {
                    term: 1,
                    index,
                    payload: EntryPayload::Command(vec![index as u8; PAYLOAD_BYTES]),
                })
                .collect()
        })
        .collect()
}

fn append_and_sync<S: LogStorage>(store: &mut S, batches: &[Vec<Entry>]) {
    for batch in batches {
        store.append(batch).expect("append");
        let last = batch.last().map_or(0, |e| e.index);
        store
            .save_hard_state(&HardState {
                term: 1,
                voted_for: Some(1),
                commit: last,
            })
            .expect("hard state");
        store.sync().expect("sync");
    }
}

fn wal(c: &mut Criterion) {
    let batches = batches();
    let mut group = c.benchmark_group("wal_append_sync");
    group.throughput(Throughput::Elements(ENTRIES));
    group.sample_size(20);
    group.bench_function("mem_disk", |b| {
        b.iter_batched(
            || Wal::open(MemDisk::new(), "/wal").expect("open"),
            |mut wal| append_and_sync(&mut wal, &batches),
            BatchSize::SmallInput,
        )
    });
    let root = tempfile::tempdir().expect("tempdir");
    let mut runs = 0u64;
    group.bench_function("std_fs_fsync", |b| {
        b.iter_batched(
            || {
                runs += 1;
                let options = WalOptions::default();
                Wal::open_with(StdDisk::new(), root.path().join(runs.to_string()), options)
                    .expect("open")
            },
            |mut wal| append_and_sync(&mut wal, &batches),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn kv(c: &mut Criterion) {
    let commands: Vec<Vec<u8>> = (0..ENTRIES)
        .map(|i| {
            let key = format!("k{}", i % 64);
            let op = match i % 4 {
                0 => KvOp::Read { key },
                1 => KvOp::Write {
                    key,
                    value: i.to_string(),
                },
                2 => KvOp::Cas {
                    key,
                    expected: (i - 1).to_string(),
                    new: i.to_string(),
                },
                _ => KvOp::Append {
                    key,
                    value: "x".into(),
                },
            };
            encode_command(&KvCommand {
                client_id: i % 32,
                seq: i / 32 + 1,
                op,
            })
        })
        .collect();
    let mut group = c.benchmark_group("kv");
    group.throughput(Throughput::Elements(ENTRIES));
    group.bench_function("apply", |b| {
        b.iter_batched(
            KvStateMachine::default,
            |mut kv| {
                for (i, command) in commands.iter().enumerate() {
                    kv.apply(i as u64 + 1, command).expect("apply");
                }
                kv
            },
            BatchSize::SmallInput,
        )
    });
    let mut full = KvStateMachine::default();
    for (i, command) in commands.iter().enumerate() {
        full.apply(i as u64 + 1, command).expect("apply");
    }
    group.throughput(Throughput::Elements(1));
    group.bench_function("snapshot_then_restore", |b| {
        b.iter(|| KvStateMachine::from_snapshot(&full.snapshot()).expect("restore"))
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    wal(&mut criterion);
    kv(&mut criterion);
    criterion.final_summary();
}
