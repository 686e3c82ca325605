//! Leader completeness (Raft §5.4.1): an entry committed in term `t` is in
//! the log of every leader of a term `>= t`. (A deposed leader of an older
//! term that has not yet heard of its successor may legitimately lack it.)

use super::commit::CommitTracker;
use super::{LogShape, NodeView, Violation};

/// Checks a leader's log against every entry committed in its term or before.
pub fn check(
    view: &dyn NodeView,
    shape: &LogShape,
    commits: &CommitTracker,
) -> Result<(), Violation> {
    if !view.is_leader() {
        return Ok(());
    }
    let term = view.term();
    let id = view.id();
    for (&index, record) in commits.committed_range(shape.base + 1..) {
        if record.committed_in_term > term {
            continue;
        }
        match shape.term_at(index) {
            Some(t) if t == record.entry_term => {}
            found => {
                return Err(Violation::new(
                    "leader completeness",
                    format!(
                        "leader {id} of term {term} has {} at index {index}, which was committed \
                         with term {} (seen committed in term {} on node {})",
                        found.map_or("no entry".to_string(), |t| format!("term {t}")),
                        record.entry_term,
                        record.committed_in_term,
                        record.first_seen_on
                    ),
                ));
            }
        }
    }
    Ok(())
}
