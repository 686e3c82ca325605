//! The cases of the conformance suite, one function each (listed in
//! [`super::cases`]).

use super::*;

pub(super) fn empty_store_has_only_the_sentinel<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    matches_model(&store, &LogState::new(), "fresh store")?;
    ensure(store.term(0) == Some(0), || {
        "term(0) of an empty log must be Some(0)".into()
    })?;
    let recovered = ctx(store.recover(), "recover of a fresh store")?;
    recovered_matches(&recovered, &LogState::new(), "recover of a fresh store")?;
    crash_and_check(
        factory,
        store,
        &LogState::new(),
        "fresh store after a crash",
    )?;
    Ok(())
}

pub(super) fn appended_entries_read_back<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 4, 1)))?;
    apply(&mut store, &mut model, &Write::Append(run(4, 10, 2)))?;
    matches_model(&store, &model, "after two appends")?;
    let middle = ctx(store.entries(3, 6), "entries(3, 6)")?;
    ensure(middle == model.entries(3, 6).unwrap_or_default(), || {
        "entries(3, 6) returned the wrong entries".into()
    })?;
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "after sync and crash")?;
    Ok(())
}

pub(super) fn append_with_a_gap_is_rejected<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    expect_invalid(store.append(&run(2, 3, 1)), "append at 2 to an empty log")?;
    apply(&mut store, &mut model, &Write::Append(run(1, 4, 1)))?;
    expect_invalid(
        store.append(&run(5, 7, 1)),
        "append at 5 after last index 3",
    )?;
    matches_model(&store, &model, "after rejected gaps")?;
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "rejected gap after a crash")?;
    Ok(())
}

pub(super) fn malformed_batches_are_rejected<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 3, 2)))?;
    let holey = vec![test_entry(3, 2), test_entry(5, 2)];
    expect_invalid(store.append(&holey), "batch with a hole")?;
    let backwards = vec![test_entry(3, 2), test_entry(2, 2)];
    expect_invalid(store.append(&backwards), "descending batch")?;
    let term_drop = vec![test_entry(3, 3), test_entry(4, 2)];
    expect_invalid(store.append(&term_drop), "batch whose term decreases")?;
    expect_invalid(
        store.append(&run(3, 4, 1)),
        "entry older than its predecessor",
    )?;
    expect_invalid(store.append(&[test_entry(0, 2)]), "entry at index 0")?;
    matches_model(&store, &model, "after malformed batches")?;
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "malformed batches after a crash")?;
    Ok(())
}

pub(super) fn empty_append_changes_nothing<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(Vec::new()))?;
    apply(&mut store, &mut model, &Write::Append(run(1, 3, 1)))?;
    apply(&mut store, &mut model, &Write::Append(Vec::new()))?;
    matches_model(&store, &model, "after empty appends")?;
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "empty appends after a crash")?;
    Ok(())
}

pub(super) fn conflicting_append_truncates_the_suffix<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 8, 1)))?;
    ctx(store.sync(), "sync")?;
    // A new leader of term 3 overwrites from index 4.
    apply(&mut store, &mut model, &Write::Append(run(4, 6, 3)))?;
    matches_model(&store, &model, "after the conflicting append")?;
    ensure(store.term(6).is_none() && store.last_index() == 5, || {
        "entries after the conflicting batch must be gone".into()
    })?;
    // Rewriting the very first entry empties the log before appending.
    apply(&mut store, &mut model, &Write::Append(run(1, 2, 4)))?;
    matches_model(&store, &model, "after overwriting index 1")?;
    ctx(store.sync(), "sync")?;
    let mut store = crash_and_check(factory, store, &model, "truncation after a crash")?;
    apply(&mut store, &mut model, &Write::Append(run(2, 5, 4)))?;
    ctx(store.sync(), "sync")?;
    crash_and_check(
        factory,
        store,
        &model,
        "appends after a truncation and a crash",
    )?;
    Ok(())
}

