//! The scheduler: searches the partitions in rounds of growing step bounds
//! on a bounded pool of scoped threads, within one memory budget for all
//! partitions together.
//!
//! Every undecided partition gets the same deterministic step bound per
//! round, so once one is found invalid the others can be stopped and the
//! output is still the same on every run and machine. Memory is shared the
//! same way: before a round, what the global budgets (bytes and memo
//! entries) leave free is split evenly among the undecided partitions, and
//! a search that reaches its share pauses until the next round, when
//! decided partitions have freed theirs. When every undecided search is
//! paused on memory, the one holding the most is stopped as `unknown` (the
//! note says how much it held and how much was in use in all) and its
//! memory goes to the others. Every figure is a count or a capacity, never
//! a measurement, so the verdicts do not depend on timing.

use super::report::PartitionResult;
use super::run::{solve, Prepared, Slice};
use super::search::{Budget, Search};
use crate::model::{LinearizableSpec, Model};
use crate::verdict::Verdict;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The first round's step bound per partition; each further round allows
/// half as many again (searches resume, so a round wastes no work; small
/// steps keep the others from running far past an invalid partition).
const FIRST_ROUND_STEPS: u64 = 1 << 12;

/// The limits and parallelism of one check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rounds {
    /// Give up on unfinished partitions after this instant (a safety net).
    pub deadline: Option<Instant>,
    /// The most steps one partition may take.
    pub steps_max: Option<u64>,
    /// The most bytes all searches together may hold.
    pub memory_bytes_max: usize,
    /// The most memo entries all searches together may hold.
    pub memo_entries_max: usize,
    /// Worker threads.
    pub threads: usize,
}

/// A partition's search in progress, and its result once decided.
struct Slot<'p, S: LinearizableSpec> {
    search: Option<Search<'p, S>>,
    result: Option<PartitionResult>,
    /// The last slice ended on its memory share.
    paused: bool,
}

