//! The append checker: per-key lists that only ever grow at the end.
//!
//! An append workload appends unique elements to per-key lists
//! (`f = "append"`, value = the element) and reads whole lists (`f = "read"`,
//! `ok` value = an array). A correct store behaves like one list per key that
//! grows in a single total order consistent with real time. Per key the
//! checker reports, with the operations involved:
//!
//! * **duplicate**: an element twice in one read;
//! * **unexpected**: an element no append ever attempted;
//! * **resurrected**: an element whose append completed `fail`;
//! * **future-read**: an element whose append was invoked only after the read
//!   had already returned;
//! * **divergence**: two reads neither of which is a prefix of the other (no
//!   single order explains both);
//! * **stale-read**: a read shorter than one that completed before it began
//!   (acknowledged state went backwards);
//! * **lost**: a read missing an append acknowledged before the read began;
//! * **reordered**: append `a` was acknowledged before append `b` was invoked,
//!   yet `b` precedes `a` in the list.
//!
//! A read returning `null` (the key does not exist yet) counts as the empty
//! list; any other non-array value makes the key's verdict `unknown`.
//!
//! The order checks (stale-read, lost, reordered) are measured against the
//! longest read, which is the list every other read must be a prefix of; they
//! are skipped for a key whose reads diverge. All checks are sweeps over
//! sorted operations, `O(n log n)` plus the total length of the reads.

mod explain;

use explain::explain;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::elements::{group_by_key, Elem};
use crate::error::HistoryError;
use crate::history::{History, Operation, Outcome};
use crate::verdict::Verdict;

/// One anomaly found in one key's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AppendAnomaly {
    /// A read holds an element more than once.
    Duplicate {
        /// The element.
        element: Value,
        /// The read's operation id.
        read_op: usize,
        /// How many times it appears.
        count: usize,
    },
    /// A read holds an element that no append attempted.
    Unexpected {
        /// The element.
        element: Value,
        /// The read's operation id.
        read_op: usize,
    },
    /// A read holds an element whose append failed.
    Resurrected {
        /// The element.
        element: Value,
        /// The failed append's operation id.
        append_op: usize,
        /// The read's operation id.
        read_op: usize,
    },
    /// A read holds an element appended only after the read returned.
    FutureRead {
        /// The element.
        element: Value,
        /// The append's operation id.
        append_op: usize,
        /// The read's operation id.
        read_op: usize,
    },
    /// Two reads that are not prefixes of one another.
    Divergence {
        /// The shorter (or equal-length) read.
        read_op_a: usize,
        /// The longer read.
        read_op_b: usize,
        /// The first position where they differ.
        position: usize,
        /// Read a's element there.
        element_a: Value,
        /// Read b's element there.
        element_b: Value,
    },
    /// A read shorter than a read that completed before it was invoked.
    StaleRead {
        /// The earlier, longer read.
        earlier_read_op: usize,
        /// The later, shorter read.
        later_read_op: usize,
        /// The first element the later read no longer holds.
        missing: Value,
    },
    /// A read missing an append acknowledged before the read began.
    Lost {
        /// The element.
        element: Value,
        /// The acknowledged append's operation id.
        append_op: usize,
        /// The read that misses it.
        read_op: usize,
    },
    /// Two appends ordered against real time.
    Reordered {
        /// The append acknowledged first.
        earlier_append_op: usize,
        /// Its element.
        earlier_element: Value,
        /// Its position in the list.
        earlier_position: usize,
        /// The append invoked after that acknowledgement.
        later_append_op: usize,
        /// Its element.
        later_element: Value,
        /// Its (smaller) position in the list.
        later_position: usize,
    },
}

impl AppendAnomaly {
    /// The anomaly's name, as serialized in `kind`.
    pub fn name(&self) -> &'static str {
        match self {
            AppendAnomaly::Duplicate { .. } => "duplicate",
            AppendAnomaly::Unexpected { .. } => "unexpected",
            AppendAnomaly::Resurrected { .. } => "resurrected",
            AppendAnomaly::FutureRead { .. } => "future-read",
            AppendAnomaly::Divergence { .. } => "divergence",
            AppendAnomaly::StaleRead { .. } => "stale-read",
            AppendAnomaly::Lost { .. } => "lost",
            AppendAnomaly::Reordered { .. } => "reordered",
        }
    }
}

