//! Election safety (Raft §5.2): at most one leader per term, over the whole run.

use super::{names, Violation};
use crate::{NodeId, Term};
use std::collections::BTreeMap;

/// Remembers who led each term.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct ElectionSafety {
    leaders: BTreeMap<Term, NodeId>,
}

impl ElectionSafety {
    /// Records that `id` is (or is not) leader in `term`.
    pub fn observe(&mut self, id: NodeId, term: Term, is_leader: bool) -> Result<(), Violation> {
        if !is_leader {
            return Ok(());
        }
        match self.leaders.get(&term) {
            Some(&other) if other != id => Err(Violation::new(
                names::ELECTION_SAFETY,
                format!("two leaders in term {term}: nodes {other} and {id}"),
            )),
            Some(_) => Ok(()),
            None => {
                self.leaders.insert(term, id);
                Ok(())
            }
        }
    }

    /// How many terms had a leader.
    pub fn terms_with_leader(&self) -> usize {
        self.leaders.len()
    }

    /// The highest term that had a leader (0: none).
    pub fn term_max(&self) -> Term {
        self.leaders.keys().next_back().copied().unwrap_or(0)
    }
}
