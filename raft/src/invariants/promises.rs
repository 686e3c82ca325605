//! Durability of promises (Raft §5.1 and Figure 2, "Persistent state"): a
//! node that granted a vote, or acknowledged entries to a leader, still
//! holds that vote and those entries (or a snapshot covering them) after any
//! restart.
//!
//! Checked on durable state sampled after every step. A vote binds for
//! ever: the durable term never falls below it, and in its own term the
//! durable vote is the one granted. An acknowledgement binds until the
//! node's durable log legitimately replaces the entry (a later leader
//! overwrote an uncommitted entry): while the node runs, a durable log that
//! no longer holds the acknowledged entry withdraws the promise; across a
//! restart, a recovered log that lacks it broke the promise (the writes the
//! node acknowledged were never made durable).

use super::{names, LogShape, Violation};
use crate::{HardState, LogIndex, NodeId, Term};
use std::collections::BTreeMap;

const NAME: &str = names::PROMISE_DURABILITY;

/// A node's durable log, as far as promises are concerned.
pub trait DurableLog {
    /// The last index its snapshot covers (0: none).
    fn snapshot_index(&self) -> LogIndex;
    /// Its last index.
    fn last_index(&self) -> LogIndex;
    /// The term of the entry at `index`, if the log holds it.
    fn term_at(&self, index: LogIndex) -> Option<Term>;
}

impl DurableLog for LogShape {
    fn snapshot_index(&self) -> LogIndex {
        self.base
    }
    fn last_index(&self) -> LogIndex {
        self.last()
    }
    fn term_at(&self, index: LogIndex) -> Option<Term> {
        LogShape::term_at(self, index)
    }
}

/// What one node has promised in messages it sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Promises {
    /// The last vote it granted: (term, candidate).
    pub vote: Option<(Term, NodeId)>,
    /// The last entry it acknowledged to a leader: (index, term).
    pub acked: Option<(LogIndex, Term)>,
}

/// The standing promises of every node.
#[derive(Debug, Default)]
pub struct PromiseTracker {
    standing: BTreeMap<NodeId, Promises>,
}

impl PromiseTracker {
    /// Notes the node's newest promises (`None`: nothing new).
    pub fn promised(&mut self, id: NodeId, newest: Promises) {
        let p = self.standing.entry(id).or_default();
        if let Some(vote) = newest.vote {
            if p.vote.is_none_or(|(t, _)| vote.0 >= t) {
                p.vote = Some(vote);
            }
        }
        if newest.acked.is_some() {
            p.acked = newest.acked;
        }
    }

    /// Forgets node `id`'s promises: the environment destroyed its durable
    /// state (an injected disk corruption), which Raft assumes away.
    pub fn forgive(&mut self, id: NodeId) {
        self.standing.remove(&id);
    }

    /// Checks node `id`'s durable `hard_state` and `log` against its
    /// standing promises; `restarted` says whether it restarted since the
    /// last check (the state is then what it recovered).
    pub fn check(
        &mut self,
        id: NodeId,
        restarted: bool,
        hard_state: &HardState,
        log: &dyn DurableLog,
    ) -> Result<(), Violation> {
        let Some(p) = self.standing.get_mut(&id) else {
            return Ok(());
        };
        if let Some((term, candidate)) = p.vote {
            let kept = hard_state.term > term
                || (hard_state.term == term && hard_state.voted_for == Some(candidate));
            if !kept {
                return Err(Violation::new(
                    NAME,
                    format!(
                        "node {id} granted its term-{term} vote to node {candidate}, but its durable \
                         hard state{} is term {} vote {:?}",
                        if restarted { " after the restart" } else { "" },
                        hard_state.term,
                        hard_state.voted_for
                    ),
                ));
            }
        }
        if let Some((index, term)) = p.acked {
            let held = index <= log.snapshot_index() || log.term_at(index) == Some(term);
            if !held {
                p.acked = None;
                if restarted {
                    return Err(Violation::new(
                        NAME,
                        format!(
                            "node {id} acknowledged entry {index} of term {term} to a leader, but \
                             after the restart its log ends at {} ({:?} there) and its snapshot \
                             at {}",
                            log.last_index(),
                            log.term_at(index),
                            log.snapshot_index()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(base: LogIndex, terms: &[Term]) -> LogShape {
        LogShape {
            base,
            base_term: Some(1),
            terms: terms.to_vec(),
        }
    }

    fn hs(term: Term, voted_for: Option<NodeId>) -> HardState {
        HardState {
            term,
            voted_for,
            commit: 0,
        }
    }

    #[test]
    fn a_granted_vote_must_stay_in_the_durable_hard_state() {
        let mut t = PromiseTracker::default();
        t.promised(
            1,
            Promises {
                vote: Some((3, 2)),
                acked: None,
            },
        );
        assert!(t.check(1, false, &hs(3, Some(2)), &log(0, &[])).is_ok());
        assert!(
            t.check(1, false, &hs(4, None), &log(0, &[])).is_ok(),
            "a later term"
        );
        let forgot = t.check(1, true, &hs(3, None), &log(0, &[])).unwrap_err();
        assert_eq!(forgot.invariant, names::PROMISE_DURABILITY);
        assert!(
            t.check(1, true, &hs(2, Some(2)), &log(0, &[])).is_err(),
            "term fell"
        );
        // An older vote never replaces a newer one.
        t.promised(
            1,
            Promises {
                vote: Some((2, 5)),
                acked: None,
            },
        );
        assert!(t.check(1, false, &hs(3, Some(2)), &log(0, &[])).is_ok());
    }

    #[test]
    fn acknowledged_entries_must_survive_a_restart_unless_legitimately_replaced() {
        let mut t = PromiseTracker::default();
        t.promised(
            1,
            Promises {
                vote: None,
                acked: Some((3, 2)),
            },
        );
        assert!(t.check(1, false, &hs(2, None), &log(0, &[1, 2, 2])).is_ok());
        let lost = t
            .check(1, true, &hs(2, None), &log(0, &[1, 2]))
            .unwrap_err();
        assert!(lost.detail.contains("entry 3 of term 2"), "{lost}");
        // A running node whose log replaced the entry withdrew the promise.
        t.promised(
            1,
            Promises {
                vote: None,
                acked: Some((3, 2)),
            },
        );
        assert!(t.check(1, false, &hs(3, None), &log(0, &[1, 3, 3])).is_ok());
        assert!(t.check(1, true, &hs(3, None), &log(0, &[1])).is_ok());
        // A snapshot covering the entry keeps it.
        t.promised(
            1,
            Promises {
                vote: None,
                acked: Some((3, 2)),
            },
        );
        assert!(t.check(1, true, &hs(3, None), &log(5, &[])).is_ok());
    }
}