/// The findings for one key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppendKeyResult {
    /// The key (`None` for unkeyed histories).
    pub key: Option<String>,
    /// This key's verdict.
    #[serde(rename = "valid")]
    pub verdict: Verdict,
    /// Appends attempted.
    pub append_count: usize,
    /// Appends that completed `ok`.
    pub ok_count: usize,
    /// Appends that completed `fail`.
    pub fail_count: usize,
    /// Appends with unknown outcome.
    pub info_count: usize,
    /// `ok` reads examined.
    pub read_count: usize,
    /// Length of the longest read: the list every other read is a prefix of.
    pub longest_read_len: usize,
    /// Reads whose value was not an array (they make the verdict unknown).
    pub malformed_read_count: usize,
    /// Every anomaly found, grouped by kind in the order of the module docs.
    pub anomalies: Vec<AppendAnomaly>,
}

/// The append checker's result over all keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppendResult {
    /// Invalid if any key is invalid, else unknown if any key is unknown.
    #[serde(rename = "valid")]
    pub verdict: Verdict,
    /// Anomaly counts by kind, over all keys.
    pub anomaly_counts: BTreeMap<String, usize>,
    /// Per-key findings, in key order.
    pub keys: Vec<AppendKeyResult>,
    /// A plain-text explanation a person can follow.
    pub explanation: String,
}

/// Checks a history of `append`s and `read`s of per-key lists (see the
/// module docs). Other functions and nemesis events are ignored.
pub fn check_append(history: &History) -> Result<AppendResult, HistoryError> {
    let ops = history.operations()?;
    let relevant: Vec<&Operation> = ops
        .iter()
        .filter(|op| op.f == "append" || op.f == "read")
        .collect();
    let mut keys = Vec::new();
    let mut anomaly_counts: BTreeMap<String, usize> = BTreeMap::new();
    for (key, key_ops) in group_by_key(relevant) {
        let result = check_key(key, &key_ops);
        for anomaly in &result.anomalies {
            *anomaly_counts
                .entry(anomaly.name().to_string())
                .or_default() += 1;
        }
        keys.push(result);
    }
    let verdict = Verdict::combine_all(keys.iter().map(|k| k.verdict));
    let explanation = explain(verdict, &keys, &ops);
    Ok(AppendResult {
        verdict,
        anomaly_counts,
        keys,
        explanation,
    })
}

/// An `ok` read with its parsed list.
struct Read<'a> {
    op: &'a Operation,
    list: Vec<Elem>,
}

fn check_key(key: Option<String>, ops: &[&Operation]) -> AppendKeyResult {
    let mut appends: BTreeMap<Elem, &Operation> = BTreeMap::new();
    for op in ops.iter().filter(|op| op.f == "append") {
        let elem = Elem::new(&op.input);
        let replace = appends
            .get(&elem)
            .is_none_or(|prev| certainty(op) > certainty(prev));
        if replace {
            appends.insert(elem, op);
        }
    }
    let count = |o: Outcome| appends.values().filter(|op| op.outcome == o).count();
    let mut result = AppendKeyResult {
        key,
        verdict: Verdict::Valid,
        append_count: ops.iter().filter(|op| op.f == "append").count(),
        ok_count: count(Outcome::Ok),
        fail_count: count(Outcome::Fail),
        info_count: count(Outcome::Info),
        read_count: 0,
        longest_read_len: 0,
        malformed_read_count: 0,
        anomalies: Vec::new(),
    };
    let mut reads = Vec::new();
    for op in ops
        .iter()
        .filter(|op| op.f == "read" && op.outcome == Outcome::Ok && !op.output_unknown)
    {
        match &op.output {
            Value::Array(items) => reads.push(Read {
                op,
                list: items.iter().map(Elem::new).collect(),
            }),
            // A key never appended to reads as absent: the empty list.
            Value::Null => reads.push(Read {
                op,
                list: Vec::new(),
            }),
            _ => result.malformed_read_count += 1,
        }
    }
    result.read_count = reads.len();
    let anomalies = &mut result.anomalies;
    check_elements(&reads, &appends, anomalies);
    let longest = check_prefixes(&reads, anomalies);
    if let Some(longest) = longest {
        result.longest_read_len = longest.list.len();
        let position: BTreeMap<&Elem, usize> = longest
            .list
            .iter()
            .enumerate()
            .map(|(i, e)| (e, i))
            .collect();
        check_stale_reads(&reads, anomalies);
        check_lost(&reads, &appends, &position, anomalies);
        check_reordered(&appends, &position, anomalies);
    }
    result.verdict = if !result.anomalies.is_empty() {
        Verdict::Invalid
    } else if result.malformed_read_count > 0 {
        Verdict::Unknown
    } else {
        Verdict::Valid
    };
    result
}

