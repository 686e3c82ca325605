//! The conformance suite every [`LogStorage`] implementation must pass.
//!
//! An implementation provides a [`StorageFactory`] that creates fresh stores
//! and simulates a crash followed by a restart; [`run_all`] then drives every
//! case against it and compares the store with a [`LogState`] reference model
//! after each step. A case that panics is reported as a failure (the contract
//! says bad requests are errors, not panics).
//!
//! ```
//! use faultline_raft::storage::conformance::{run_all, StorageFactory};
//! use faultline_raft::storage::{LogStorage, MemStorage, StorageError};
//!
//! struct Mem;
//! impl StorageFactory<MemStorage> for Mem {
//!     fn create(&mut self) -> Result<MemStorage, StorageError> {
//!         Ok(MemStorage::new())
//!     }
//!     fn crash_and_reopen(&mut self, mut store: MemStorage) -> Result<MemStorage, StorageError> {
//!         store.recover()?;
//!         Ok(store)
//!     }
//!     fn loses_unsynced_writes(&self) -> bool {
//!         true
//!     }
//! }
//! let report = run_all(&mut Mem);
//! assert!(report.is_ok(), "{report}");
//! ```

use super::log_state::LogState;
use super::{LogStorage, RecoveredState, StorageError};
use crate::types::{Entry, EntryPayload, HardState, LogIndex, Membership, Snapshot, SnapshotMeta};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

mod cases;
use cases::*;

/// Creates stores of one implementation for the conformance suite.
pub trait StorageFactory<S: LogStorage> {
    /// A fresh, empty store (each call must be independent of earlier ones).
    fn create(&mut self) -> Result<S, StorageError>;

    /// Simulates a power loss and a restart: drops `store` and opens a new one
    /// over whatever survived. Synced writes must survive; unsynced writes may.
    fn crash_and_reopen(&mut self, store: S) -> Result<S, StorageError>;

    /// Whether [`StorageFactory::crash_and_reopen`] certainly discards every
    /// unsynced write (a simulated disk). When false (a real filesystem, where
    /// the page cache survives a process exit) the suite accepts any prefix
    /// of the unsynced writes.
    fn loses_unsynced_writes(&self) -> bool;
}

/// One failed conformance case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConformanceFailure {
    /// The case's name.
    pub case: &'static str,
    /// What went wrong.
    pub detail: String,
}

/// The outcome of [`run_all`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConformanceReport {
    /// Names of the cases that passed.
    pub passed: Vec<&'static str>,
    /// The cases that failed.
    pub failed: Vec<ConformanceFailure>,
}

impl ConformanceReport {
    /// Whether every case passed.
    pub fn is_ok(&self) -> bool {
        self.failed.is_empty()
    }
}

impl fmt::Display for ConformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "storage conformance: {} passed, {} failed",
            self.passed.len(),
            self.failed.len()
        )?;
        for failure in &self.failed {
            writeln!(f, "  FAILED {}: {}", failure.case, failure.detail)?;
        }
        Ok(())
    }
}

/// A case: drives a factory and explains the first divergence from the model.
type Case<S> = fn(&mut dyn StorageFactory<S>) -> Result<(), String>;

