//! WAL tests: the conformance suite on three disks, and crash tests that cut
//! the disk at every operation and every byte, crash, recover, and check that
//! the result is a prefix of the writes holding everything synced.

use super::*;
use crate::storage::conformance::{run_all, test_entry, StorageFactory};
use crate::storage::mem_disk::{CrashMode, MemDisk};
use crate::storage::std_disk::StdDisk;
use crate::types::{Membership, SnapshotMeta};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DIR: &str = "/node/wal";

fn small_segments() -> WalOptions {
    WalOptions {
        segment_bytes_max: 700,
        ..WalOptions::default()
    }
}

struct MemDiskFactory {
    mode: CrashMode,
}

impl StorageFactory<Wal<MemDisk>> for MemDiskFactory {
    fn create(&mut self) -> Result<Wal<MemDisk>, StorageError> {
        Wal::open_with(MemDisk::new(), DIR, small_segments())
    }

    fn crash_and_reopen(&mut self, store: Wal<MemDisk>) -> Result<Wal<MemDisk>, StorageError> {
        let mut disk = store.into_disk();
        disk.crash(self.mode);
        Wal::open_with(disk, DIR, small_segments())
    }

    fn loses_unsynced_writes(&self) -> bool {
        self.mode == CrashMode::LoseUnsynced
    }
}

struct StdDiskFactory {
    root: tempfile::TempDir,
    stores: u64,
}

impl StdDiskFactory {
    fn dir(&self) -> PathBuf {
        self.root.path().join(format!("store-{}", self.stores))
    }
}

impl StorageFactory<Wal<StdDisk>> for StdDiskFactory {
    fn create(&mut self) -> Result<Wal<StdDisk>, StorageError> {
        self.stores += 1;
        Wal::open_with(StdDisk::new(), self.dir(), small_segments())
    }

    fn crash_and_reopen(&mut self, store: Wal<StdDisk>) -> Result<Wal<StdDisk>, StorageError> {
        let dir = store.dir().to_path_buf();
        drop(store);
        Wal::open_with(StdDisk::new(), dir, small_segments())
    }

    fn loses_unsynced_writes(&self) -> bool {
        false
    }
}

#[test]
fn wal_on_mem_disk_passes_the_conformance_suite_losing_unsynced_writes() {
    let report = run_all(&mut MemDiskFactory {
        mode: CrashMode::LoseUnsynced,
    });
    assert!(report.is_ok(), "{report}");
}

#[test]
fn wal_on_mem_disk_passes_the_conformance_suite_keeping_unsynced_writes() {
    let report = run_all(&mut MemDiskFactory {
        mode: CrashMode::KeepUnsynced,
    });
    assert!(report.is_ok(), "{report}");
}

#[test]
fn wal_on_the_real_filesystem_passes_the_conformance_suite() {
    let mut factory = StdDiskFactory {
        root: tempfile::tempdir().unwrap(),
        stores: 0,
    };
    let report = run_all(&mut factory);
    assert!(report.is_ok(), "{report}");
}

// ---------------------------------------------------------------------------
// Crash tests.

/// One call of the workload.
#[derive(Debug, Clone)]
enum Op {
    Append(Vec<Entry>),
    HardState(HardState),
    Snapshot(Snapshot),
    Sync,
}

/// A deterministic workload: appends (some conflicting), hard states,
/// snapshots (matching and mismatched) and syncs, valid by construction.
fn workload(seed: u64, ops: usize) -> Vec<Op> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut model = LogState::new();
    let mut term = 1;
    let mut out = Vec::new();
    while out.len() < ops {
        let op = match rng.gen_range(0..10) {
            0..=4 => {
                let mut from = model.last_index() + 1;
                if rng.gen_bool(0.2) && model.last_index() >= model.first_index() + 2 {
                    term += 1;
                    from = rng.gen_range(model.first_index()..=model.last_index());
                }
                let n = rng.gen_range(1..4);
                Op::Append((from..from + n).map(|i| test_entry(i, term)).collect())
            }
            5 | 6 => Op::HardState(HardState {
                term,
                voted_for: Some(rng.gen_range(1..4)),
                commit: model.last_index(),
            }),
            7 => {
                let (index, last_term) =
                    if rng.gen_bool(0.7) && model.last_index() > model.first_index() {
                        let index = rng.gen_range(model.first_index()..model.last_index());
                        (index, model.term(index).unwrap_or(term))
                    } else {
                        term += 1;
                        (model.last_index() + rng.gen_range(0..3), term)
                    };
                Op::Snapshot(Snapshot {
                    meta: SnapshotMeta {
                        last_index: index,
                        last_term,
                        membership: Membership::new([1, 2, 3]),
                    },
                    data: format!("kv state at {index}").into_bytes(),
                })
            }
            _ => Op::Sync,
        };
        match &op {
            Op::Append(entries) => model.append(entries).unwrap(),
            Op::HardState(hs) => model.set_hard_state(*hs),
            Op::Snapshot(s) => {
                if model.check_snapshot(s).is_err() {
                    continue;
                }
                model.install_snapshot(s).unwrap();
            }
            Op::Sync => {}
        }
        out.push(op);
    }
    out
}

