//! Running a check: partition the operations, translate them through the
//! model, and hand the partitions to the scheduler
//! ([`super::rounds`]), which searches them on a bounded pool of scoped
//! threads within one global memory budget; the results come back in key
//! order (the same output whatever the thread count or scheduling).

use super::report::{explain, CheckReport, PartitionResult};
use super::rounds::{self, Rounds};
use super::search::{Budget, Exhausted, Outcome, Search, SearchOp};
use super::{CheckOptions, RealTimeOrder};
use crate::history::{Operation, Outcome as OpOutcome};
use crate::model::{Model, ModelError, Translation, ValueTable};
use crate::verdict::Verdict;
use std::collections::BTreeMap;
use std::time::Instant;

/// One partition, translated and ready to search.
pub(crate) struct Prepared<'a, M: Model> {
    pub(crate) key: Option<String>,
    /// The recorded operations the search places, indexed like `search_ops`.
    ops: Vec<&'a Operation>,
    pub(crate) search_ops: Vec<SearchOp<M::Spec>>,
    pub(crate) initial: M::Spec,
    values: ValueTable,
    pub(crate) dropped: usize,
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

/// How one slice of a partition's search ended.
pub(crate) enum Slice {
    /// The partition is decided (or ran out of time): its result.
    Decided(Box<PartitionResult>),
    /// The slice's step bound ran out; the search can go on.
    Steps,
    /// The slice's memory caps were reached; the search can go on with
    /// larger ones.
    Memory,
}

impl<M: Model> Prepared<'_, M> {
    /// A result for this partition with no verdict-specific parts yet.
    pub(crate) fn result(
        &self,
        verdict: Verdict,
        search: Option<&Search<'_, M::Spec>>,
    ) -> PartitionResult {
        let stats = search.map(Search::stats).unwrap_or_default();
        PartitionResult {
            key: self.key.clone(),
            verdict,
            operations: self.search_ops.len(),
            dropped: self.dropped,
            steps: stats.steps,
            memo_entries: stats.memo_entries,
            memory_bytes: stats.memory_bytes,
            note: None,
            explanation: None,
        }
    }
}

/// Continues one partition's search within `budget`.
pub(crate) fn solve<M: Model>(
    prepared: &Prepared<'_, M>,
    search: &mut Search<'_, M::Spec>,
    model: &M,
    budget: Budget,
) -> Slice {
    let outcome = search.run(budget);
    let stats = search.stats();
    let mut result = prepared.result(Verdict::Valid, Some(search));
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
        Outcome::GaveUp(Exhausted::Steps) => return Slice::Steps,
        Outcome::GaveUp(Exhausted::Memory) => return Slice::Memory,
        Outcome::GaveUp(Exhausted::Time) => {
            result.verdict = Verdict::Unknown;
            result.note = Some(format!(
                "the wall-clock time limit (a safety net whose moment depends on the \
                 machine's speed) ran out after {} search steps and {} memoized states",
                stats.steps, stats.memo_entries
            ));
        }
    }
    Slice::Decided(Box::new(result))
}

/// Checks `ops` against any [`Model`]: partitions by
/// [`Model::partition_key`], drops `fail`ed operations, and searches every
/// partition (in parallel, at most `opts.threads` at once, within one memory
/// budget for all of them: [`CheckOptions::memory_bytes_max`]). Errors if
/// the model cannot interpret an operation; the earliest such operation (by
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
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if opts.threads == 0 {
        cores
    } else {
        opts.threads.min(cores)
    };
    let rounds = Rounds {
        deadline: opts.time_limit.map(|limit| started + limit),
        steps_max: opts.max_search_steps.map(|cap| cap.max(1)),
        memory_bytes_max: opts.memory_bytes_max,
        memo_entries_max: opts.max_cache_entries.max(1),
        threads,
    };
    let (partitions, memory_bytes_peak) = rounds::run(&prepared, model, &rounds);
    Ok(CheckReport {
        verdict: Verdict::combine_all(partitions.iter().map(|p| p.verdict)),
        model: model.name(),
        operations: ops.len(),
        memory_bytes_peak,
        partitions,
    })
}
