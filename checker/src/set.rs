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
    /// `info` adds whose element appeared in a final read.
    pub recovered_count: usize,
    /// `info` adds whose element appeared in no final read.
    pub unknown_count: usize,
}

/// The set checker's result over all keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetResult {
    /// Invalid if any key is invalid, else unknown if any key is unknown.
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
        recovered_count: 0,
        unknown_count: 0,
    };
    let reads: Vec<&Operation> = ops
        .iter()
        .filter(|op| op.f == "read" && op.outcome == Outcome::Ok)
        .copied()
        .collect();
    // Final reads as sorted, de-duplicated element lists.
    let mut final_sets: Vec<(usize, Vec<Elem>)> = Vec::new();
    let mut malformed_read = false;
    for read in &reads {
        let items: &[Value] = match &read.output {
            Value::Array(items) => items,
            // A set never added to reads as absent: the empty set.
            Value::Null => &[],
            _ => {
                malformed_read = true;
                continue;
            }
        };
        // Sorted, then counted in runs: reads of a whole set can be large.
        let mut elems: Vec<Elem> = items.iter().map(Elem::new).collect();
        elems.sort_unstable();
        let mut distinct: Vec<Elem> = Vec::with_capacity(elems.len());
        let mut i = 0;
        while i < elems.len() {
            let n = elems[i..].iter().take_while(|e| **e == elems[i]).count();
            let elem = &elems[i];
            let found = |count| ElementInRead {
                element: elem.value(),
                read_op: read.id,
                count,
            };
            if n > 1 {
                result.duplicated.push(found(n));
            }
            match adds.by_elem.get(elem) {
                None => result.unexpected.push(found(n)),
                Some(add) if add.outcome == Outcome::Fail => result.resurrected.push(found(n)),
                Some(_) => {}
            }
            distinct.push(elem.clone());
            i += n;
        }
        if read.call_ns > adds.fence_ns || adds.fence_ns == 0 {
            final_sets.push((read.id, distinct));
        }
    }
    result.final_read_count = final_sets.len();
    for (elem, add) in &adds.by_elem {
        match add.outcome {
            Outcome::Ok => {
                if let Some((read_op, _)) = final_sets
                    .iter()
                    .find(|(_, set)| set.binary_search(elem).is_err())
                {
                    result.lost.push(LostElement {
                        element: elem.value(),
                        add_op: add.id,
                        read_op: *read_op,
                    });
                }
            }
            Outcome::Info => {
                if final_sets
                    .iter()
                    .any(|(_, set)| set.binary_search(elem).is_ok())
                {
                    result.recovered_count += 1;
                } else {
                    result.unknown_count += 1;
                }
            }
            Outcome::Fail => {}
        }
    }
    let anomalous = !result.lost.is_empty()
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