/// What a run of the workload on a faulty disk established.
struct Run {
    /// The model state after each write, starting with the initial state.
    states: Vec<LogState>,
    /// States before this position are not guaranteed; every state from
    /// here to `attempted` is a legal recovery result.
    synced: usize,
    /// The last state the run may have reached (the failed write included).
    attempted: usize,
}

/// Runs `ops` until the first error.
fn run_until_failure(wal: &mut Wal<MemDisk>, ops: &[Op], start: LogState) -> Run {
    let mut states = vec![start];
    let mut synced = 0;
    for op in ops {
        let mut next = states[states.len() - 1].clone();
        let result = match op {
            Op::Append(entries) => {
                next.append(entries).unwrap();
                wal.append(entries)
            }
            Op::HardState(hs) => {
                next.set_hard_state(*hs);
                wal.save_hard_state(hs)
            }
            Op::Snapshot(s) => {
                next.install_snapshot(s).unwrap();
                wal.save_snapshot(s)
            }
            Op::Sync => wal.sync(),
        };
        let is_write = !matches!(op, Op::Sync);
        if is_write {
            states.push(next);
        }
        if result.is_err() {
            let attempted = states.len() - 1;
            return Run {
                states,
                synced,
                attempted,
            };
        }
        if matches!(op, Op::Sync | Op::Snapshot(_)) {
            synced = states.len() - 1;
        }
    }
    let attempted = states.len() - 1;
    Run {
        states,
        synced,
        attempted,
    }
}

fn same(recovered: &RecoveredState, state: &LogState) -> bool {
    let want = state.to_recovered();
    recovered.hard_state == want.hard_state
        && recovered.snapshot == want.snapshot
        && recovered.entries == want.entries
}

/// Asserts that `recovered` is one of the legal states; returns its position.
fn check_recovery(run: &Run, recovered: &RecoveredState, what: &str) -> usize {
    let legal = run.synced..=run.attempted;
    match run.states.iter().position(|s| same(recovered, s)) {
        Some(k) if legal.contains(&k) => k,
        found => panic!(
            "{what}: recovered state (position {found:?}, {} entries, {:?}) is not one of the \
             states {legal:?}; truncated_at: {:?}",
            recovered.entries.len(),
            recovered.hard_state,
            recovered.truncated_at
        ),
    }
}

/// After recovery the log must accept new writes that survive another crash.
fn check_extends(wal: Wal<MemDisk>, recovered: &RecoveredState, what: &str) {
    let mut model = LogState::from_recovered(recovered).unwrap();
    let mut wal = wal;
    let next = model.last_index() + 1;
    let term = model.term(model.last_index()).unwrap_or(0) + 1;
    let entries: Vec<Entry> = (next..next + 3).map(|i| test_entry(i, term)).collect();
    wal.append(&entries).unwrap();
    model.append(&entries).unwrap();
    wal.sync().unwrap();
    let mut disk = wal.into_disk();
    disk.crash(CrashMode::LoseUnsynced);
    let mut reopened = Wal::open_with(disk, DIR, small_segments()).unwrap();
    let again = reopened.recover().unwrap();
    assert!(
        same(&again, &model),
        "{what}: appends after recovery were not durable"
    );
    assert_eq!(
        again.truncated_at, None,
        "{what}: repaired log still damaged"
    );
}

/// Opens a fresh log, then arms `fault` on its disk.
fn faulty_wal(fault: impl FnOnce(&mut MemDisk)) -> Wal<MemDisk> {
    let mut wal = Wal::open_with(MemDisk::new(), DIR, small_segments()).unwrap();
    fault(wal.disk_mut());
    wal
}

fn crash_and_recover(wal: Wal<MemDisk>, mode: CrashMode) -> (Wal<MemDisk>, RecoveredState) {
    let mut disk = wal.into_disk();
    disk.crash(mode);
    let mut wal = Wal::open_with(disk, DIR, small_segments())
        .unwrap_or_else(|e| panic!("reopen after a {mode:?} crash failed: {e}"));
    let recovered = wal.recover().unwrap();
    (wal, recovered)
}

