//! Leader completeness (Raft §5.4.1): an entry committed in term `t` is in
//! the log of every leader of a term `>= t`, across crashes and restarts.
//! (A deposed leader of an older term that has not yet heard of its
//! successor may legitimately lack it.) Which leaders a committed entry
//! binds is the [`CommitRecord`]'s business; entries inside the leader's
//! snapshot are not looked at.

use super::committed::CommitRecord;
use super::{names, LogShape, Violation};
use crate::{LogIndex, NodeId, Term};

/// The first committed entry that leader `id` of `term` (whose log has
/// `shape`) lacks although it must hold it, with the index.
pub fn first_missing<'a>(
    id: NodeId,
    term: Term,
    shape: &LogShape,
    committed: impl Iterator<Item = (&'a LogIndex, &'a CommitRecord)>,
) -> Option<(LogIndex, Violation)> {
    for (&index, record) in committed {
        if record.binds_leaders_from_term > term || index <= shape.base {
            continue;
        }
        match shape.term_at(index) {
            Some(t) if t == record.entry_term => {}
            found => {
                let detail = format!(
                    "leader {id} of term {term} has {} at index {index}, which was committed \
                     with term {} (binding leaders from term {}; first seen on node {})",
                    found.map_or("no entry".to_string(), |t| format!("term {t}")),
                    record.entry_term,
                    record.binds_leaders_from_term,
                    record.first_seen_on
                );
                return Some((index, Violation::new(names::LEADER_COMPLETENESS, detail)));
            }
        }
    }
    None
}

/// Checks leader `id` of `term` against every committed entry it must hold.
pub fn check<'a>(
    id: NodeId,
    term: Term,
    shape: &LogShape,
    committed: impl Iterator<Item = (&'a LogIndex, &'a CommitRecord)>,
) -> Result<(), Violation> {
    match first_missing(id, term, shape, committed) {
        Some((_, violation)) => Err(violation),
        None => Ok(()),
    }
}
