//! The set checker: did every acknowledged `add` survive into the final reads?
//!
//! A set workload adds unique elements (`f = "add"`, value = the element) and
//! finishes with reads of the whole set (`f = "read"`, `ok` value = an array).
//! Elements are grouped by key, so one history may hold several independent
//! sets. For each key the checker finds:
//!
//! * **lost** elements: an add that completed `ok`, absent from a final read;
//! * **unexpected** elements: present in a read but never attempted by an add;
//! * **duplicated** elements: present twice in one read;
//! * **resurrected** elements: an add that completed `fail` (it certainly did
//!   not happen) whose element shows up in a read;
//! * **stale** reads: a read that began after an element had become visible
//!   (its add completed `ok`, or an earlier read that had completed held it)
//!   yet lacks it. A set only grows, so a linearizable read holds every
//!   element visible before it began: a stale read is a deposed leader
//!   answering from old state, or an element that vanished for a while.
//!   (A final read lacking an acknowledged element is reported as lost.)
//! * `info` adds that appeared in a final read (**recovered**) or did not
//!   (**unknown**, which is allowed).
//!
//! A read returning `null` (the key does not exist yet) counts as the empty
//! set; any other non-array value makes the key's verdict `unknown`.
//!
//! A *final read* is an `ok` read invoked after every `ok` or `fail` add of its
//! key had completed, so no acknowledged add can still be in flight. Without
//! a final read the checker cannot tell what was lost: the verdict is
//! `unknown`, never `valid`. Duplicates, unexpected and resurrected elements
//! are detected in every `ok` read, final or not.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::elements::{group_by_key, list, Elem};
use crate::error::HistoryError;
use crate::history::{History, Operation, Outcome};
use crate::verdict::Verdict;

/// An element that an acknowledged add put in the set, missing from a final read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LostElement {
    /// The element.
    pub element: Value,
    /// Operation id of the `ok` add.
    pub add_op: usize,
    /// Operation id of the first final read that lacks it.
    pub read_op: usize,
}

/// An element that was visible before a read began, missing from that read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaleRead {
    /// The element.
    pub element: Value,
    /// The operation that made it visible: its `ok` add, or the earliest
    /// completed read that held it.
    pub visible_op: usize,
    /// The first read that began after that and lacks it.
    pub read_op: usize,
}

/// An element seen in a read that it should not be in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementInRead {
    /// The element.
    pub element: Value,
    /// Operation id of the read.
    pub read_op: usize,
    /// How many times the read holds it.
    pub count: usize,
}

/// The findings for one key's set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetKeyResult {
    /// The key (`None` for unkeyed histories).
    pub key: Option<String>,
    /// This key's verdict.
    #[serde(rename = "valid")]
    pub verdict: Verdict,
    /// Adds attempted (invoked).
    pub attempt_count: usize,
    /// Adds that completed `ok`.
    pub ok_count: usize,
    /// Adds that completed `fail`.
    pub fail_count: usize,
    /// Adds whose outcome is unknown (`info` or never completed).
    pub info_count: usize,
    /// Number of final reads the lost-element check used.
    pub final_read_count: usize,
    /// Acknowledged elements missing from a final read.
    pub lost: Vec<LostElement>,
    /// Elements read but never attempted.
    pub unexpected: Vec<ElementInRead>,
    /// Elements present more than once in one read.
    pub duplicated: Vec<ElementInRead>,
    /// Elements whose add failed, yet present in a read.
    pub resurrected: Vec<ElementInRead>,
    /// Reads that lack an element visible before they began (not counting
    /// final reads lacking an acknowledged element: those are `lost`).
    pub stale: Vec<StaleRead>,
    /// `info` adds whose element appeared in a final read.
    pub recovered_count: usize,
    /// `info` adds whose element appeared in no final read.
    pub unknown_count: usize,
}

/// The set checker's result over all keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetResult {
    /// Invalid if any key is invalid, else unknown if any key is unknown.
    #[serde(rename = "valid")]
    pub verdict: Verdict,
    /// Per-key findings, in key order.
    pub keys: Vec<SetKeyResult>,
    /// A plain-text explanation a person can follow.
    pub explanation: String,
}

