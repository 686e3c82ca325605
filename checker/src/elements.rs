//! Shared plumbing for the set and append checkers: grouping operations by
//! key, an ordered wrapper for JSON elements, and bounded anomaly lists in
//! explanations.

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
/// other value by its JSON text. Integers (the common case) allocate nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Elem {
    /// An integer element.
    Int(i128),
    /// Any other element, as JSON text.
    Other(String),
}

impl Elem {
    /// Wraps a value.
    pub(crate) fn new(value: &Value) -> Self {
        match value
            .as_i64()
            .map(i128::from)
            .or_else(|| value.as_u64().map(i128::from))
        {
            Some(n) => Elem::Int(n),
            None => Elem::Other(value.to_string()),
        }
    }

    /// The element as a JSON value again.
    pub(crate) fn value(&self) -> Value {
        match self {
            Elem::Int(n) => i64::try_from(*n)
                .map(Value::from)
                .or_else(|_| u64::try_from(*n).map(Value::from))
                .unwrap_or(Value::Null),
            Elem::Other(text) => serde_json::from_str(text).unwrap_or(Value::Null),
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