#[test]
fn crash_at_every_disk_operation_recovers_a_prefix_holding_every_synced_write() {
    let ops = workload(11, 60);
    let total_ops = {
        let mut wal = faulty_wal(|_| {});
        let before = wal.disk().op_count();
        let run = run_until_failure(&mut wal, &ops, LogState::new());
        assert_eq!(run.attempted, run.states.len() - 1);
        wal.disk().op_count() - before
    };
    assert!(total_ops > 50, "workload too small: {total_ops} operations");
    for cut in 0..=total_ops {
        for mode in [CrashMode::LoseUnsynced, CrashMode::KeepUnsynced] {
            let mut wal = faulty_wal(|d| d.fail_after_ops(Some(cut)));
            let run = run_until_failure(&mut wal, &ops, LogState::new());
            let what = format!("fault after {cut} operations, {mode:?}");
            let (wal, recovered) = crash_and_recover(wal, mode);
            check_recovery(&run, &recovered, &what);
            check_extends(wal, &recovered, &what);
        }
    }
}

#[test]
fn torn_write_at_every_byte_recovers_a_prefix_holding_every_synced_write() {
    let ops = workload(5, 40);
    let total_bytes = {
        let mut wal = faulty_wal(|_| {});
        let before = wal.disk().bytes_appended();
        run_until_failure(&mut wal, &ops, LogState::new());
        wal.disk().bytes_appended() - before
    };
    assert!(
        total_bytes > 1000,
        "workload too small: {total_bytes} bytes"
    );
    let mut torn_reports = 0;
    for cut in 0..=total_bytes {
        for mode in [CrashMode::KeepUnsynced, CrashMode::LoseUnsynced] {
            let mut wal = faulty_wal(|d| d.fail_after_bytes(Some(cut)));
            let run = run_until_failure(&mut wal, &ops, LogState::new());
            let what = format!("torn write after {cut} bytes, {mode:?}");
            let (wal, recovered) = crash_and_recover(wal, mode);
            check_recovery(&run, &recovered, &what);
            torn_reports += usize::from(recovered.truncated_at.is_some());
            check_extends(wal, &recovered, &what);
        }
    }
    // Keeping a torn record must be noticed and reported, not silently
    // accepted: most cuts fall inside a record.
    assert!(
        torn_reports as u64 > total_bytes / 2,
        "only {torn_reports} torn tails reported"
    );
}

#[test]
fn crash_during_recovery_is_itself_recoverable() {
    let ops = workload(23, 50);
    for first_cut in [800u64, 1700, 2600] {
        let mut wal = faulty_wal(|d| d.fail_after_bytes(Some(first_cut)));
        let run = run_until_failure(&mut wal, &ops, LogState::new());
        let mut disk = wal.into_disk();
        disk.crash(CrashMode::KeepUnsynced);
        // Crash the recovery itself at each of its operations.
        for second_cut in 0..30 {
            for mode in [CrashMode::LoseUnsynced, CrashMode::KeepUnsynced] {
                let mut attempt = disk.clone();
                attempt.fail_after_ops(Some(second_cut));
                // Borrow the disk so that it keeps what the interrupted recovery did.
                let _ = Wal::open_with(&mut attempt, DIR, small_segments());
                attempt.crash(mode);
                let mut wal = Wal::open_with(attempt, DIR, small_segments()).unwrap();
                let recovered = wal.recover().unwrap();
                let what =
                    format!("recovery cut at op {second_cut} after {first_cut} bytes, {mode:?}");
                check_recovery(&run, &recovered, &what);
            }
        }
    }
}

#[test]
fn flipped_bytes_are_detected_reported_and_never_panic() {
    let ops = workload(3, 45);
    let mut wal = faulty_wal(|_| {});
    let run = run_until_failure(&mut wal, &ops, LogState::new());
    wal.sync().unwrap();
    let disk = wal.into_disk();
    let all_states = Run { synced: 0, ..run };
    let mut detected = 0;
    let mut refused = 0;
    for path in disk.paths() {
        let len = disk.file(&path).map_or(0, <[u8]>::len);
        for offset in 0..len {
            let mut bad = disk.clone();
            bad.flip_bit(&path, offset, (offset % 8) as u8);
            match Wal::open_with(bad, DIR, small_segments()) {
                Ok(mut wal) => {
                    let recovered = wal.recover().unwrap();
                    let what = format!("flip in {} at {offset}", path.display());
                    assert!(
                        recovered.truncated_at.is_some(),
                        "{what}: corruption not reported"
                    );
                    check_recovery(&all_states, &recovered, &what);
                    detected += 1;
                }
                Err(StorageError::Corrupt { .. }) => refused += 1,
                Err(other) => panic!("unexpected error {other}"),
            }
        }
    }
    assert!(detected > 100, "only {detected} corruptions detected");
    // Corrupting the checkpoint or the snapshot it needs refuses to open.
    assert!(
        refused > 0,
        "no corruption of a checkpoint or snapshot was refused"
    );
}

