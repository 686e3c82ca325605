//! Log matching (Raft §5.3): if two logs hold an entry with the same index
//! and term, the entries are identical and so are the logs up to there.
//!
//! Checked incrementally and globally: every `(index, term)` ever seen in
//! any log is recorded with its payload digest and the term of the entry
//! before it. By induction over the index, agreeing on both for every entry
//! of every log is exactly pairwise log matching, without comparing pairs.
//! Each observation rescans the node's terms (cheap) and re-examines only
//! the entries whose term changed since the node's previous observation.

use super::{LogShape, NodeView, Violation};
use crate::support::digest::entry_digest;
use faultline_raft::{LogIndex, NodeId, Term};
use std::collections::BTreeMap;

const NAME: &str = "log matching";

#[derive(Debug, Clone, Copy)]
struct EntryRecord {
    digest: u64,
    prev_term: Option<Term>,
    first_seen_on: NodeId,
}

/// The global record of entries and each node's last scanned log.
#[derive(Debug, Default)]
pub struct LogMatching {
    entries: BTreeMap<(LogIndex, Term), EntryRecord>,
    shadows: BTreeMap<NodeId, LogShape>,
}

impl LogMatching {
    /// Scans `view`'s log, checks every new or changed entry, and returns the shape.
    pub fn observe(&mut self, view: &dyn NodeView) -> Result<LogShape, Violation> {
        let id = view.id();
        let shape = scan(view)?;
        if let (true, Some(base_term)) = (shape.base > 0, shape.base_term) {
            if !self.entries.contains_key(&(shape.base, base_term)) {
                return Err(Violation::new(
                    NAME,
                    format!(
                        "node {id}: its snapshot ends at index {} term {base_term}, an entry no \
                         log ever held",
                        shape.base
                    ),
                ));
            }
        }
        let previous = self.shadows.get(&id);
        for (k, &term) in shape.terms.iter().enumerate() {
            let index = shape.base + 1 + k as u64;
            let prev_term = shape.term_at(index - 1);
            if previous.and_then(|p| p.term_at(index)) == Some(term)
                && previous.and_then(|p| p.term_at(index - 1)) == prev_term
            {
                continue;
            }
            if let Some(prev_term) = prev_term.filter(|&p| term < p) {
                return Err(Violation::new(
                    NAME,
                    format!("node {id}: term falls from {prev_term} to {term} at index {index}"),
                ));
            }
            if term > view.term() {
                return Err(Violation::new(
                    NAME,
                    format!(
                        "node {id}: entry {index} has term {term} above the node's term {}",
                        view.term()
                    ),
                ));
            }
            let entry = view.entry(index).ok_or_else(|| {
                Violation::new(
                    NAME,
                    format!("node {id}: term_at({index}) is {term} but entry({index}) is None"),
                )
            })?;
            if entry.index != index || entry.term != term {
                return Err(Violation::new(
                    NAME,
                    format!(
                        "node {id}: entry({index}) reports index {} term {}, term_at says {term}",
                        entry.index, entry.term
                    ),
                ));
            }
            let digest = entry_digest(&entry);
            match self.entries.get(&(index, term)) {
                Some(record) if record.digest != digest => {
                    return Err(Violation::new(
                        NAME,
                        format!(
                            "entry {index} of term {term} differs between node {} and node {id} \
                             (payload digests {:016x} vs {digest:016x})",
                            record.first_seen_on, record.digest
                        ),
                    ));
                }
                Some(record)
                    if record.prev_term.is_some()
                        && prev_term.is_some()
                        && record.prev_term != prev_term =>
                {
                    return Err(Violation::new(
                        NAME,
                        format!(
                            "entry {index} of term {term} follows term {:?} on node {} but term \
                             {prev_term:?} on node {id}: the prefixes differ",
                            record.prev_term, record.first_seen_on
                        ),
                    ));
                }
                Some(record) => {
                    if record.prev_term.is_none() {
                        let record = EntryRecord {
                            prev_term,
                            ..*record
                        };
                        self.entries.insert((index, term), record);
                    }
                }
                None => {
                    self.entries.insert(
                        (index, term),
                        EntryRecord {
                            digest,
                            prev_term,
                            first_seen_on: id,
                        },
                    );
                }
            }
        }
        self.shadows.insert(id, shape.clone());
        Ok(shape)
    }

    /// Forgets the last scan of a node (it crashed; its log will be recovered).
    pub fn forget(&mut self, id: NodeId) {
        self.shadows.remove(&id);
    }
}

/// Reads a core's terms from its first stored index to its last.
fn scan(view: &dyn NodeView) -> Result<LogShape, Violation> {
    let id = view.id();
    let first = view.first_index();
    let last = view.last_index();
    if first == 0 || first > last + 1 {
        return Err(Violation::new(
            NAME,
            format!("node {id}: first index {first} does not fit last index {last}"),
        ));
    }
    let base = first - 1;
    let base_term = if base == 0 {
        Some(0)
    } else {
        view.term_at(base)
    };
    let mut terms = Vec::with_capacity((last - base) as usize);
    for index in first..=last {
        let term = view.term_at(index).ok_or_else(|| {
            Violation::new(
                NAME,
                format!("node {id}: term_at({index}) is None inside its log [{first}, {last}]"),
            )
        })?;
        terms.push(term);
    }
    Ok(LogShape {
        base,
        base_term,
        terms,
    })
}