fn certainty(op: &Operation) -> u8 {
    match op.outcome {
        Outcome::Ok => 2,
        Outcome::Info => 1,
        Outcome::Fail => 0,
    }
}

/// Duplicates, unexpected, resurrected and future elements, read by read.
fn check_elements(
    reads: &[Read<'_>],
    appends: &BTreeMap<Elem, &Operation>,
    anomalies: &mut Vec<AppendAnomaly>,
) {
    for read in reads {
        let mut counts: BTreeMap<&Elem, usize> = BTreeMap::new();
        for elem in &read.list {
            *counts.entry(elem).or_default() += 1;
        }
        for (elem, &count) in &counts {
            let element = elem.value();
            let read_op = read.op.id;
            if count > 1 {
                anomalies.push(AppendAnomaly::Duplicate {
                    element: element.clone(),
                    read_op,
                    count,
                });
            }
            match appends.get(*elem) {
                None => anomalies.push(AppendAnomaly::Unexpected { element, read_op }),
                Some(append) if append.outcome == Outcome::Fail => {
                    anomalies.push(AppendAnomaly::Resurrected {
                        element,
                        append_op: append.id,
                        read_op,
                    })
                }
                Some(append) => {
                    if read.op.return_ns.is_some_and(|ret| append.call_ns > ret) {
                        anomalies.push(AppendAnomaly::FutureRead {
                            element,
                            append_op: append.id,
                            read_op,
                        });
                    }
                }
            }
        }
    }
}

/// Checks that the reads form one prefix chain; returns the longest read
/// when they do.
fn check_prefixes<'r, 'a>(
    reads: &'r [Read<'a>],
    anomalies: &mut Vec<AppendAnomaly>,
) -> Option<&'r Read<'a>> {
    let mut by_len: Vec<&Read<'_>> = reads.iter().collect();
    by_len.sort_by_key(|r| (r.list.len(), r.op.id));
    let mut diverged = false;
    for pair in by_len.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if let Some(position) = a.list.iter().zip(&b.list).position(|(x, y)| x != y) {
            diverged = true;
            anomalies.push(AppendAnomaly::Divergence {
                read_op_a: a.op.id,
                read_op_b: b.op.id,
                position,
                element_a: a.list[position].value(),
                element_b: b.list[position].value(),
            });
        }
    }
    if diverged {
        None
    } else {
        by_len.last().copied()
    }
}

