//! Election safety (Raft §5.2): at most one leader per term, over the whole run.

use faultline_raft::{NodeId, Term};
use std::collections::BTreeMap;

/// Remembers the leader of every term ever seen.
#[derive(Debug, Default)]
pub struct ElectionSafety {
    leaders: BTreeMap<Term, NodeId>,
}

impl ElectionSafety {
    /// Notes that `id` is leader of `term`; describes a second leader.
    pub fn leader(&mut self, id: NodeId, term: Term) -> Option<String> {
        match self.leaders.get(&term) {
            None => {
                self.leaders.insert(term, id);
                None
            }
            Some(&first) if first == id => None,
            Some(&first) => Some(format!("two leaders in term {term}: n{first} and n{id}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_leader_in_one_term_is_reported_once_per_sighting() {
        let mut s = ElectionSafety::default();
        assert!(s.leader(1, 3).is_none());
        assert!(s.leader(1, 3).is_none());
        assert!(s.leader(2, 4).is_none());
        assert!(s.leader(2, 3).unwrap().contains("term 3"));
    }
}