pub(super) fn hard_state_round_trips_through_a_crash<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(
        &mut store,
        &mut model,
        &Write::HardState(hard_state(1, Some(2), 0)),
    )?;
    apply(&mut store, &mut model, &Write::Append(run(1, 3, 1)))?;
    apply(
        &mut store,
        &mut model,
        &Write::HardState(hard_state(1, Some(2), 2)),
    )?;
    apply(
        &mut store,
        &mut model,
        &Write::HardState(hard_state(5, None, 2)),
    )?;
    ctx(store.sync(), "sync")?;
    let mut store = crash_and_check(factory, store, &model, "hard state after a crash")?;
    apply(
        &mut store,
        &mut model,
        &Write::HardState(hard_state(6, Some(3), 2)),
    )?;
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "second hard state after a crash")?;
    Ok(())
}

pub(super) fn snapshot_keeps_a_matching_suffix<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 6, 1)))?;
    apply(&mut store, &mut model, &Write::Append(run(6, 11, 2)))?;
    apply(&mut store, &mut model, &Write::Snapshot(snapshot(7, 2)))?;
    matches_model(&store, &model, "after compaction to 7")?;
    ensure(store.first_index() == 8 && store.last_index() == 10, || {
        format!(
            "compaction to 7 must keep 8..=10, store has {}..={}",
            store.first_index(),
            store.last_index()
        )
    })?;
    ensure(store.term(7) == Some(2) && store.term(6).is_none(), || {
        "term(7) must come from the snapshot, term(6) must be gone".into()
    })?;
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "matching suffix after a crash")?;
    Ok(())
}

pub(super) fn snapshot_discards_a_mismatched_log<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 10, 1)))?;
    ctx(store.sync(), "sync")?;
    // The leader's snapshot says index 5 has term 3: our entry 5 (term 1) conflicts.
    apply(&mut store, &mut model, &Write::Snapshot(snapshot(5, 3)))?;
    matches_model(&store, &model, "after a mismatched snapshot")?;
    ensure(store.last_index() == 5 && store.first_index() == 6, || {
        "a mismatched snapshot must discard the whole log".into()
    })?;
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "mismatched snapshot after a crash")?;
    Ok(())
}

pub(super) fn snapshot_past_the_last_index_discards_the_log<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 4, 1)))?;
    apply(&mut store, &mut model, &Write::Snapshot(snapshot(20, 4)))?;
    matches_model(&store, &model, "after a snapshot past the log")?;
    ctx(store.sync(), "sync")?;
    let mut store = crash_and_check(
        factory,
        store,
        &model,
        "snapshot past the log after a crash",
    )?;
    apply(&mut store, &mut model, &Write::Append(run(21, 25, 4)))?;
    ctx(store.sync(), "sync")?;
    crash_and_check(
        factory,
        store,
        &model,
        "appends after the snapshot and a crash",
    )?;
    Ok(())
}

pub(super) fn stale_snapshot_is_rejected<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 10, 1)))?;
    apply(&mut store, &mut model, &Write::Snapshot(snapshot(6, 1)))?;
    expect_invalid(
        store.save_snapshot(&snapshot(4, 1)),
        "snapshot older than the stored one",
    )?;
    expect_invalid(
        store.save_snapshot(&snapshot(6, 2)),
        "snapshot at the same index, other term",
    )?;
    matches_model(&store, &model, "after stale snapshots")?;
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "stale snapshots after a crash")?;
    Ok(())
}

pub(super) fn append_into_the_compacted_prefix_is_rejected<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 10, 1)))?;
    apply(&mut store, &mut model, &Write::Snapshot(snapshot(5, 1)))?;
    expect_invalid(
        store.append(&run(3, 12, 1)),
        "append starting inside the snapshot",
    )?;
    expect_invalid(
        store.append(&run(5, 6, 1)),
        "append at the snapshot's index",
    )?;
    apply(&mut store, &mut model, &Write::Append(run(6, 8, 2)))?;
    matches_model(&store, &model, "after appends around the snapshot")?;
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "compacted prefix after a crash")?;
    Ok(())
}

