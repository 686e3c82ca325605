//! Leader completeness (Raft §5.4.1) and durability of commits: every entry
//! ever committed is in the log of every leader elected after the commit,
//! across crashes and restarts. An entry first seen applied when the highest
//! term anywhere was `T` must be held by any leader of a term above `T`.

use super::state_machine_safety::Committed;
use super::NodeView;
use faultline_raft::{LogIndex, Role};
use std::collections::BTreeMap;

/// Remembers which (leader, term, committed index) triples were verified,
/// so a long-lived leader is not re-checked from scratch every time.
#[derive(Debug, Default)]
pub struct LeaderCompleteness {
    verified: BTreeMap<(u64, u64), LogIndex>,
}

impl LeaderCompleteness {
    /// Describes every committed entry missing from a later leader's log.
    pub fn check(
        &mut self,
        views: &[NodeView],
        committed: &BTreeMap<LogIndex, Committed>,
    ) -> Vec<String> {
        let mut found = Vec::new();
        for v in views.iter().filter(|v| v.running && v.role == Role::Leader) {
            let from = self.verified.get(&(v.id, v.term)).copied().unwrap_or(0);
            let mut upto = from;
            for (&index, c) in committed.range(from + 1..) {
                upto = index;
                if v.term <= c.known_by_term || index <= v.snapshot_index {
                    continue;
                }
                if v.term_at(index) != Some(c.term) {
                    found.push(format!(
                        "leader n{} of term {} lacks committed index {index} (term {}, applied first by n{}): it holds {:?}",
                        v.id,
                        v.term,
                        c.term,
                        c.node,
                        v.term_at(index)
                    ));
                    break;
                }
            }
            self.verified.insert((v.id, v.term), upto);
        }
        found
    }
}
