//! Shared plumbing for the set and append checkers: grouping operations by
//! key, an ordered wrapper for JSON elements, and bounded anomaly lists in
//! explanations.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::history::Operation;

/// Groups operations by key, in key order (`None` first), keeping each
/// group's invocation order.
pub(crate) fn group_by_key(ops: Vec<&Operation>) -> BTreeMap<Option<String>, Vec<&Operation>> {
    let mut groups: BTreeMap<Option<String>, Vec<&Operation>> = BTreeMap::new();
    for op in ops {
        groups.entry(op.key.clone()).or_default().push(op);
    }
    groups
}

/// A JSON element with a total order: integers by value first, then every
/// other value by its JSON text.
#[derive(Debug, Clone)]
pub(crate) struct Elem {
    int: Option<i128>,
    text: String,
    value: Value,
}

impl Elem {
    /// Wraps a value.
    pub(crate) fn new(value: &Value) -> Self {
        let int = value
            .as_i64()
            .map(i128::from)
            .or_else(|| value.as_u64().map(i128::from));
        Elem {
            int,
            text: value.to_string(),
            value: value.clone(),
        }
    }

    /// The wrapped value.
    pub(crate) fn value(&self) -> &Value {
        &self.value
    }
}

impl PartialEq for Elem {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Elem {}

impl PartialOrd for Elem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Elem {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.int, other.int) {
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.text.cmp(&other.text),
        }
    }
}

/// How many anomalies of one kind the plain-text explanation lists before
/// summarising the rest as a count (the serde result always holds them all).
const EXPLAIN_LIMIT: usize = 20;

/// Appends up to [`EXPLAIN_LIMIT`] described items under a heading.
pub(crate) fn list<T>(
    out: &mut String,
    heading: &str,
    items: &[T],
    describe: impl Fn(&T) -> String,
) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {heading} ({}):", items.len());
    for item in items.iter().take(EXPLAIN_LIMIT) {
        let _ = writeln!(out, "    {}", describe(item));
    }
    if items.len() > EXPLAIN_LIMIT {
        let _ = writeln!(out, "    ... and {} more", items.len() - EXPLAIN_LIMIT);
    }
}