/// A read invoked after another read completed must be at least as long.
fn check_stale_reads(reads: &[Read<'_>], anomalies: &mut Vec<AppendAnomaly>) {
    let mut by_return: Vec<&Read<'_>> = reads.iter().filter(|r| r.op.return_ns.is_some()).collect();
    by_return.sort_by_key(|r| (r.op.return_ns, r.op.id));
    let mut by_call: Vec<&Read<'_>> = reads.iter().collect();
    by_call.sort_by_key(|r| (r.op.call_ns, r.op.id));
    let mut next = 0;
    let mut longest_done: Option<&Read<'_>> = None;
    for later in by_call {
        while next < by_return.len() && by_return[next].op.return_ns < Some(later.op.call_ns) {
            let done = by_return[next];
            if longest_done.is_none_or(|l| done.list.len() > l.list.len()) {
                longest_done = Some(done);
            }
            next += 1;
        }
        if let Some(earlier) = longest_done {
            if earlier.list.len() > later.list.len() {
                anomalies.push(AppendAnomaly::StaleRead {
                    earlier_read_op: earlier.op.id,
                    later_read_op: later.op.id,
                    missing: earlier.list[later.list.len()].value(),
                });
            }
        }
    }
}

/// A read must hold every append acknowledged before it was invoked. Per
/// read, the furthest-along acknowledged append it misses is reported (and
/// every acknowledged append that no read holds); each append at most once.
fn check_lost(
    reads: &[Read<'_>],
    appends: &BTreeMap<Elem, &Operation>,
    position: &BTreeMap<&Elem, usize>,
    anomalies: &mut Vec<AppendAnomaly>,
) {
    let mut acked: Vec<(&Elem, &Operation, u64)> = appends
        .iter()
        .filter(|(_, op)| op.outcome == Outcome::Ok)
        .filter_map(|(e, op)| op.return_ns.map(|ret| (e, *op, ret)))
        .collect();
    acked.sort_by_key(|(_, op, ret)| (*ret, op.id));
    let mut by_call: Vec<&Read<'_>> = reads.iter().collect();
    by_call.sort_by_key(|r| (r.op.call_ns, r.op.id));
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    let mut next = 0;
    // The acknowledged append furthest along the list, and those in no read.
    let mut furthest: Option<(usize, &Elem, &Operation)> = None;
    let mut never_read: Vec<(&Elem, &Operation)> = Vec::new();
    for read in by_call {
        while next < acked.len() && acked[next].2 < read.op.call_ns {
            let (elem, op, _) = acked[next];
            match position.get(elem) {
                Some(&pos) => {
                    if furthest.is_none_or(|(p, _, _)| pos > p) {
                        furthest = Some((pos, elem, op));
                    }
                }
                None => never_read.push((elem, op)),
            }
            next += 1;
        }
        for (elem, op) in never_read.drain(..) {
            if reported.insert(op.id) {
                anomalies.push(AppendAnomaly::Lost {
                    element: elem.value(),
                    append_op: op.id,
                    read_op: read.op.id,
                });
            }
        }
        if let Some((pos, elem, op)) = furthest {
            if pos >= read.list.len() && reported.insert(op.id) {
                anomalies.push(AppendAnomaly::Lost {
                    element: elem.value(),
                    append_op: op.id,
                    read_op: read.op.id,
                });
            }
        }
    }
}

/// If append `a` was acknowledged before append `b` was invoked and both are
/// in the list, `a` must come first.
fn check_reordered(
    appends: &BTreeMap<Elem, &Operation>,
    position: &BTreeMap<&Elem, usize>,
    anomalies: &mut Vec<AppendAnomaly>,
) {
    let mut listed: Vec<(&Elem, &Operation, usize)> = appends
        .iter()
        .filter_map(|(e, op)| position.get(e).map(|&pos| (e, *op, pos)))
        .collect();
    let mut by_return: Vec<(&Elem, &Operation, usize, u64)> = listed
        .iter()
        .filter(|(_, op, _)| op.outcome == Outcome::Ok)
        .filter_map(|&(e, op, pos)| op.return_ns.map(|ret| (e, op, pos, ret)))
        .collect();
    by_return.sort_by_key(|&(_, op, _, ret)| (ret, op.id));
    listed.sort_by_key(|&(_, op, _)| (op.call_ns, op.id));
    let mut next = 0;
    let mut furthest: Option<(&Elem, &Operation, usize)> = None;
    for (elem, op, pos) in listed {
        while next < by_return.len() && by_return[next].3 < op.call_ns {
            let (e, o, p, _) = by_return[next];
            if furthest.is_none_or(|(_, _, fp)| p > fp) {
                furthest = Some((e, o, p));
            }
            next += 1;
        }
        if let Some((earlier, earlier_op, earlier_pos)) = furthest {
            if earlier_pos > pos {
                anomalies.push(AppendAnomaly::Reordered {
                    earlier_append_op: earlier_op.id,
                    earlier_element: earlier.value(),
                    earlier_position: earlier_pos,
                    later_append_op: op.id,
                    later_element: elem.value(),
                    later_position: pos,
                });
            }
        }
    }
}
