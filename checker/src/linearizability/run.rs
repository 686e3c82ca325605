//! Running a check: partition the operations, translate them through the
//! model, search the partitions on a bounded pool of scoped threads, and
//! assemble the results in key order (the same output whatever the thread
//! count or scheduling).

use super::report::{explain, CheckReport, PartitionResult};
use super::search::{Budget, Exhausted, Outcome, Search, SearchOp};
use super::{CheckOptions, RealTimeOrder};
use crate::history::{Operation, Outcome as OpOutcome};
use crate::model::{Model, ModelError, Translation, ValueTable};
use crate::verdict::Verdict;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// One partition, translated and ready to search.
struct Prepared<'a, M: Model> {
    key: Option<String>,
    /// The recorded operations the search places, indexed like `search_ops`.
    ops: Vec<&'a Operation>,
    search_ops: Vec<SearchOp<M::Spec>>,
    initial: M::Spec,
    values: ValueTable,
    dropped: usize,
}

fn prepare<'a, M: Model>(
    key: Option<String>,
    members: Vec<&'a Operation>,
    model: &M,
    order: RealTimeOrder,
) -> Result<Prepared<'a, M>, ModelError> {
    let at = |ns: u64, index: u64| match order {
        RealTimeOrder::Timestamps => (ns, index),
        RealTimeOrder::HistoryIndex => (index, index),
    };
    let mut values = ValueTable::new();
    let initial = model.initial(&mut values);
    let mut ops = Vec::with_capacity(members.len());
    let mut search_ops = Vec::with_capacity(members.len());
    let mut dropped = 0;
    for op in members {
        if op.outcome == OpOutcome::Fail {
            dropped += 1;
            continue;
        }
        match model.translate(op, &mut values)? {
            Translation::Ignore => dropped += 1,
            Translation::Apply {
                op: spec_op,
                expected,
            } => {
                let ret = match (op.outcome, op.return_ns, op.complete_index) {
                    (OpOutcome::Ok, Some(ns), index) => {
                        Some(at(ns, index.unwrap_or(op.invoke_index)))
                    }
                    _ => None,
                };
                search_ops.push(SearchOp {
                    op: spec_op,
                    expected,
                    call: at(op.call_ns, op.invoke_index),
                    ret,
                });
                ops.push(op);
            }
        }
    }
    Ok(Prepared {
        key,
        ops,
        search_ops,
        initial,
        values,
        dropped,
    })
}

/// The first round's step bound per partition; each further round allows
/// half as many again (searches resume, so a round wastes no work; small
/// steps keep the others from running far past an invalid partition).
const FIRST_ROUND_STEPS: u64 = 1 << 12;

/// Searches one partition. Returns `None` if the round's step bound ran out
/// before the search decided.
fn solve<M: Model>(
    prepared: &Prepared<'_, M>,
    search: &mut Search<'_, M::Spec>,
    model: &M,
    budget: Budget,
) -> Option<PartitionResult> {
    let outcome = search.run(budget);
    let stats = search.stats();
    let mut result = PartitionResult {
        key: prepared.key.clone(),
        verdict: Verdict::Valid,
        operations: prepared.search_ops.len(),
        dropped: prepared.dropped,
        steps: stats.steps,
        memo_entries: stats.memo_entries,
        note: None,
        explanation: None,
    };
    match outcome {
        Outcome::Linearizable => {}
        Outcome::NotLinearizable {
            prefix,
            state,
            stuck,
            concurrent,
        } => {
            result.verdict = Verdict::Invalid;
            let state_after = model.describe_state(&state, &prepared.values);
            result.explanation = Some(explain(
                &prepared.key,
                &prepared.ops,
                &prefix,
                stuck,
                &concurrent,
                model.object_noun(),
                state_after,
            ));
        }
        Outcome::GaveUp(Exhausted::Steps) => return None,
        Outcome::GaveUp(why) => {
            result.verdict = Verdict::Unknown;
            result.note = Some(match why {
                Exhausted::Memory => format!(
                    "the search memoized its limit of {} states after {} steps",
                    stats.memo_entries, stats.steps
                ),
                _ => format!(
                    "the wall-clock time limit (a safety net whose moment depends on the \
                     machine's speed) ran out after {} search steps and {} memoized states",
                    stats.steps, stats.memo_entries
                ),
            });
        }
    }
    Some(result)
}

/// A partition's search in progress, and its result once decided.
struct Slot<'p, S: crate::model::LinearizableSpec> {
    search: Option<Search<'p, S>>,
    result: Option<PartitionResult>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Continues the `pending` partitions' searches up to one step bound, on at