/// Checks a history of `add`s and `read`s as a set (see the module docs).
///
/// Operations other than `add` and `read` are ignored, as are nemesis events.
/// A history without any add or read is `valid` (nothing was promised).
pub fn check_set(history: &History) -> Result<SetResult, HistoryError> {
    let ops = history.operations()?;
    let relevant: Vec<&Operation> = ops
        .iter()
        .filter(|op| op.f == "add" || op.f == "read")
        .collect();
    let mut keys = Vec::new();
    for (key, key_ops) in group_by_key(relevant) {
        keys.push(check_key(key, &key_ops));
    }
    let verdict = Verdict::combine_all(keys.iter().map(|k| k.verdict));
    let explanation = explain(verdict, &keys);
    Ok(SetResult {
        verdict,
        keys,
        explanation,
    })
}

/// The adds of one key, by element.
struct Adds<'a> {
    by_elem: BTreeMap<Elem, &'a Operation>,
    /// Latest completion time of an `ok` or `fail` add (the final-read fence).
    fence_ns: u64,
}

fn collect_adds<'a>(ops: &[&'a Operation]) -> Adds<'a> {
    let mut by_elem: BTreeMap<Elem, &Operation> = BTreeMap::new();
    let mut fence_ns = 0;
    for op in ops.iter().filter(|op| op.f == "add") {
        // Unique adds are the workload's contract; if an element is added
        // twice, the most certain outcome (ok over info over fail) stands.
        let elem = Elem::new(&op.input);
        let keep = match by_elem.get(&elem) {
            None => true,
            Some(prev) => rank(op.outcome) > rank(prev.outcome),
        };
        if keep {
            by_elem.insert(elem, *op);
        }
        if op.outcome != Outcome::Info {
            if let Some(ret) = op.return_ns {
                fence_ns = fence_ns.max(ret);
            }
        }
    }
    Adds { by_elem, fence_ns }
}

/// Dense ids for the attempted elements, in element order, with a direct
/// table for integer elements (the common case) so that reading a large set
/// costs one array access per element.
struct AddIndex<'a> {
    adds: Vec<(Elem, &'a Operation)>,
    /// For integer elements in a compact range: `table[n - base]` is the id + 1.
    dense: Option<(i128, Vec<u32>)>,
}

impl<'a> AddIndex<'a> {
    fn new(adds: &Adds<'a>) -> Self {
        let adds: Vec<(Elem, &Operation)> = adds
            .by_elem
            .iter()
            .map(|(e, op)| (e.clone(), *op))
            .collect();
        let ints: Option<Vec<i128>> = adds
            .iter()
            .map(|(e, _)| match e {
                Elem::Int(n) => Some(*n),
                Elem::Other(_) => None,
            })
            .collect();
        let dense = ints.and_then(|ints| {
            let (first, last) = (*ints.first()?, *ints.last()?);
            let span = usize::try_from(last - first + 1).ok()?;
            if span > 4 * ints.len() + 1024 {
                return None;
            }
            let mut table = vec![0u32; span];
            for (id, n) in ints.iter().enumerate() {
                table[(n - first) as usize] = u32::try_from(id + 1).ok()?;
            }
            Some((first, table))
        });
        AddIndex { adds, dense }
    }

    fn len(&self) -> usize {
        self.adds.len()
    }

    fn id_of(&self, elem: &Elem) -> Option<usize> {
        match (&self.dense, elem) {
            (Some((base, table)), Elem::Int(n)) => {
                let slot = usize::try_from(n - base).ok()?;
                let id = *table.get(slot)?;
                (id > 0).then(|| id as usize - 1)
            }
            _ => self.adds.binary_search_by(|(e, _)| e.cmp(elem)).ok(),
        }
    }
}

fn rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Ok => 2,
        Outcome::Info => 1,
        Outcome::Fail => 0,
    }
}

