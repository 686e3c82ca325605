//! Running a check: partition the operations, translate them through the
//! model, search the partitions on a bounded pool of scoped threads, and
//! assemble the results in key order (the same output whatever the thread
//! count or scheduling).

use super::report::{explain, CheckReport, PartitionResult};
use super::search::{search, Budget, Exhausted, Outcome, SearchOp};
use super::CheckOptions;
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
) -> Result<Prepared<'a, M>, ModelError> {
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
                        Some((ns, index.unwrap_or(op.invoke_index)))
                    }
                    _ => None,
                };
                search_ops.push(SearchOp {
                    op: spec_op,
                    expected,
                    call: (op.call_ns, op.invoke_index),
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

fn solve<M: Model>(prepared: &Prepared<'_, M>, model: &M, budget: Budget) -> PartitionResult {
    let (outcome, stats) = search(&prepared.search_ops, prepared.initial.clone(), budget);
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
        Outcome::GaveUp(why) => {
            result.verdict = Verdict::Unknown;
            result.note = Some(match why {
                Exhausted::Time => format!(
                    "the time limit ran out after {} search steps and {} memoized states",
                    stats.steps, stats.memo_entries
                ),
                Exhausted::Memory => format!(
                    "the search memoized its limit of {} states after {} steps",
                    stats.memo_entries, stats.steps
                ),
            });
        }
    }
    result
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
        .map(|(key, members)| prepare(key, members, model))
        .collect::<Result<_, _>>()?;

    let budget = Budget {
        deadline: opts.time_limit.map(|limit| started + limit),
        max_memo_entries: opts.max_cache_entries.max(1),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if opts.threads == 0 {
        cores
    } else {
        opts.threads.min(cores)
    };
    let threads = threads.clamp(1, prepared.len().max(1));

    // Largest partitions first, so one big partition does not start last.
    let mut order: Vec<usize> = (0..prepared.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(prepared[i].search_ops.len()));
    let slots: Vec<Mutex<Option<PartitionResult>>> =
        prepared.iter().map(|_| Mutex::new(None)).collect();
    let cursor = AtomicUsize::new(0);
    let work = || {
        while let Some(&i) = order.get(cursor.fetch_add(1, Ordering::Relaxed)) {
            let result = solve(&prepared[i], model, budget);
            *slots[i]
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(result);
        }
    };
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(work);
            }
        });
    }

    let partitions: Vec<PartitionResult> = slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .expect("every partition is solved before the scope ends")
        })
        .collect();
    Ok(CheckReport {
        verdict: Verdict::combine_all(partitions.iter().map(|p| p.verdict)),
        model: model.name(),
        operations: ops.len(),
        partitions,
    })
}
