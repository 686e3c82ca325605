//! Acknowledged means committed (Raft §5.3 and §8): when a node answers a
//! client's write with its result, the entry the client waited for is
//! committed. Two things must hold at that moment: the entry (its index and
//! term) is in the durable logs of a majority of the cluster (or covered by
//! their snapshots), and the entry committed at that index is that entry,
//! so the result the client was given is the result of its own command.
//!
//! A node that answers before its followers' writes are durable, or that
//! hands a waiter the result of another term's entry at the same index,
//! breaks this rule at once, without waiting for a crash or a second leader
//! to make it visible in the history.

use super::committed::CommittedLog;
use super::promises::DurableLog;
use super::{names, Violation};
use crate::{LogIndex, NodeId, Term};

const NAME: &str = names::ACKNOWLEDGED_COMMITTED;

/// One write a node acknowledged to a client: the entry the client waited
/// for (the index and term its proposal was appended at).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckedWrite {
    /// The node that answered.
    pub node: NodeId,
    /// The index the proposal was appended at.
    pub index: LogIndex,
    /// The term it was appended in.
    pub term: Term,
}

/// Checks one acknowledged write against the durable logs of every voter
/// (`logs`, one per node of the cluster) and the committed entries seen so
/// far (`committed`, which already holds what the answering node applied).
pub fn check<'a>(
    ack: AckedWrite,
    logs: impl IntoIterator<Item = &'a dyn DurableLog>,
    committed: &CommittedLog,
) -> Result<(), Violation> {
    if let Some(record) = committed.get(ack.index) {
        if record.entry_term != ack.term {
            return Err(Violation::new(
                NAME,
                format!(
                    "node {} acknowledged a client's write appended at index {} in term {}, \
                     but the entry committed at index {} is from term {}: the client was given \
                     another command's result",
                    ack.node, ack.index, ack.term, ack.index, record.entry_term
                ),
            ));
        }
    }
    let (mut holders, mut voters) = (0usize, 0usize);
    for log in logs {
        voters += 1;
        let covered = log.snapshot_index() >= ack.index;
        if covered || log.term_at(ack.index) == Some(ack.term) {
            holders += 1;
        }
    }
    let majority = voters / 2 + 1;
    if holders < majority {
        return Err(Violation::new(
            NAME,
            format!(
                "node {} acknowledged a client's write at index {} (term {}) while only {} of \
                 {} nodes held it durably (a majority is {}): a crash now could lose an \
                 acknowledged write",
                ack.node, ack.index, ack.term, holders, voters, majority
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invariants::committed::Sighting;
    use crate::invariants::LogShape;

    fn log(terms: &[Term]) -> LogShape {
        LogShape {
            base: 0,
            base_term: Some(0),
            terms: terms.to_vec(),
        }
    }

    fn committed(index: LogIndex, term: Term) -> CommittedLog {
        let mut c = CommittedLog::default();
        c.record(
            names::STATE_MACHINE_SAFETY,
            Sighting {
                index,
                entry_term: term,
                digest: None,
                binds_leaders_from_term: term,
                node: 1,
            },
        )
        .unwrap();
        c
    }

    fn run(ack: AckedWrite, logs: &[LogShape], c: &CommittedLog) -> Result<(), Violation> {
        check(ack, logs.iter().map(|l| l as &dyn DurableLog), c)
    }

    const ACK: AckedWrite = AckedWrite {
        node: 1,
        index: 2,
        term: 1,
    };

    #[test]
    fn an_ack_held_by_a_majority_and_committed_as_its_own_entry_passes() {
        let logs = [
            log(&[1, 1]),
            log(&[1, 1]),
            log(&[1]),
            log(&[1, 1]),
            log(&[]),
        ];
        run(ACK, &logs, &committed(2, 1)).unwrap();
        // A snapshot past the index covers it.
        let snap = LogShape {
            base: 5,
            base_term: Some(1),
            terms: vec![],
        };
        let logs = [log(&[1, 1]), snap.clone(), snap, log(&[]), log(&[])];
        run(ACK, &logs, &committed(2, 1)).unwrap();
    }

    #[test]
    fn an_ack_held_durably_by_a_minority_fails() {
        let logs = [log(&[1, 1]), log(&[1, 1]), log(&[1]), log(&[1]), log(&[])];
        let v = run(ACK, &logs, &committed(2, 1)).unwrap_err();
        assert_eq!(v.invariant, NAME);
        assert!(v.detail.contains("only 2 of 5"), "{}", v.detail);
    }

    #[test]
    fn an_ack_whose_index_committed_another_terms_entry_fails() {
        let logs = [log(&[1, 2]), log(&[1, 2]), log(&[1, 2])];
        let v = run(ACK, &logs, &committed(2, 2)).unwrap_err();
        assert!(v.detail.contains("from term 2"), "{}", v.detail);
    }
}