fn check_key(key: Option<String>, ops: &[&Operation]) -> SetKeyResult {
    let adds = collect_adds(ops);
    let count = |o: Outcome| adds.by_elem.values().filter(|op| op.outcome == o).count();
    let mut result = SetKeyResult {
        key,
        verdict: Verdict::Valid,
        attempt_count: ops.iter().filter(|op| op.f == "add").count(),
        ok_count: count(Outcome::Ok),
        fail_count: count(Outcome::Fail),
        info_count: count(Outcome::Info),
        final_read_count: 0,
        lost: Vec::new(),
        unexpected: Vec::new(),
        duplicated: Vec::new(),
        resurrected: Vec::new(),
        stale: Vec::new(),
        recovered_count: 0,
        unknown_count: 0,
    };
    let reads: Vec<&Operation> = ops
        .iter()
        .filter(|op| op.f == "read" && op.outcome == Outcome::Ok && !op.output_unknown)
        .copied()
        .collect();
    let index = AddIndex::new(&adds);
    // Per add id: the number (1-based) of the last read that held it.
    let mut stamp: Vec<u32> = vec![0; index.len()];
    // Per add id: when it became visible, and by which op.
    let mut visible: Vec<Option<(u64, usize)>> = index
        .adds
        .iter()
        .map(|(_, add)| match (add.outcome, add.return_ns) {
            (Outcome::Ok, Some(ret)) => Some((ret, add.id)),
            _ => None,
        })
        .collect();
    // Final reads: which add ids each holds.
    let mut final_sets: Vec<(usize, Vec<bool>)> = Vec::new();
    let mut malformed_read = false;
    for (read_no, read) in reads.iter().enumerate() {
        let items: &[Value] = match &read.output {
            Value::Array(items) => items,
            // A set never added to reads as absent: the empty set.
            Value::Null => &[],
            _ => {
                malformed_read = true;
                continue;
            }
        };
        // One pass with stamps: reads of a whole set can be large.
        let current = u32::try_from(read_no + 1).unwrap_or(u32::MAX);
        let mut repeats: BTreeMap<usize, usize> = BTreeMap::new();
        let mut resurrected: Vec<usize> = Vec::new();
        let mut strangers: Vec<Elem> = Vec::new();
        for item in items {
            let elem = Elem::new(item);
            let Some(id) = index.id_of(&elem) else {
                strangers.push(elem);
                continue;
            };
            if stamp[id] == current {
                *repeats.entry(id).or_insert(1) += 1;
            } else {
                stamp[id] = current;
                if let Some(ret) = read.return_ns {
                    if visible[id].is_none_or(|(at, _)| ret < at) {
                        visible[id] = Some((ret, read.id));
                    }
                }
                if index.adds[id].1.outcome == Outcome::Fail {
                    resurrected.push(id);
                }
            }
        }
        let found = |elem: &Elem, count| ElementInRead {
            element: elem.value(),
            read_op: read.id,
            count,
        };
        for (&id, &n) in &repeats {
            result.duplicated.push(found(&index.adds[id].0, n));
        }
        resurrected.sort_unstable();
        for id in resurrected {
            let n = repeats.get(&id).copied().unwrap_or(1);
            result.resurrected.push(found(&index.adds[id].0, n));
        }
        strangers.sort_unstable();
        for run in strangers.chunk_by(|a, b| a == b) {
            if run.len() > 1 {
                result.duplicated.push(found(&run[0], run.len()));
            }
            result.unexpected.push(found(&run[0], run.len()));
        }
        if read.call_ns > adds.fence_ns || adds.fence_ns == 0 {
            let held = stamp.iter().map(|&s| s == current).collect();
            final_sets.push((read.id, held));
        }
    }
    result.final_read_count = final_sets.len();
    result.stale = stale_reads(&reads, &index, &visible, &final_sets);
    judge_adds(&mut result, &index, &final_sets);
    let anomalous = !result.lost.is_empty()
        || !result.stale.is_empty()
        || !result.unexpected.is_empty()
        || !result.duplicated.is_empty()
        || !result.resurrected.is_empty();
    let has_adds = !adds.by_elem.is_empty();
    result.verdict = if anomalous {
        Verdict::Invalid
    } else if (has_adds && final_sets.is_empty()) || malformed_read {
        Verdict::Unknown
    } else {
        Verdict::Valid
    };
    result
}

