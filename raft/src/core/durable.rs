//! The durable state a core restarts from, in the core's own terms: the
//! hard state, the snapshot and the entries after it. Storage recovers its
//! own record of what is on disk and converts it into a [`DurableState`];
//! the core never depends on a storage type.

use crate::core::error::CoreError;
use crate::core::raft_log::RaftLog;
use crate::types::{Entry, HardState, Snapshot};

/// What a node made durable before it stopped: everything
/// [`crate::Raft::restore`] needs to rebuild the core.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DurableState {
    /// The last durable hard state (default if none was ever saved).
    pub hard_state: HardState,
    /// The newest durable snapshot, if any.
    pub snapshot: Option<Snapshot>,
    /// The durable entries after the snapshot, contiguous and ascending.
    pub entries: Vec<Entry>,
}

impl DurableState {
    /// Checks the state is consistent (no gap in the entries, terms never
    /// going backwards, a hard-state term no older than the log) and splits
    /// it into the hard state and the in-memory log.
    pub(crate) fn into_parts(self) -> Result<(HardState, RaftLog), CoreError> {
        let DurableState {
            hard_state,
            snapshot,
            entries,
        } = self;
        let (mut expected, mut prev_term) = snapshot.as_ref().map_or((1, 0), |s| {
            (s.meta.last_index.saturating_add(1), s.meta.last_term)
        });
        for entry in &entries {
            if entry.index != expected {
                return Err(CoreError::InvalidState(format!(
                    "entry index {} where {} was expected",
                    entry.index, expected
                )));
            }
            if entry.term < prev_term {
                return Err(CoreError::InvalidState(format!(
                    "entry {} has term {} below the previous term {}",
                    entry.index, entry.term, prev_term
                )));
            }
            expected = expected.saturating_add(1);
            prev_term = entry.term;
        }
        if hard_state.term < prev_term {
            return Err(CoreError::InvalidState(format!(
                "hard-state term {} is older than the last log term {}",
                hard_state.term, prev_term
            )));
        }
        Ok((hard_state, RaftLog::from_parts(snapshot, entries)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{EntryPayload, LogIndex, Membership, SnapshotMeta, Term};

    fn e(index: LogIndex, term: Term) -> Entry {
        Entry {
            term,
            index,
            payload: EntryPayload::Noop,
        }
    }

    fn state(
        snapshot_at: Option<(LogIndex, Term)>,
        entries: Vec<Entry>,
        term: Term,
    ) -> DurableState {
        DurableState {
            hard_state: HardState {
                term,
                voted_for: None,
                commit: 0,
            },
            snapshot: snapshot_at.map(|(last_index, last_term)| Snapshot {
                meta: SnapshotMeta {
                    last_index,
                    last_term,
                    membership: Membership::new([1]),
                },
                data: Vec::new(),
            }),
            entries,
        }
    }

    #[test]
    fn a_consistent_state_becomes_a_log() {
        let (hs, log) = state(Some((4, 2)), vec![e(5, 2), e(6, 3)], 3)
            .into_parts()
            .expect("consistent");
        assert_eq!(hs.term, 3);
        assert_eq!((log.snapshot_index(), log.last_index()), (4, 6));
    }

    #[test]
    fn gaps_backward_terms_and_old_hard_states_are_refused() {
        let gap = state(Some((4, 2)), vec![e(6, 2)], 2);
        let backwards = state(None, vec![e(1, 2), e(2, 1)], 2);
        let old_term = state(None, vec![e(1, 3)], 2);
        for bad in [gap, backwards, old_term] {
            assert!(matches!(bad.into_parts(), Err(CoreError::InvalidState(_))));
        }
    }
}
