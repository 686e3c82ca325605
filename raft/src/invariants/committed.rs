//! The record of every index some node was seen counting committed (or
//! applying), and the one entry it holds there: the evidence that commit
//! safety, state machine safety and leader completeness share.
//!
//! Each record also says from which term on every leader must hold it. An
//! every-step harness knows the lowest term in which a node counted the
//! index committed (the leader of that term committed it, so it and every
//! later leader hold it); a sampling harness only knows that a node applied
//! it while the highest term anywhere was `T`, so leaders of terms above `T`
//! were elected after the commit.

use super::Violation;
use crate::{LogIndex, NodeId, Term};
use std::collections::BTreeMap;

/// What is known about one committed index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommitRecord {
    /// The term of the committed entry.
    pub entry_term: Term,
    /// The entry's digest, when the observer saw its payload.
    pub digest: Option<u64>,
    /// Every leader of this term or a later one must hold the entry.
    pub binds_leaders_from_term: Term,
    /// The first node seen counting it committed.
    pub first_seen_on: NodeId,
}

/// One observation of a committed index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sighting {
    /// The index.
    pub index: LogIndex,
    /// The term of the entry there.
    pub entry_term: Term,
    /// Its digest, if known.
    pub digest: Option<u64>,
    /// Leaders of this term or later must hold it.
    pub binds_leaders_from_term: Term,
    /// The node that holds it.
    pub node: NodeId,
}

/// Every committed index seen so far, by index.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct CommittedLog {
    records: BTreeMap<LogIndex, CommitRecord>,
}

impl CommittedLog {
    /// Records a sighting; a different entry at a known index is a
    /// violation of `invariant` (the caller's property: commit safety when a
    /// commit index says so, state machine safety when a node applied it).
    pub fn record(&mut self, invariant: &'static str, seen: Sighting) -> Result<(), Violation> {
        let Some(record) = self.records.get_mut(&seen.index) else {
            self.records.insert(
                seen.index,
                CommitRecord {
                    entry_term: seen.entry_term,
                    digest: seen.digest,
                    binds_leaders_from_term: seen.binds_leaders_from_term,
                    first_seen_on: seen.node,
                },
            );
            return Ok(());
        };
        let digests_differ = matches!((record.digest, seen.digest), (Some(a), Some(b)) if a != b);
        if record.entry_term != seen.entry_term || digests_differ {
            return Err(Violation::new(
                invariant,
                format!(
                    "index {}: node {} holds it committed as term {}{} but node {} as term {}{}",
                    seen.index,
                    record.first_seen_on,
                    record.entry_term,
                    digest_note(record.digest),
                    seen.node,
                    seen.entry_term,
                    digest_note(seen.digest)
                ),
            ));
        }
        record.binds_leaders_from_term = record
            .binds_leaders_from_term
            .min(seen.binds_leaders_from_term);
        if record.digest.is_none() {
            record.digest = seen.digest;
        }
        Ok(())
    }

    /// The records with index in `range`, ascending.
    pub fn range(
        &self,
        range: impl std::ops::RangeBounds<LogIndex>,
    ) -> impl Iterator<Item = (&LogIndex, &CommitRecord)> {
        self.records.range(range)
    }

    /// The record at `index`, if it was seen committed.
    pub fn get(&self, index: LogIndex) -> Option<&CommitRecord> {
        self.records.get(&index)
    }

    /// The highest index seen committed (0: none).
    pub fn max_index(&self) -> LogIndex {
        self.records.keys().next_back().copied().unwrap_or(0)
    }

    /// How many distinct indices were seen committed.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no index was seen committed.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

fn digest_note(digest: Option<u64>) -> String {
    digest.map_or(String::new(), |d| format!(" (digest {d:016x})"))
}