/// Every case, by name.
pub fn cases<S: LogStorage>() -> Vec<(&'static str, Case<S>)> {
    vec![
        (
            "empty_store_has_only_the_sentinel",
            empty_store_has_only_the_sentinel,
        ),
        ("appended_entries_read_back", appended_entries_read_back),
        (
            "append_with_a_gap_is_rejected",
            append_with_a_gap_is_rejected,
        ),
        (
            "malformed_batches_are_rejected",
            malformed_batches_are_rejected,
        ),
        ("empty_append_changes_nothing", empty_append_changes_nothing),
        (
            "conflicting_append_truncates_the_suffix",
            conflicting_append_truncates_the_suffix,
        ),
        (
            "hard_state_round_trips_through_a_crash",
            hard_state_round_trips_through_a_crash,
        ),
        (
            "snapshot_keeps_a_matching_suffix",
            snapshot_keeps_a_matching_suffix,
        ),
        (
            "snapshot_discards_a_mismatched_log",
            snapshot_discards_a_mismatched_log,
        ),
        (
            "snapshot_past_the_last_index_discards_the_log",
            snapshot_past_the_last_index_discards_the_log,
        ),
        ("stale_snapshot_is_rejected", stale_snapshot_is_rejected),
        (
            "append_into_the_compacted_prefix_is_rejected",
            append_into_the_compacted_prefix_is_rejected,
        ),
        (
            "out_of_range_requests_are_errors",
            out_of_range_requests_are_errors,
        ),
        (
            "recover_returns_exactly_what_was_synced",
            recover_returns_exactly_what_was_synced,
        ),
        (
            "unsynced_writes_are_lost_as_a_suffix",
            unsynced_writes_are_lost_as_a_suffix,
        ),
        (
            "recovered_store_accepts_new_writes",
            recovered_store_accepts_new_writes,
        ),
        (
            "appends_after_a_mismatched_snapshot_survive_restarts",
            appends_after_a_mismatched_snapshot_survive_restarts,
        ),
        ("recover_is_repeatable", recover_is_repeatable),
        (
            "long_log_with_compactions_survives_restarts",
            long_log_with_compactions_survives_restarts,
        ),
    ]
}

/// Runs every case against `factory` and reports each outcome.
pub fn run_all<S: LogStorage>(factory: &mut dyn StorageFactory<S>) -> ConformanceReport {
    let mut report = ConformanceReport::default();
    for (name, case) in cases::<S>() {
        match run_case(case, factory) {
            Ok(()) => report.passed.push(name),
            Err(detail) => report
                .failed
                .push(ConformanceFailure { case: name, detail }),
        }
    }
    report
}

/// Runs the case called `name`; an error names an unknown case.
pub fn run_one<S: LogStorage>(
    name: &str,
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let (_, case) = cases::<S>()
        .into_iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| format!("no conformance case named {name:?}"))?;
    run_case(case, factory)
}

fn run_case<S: LogStorage>(
    case: Case<S>,
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(|| case(factory))) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic".to_string());
            Err(format!("panicked: {message}"))
        }
    }
}

// ---------------------------------------------------------------------------
// Helpers: the store under test is always compared with a `LogState` model.