pub(super) fn out_of_range_requests_are_errors<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    expect_invalid(store.entries(1, 2), "entries(1, 2) of an empty log")?;
    expect_invalid(store.entries(0, 1), "entries(0, 1) of an empty log")?;
    apply(&mut store, &mut model, &Write::Append(run(1, 11, 1)))?;
    apply(&mut store, &mut model, &Write::Snapshot(snapshot(4, 1)))?;
    expect_invalid(
        store.entries(4, 6),
        "entries(4, 6) reaching into the snapshot",
    )?;
    expect_invalid(store.entries(2, 3), "entries(2, 3) entirely compacted")?;
    expect_invalid(store.entries(6, 12), "entries(6, 12) past the last index")?;
    expect_invalid(store.entries(8, 7), "entries(8, 7) reversed")?;
    expect_invalid(
        store.entries(u64::MAX - 1, u64::MAX),
        "entries near u64::MAX",
    )?;
    let empty = ctx(store.entries(11, 11), "entries(11, 11)")?;
    ensure(empty.is_empty(), || "entries(11, 11) must be empty".into())?;
    for index in [0, 1, 3, 12, 1000, u64::MAX] {
        ensure(store.term(index).is_none(), || {
            format!("term({index}) must be None")
        })?;
    }
    matches_model(&store, &model, "after out-of-range requests")?;
    Ok(())
}

pub(super) fn recover_returns_exactly_what_was_synced<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    let writes = [
        Write::HardState(hard_state(1, Some(1), 0)),
        Write::Append(run(1, 5, 1)),
        Write::HardState(hard_state(1, Some(1), 3)),
        Write::Append(run(3, 7, 2)),
        Write::Snapshot(snapshot(4, 2)),
        Write::Append(run(7, 9, 2)),
        Write::HardState(hard_state(2, None, 8)),
    ];
    for write in &writes {
        apply(&mut store, &mut model, write)?;
    }
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "mixed writes after a crash")?;
    Ok(())
}

pub(super) fn unsynced_writes_are_lost_as_a_suffix<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let plain = [
        Write::Append(run(6, 9, 1)),
        Write::HardState(hard_state(2, Some(2), 5)),
        Write::Append(run(4, 6, 2)),
        Write::Append(run(6, 8, 2)),
    ];
    // Without a snapshot among them, a store that loses unsynced writes
    // must lose them all.
    let all_lost = factory.loses_unsynced_writes();
    unsynced_round(factory, &plain, all_lost)?;
    // Saving a snapshot may sync earlier writes: only the prefix rule holds.
    let with_snapshot = [
        Write::Append(run(6, 9, 1)),
        Write::HardState(hard_state(2, Some(2), 5)),
        Write::Append(run(4, 6, 2)),
        Write::Snapshot(snapshot(3, 1)),
        Write::Append(run(6, 8, 2)),
    ];
    unsynced_round(factory, &with_snapshot, false)
}

pub(super) fn unsynced_round<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
    unsynced: &[Write],
    all_lost: bool,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 6, 1)))?;
    apply(
        &mut store,
        &mut model,
        &Write::HardState(hard_state(1, Some(1), 5)),
    )?;
    ctx(store.sync(), "sync")?;
    // Every state the store may legally come back in: the synced one, or a
    // prefix of the unsynced writes on top of it.
    let mut candidates = vec![model.clone()];
    for write in unsynced {
        apply(&mut store, &mut model, write)?;
        candidates.push(model.clone());
    }
    let mut store = ctx(factory.crash_and_reopen(store), "crash_and_reopen")?;
    let recovered = ctx(store.recover(), "recover")?;
    let position = candidates
        .iter()
        .position(|c| recovered_matches(&recovered, c, "").is_ok());
    match position {
        None => Err(format!(
            "recovered state is neither the synced state nor a prefix of the unsynced writes \
             ({} entries, hard state {:?})",
            recovered.entries.len(),
            recovered.hard_state
        )),
        Some(k) if k > 0 && all_lost => Err(format!(
            "the factory loses unsynced writes, but {k} unsynced writes survived"
        )),
        Some(k) => matches_model(&store, &candidates[k], "store after recovery"),
    }
}