/// most `threads` threads; a decided partition's slot receives its result.
fn run_round<'p, M: Model>(
    prepared: &'p [Prepared<'_, M>],
    pending: &[usize],
    model: &M,
    budget: Budget,
    threads: usize,
    slots: &[Mutex<Slot<'p, M::Spec>>],
) {
    let cursor = AtomicUsize::new(0);
    let work = || {
        while let Some(&i) = pending.get(cursor.fetch_add(1, Ordering::Relaxed)) {
            let part = &prepared[i];
            let mut slot = lock(&slots[i]);
            let search = slot
                .search
                .get_or_insert_with(|| Search::new(&part.search_ops, part.initial.clone()));
            if let Some(result) = solve(part, search, model, budget) {
                slot.result = Some(result);
                slot.search = None; // free the memo
            }
        }
    };
    let threads = threads.clamp(1, pending.len().max(1));
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(work);
            }
        });
    }
}

/// Ends every `pending` partition's search as `unknown` after `steps`
/// steps, for the reason `note`.
fn stop_pending<M: Model>(
    prepared: &[Prepared<'_, M>],
    slots: &[Mutex<Slot<'_, M::Spec>>],
    pending: &mut Vec<usize>,
    steps: u64,
    note: &str,
) {
    for &i in pending.iter() {
        let mut slot = lock(&slots[i]);
        let memo_entries = slot.search.as_ref().map_or(0, |s| s.stats().memo_entries);
        slot.search = None;
        slot.result = Some(PartitionResult {
            key: prepared[i].key.clone(),
            verdict: Verdict::Unknown,
            operations: prepared[i].search_ops.len(),
            dropped: prepared[i].dropped,
            steps,
            memo_entries,
            note: Some(note.to_string()),
            explanation: None,
        });
    }
    pending.clear();
}

/// Checks `ops` against any [`Model`]: partitions by
/// [`Model::partition_key`], drops `fail`ed operations, and searches every
/// partition (in parallel, at most `opts.threads` at once). Errors if the
/// model cannot interpret an operation; the earliest such operation (by
/// partition key, then position) is reported.
pub fn check_with_model<M: Model>(
    ops: &[Operation],
    model: &M,
    opts: &CheckOptions,
) -> Result<CheckReport, ModelError> {
    let started = Instant::now();
    let mut by_key: BTreeMap<Option<String>, Vec<&Operation>> = BTreeMap::new();
    for op in ops {
        by_key.entry(model.partition_key(op)?).or_default().push(op);
    }
    let prepared: Vec<Prepared<'_, M>> = by_key
        .into_iter()
        .map(|(key, members)| prepare(key, members, model, opts.order))
        .collect::<Result<_, _>>()?;

    let budget = Budget {
        deadline: opts.time_limit.map(|limit| started + limit),
        max_memo_entries: opts.max_cache_entries.max(1),
        max_steps: u64::MAX,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if opts.threads == 0 {
        cores
    } else {
        opts.threads.min(cores)
    };

    // Rounds of growing step bounds: every undecided partition gets the same
    // deterministic bound, so once one is found invalid the others can be
    // stopped and the output is still the same on every run and machine.
    // Largest partitions first, so one big partition does not start last.
    let mut pending: Vec<usize> = (0..prepared.len()).collect();
    pending.sort_by_key(|&i| std::cmp::Reverse(prepared[i].search_ops.len()));
    let slots: Vec<Mutex<Slot<'_, M::Spec>>> = prepared
        .iter()
        .map(|_| {
            Mutex::new(Slot {
                search: None,
                result: None,
            })
        })
        .collect();
    let mut max_steps = FIRST_ROUND_STEPS;
    while !pending.is_empty() {
        let cap = opts.max_search_steps.map(|cap| cap.max(1));
        let round_steps = cap.map_or(max_steps, |cap| max_steps.min(cap));
        run_round(
            &prepared,
            &pending,
            model,
            Budget {
                max_steps: round_steps,
                ..budget
            },
            threads,
            &slots,
        );
        pending.retain(|&i| lock(&slots[i]).result.is_none());
        let invalid_key = prepared.iter().zip(&slots).find_map(|(p, slot)| {
            let slot = lock(slot);
            slot.result
                .as_ref()
                .filter(|r| r.verdict == Verdict::Invalid)
                .map(|_| p.key.clone())
        });
        if let Some(key) = invalid_key.filter(|_| !pending.is_empty()) {
            let note = format!(
                "not decided: the search stopped after {round_steps} steps because key {} is not linearizable",
                key.as_deref().map_or("(none)".to_string(), |k| format!("{k:?}"))
            );
            stop_pending(&prepared, &slots, &mut pending, round_steps, &note);
        } else if cap == Some(round_steps) && !pending.is_empty() {
            let note =
                format!("not decided: the search used its whole budget of {round_steps} steps");
            stop_pending(&prepared, &slots, &mut pending, round_steps, &note);
        }
        max_steps = max_steps.saturating_add(max_steps / 2);
    }

    let partitions: Vec<PartitionResult> = slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .result
                .expect("every partition is decided or stopped before the rounds end")
        })
        .collect();
    Ok(CheckReport {
        verdict: Verdict::combine_all(partitions.iter().map(|p| p.verdict)),
        model: model.name(),
        operations: ops.len(),
        partitions,
    })
}