/// Each add against the final reads: an acknowledged add missing from one
/// is lost; an add of unknown outcome is recovered if one holds it.
fn judge_adds(result: &mut SetKeyResult, index: &AddIndex<'_>, final_sets: &[(usize, Vec<bool>)]) {
    for (id, (elem, add)) in index.adds.iter().enumerate() {
        match add.outcome {
            Outcome::Ok => {
                if let Some((read_op, _)) = final_sets.iter().find(|(_, held)| !held[id]) {
                    result.lost.push(LostElement {
                        element: elem.value(),
                        add_op: add.id,
                        read_op: *read_op,
                    });
                }
            }
            Outcome::Info => {
                if final_sets.iter().any(|(_, held)| held[id]) {
                    result.recovered_count += 1;
                } else {
                    result.unknown_count += 1;
                }
            }
            Outcome::Fail => {}
        }
    }
}

/// For each element, the first read that began after the element was
/// visible and lacks it; final reads lacking an acknowledged element are
/// left to the lost check.
fn stale_reads(
    reads: &[&Operation],
    index: &AddIndex<'_>,
    visible: &[Option<(u64, usize)>],
    final_sets: &[(usize, Vec<bool>)],
) -> Vec<StaleRead> {
    let mut found: Vec<Option<StaleRead>> = vec![None; index.len()];
    let mut held = vec![false; index.len()];
    for read in reads {
        let Some(items) = (match &read.output {
            Value::Array(items) => Some(items.as_slice()),
            Value::Null => Some(&[][..]),
            _ => None,
        }) else {
            continue;
        };
        held.iter_mut().for_each(|h| *h = false);
        for item in items {
            if let Some(id) = index.id_of(&Elem::new(item)) {
                held[id] = true;
            }
        }
        let is_final = final_sets.iter().any(|(op, _)| *op == read.id);
        for (id, vis) in visible.iter().enumerate() {
            let Some((at, visible_op)) = *vis else {
                continue;
            };
            if held[id] || at >= read.call_ns || found[id].is_some() {
                continue;
            }
            let acknowledged = index.adds[id].1.outcome == Outcome::Ok;
            if is_final && acknowledged {
                continue;
            }
            found[id] = Some(StaleRead {
                element: index.adds[id].0.value(),
                visible_op,
                read_op: read.id,
            });
        }
    }
    let mut stale: Vec<StaleRead> = found.into_iter().flatten().collect();
    stale.sort_by_key(|s| (s.read_op, s.visible_op));
    stale
}

fn explain(verdict: Verdict, keys: &[SetKeyResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "set checker: {verdict} ({} key(s))", keys.len());
    for k in keys {
        let name = k.key.as_deref().unwrap_or("(no key)");
        let _ = writeln!(
            out,
            "key {name}: {}; {} add(s) attempted: {} ok, {} fail, {} info \
             ({} recovered, {} unknown); {} final read(s)",
            k.verdict,
            k.attempt_count,
            k.ok_count,
            k.fail_count,
            k.info_count,
            k.recovered_count,
            k.unknown_count,
            k.final_read_count
        );
        if k.final_read_count == 0 && k.ok_count + k.info_count > 0 {
            let _ = writeln!(
                out,
                "  no read began after every acknowledged add completed, so lost \
                 elements cannot be ruled out"
            );
        }
        list(&mut out, "lost", &k.lost, |l| {
            format!(
                "element {} was acknowledged by op {} but is missing from final read op {}",
                l.element, l.add_op, l.read_op
            )
        });
        list(&mut out, "stale", &k.stale, |s| {
            format!(
                "read op {} lacks element {}, visible since op {} completed before the read began",
                s.read_op, s.element, s.visible_op
            )
        });
        list(&mut out, "unexpected", &k.unexpected, |e| {
            format!(
                "read op {} returned {}, which no add ever attempted",
                e.read_op, e.element
            )
        });
        list(&mut out, "duplicated", &k.duplicated, |e| {
            format!(
                "read op {} returned {} {} times",
                e.read_op, e.element, e.count
            )
        });
        list(&mut out, "resurrected", &k.resurrected, |e| {
            format!(
                "read op {} returned {}, whose add failed",
                e.read_op, e.element
            )
        });
    }
    out
}