pub(super) fn recovered_store_accepts_new_writes<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 4, 1)))?;
    ctx(store.sync(), "sync")?;
    apply(&mut store, &mut model, &Write::Append(run(4, 6, 1)))?;
    let mut store = ctx(factory.crash_and_reopen(store), "crash_and_reopen")?;
    let recovered = ctx(store.recover(), "recover")?;
    // Continue from whatever survived.
    let mut model = ctx(
        LogState::from_recovered(&recovered),
        "model from recovered state",
    )?;
    matches_model(&store, &model, "store after recovery")?;
    let next = model.last_index() + 1;
    apply(
        &mut store,
        &mut model,
        &Write::Append(run(next, next + 3, 2)),
    )?;
    apply(
        &mut store,
        &mut model,
        &Write::HardState(hard_state(2, Some(3), next)),
    )?;
    ctx(store.sync(), "sync")?;
    let mut store = crash_and_check(factory, store, &model, "new writes after a second crash")?;
    apply(&mut store, &mut model, &Write::Append(run(2, 3, 3)))?;
    ctx(store.sync(), "sync")?;
    crash_and_check(factory, store, &model, "truncation after a third crash")?;
    Ok(())
}

pub(super) fn appends_after_a_mismatched_snapshot_survive_restarts<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 30, 1)))?;
    ctx(store.sync(), "sync")?;
    apply(&mut store, &mut model, &Write::Snapshot(snapshot(10, 2)))?;
    apply(&mut store, &mut model, &Write::Append(run(11, 15, 2)))?;
    ctx(store.sync(), "sync")?;
    let mut store = crash_and_check(factory, store, &model, "after the snapshot and appends")?;
    let store2 = {
        apply(&mut store, &mut model, &Write::Append(run(15, 17, 3)))?;
        ctx(store.sync(), "sync")?;
        crash_and_check(factory, store, &model, "after more appends")?
    };
    crash_and_check(factory, store2, &model, "after a crash with no writes")?;
    Ok(())
}

pub(super) fn recover_is_repeatable<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    apply(&mut store, &mut model, &Write::Append(run(1, 9, 1)))?;
    apply(&mut store, &mut model, &Write::Snapshot(snapshot(3, 1)))?;
    apply(
        &mut store,
        &mut model,
        &Write::HardState(hard_state(1, Some(1), 3)),
    )?;
    ctx(store.sync(), "sync")?;
    for round in 0..3 {
        let recovered = ctx(store.recover(), "recover")?;
        recovered_matches(&recovered, &model, &format!("recover round {round}"))?;
        matches_model(
            &store,
            &model,
            &format!("store after recover round {round}"),
        )?;
    }
    apply(&mut store, &mut model, &Write::Append(run(9, 11, 1)))?;
    ctx(store.sync(), "sync")?;
    let recovered = ctx(store.recover(), "recover after more appends")?;
    recovered_matches(&recovered, &model, "recover after more appends")
}

pub(super) fn long_log_with_compactions_survives_restarts<S: LogStorage>(
    factory: &mut dyn StorageFactory<S>,
) -> Result<(), String> {
    let mut store = ctx(factory.create(), "create")?;
    let mut model = LogState::new();
    let mut term = 1;
    let mut next = 1;
    for round in 0..40u64 {
        let batch = 5 + round % 23;
        apply(
            &mut store,
            &mut model,
            &Write::Append(run(next, next + batch, term)),
        )?;
        next += batch;
        if round % 6 == 5 {
            // A new leader rewrites a few uncommitted entries.
            term += 1;
            let from = (next - 3).max(model.first_index());
            apply(
                &mut store,
                &mut model,
                &Write::Append(run(from, from + 2, term)),
            )?;
            next = from + 2;
        }
        apply(
            &mut store,
            &mut model,
            &Write::HardState(hard_state(term, Some(1), next - 1)),
        )?;
        if round % 9 == 8 {
            let at = next - 5;
            let at_term = model.term(at).unwrap_or(term);
            apply(
                &mut store,
                &mut model,
                &Write::Snapshot(snapshot(at, at_term)),
            )?;
        }
        ctx(store.sync(), "sync")?;
        if round % 10 == 9 {
            store = crash_and_check(factory, store, &model, &format!("round {round}"))?;
        }
    }
    matches_model(&store, &model, "end of the long run")?;
    Ok(())
}
