//! The write-ahead log on turmoil's simulated filesystem: it passes the
//! storage conformance suite inside a simulated host, and a power loss
//! (`Sim::crash` then `Sim::bounce`) recovers exactly the synced writes,
//! while a bounce without a crash keeps the unsynced ones too; repeated
//! power losses at random points with torn writes and random flushes always
//! recover a prefix of the writes that holds everything synced.

use faultline_raft::storage::conformance::{run_all, test_entry, StorageFactory};
use faultline_raft::storage::{
    LogState, LogStorage, RecoveredState, StorageError, Wal, WalOptions,
};
use faultline_raft::{Entry, HardState, Membership, Snapshot, SnapshotMeta};
use faultline_sim::disk::TurmoilDisk;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

const DIR: &str = "/data/wal";

fn builder() -> turmoil::Builder {
    let mut builder = turmoil::Builder::new();
    builder
        .epoch(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        .simulation_duration(Duration::from_secs(600))
        .rng_seed(7);
    builder
}

fn options() -> WalOptions {
    WalOptions {
        segment_bytes_max: 1024,
        ..WalOptions::default()
    }
}

fn entries(lo: u64, hi: u64, term: u64) -> Vec<Entry> {
    (lo..hi).map(|i| test_entry(i, term)).collect()
}

fn hard_state(term: u64, commit: u64) -> HardState {
    HardState {
        term,
        voted_for: Some(2),
        commit,
    }
}

fn snapshot(last_index: u64, last_term: u64) -> Snapshot {
    Snapshot {
        meta: SnapshotMeta {
            last_index,
            last_term,
            membership: Membership::new([1, 2, 3]),
        },
        data: b"kv state".to_vec(),
    }
}

/// What the simulated host observed on each boot.
#[derive(Default)]
struct Boots {
    recovered: Vec<RecoveredState>,
    errors: Vec<String>,
    writes_done: bool,
}

/// Runs a host that recovers its log on every boot and, on its first boot,
/// runs `first_boot`; returns the sim and the shared observations.
fn sim_with_host(
    first_boot: fn(&mut Wal<TurmoilDisk>) -> Result<(), StorageError>,
) -> (turmoil::Sim<'static>, Arc<Mutex<Boots>>) {
    let boots = Arc::new(Mutex::new(Boots::default()));
    let mut sim = builder().build();
    let shared = boots.clone();
    sim.host("db", move || {
        let boots = shared.clone();
        async move {
            let opened = Wal::open_with(TurmoilDisk::new(), DIR, options())
                .and_then(|mut wal| wal.recover().map(|r| (wal, r)));
            let (mut wal, recovered) = match opened {
                Ok(ok) => ok,
                Err(e) => {
                    boots.lock().unwrap().errors.push(e.to_string());
                    return Ok(());
                }
            };
            let first = boots.lock().unwrap().recovered.is_empty();
            boots.lock().unwrap().recovered.push(recovered);
            if first {
                if let Err(e) = first_boot(&mut wal) {
                    boots.lock().unwrap().errors.push(e.to_string());
                }
                boots.lock().unwrap().writes_done = true;
            }
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    (sim, boots)
}

fn step_until(
    sim: &mut turmoil::Sim<'_>,
    boots: &Arc<Mutex<Boots>>,
    done: impl Fn(&Boots) -> bool,
) {
    for _ in 0..1000 {
        if done(&boots.lock().unwrap()) {
            return;
        }
        sim.step().unwrap();
    }
    panic!("the host never got there");
}

/// Syncs 1..=10 and a hard state, then writes 11..=15 and another hard state
/// without syncing.
fn synced_then_unsynced(wal: &mut Wal<TurmoilDisk>) -> Result<(), StorageError> {
    wal.append(&entries(1, 6, 1))?;
    wal.append(&entries(6, 11, 2))?;
    wal.save_hard_state(&hard_state(2, 10))?;
    wal.sync()?;
    wal.append(&entries(11, 16, 2))?;
    wal.save_hard_state(&hard_state(3, 15))
}

fn power_loss(sim: &mut turmoil::Sim<'_>, boots: &Arc<Mutex<Boots>>) -> RecoveredState {
    step_until(sim, boots, |b| b.writes_done);
    sim.crash("db");
    sim.bounce("db");
    step_until(sim, boots, |b| {
        b.recovered.len() == 2 || !b.errors.is_empty()
    });
    let boots = boots.lock().unwrap();
    assert!(boots.errors.is_empty(), "{:?}", boots.errors);
    boots.recovered[1].clone()
}

#[test]
fn power_loss_recovers_exactly_the_synced_entries() {
    let (mut sim, boots) = sim_with_host(synced_then_unsynced);
    let recovered = power_loss(&mut sim, &boots);
    let mut expected = entries(1, 6, 1);
    expected.extend(entries(6, 11, 2));
    assert_eq!(recovered.entries, expected);
    assert_eq!(recovered.hard_state, hard_state(2, 10));
    assert_eq!(recovered.snapshot, None);
    assert_eq!(recovered.truncated_at, None);
}

#[test]
fn bounce_without_power_loss_keeps_unsynced_writes() {
    let (mut sim, boots) = sim_with_host(synced_then_unsynced);
    step_until(&mut sim, &boots, |b| b.writes_done);
    sim.bounce("db");
    step_until(&mut sim, &boots, |b| b.recovered.len() == 2);
    let boots = boots.lock().unwrap();
    assert!(boots.errors.is_empty(), "{:?}", boots.errors);
    let recovered = &boots.recovered[1];
    assert_eq!(recovered.entries.len(), 15);
    assert_eq!(recovered.hard_state, hard_state(3, 15));
}

#[test]
fn power_loss_after_compaction_recovers_the_snapshot_and_synced_suffix() {
    fn compact(wal: &mut Wal<TurmoilDisk>) -> Result<(), StorageError> {
        wal.append(&entries(1, 21, 1))?;
        wal.save_hard_state(&hard_state(1, 20))?;
        wal.save_snapshot(&snapshot(10, 1))?;
        wal.append(&entries(21, 26, 1))?;
        wal.sync()?;
        // A new leader's entries, never synced.
        wal.append(&entries(24, 31, 2))?;
        Ok(())
    }
    let (mut sim, boots) = sim_with_host(compact);
    let recovered = power_loss(&mut sim, &boots);
    assert_eq!(recovered.snapshot, Some(snapshot(10, 1)));
    assert_eq!(recovered.entries, entries(11, 26, 1));
    assert_eq!(recovered.hard_state, hard_state(1, 20));
}

/// Stores in fresh directories of the running host; a "crash" here is a
/// drop and reopen (unsynced writes survive), since `Sim::crash` cannot be
/// called from inside the simulation.
struct TurmoilFactory {
    stores: u64,
}

impl StorageFactory<Wal<TurmoilDisk>> for TurmoilFactory {
    fn create(&mut self) -> Result<Wal<TurmoilDisk>, StorageError> {
        self.stores += 1;
        Wal::open_with(
            TurmoilDisk::new(),
            format!("/conformance/{}", self.stores),
            options(),
        )
    }

    fn crash_and_reopen(
        &mut self,
        store: Wal<TurmoilDisk>,
    ) -> Result<Wal<TurmoilDisk>, StorageError> {
        let dir = store.dir().to_path_buf();
        drop(store);
        Wal::open_with(TurmoilDisk::new(), dir, options())
    }

    fn loses_unsynced_writes(&self) -> bool {
        false
    }
}

#[test]
fn wal_on_turmoil_fs_passes_the_conformance_suite() {
    let mut sim = builder().build();
    sim.client("suite", async {
        let report = run_all(&mut TurmoilFactory { stores: 0 });
        assert!(report.is_ok(), "{report}");
        assert!(report.passed.len() >= 19);
        Ok(())
    });
    sim.run().unwrap();
}

/// One boot of the host: what it recovered (or why it could not open) and
/// the writes it then made, as the model state after each write.
#[derive(Default, Clone)]
struct Boot {
    recovered: Option<RecoveredState>,
    open_error: Option<String>,
    states: Vec<LogState>,
    /// Position in `states` of the last state made durable.
    synced: usize,
    write_errors: Vec<String>,
}

/// One random write valid against `model`, applied to the model.
fn random_write(rng: &mut ChaCha8Rng, model: &mut LogState, term: &mut u64) -> Option<Write> {
    let write = match rng.gen_range(0..10) {
        0..=5 => {
            let mut from = model.last_index() + 1;
            if rng.gen_bool(0.15) && model.last_index() > model.first_index() {
                *term += 1;
                from = rng.gen_range(model.first_index()..=model.last_index());
            }
            Write::Append(entries(from, from + rng.gen_range(1..4), *term))
        }
        6 | 7 => Write::HardState(hard_state(*term, model.last_index())),
        8 if model.last_index() > model.first_index() + 3 => {
            let index = model.last_index() - 2;
            Write::Snapshot(snapshot(index, model.term(index)?))
        }
        _ => Write::Sync,
    };
    match &write {
        Write::Append(e) => model.append(e).ok()?,
        Write::HardState(hs) => model.set_hard_state(*hs),
        Write::Snapshot(s) => model.install_snapshot(s).ok()?,
        Write::Sync => {}
    }
    Some(write)
}

enum Write {
    Append(Vec<Entry>),
    HardState(HardState),
    Snapshot(Snapshot),
    Sync,
}

fn same(recovered: &RecoveredState, state: &LogState) -> bool {
    let want = state.to_recovered();
    recovered.hard_state == want.hard_state
        && recovered.snapshot == want.snapshot
        && recovered.entries == want.entries
}

/// The host of the crash-cycle tests: recovers, then makes up to 400 random
/// writes, yielding between them so that a crash can land anywhere; it stops
/// writing at the first error (the log refuses writes after one).
async fn cycling_host(seed: u64, boots: Arc<Mutex<Vec<Boot>>>) {
    let opened = Wal::open_with(TurmoilDisk::new(), DIR, options())
        .and_then(|mut wal| wal.recover().map(|r| (wal, r)));
    let (mut wal, recovered) = match opened {
        Ok(ok) => ok,
        Err(e) => {
            boots.lock().unwrap().push(Boot {
                open_error: Some(e.to_string()),
                ..Boot::default()
            });
            return;
        }
    };
    let mut model = LogState::from_recovered(&recovered).unwrap();
    let boot = {
        let mut boots = boots.lock().unwrap();
        boots.push(Boot {
            recovered: Some(recovered),
            states: vec![model.clone()],
            ..Boot::default()
        });
        boots.len() - 1
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed * 1000 + boot as u64);
    let mut term = model.term(model.last_index()).unwrap_or(0).max(1) + 1;
    for _ in 0..400 {
        let Some(write) = random_write(&mut rng, &mut model, &mut term) else {
            continue;
        };
        let result = match &write {
            Write::Append(e) => wal.append(e),
            Write::HardState(hs) => wal.save_hard_state(hs),
            Write::Snapshot(s) => wal.save_snapshot(s),
            Write::Sync => wal.sync(),
        };
        let failed = {
            let mut boots = boots.lock().unwrap();
            let run = &mut boots[boot];
            if !matches!(write, Write::Sync) {
                run.states.push(model.clone());
            }
            match &result {
                Ok(()) if matches!(write, Write::Sync | Write::Snapshot(_)) => {
                    run.synced = run.states.len() - 1;
                }
                Ok(()) => {}
                Err(e) => run.write_errors.push(e.to_string()),
            }
            result.is_err()
        };
        if failed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// What a series of crash cycles observed.
#[derive(Debug, Default)]
struct CycleTotals {
    synced_writes: usize,
    lost_writes: usize,
    open_errors: Vec<String>,
    write_errors: usize,
    damage_reports: usize,
}

/// Power-cycles a host running [`cycling_host`] `cycles` times at random
/// points, checking after each restart that the recovered state is a prefix
/// of the previous run's writes holding everything it synced.
fn crash_cycles(
    seed: u64,
    cycles: usize,
    configure: impl Fn(&mut turmoil::Builder),
) -> CycleTotals {
    let boots = Arc::new(Mutex::new(Vec::<Boot>::new()));
    let mut builder = builder();
    builder.rng_seed(seed);
    configure(&mut builder);
    let mut sim = builder.build();
    let shared = boots.clone();
    sim.host("db", move || {
        let boots = shared.clone();
        async move {
            cycling_host(seed, boots).await;
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut totals = CycleTotals::default();
    // The boot whose writes the next successful recovery must reflect.
    let mut writer: Option<usize> = None;
    for cycle in 0..cycles {
        let booted = boots.lock().unwrap().len();
        for _ in 0..rng.gen_range(1..60) {
            sim.step().unwrap();
        }
        sim.crash("db");
        sim.bounce("db");
        for _ in 0..100 {
            if boots.lock().unwrap().len() > booted {
                break;
            }
            sim.step().unwrap();
        }
        let boots = boots.lock().unwrap();
        assert!(
            boots.len() > booted,
            "seed {seed} cycle {cycle}: the host never rebooted"
        );
        for boot in &boots[booted.saturating_sub(1)..] {
            totals.write_errors += boot.write_errors.len();
        }
        let current = &boots[boots.len() - 1];
        let Some(recovered) = &current.recovered else {
            totals.open_errors.extend(current.open_error.clone());
            continue;
        };
        totals.damage_reports += usize::from(recovered.truncated_at.is_some());
        if let Some(previous) = writer.map(|w| &boots[w]) {
            let position = previous.states.iter().rposition(|s| same(recovered, s));
            assert!(
                position.is_some_and(|k| k >= previous.synced),
                "seed {seed} cycle {cycle}: recovered {} entries, {:?} (position {position:?}), \
                 but {} of {} writes were synced; truncated_at: {:?}",
                recovered.entries.len(),
                recovered.hard_state,
                previous.synced,
                previous.states.len() - 1,
                recovered.truncated_at
            );
            totals.synced_writes += previous.synced;
            totals.lost_writes += previous.states.len() - 1 - position.unwrap_or(0);
        }
        writer = Some(boots.len() - 1);
    }
    totals
}

#[test]
fn repeated_power_losses_with_torn_writes_recover_every_synced_write() {
    for seed in 0..6u64 {
        let totals = crash_cycles(seed, 5, |b| {
            b.fs().block_size(16).sync_probability(0.05);
        });
        assert!(totals.open_errors.is_empty(), "seed {seed}: {totals:?}");
        assert_eq!(totals.write_errors, 0, "seed {seed}: {totals:?}");
        // Not vacuous: writes were synced, and crashes lost some unsynced ones.
        assert!(totals.synced_writes > 20, "seed {seed}: {totals:?}");
        assert!(totals.lost_writes > 0, "seed {seed}: {totals:?}");
    }
}

#[test]
fn transient_read_corruption_never_loses_synced_writes() {
    let mut reports = 0;
    for seed in 10..14u64 {
        let totals = crash_cycles(seed, 5, |b| {
            b.fs().corruption_probability(0.05);
        });
        assert!(totals.open_errors.is_empty(), "seed {seed}: {totals:?}");
        assert_eq!(totals.write_errors, 0, "seed {seed}: {totals:?}");
        assert!(totals.synced_writes > 20, "seed {seed}: {totals:?}");
        reports += totals.damage_reports;
    }
    // Re-reading fixed every flipped read: nothing was reported as damage.
    assert_eq!(reports, 0);
}

#[test]
fn io_errors_are_reported_and_recovery_stays_a_prefix_of_the_writes() {
    let mut errors = 0;
    for seed in 20..24u64 {
        let totals = crash_cycles(seed, 6, |b| {
            b.fs().io_error_probability(0.01).sync_probability(0.05);
        });
        errors += totals.open_errors.len() + totals.write_errors;
    }
    assert!(errors > 0, "no I/O error was injected");
}
