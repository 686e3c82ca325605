//! Log matching (Raft §5.3): if two logs hold an entry with the same index
//! and term, the entries are identical and so are the logs up to there.
//!
//! Checked incrementally and globally: every `(index, term)` ever seen in
//! any log is recorded with its payload digest and the term of the entry
//! before it. By induction over the index, agreeing on both for every entry
//! of every log is exactly pairwise log matching, without comparing pairs.
//! Each observation re-examines only the entries whose term changed since
//! the node's previous observation.
//!
//! Payload digests are compared when the view exposes entries. Two checks
//! need an every-step view and are skipped for a sampled one
//! ([`Vantage::Sampled`]): that a snapshot ends at an entry some log held
//! (a sampled log can be compacted unseen) and that no entry's term exceeds
//! the node's term (a crash can leave a durable log ahead of the durable
//! hard state).

use super::digest::entry_digest;
use super::{names, LogShape, NodeView, Vantage, Violation};
use crate::{LogIndex, NodeId, Term};
use std::collections::BTreeMap;

const NAME: &str = names::LOG_MATCHING;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct EntryRecord {
    digest: Option<u64>,
    prev_term: Option<Term>,
    first_seen_on: NodeId,
}

/// The global record of entries and each node's last scanned log.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct LogMatching {
    vantage: Vantage,
    entries: BTreeMap<(LogIndex, Term), EntryRecord>,
    shadows: BTreeMap<NodeId, LogShape>,
}

impl LogMatching {
    /// A check for observations taken from `vantage`.
    pub fn new(vantage: Vantage) -> Self {
        LogMatching {
            vantage,
            ..LogMatching::default()
        }
    }

    /// Scans `view`'s log, checks every new or changed entry, and returns the shape.
    pub fn observe(&mut self, view: &dyn NodeView) -> Result<LogShape, Violation> {
        let shape = LogShape::scan(view)?;
        self.observe_shape(view, &shape)?;
        Ok(shape)
    }

    /// Checks `shape`, already read from `view`, against the global record.
    pub fn observe_shape(
        &mut self,
        view: &dyn NodeView,
        shape: &LogShape,
    ) -> Result<(), Violation> {
        let id = view.id();
        let every_step = self.vantage == Vantage::EveryStep;
        if let (true, true, Some(base_term)) = (every_step, shape.base > 0, shape.base_term) {
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
            if every_step && term > view.term() {
                return Err(Violation::new(
                    NAME,
                    format!(
                        "node {id}: entry {index} has term {term} above the node's term {}",
                        view.term()
                    ),
                ));
            }
            let digest = self.digest(view, index, term)?;
            match self.entries.get(&(index, term)) {
                Some(record)
                    if record.digest.is_some() && digest.is_some() && record.digest != digest =>
                {
                    return Err(Violation::new(
                        NAME,
                        format!(
                            "entry {index} of term {term} differs between node {} and node {id} \
                             (payload digests {:016x} vs {:016x})",
                            record.first_seen_on,
                            record.digest.unwrap_or(0),
                            digest.unwrap_or(0)
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
                    if record.prev_term.is_none() || record.digest.is_none() {
                        let record = EntryRecord {
                            prev_term: record.prev_term.or(prev_term),
                            digest: record.digest.or(digest),
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
        Ok(())
    }

    /// The payload digest of entry `index` (term `term`) if the view
    /// exposes entries; an every-step view must, and consistently.
    fn digest(
        &self,
        view: &dyn NodeView,
        index: LogIndex,
        term: Term,
    ) -> Result<Option<u64>, Violation> {
        let id = view.id();
        let Some(entry) = view.entry(index) else {
            if self.vantage == Vantage::Sampled {
                return Ok(None);
            }
            return Err(Violation::new(
                NAME,
                format!("node {id}: term_at({index}) is {term} but entry({index}) is None"),
            ));
        };
        if entry.index != index || entry.term != term {
            return Err(Violation::new(
                NAME,
                format!(
                    "node {id}: entry({index}) reports index {} term {}, term_at says {term}",
                    entry.index, entry.term
                ),
            ));
        }
        Ok(Some(entry_digest(&entry)))
    }

    /// Forgets the last scan of a node (it crashed; its log will be recovered).
    pub fn forget(&mut self, id: NodeId) {
        self.shadows.remove(&id);
    }
}
