//! The durable state a core restarts from, in the core's own terms: the
//! hard state, the snapshot and the entries after it. Storage recovers its
//! own record of what is on disk and converts it into a [`DurableState`];
//! the core never depends on a storage type.

use crate::core::error::CoreError;
use crate::core::raft_log::RaftLog;
use crate::types::{Entry, HardState, Snapshot};

/// What a node made durable before it stopped: everything
/// [`crate::Raft::restore`] needs to rebuild the core.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DurableState {
    /// The last durable hard state (default if none was ever saved).
    pub hard_state: HardState,
    /// The newest durable snapshot, if any.
    pub snapshot: Option<Snapshot>,
    /// The durable entries after the snapshot, contiguous and ascending.
    pub entries: Vec<Entry>,
}

/// A durable state split for the core: the hard state to resume in, the
/// one on disk (they differ when the log was ahead of it: the core then
/// writes the resumed one before anything else), and the log.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub(crate) hard_state: HardState,
    pub(crate) durable_hard_state: HardState,
    pub(crate) log: RaftLog,
}

impl DurableState {
    /// Checks the state is consistent (no gap in the entries, terms never
    /// going backwards) and splits it into the hard state and the in-memory
    /// log.
    ///
    /// A hard-state term older than the log's last term is not corruption:
    /// entries and hard state are separate writes, and a crash or a failed
    /// write between them (the hard state's write failing after the
    /// entries', say) leaves entries of a term the hard state never
    /// recorded. The node promised nothing in that term (every message of a
    /// term leaves only once the term is durable, a vote only once the vote
    /// is), so it resumes in the log's last term with no vote cast.
    pub(crate) fn into_parts(self) -> Result<Recovered, CoreError> {
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
        let durable_hard_state = hard_state;
        let hard_state = if hard_state.term < prev_term {
            tracing::warn!(
                hard_state_term = hard_state.term,
                log_term = prev_term,
                "durable log is ahead of the durable term; resuming in the log's term"
            );
            HardState {
                term: prev_term,
                voted_for: None,
                commit: hard_state.commit,
            }
        } else {
            hard_state
        };
        Ok(Recovered {
            hard_state,
            durable_hard_state,
            log: RaftLog::from_parts(snapshot, entries),
        })
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
        let r = state(Some((4, 2)), vec![e(5, 2), e(6, 3)], 3)
            .into_parts()
            .expect("consistent");
        assert_eq!(r.hard_state.term, 3);
        assert_eq!(r.hard_state, r.durable_hard_state);
        assert_eq!((r.log.snapshot_index(), r.log.last_index()), (4, 6));
    }

    #[test]
    fn gaps_and_backward_terms_are_refused() {
        let gap = state(Some((4, 2)), vec![e(6, 2)], 2);
        let backwards = state(None, vec![e(1, 2), e(2, 1)], 2);
        for bad in [gap, backwards] {
            assert!(matches!(bad.into_parts(), Err(CoreError::InvalidState(_))));
        }
    }

    #[test]
    fn a_log_ahead_of_the_hard_state_resumes_in_its_term_without_a_vote() {
        let mut ahead = state(Some((4, 2)), vec![e(5, 3)], 2);
        ahead.hard_state.voted_for = Some(1);
        ahead.hard_state.commit = 4;
        let r = ahead.into_parts().expect("recoverable");
        let hs = r.hard_state;
        assert_eq!((hs.term, hs.voted_for, hs.commit), (3, None, 4));
        assert_eq!(r.durable_hard_state.term, 2, "the disk still says term 2");
        assert_eq!(r.log.last_index(), 5);
        // The snapshot's term counts too.
        let r = state(Some((4, 5)), vec![], 2).into_parts().unwrap();
        assert_eq!(r.hard_state.term, 5);
        // A hard state ahead of the log is kept as it is.
        let r = state(None, vec![e(1, 1)], 4).into_parts().unwrap();
        assert_eq!((r.hard_state.term, r.hard_state.voted_for), (4, None));
    }
}