#[test]
fn wal_behaves_like_mem_storage_under_random_writes_and_restarts() {
    use crate::storage::MemStorage;
    for seed in 0..24 {
        let ops = workload(100 + seed, 80);
        let mut mem = MemStorage::new();
        let mut wal = Wal::open_with(MemDisk::new(), DIR, small_segments()).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for (step, op) in ops.iter().enumerate() {
            let what = format!("seed {seed} step {step}");
            match op {
                Op::Append(entries) => {
                    mem.append(entries).unwrap();
                    wal.append(entries).unwrap();
                }
                Op::HardState(hs) => {
                    mem.save_hard_state(hs).unwrap();
                    wal.save_hard_state(hs).unwrap();
                }
                Op::Snapshot(s) => {
                    mem.save_snapshot(s).unwrap();
                    wal.save_snapshot(s).unwrap();
                }
                Op::Sync => {
                    mem.sync().unwrap();
                    wal.sync().unwrap();
                    // Everything is durable in both: a power loss now must
                    // bring both back identical.
                    if rng.gen_bool(0.4) {
                        let mut disk = wal.into_disk();
                        disk.crash(CrashMode::LoseUnsynced);
                        wal = Wal::open_with(disk, DIR, small_segments()).unwrap();
                        assert_eq!(wal.recover().unwrap(), mem.recover().unwrap(), "{what}");
                    }
                }
            }
            assert_eq!(wal.state(), mem.live_state(), "{what}");
            let (lo, hi) = (mem.first_index(), mem.last_index() + 1);
            assert_eq!(
                wal.entries(lo, hi).unwrap(),
                mem.entries(lo, hi).unwrap(),
                "{what}"
            );
        }
    }
}

/// Entries 1..=n, appended and synced across several segments, then a
/// power loss: how many survive.
#[cfg(feature = "bug-catalogue")]
fn entries_after_power_loss(bugs: crate::bugs::BugSet, n: u64) -> usize {
    let options = WalOptions {
        bugs,
        ..small_segments()
    };
    let mut wal = Wal::open_with(MemDisk::new(), DIR, options).unwrap();
    for index in 1..=n {
        wal.append(&[test_entry(index, 1)]).unwrap();
        wal.sync().unwrap();
    }
    assert!(
        wal.stats().segments_created > 1,
        "the entries span segments"
    );
    let mut disk = wal.into_disk();
    disk.crash(CrashMode::LoseUnsynced);
    let mut wal = Wal::open_with(disk, DIR, options).unwrap();
    wal.recover().unwrap().entries.len()
}

#[cfg(feature = "bug-catalogue")]
#[test]
fn wal_skip_dir_sync_loses_synced_entries_of_a_new_segment() {
    use crate::bugs::{Bug, BugSet};
    assert_eq!(entries_after_power_loss(BugSet::NONE, 40), 40);
    let lost = entries_after_power_loss(BugSet::of([Bug::WalSkipDirSync]), 40);
    assert!(
        lost < 40,
        "with the bug synced entries vanish ({lost} of 40 left)"
    );
}

/// Rewrites every frame of `bytes` with format 1's checksum (no version),
/// as a build before format 2 wrote it.
fn as_format_1(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let len_bytes = [
            bytes[offset],
            bytes[offset + 1],
            bytes[offset + 2],
            bytes[offset + 3],
        ];
        let len = u32::from_le_bytes(len_bytes) as usize;
        let payload = &bytes[offset + 8..offset + 8 + len];
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&len_bytes);
        hasher.update(payload);
        out.extend_from_slice(&len_bytes);
        out.extend_from_slice(&hasher.finalize().to_le_bytes());
        out.extend_from_slice(payload);
        offset += 8 + len;
    }
    out
}

#[test]
fn a_wal_of_an_older_format_is_refused_with_a_clear_error_never_misread() {
    let mut wal = Wal::open_with(MemDisk::new(), DIR, small_segments()).unwrap();
    for index in 1..=30 {
        wal.append(&[test_entry(index, 1)]).unwrap();
    }
    wal.sync().unwrap();
    let mut disk = wal.into_disk();
    let dir = Path::new(DIR);
    for name in disk.list(dir).unwrap() {
        let path = dir.join(&name);
        let old = as_format_1(&disk.read(&path).unwrap());
        disk.remove(&path).unwrap();
        disk.create(&path).unwrap();
        disk.append(&path, &old).unwrap();
        disk.sync(&path).unwrap();
    }
    let err = Wal::open_with(disk, DIR, small_segments()).unwrap_err();
    match &err {
        StorageError::UnsupportedFormat {
            location,
            found: 1,
            supported: 2,
        } => assert!(location.ends_with(".wal"), "{location}"),
        other => panic!("expected a format refusal, got {other:?}"),
    }
    assert!(err.to_string().contains("storage format 1"), "{err}");
}