fn ctx<T>(result: Result<T, StorageError>, what: &str) -> Result<T, String> {
    result.map_err(|e| format!("{what}: unexpected error: {e}"))
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

/// An entry whose payload varies with its index (commands of varying size,
/// no-ops and membership changes), so that byte-level mix-ups are visible.
pub fn test_entry(index: LogIndex, term: u64) -> Entry {
    let payload = match index % 7 {
        0 => EntryPayload::Noop,
        3 => EntryPayload::Membership(Membership::new([1, 2, index % 5 + 3])),
        _ => {
            let len = (index * 37 % 200) as usize;
            EntryPayload::Command((0..len).map(|i| (index as usize + i) as u8).collect())
        }
    };
    Entry {
        term,
        index,
        payload,
    }
}

fn run(lo: LogIndex, hi: LogIndex, term: u64) -> Vec<Entry> {
    (lo..hi).map(|i| test_entry(i, term)).collect()
}

fn snapshot(last_index: LogIndex, last_term: u64) -> Snapshot {
    Snapshot {
        meta: SnapshotMeta {
            last_index,
            last_term,
            membership: Membership::new([1, 2, 3]),
        },
        data: format!("state machine at {last_index}/{last_term}").into_bytes(),
    }
}

fn hard_state(term: u64, voted_for: Option<u64>, commit: LogIndex) -> HardState {
    HardState {
        term,
        voted_for,
        commit,
    }
}

/// Compares every query of `store` with `model`.
fn matches_model<S: LogStorage>(store: &S, model: &LogState, at: &str) -> Result<(), String> {
    let (first, last) = (model.first_index(), model.last_index());
    ensure(store.first_index() == first, || {
        format!(
            "{at}: first_index is {} but should be {first}",
            store.first_index()
        )
    })?;
    ensure(store.last_index() == last, || {
        format!(
            "{at}: last_index is {} but should be {last}",
            store.last_index()
        )
    })?;
    for index in first.saturating_sub(2)..=last + 2 {
        let (got, want) = (store.term(index), model.term(index));
        ensure(got == want, || {
            format!("{at}: term({index}) is {got:?} but should be {want:?}")
        })?;
    }
    let got = ctx(store.entries(first, last + 1), at)?;
    ensure(got == model.stored_entries(), || {
        format!(
            "{at}: entries({first}, {}) differ from the model ({} vs {} entries)",
            last + 1,
            got.len(),
            model.stored_entries().len()
        )
    })
}

/// Compares a recovered state with the model's.
fn recovered_matches(got: &RecoveredState, model: &LogState, at: &str) -> Result<(), String> {
    let want = model.to_recovered();
    ensure(got.hard_state == want.hard_state, || {
        format!(
            "{at}: recovered hard state {:?}, expected {:?}",
            got.hard_state, want.hard_state
        )
    })?;
    ensure(got.snapshot == want.snapshot, || {
        format!(
            "{at}: recovered snapshot {:?}, expected {:?}",
            got.snapshot.as_ref().map(|s| &s.meta),
            want.snapshot.as_ref().map(|s| &s.meta)
        )
    })?;
    ensure(got.entries == want.entries, || {
        format!(
            "{at}: recovered {} entries ({:?}..={:?}), expected {} ({:?}..={:?})",
            got.entries.len(),
            got.entries.first().map(|e| e.index),
            got.entries.last().map(|e| e.index),
            want.entries.len(),
            want.entries.first().map(|e| e.index),
            want.entries.last().map(|e| e.index)
        )
    })
}

/// Crashes, reopens, recovers, and checks both the recovered state and the
/// reopened store's queries against `model`.
fn crash_and_check<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
    store: S,
    model: &LogState,
    at: &str,
) -> Result<S, String> {
    let mut store = ctx(factory.crash_and_reopen(store), at)?;
    let recovered = ctx(store.recover(), at)?;
    recovered_matches(&recovered, model, at)?;
    matches_model(&store, model, at)?;
    Ok(store)
}

/// A write applied to both the store and the model.
#[derive(Debug, Clone)]
enum Write {
    Append(Vec<Entry>),
    HardState(HardState),
    Snapshot(Snapshot),
}

fn apply<S: LogStorage>(store: &mut S, model: &mut LogState, write: &Write) -> Result<(), String> {
    match write {
        Write::Append(entries) => {
            ctx(store.append(entries), "append")?;
            model
                .append(entries)
                .map_err(|e| format!("model rejected append: {e}"))
        }
        Write::HardState(hs) => {
            ctx(store.save_hard_state(hs), "save_hard_state")?;
            model.set_hard_state(*hs);
            Ok(())
        }
        Write::Snapshot(s) => {
            ctx(store.save_snapshot(s), "save_snapshot")?;
            model
                .install_snapshot(s)
                .map_err(|e| format!("model rejected snapshot: {e}"))
        }
    }
}

fn expect_invalid<T: fmt::Debug>(
    result: Result<T, StorageError>,
    what: &str,
) -> Result<(), String> {
    match result {
        Err(StorageError::Invalid(_)) => Ok(()),
        Err(other) => Err(format!("{what}: expected an Invalid error, got {other}")),
        Ok(value) => Err(format!(
            "{what}: expected an Invalid error, got Ok({value:?})"
        )),
    }
}
