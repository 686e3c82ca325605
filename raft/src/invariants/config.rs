//! Configuration invariants (Raft §6, thesis §4), over the configuration
//! entries of one node's log and the configuration it has in force:
//!
//! - **config in force** (§6, thesis §4.1): a node uses the latest
//!   configuration in its log, committed or not (the snapshot's, or the
//!   bootstrap one, if the log holds none); a truncated entry rolls back;
//! - **config change shape**: each configuration entry follows the one
//!   before it by a single-server change (the voters differ by at most one
//!   node), by entering the joint configuration C_old,new (its outgoing
//!   voters are exactly the voters before), or by leaving it (same voters,
//!   no outgoing ones); a joiner's first configuration follows none it
//!   knows, and is not checked;
//! - **one change in flight** (thesis §4.1): a leader's log holds at most one
//!   configuration entry of its term above its commit index;
//! - **change after term commit** (thesis §4.1): a leader appends a
//!   configuration entry of its term only once an entry of its term has
//!   committed;
//! - **commit quorum** ([`check_commit_quorum`]): an index a leader commits
//!   is held by a quorum of the configuration in force, a majority of each
//!   half while joint.
//!
//! Sound only where payloads are visible ([`NodeView::entry`] and
//! [`NodeView::membership`] return something); otherwise the checks are
//! skipped.

use super::{names, LogShape, NodeView, Violation};
use crate::core::quorum;
use crate::types::{EntryPayload, LogIndex, Membership, NodeId, Term};

/// Checks one node's configuration entries and the configuration it has in
/// force (skipped when the view does not expose them).
pub fn check_log(view: &dyn NodeView, shape: &LogShape) -> Result<(), Violation> {
    let (Some(in_force), Some(base)) = (view.membership(), view.base_membership()) else {
        return Ok(());
    };
    let id = view.id();
    let mut latest = base;
    let mut of_term_uncommitted = 0usize;
    // From the snapshot's boundary on: entries of the term may be compacted.
    let first_of_term =
        (shape.base..=shape.last()).find(|&i| shape.term_at(i) == Some(view.term()));
    for index in shape.base + 1..=shape.last() {
        let Some(entry) = view.entry(index) else {
            return Ok(());
        };
        let EntryPayload::Membership(next) = entry.payload else {
            continue;
        };
        // A joiner starts with no configuration: its first one can be anything.
        let known = !latest.voters.is_empty();
        if let (true, Err(why)) = (known, valid_step(&latest, &next)) {
            return Err(Violation::new(
                names::CONFIG_CHANGE_SHAPE,
                format!("node {id}: the configuration at {index} ({next}) follows {latest}: {why}"),
            ));
        }
        if view.is_leader() && entry.term == view.term() {
            if index > view.commit_index() {
                of_term_uncommitted += 1;
            }
            let term_committed = first_of_term.is_some_and(|f| f <= view.commit_index());
            if !term_committed {
                return Err(Violation::new(
                    names::CHANGE_AFTER_TERM_COMMIT,
                    format!(
                        "leader {id} of term {} appended a configuration at {index} before \
                         any entry of its term committed (commit {})",
                        view.term(),
                        view.commit_index()
                    ),
                ));
            }
        }
        latest = next;
    }
    if of_term_uncommitted > 1 {
        return Err(Violation::new(
            names::ONE_CHANGE_IN_FLIGHT,
            format!(
                "leader {id} of term {} has {of_term_uncommitted} configuration entries of its \
                 term above its commit index {}",
                view.term(),
                view.commit_index()
            ),
        ));
    }
    if in_force != latest {
        return Err(Violation::new(
            names::CONFIG_IN_FORCE,
            format!(
                "node {id} uses {in_force}, but the latest configuration in its log (up to {}) \
                 is {latest}",
                shape.last()
            ),
        ));
    }
    Ok(())
}

/// Whether `next` may follow `prev` in a log: a single-server change, or
/// entering or leaving a joint configuration.
pub fn valid_step(prev: &Membership, next: &Membership) -> Result<(), String> {
    if next.is_joint() {
        if prev.is_joint() {
            return Err("a joint configuration follows another joint one".to_string());
        }
        if next.outgoing != prev.voters {
            return Err("its old voters are not the voters before it".to_string());
        }
        return Ok(());
    }
    if prev.is_joint() {
        if next.voters != prev.voters {
            return Err("leaving the joint configuration changes the new voters".to_string());
        }
        return Ok(());
    }
    let differing = prev.voters.symmetric_difference(&next.voters).count();
    if differing > 1 {
        return Err(format!(
            "{differing} voters change at once without a joint configuration"
        ));
    }
    Ok(())
}

/// Checks that index `index` (of term `term`), which leader `leader` just
/// committed under `membership`, is held by a quorum of it: `holds(node)`
/// tells whether a node holds the entry (harnesses may over-approximate,
/// never under-approximate, to stay sound).
pub fn check_commit_quorum(
    leader: NodeId,
    index: LogIndex,
    term: Term,
    membership: &Membership,
    holds: impl Fn(NodeId) -> bool,
) -> Result<(), Violation> {
    if quorum::has_quorum(membership, &holds) {
        return Ok(());
    }
    let holders: Vec<String> = membership
        .all_voters()
        .filter(|&v| holds(v))
        .map(|v| format!("n{v}"))
        .collect();
    Err(Violation::new(
        names::COMMIT_QUORUM,
        format!(
            "leader {leader} committed index {index} (term {term}) held only by [{}] of \
             {membership} (Raft §6: a majority of each half while joint)",
            holders.join(",")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joint(old: &[NodeId], new: &[NodeId]) -> Membership {
        let mut m = Membership::new(new.iter().copied());
        m.outgoing = old.iter().copied().collect();
        m
    }

    #[test]
    fn single_server_and_joint_steps_are_valid_and_others_not() {
        let three = Membership::new([1, 2, 3]);
        assert!(valid_step(&three, &Membership::new([1, 2, 3, 4])).is_ok());
        assert!(valid_step(&three, &Membership::new([1, 2])).is_ok());
        assert!(valid_step(&three, &Membership::new([1, 2, 4])).is_err());
        assert!(valid_step(&three, &Membership::new([1, 2, 3, 4, 5])).is_err());
        let entering = joint(&[1, 2, 3], &[3, 4, 5]);
        assert!(valid_step(&three, &entering).is_ok());
        assert!(valid_step(&Membership::new([1, 2]), &entering).is_err());
        assert!(valid_step(&entering, &Membership::new([3, 4, 5])).is_ok());
        assert!(valid_step(&entering, &Membership::new([3, 4])).is_err());
        assert!(valid_step(&entering, &joint(&[3, 4, 5], &[1])).is_err());
    }

    #[test]
    fn a_commit_needs_a_majority_of_each_half_while_joint() {
        let m = joint(&[1, 2, 3], &[3, 4, 5]);
        assert!(check_commit_quorum(1, 7, 2, &m, |n| [1, 2, 3, 4].contains(&n)).is_ok());
        // Two of the union reach the larger majority (2 of 3) of neither half's
        // own count: 1 and 2 are a majority of C_old only.
        let err = check_commit_quorum(1, 7, 2, &m, |n| [1, 2].contains(&n)).unwrap_err();
        assert_eq!(err.invariant, names::COMMIT_QUORUM);
        assert!(check_commit_quorum(1, 7, 2, &Membership::new([1, 2, 3]), |n| n <= 2).is_ok());
    }
}