impl<S: LinearizableSpec> Slot<'_, S> {
    /// (bytes, memo entries) held now, or by the search that decided it.
    fn held(&self) -> (usize, usize) {
        match (&self.search, &self.result) {
            (Some(search), _) => (search.bytes(), search.stats().memo_entries),
            (None, Some(result)) => (result.memory_bytes, result.memo_entries),
            (None, None) => (0, 0),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Searches every partition; returns their results in partition order and
/// the most bytes the searches held at once (at round ends, counting the
/// searches decided in the round).
pub(crate) fn run<M: Model>(
    prepared: &[Prepared<'_, M>],
    model: &M,
    rounds: &Rounds,
) -> (Vec<PartitionResult>, usize) {
    // Largest partitions first, so one big partition does not start last.
    let mut pending: Vec<usize> = (0..prepared.len()).collect();
    pending.sort_by_key(|&i| std::cmp::Reverse(prepared[i].search_ops.len()));
    let slots: Vec<Mutex<Slot<'_, M::Spec>>> = prepared
        .iter()
        .map(|_| {
            Mutex::new(Slot {
                search: None,
                result: None,
                paused: false,
            })
        })
        .collect();
    let mut max_steps = FIRST_ROUND_STEPS;
    let mut bytes_peak = 0;
    while !pending.is_empty() {
        let round_steps = rounds.steps_max.map_or(max_steps, |cap| max_steps.min(cap));
        let budgets = shares(rounds, &pending, &slots, round_steps);
        run_round(prepared, &pending, model, &budgets, rounds.threads, &slots);
        let in_round: usize = pending.iter().map(|&i| lock(&slots[i]).held().0).sum();
        let still_live: usize = slots
            .iter()
            .enumerate()
            .filter(|(i, _)| !pending.contains(i))
            .map(|(_, slot)| lock(slot).search.as_ref().map_or(0, Search::bytes))
            .sum();
        bytes_peak = bytes_peak.max(in_round + still_live);
        pending.retain(|&i| lock(&slots[i]).result.is_none());
        settle_round(prepared, rounds, &slots, &mut pending, round_steps);
        max_steps = max_steps.saturating_add(max_steps / 2);
    }
    let results = slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .result
                .expect("every partition is decided or stopped before the rounds end")
        })
        .collect();
    (results, bytes_peak)
}

/// Each partition's budget for the next round: the round's step bound and
/// what it holds plus an even share of what the global budgets leave free.
fn shares<S: LinearizableSpec>(
    rounds: &Rounds,
    pending: &[usize],
    slots: &[Mutex<Slot<'_, S>>],
    round_steps: u64,
) -> Vec<Budget> {
    let held: Vec<(usize, usize)> = slots.iter().map(|s| lock(s).held()).collect();
    let (bytes, entries) = pending
        .iter()
        .fold((0, 0), |(b, e), &i| (b + held[i].0, e + held[i].1));
    let n = pending.len().max(1);
    let bytes_share = rounds.memory_bytes_max.saturating_sub(bytes) / n;
    let entries_share = rounds.memo_entries_max.saturating_sub(entries) / n;
    held.iter()
        .map(|&(b, e)| Budget {
            deadline: rounds.deadline,
            max_memo_entries: e + entries_share,
            memory_bytes_max: b + bytes_share,
            max_steps: round_steps,
        })
        .collect()
}

/// Continues the `pending` partitions' searches within their budgets, on at
/// most `threads` threads; a decided partition's slot receives its result.
fn run_round<'p, M: Model>(
    prepared: &'p [Prepared<'_, M>],
    pending: &[usize],
    model: &M,
    budgets: &[Budget],
    threads: usize,
    slots: &[Mutex<Slot<'p, M::Spec>>],
) {
    let cursor = AtomicUsize::new(0);
    let work = || {
        while let Some(&i) = pending.get(cursor.fetch_add(1, Ordering::Relaxed)) {
            let part = &prepared[i];
            let mut slot = lock(&slots[i]);
            if slot.search.is_none()
                && Search::bytes_at_start(&part.search_ops) > budgets[i].memory_bytes_max
            {
                // Not started until its event list and stacks fit its share.
                slot.paused = true;
                continue;
            }
            let search = slot
                .search
                .get_or_insert_with(|| Search::new(&part.search_ops, part.initial.clone()));
            match solve(part, search, model, budgets[i]) {
                Slice::Decided(result) => {
                    slot.result = Some(*result);
                    slot.search = None; // free the memo
                }
                Slice::Steps => slot.paused = false,
                Slice::Memory => slot.paused = true,
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

/// After a round: stops every undecided partition once one is invalid;
/// stops those that used the whole step budget; and when every undecided
/// search is paused on memory, stops the one holding the most.
fn settle_round<M: Model>(
    prepared: &[Prepared<'_, M>],
    rounds: &Rounds,
    slots: &[Mutex<Slot<'_, M::Spec>>],
    pending: &mut Vec<usize>,
    round_steps: u64,
) {
    if pending.is_empty() {
        return;
    }
    let invalid_key = prepared.iter().zip(slots).find_map(|(p, slot)| {
        let slot = lock(slot);
        slot.result
            .as_ref()
            .filter(|r| r.verdict == Verdict::Invalid)
            .map(|_| p.key.clone())
    });
    if let Some(key) = invalid_key {
        let note = format!(
            "not decided: the search stopped after {round_steps} steps because key {} is not linearizable",
            key.as_deref().map_or("(none)".to_string(), |k| format!("{k:?}"))
        );
        let all = std::mem::take(pending);
        stop(prepared, slots, &all, |_| note.clone());
        return;
    }
    if rounds.steps_max == Some(round_steps) {
        let (spent, paused): (Vec<usize>, Vec<usize>) =
            pending.iter().partition(|&&i| !lock(&slots[i]).paused);
        let note = format!("not decided: the search used its whole budget of {round_steps} steps");
        stop(prepared, slots, &spent, |_| note.clone());
        *pending = paused;
    }
    if !pending.is_empty() && pending.iter().all(|&i| lock(&slots[i]).paused) {
        let held: Vec<(usize, usize)> = pending.iter().map(|&i| lock(&slots[i]).held()).collect();
        let (bytes, entries) = held.iter().fold((0, 0), |(b, e), h| (b + h.0, e + h.1));
        // The largest holder; the first in `pending` order on a tie.
        let at = (0..held.len())
            .rev()
            .max_by_key(|&k| held[k].0)
            .expect("pending is not empty");
        let victim = pending.remove(at);
        stop(prepared, slots, &[victim], |search| {
            let stats = search.map(Search::stats).unwrap_or_default();
            let cause = if entries >= rounds.memo_entries_max {
                format!(
                    "the search memoized its limit of {} states over all keys",
                    rounds.memo_entries_max
                )
            } else {
                format!(
                    "the searches reached the memory budget of {} bytes over all keys \
                     ({bytes} bytes in use)",
                    rounds.memory_bytes_max
                )
            };
            format!(
                "{cause}; this key held {} bytes and {} memoized states after {} steps",
                stats.memory_bytes, stats.memo_entries, stats.steps
            )
        });
    }
}

/// Ends the searches of partitions `which` as `unknown`, with the note
/// `note` makes from each search, and frees them.
fn stop<M: Model>(
    prepared: &[Prepared<'_, M>],
    slots: &[Mutex<Slot<'_, M::Spec>>],
    which: &[usize],
    note: impl Fn(Option<&Search<'_, M::Spec>>) -> String,
) {
    for &i in which {
        let mut slot = lock(&slots[i]);
        let search = slot.search.take();
        let mut result = prepared[i].result(Verdict::Unknown, search.as_ref());
        result.note = Some(note(search.as_ref()));
        slot.result = Some(result);
    }
}
