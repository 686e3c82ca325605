//! Each invariant fed hand-made observations, to prove that it can fail and
//! that it accepts what correct Raft does.

use super::commit::CommitTracker;
use super::committed::CommittedLog;
use super::election::ElectionSafety;
use super::log_matching::LogMatching;
use super::reads::ReadCheck;
use super::state_machine::{self, Applied, StateMachineSafety};
use super::{leader_completeness, names, LogShape, NodeView, Vantage};
use crate::{Entry, EntryPayload, LogIndex, NodeId, ReadOutcome, Term};

/// A hand-made node.
struct FakeNode {
    id: NodeId,
    term: Term,
    leader: bool,
    commit: LogIndex,
    /// `(term, payload)` of entries 1..
    log: Vec<(Term, &'static str)>,
    /// Whether `entry` exposes payloads (an every-step view) or not (a sampled one).
    payloads: bool,
}

impl NodeView for FakeNode {
    fn id(&self) -> NodeId {
        self.id
    }
    fn term(&self) -> Term {
        self.term
    }
    fn is_leader(&self) -> bool {
        self.leader
    }
    fn commit_index(&self) -> LogIndex {
        self.commit
    }
    fn first_index(&self) -> LogIndex {
        1
    }
    fn last_index(&self) -> LogIndex {
        self.log.len() as LogIndex
    }
    fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.log.get(index as usize - 1).map(|(t, _)| *t)
    }
    fn entry(&self, index: LogIndex) -> Option<Entry> {
        if !self.payloads {
            return None;
        }
        let (term, data) = self.log.get((index as usize).checked_sub(1)?)?;
        Some(Entry {
            term: *term,
            index,
            payload: EntryPayload::Command(data.as_bytes().to_vec()),
        })
    }
}

fn fake(id: NodeId, term: Term, commit: LogIndex, log: Vec<(Term, &'static str)>) -> FakeNode {
    FakeNode {
        id,
        term,
        leader: false,
        commit,
        log,
        payloads: true,
    }
}

fn sampled(id: NodeId, term: Term, log: Vec<(Term, &'static str)>) -> FakeNode {
    FakeNode {
        payloads: false,
        ..fake(id, term, 0, log)
    }
}

#[test]
fn election_safety_flags_two_leaders_in_one_term() {
    let mut check = ElectionSafety::default();
    assert!(check.observe(1, 3, true).is_ok());
    assert!(check.observe(2, 3, false).is_ok());
    assert!(check.observe(2, 4, true).is_ok());
    assert!(check.observe(1, 3, true).is_ok());
    let violation = check.observe(2, 3, true).unwrap_err();
    assert_eq!(violation.invariant, names::ELECTION_SAFETY);
    assert!(violation.detail.contains("term 3"), "{violation}");
    assert_eq!(check.term_max(), 4);
}

#[test]
fn log_matching_flags_same_index_and_term_with_different_payloads() {
    let mut check = LogMatching::default();
    let a = fake(1, 2, 0, vec![(1, "x"), (2, "y")]);
    let b = fake(2, 2, 0, vec![(1, "x"), (2, "z")]);
    assert!(check.observe(&a).is_ok());
    assert_eq!(
        check.observe(&b).unwrap_err().invariant,
        names::LOG_MATCHING
    );
}

#[test]
fn log_matching_flags_same_entry_after_different_prefixes() {
    for vantage in [Vantage::EveryStep, Vantage::Sampled] {
        let mut check = LogMatching::new(vantage);
        let (mut a, mut b) = (
            fake(1, 3, 0, vec![(1, "x"), (3, "y")]),
            fake(2, 3, 0, vec![(2, "w"), (3, "y")]),
        );
        a.payloads = vantage == Vantage::EveryStep;
        b.payloads = a.payloads;
        assert!(check.observe(&a).is_ok());
        let violation = check.observe(&b).unwrap_err();
        assert_eq!(violation.invariant, names::LOG_MATCHING, "{vantage:?}");
    }
}

#[test]
fn log_matching_accepts_a_legitimately_overwritten_suffix() {
    let mut check = LogMatching::default();
    let before = fake(1, 2, 1, vec![(1, "x"), (1, "stale")]);
    let after = fake(1, 2, 1, vec![(1, "x"), (2, "new")]);
    assert!(check.observe(&before).is_ok());
    assert!(check.observe(&after).is_ok());
}

#[test]
fn log_matching_flags_a_falling_term_and_sampled_views_skip_payloads() {
    let mut check = LogMatching::new(Vantage::Sampled);
    let a = sampled(1, 3, vec![(1, "x"), (2, "y"), (2, "z")]);
    let b = sampled(2, 3, vec![(1, "other payload"), (2, "q")]);
    assert!(check.observe(&a).is_ok());
    assert!(
        check.observe(&b).is_ok(),
        "payloads are unknown to a sampled view"
    );
    let falling = sampled(3, 3, vec![(2, "x"), (1, "y")]);
    assert_eq!(
        check.observe(&falling).unwrap_err().invariant,
        names::LOG_MATCHING
    );
    // An every-step view must expose every entry.
    let mut strict = LogMatching::new(Vantage::EveryStep);
    assert!(strict.observe(&sampled(1, 1, vec![(1, "x")])).is_err());
}

#[test]
fn log_matching_on_a_sampled_view_allows_entries_ahead_of_the_durable_term() {
    let ahead = sampled(1, 1, vec![(1, "x"), (2, "y")]);
    assert!(LogMatching::new(Vantage::Sampled).observe(&ahead).is_ok());
    let mut live = fake(1, 1, 0, vec![(1, "x"), (2, "y")]);
    live.payloads = true;
    assert!(LogMatching::new(Vantage::EveryStep).observe(&live).is_err());
}

#[test]
fn commit_check_flags_regression_and_disagreement() {
    let mut commits = CommitTracker::default();
    let mut committed = CommittedLog::default();
    let mut logs = LogMatching::default();
    let node = fake(1, 1, 2, vec![(1, "a"), (1, "b")]);
    let shape = logs.observe(&node).unwrap();
    assert!(commits.observe(1, 1, 2).is_ok());
    assert!(commits.observe_log(&node, &shape, &mut committed).is_ok());
    let violation = commits.observe(1, 1, 1).unwrap_err();
    assert_eq!(violation.invariant, names::COMMIT_MONOTONIC);
    let other = fake(2, 2, 2, vec![(1, "a"), (2, "c")]);
    let shape = logs.observe(&other).unwrap();
    let violation = commits.observe_log(&other, &shape, &mut committed);
    assert_eq!(violation.unwrap_err().invariant, names::COMMIT_SAFETY);
    let beyond = fake(3, 2, 5, vec![(1, "a")]);
    let shape = LogShape::scan(&beyond).unwrap();
    assert!(commits
        .observe_log(&beyond, &shape, &mut committed)
        .is_err());
}

#[test]
fn commit_and_term_may_only_fall_across_a_restart() {
    let mut commits = CommitTracker::default();
    assert!(commits.observe(1, 3, 5).is_ok());
    let violation = commits.observe(1, 2, 5).unwrap_err();
    assert_eq!(violation.invariant, names::TERM_MONOTONIC);
    commits.forget(1);
    assert!(commits.observe(1, 2, 1).is_ok());
    assert!(commits.observe(1, 2, 3).is_ok());
}

#[test]
fn leader_completeness_flags_a_leader_missing_a_committed_entry() {
    let mut commits = CommitTracker::default();
    let mut committed = CommittedLog::default();
    let follower = fake(1, 2, 2, vec![(1, "a"), (2, "b")]);
    let shape = LogMatching::default().observe(&follower).unwrap();
    commits
        .observe_log(&follower, &shape, &mut committed)
        .unwrap();
    let shape = LogShape {
        base: 0,
        base_term: Some(0),
        terms: vec![1],
    };
    let violation = leader_completeness::check(2, 3, &shape, committed.range(..)).unwrap_err();
    assert_eq!(violation.invariant, names::LEADER_COMPLETENESS);
    let (index, _) = leader_completeness::first_missing(2, 3, &shape, committed.range(..)).unwrap();
    assert_eq!(index, 2);
    // A stale leader of an older term may lack it.
    assert!(leader_completeness::check(2, 1, &shape, committed.range(..)).is_ok());
    // Entries inside the leader's snapshot are not looked at.
    let compacted = LogShape {
        base: 2,
        base_term: Some(2),
        terms: vec![],
    };
    assert!(leader_completeness::check(2, 3, &compacted, committed.range(..)).is_ok());
}

#[test]
fn applied_entries_bind_only_leaders_elected_after_them() {
    let mut committed = CommittedLog::default();
    let applied = |node, index, term, digest, term_max_seen| Applied {
        node,
        index,
        term,
        digest,
        term_max_seen,
    };
    state_machine::applied(applied(1, 1, 2, 7, 2), &mut committed).unwrap();
    state_machine::applied(applied(2, 1, 2, 7, 3), &mut committed).unwrap();
    let shape = LogShape {
        base: 0,
        base_term: Some(0),
        terms: vec![1],
    };
    // A leader of term 2 may predate the commit; one of term 3 may not.
    assert!(leader_completeness::check(5, 2, &shape, committed.range(..)).is_ok());
    assert!(leader_completeness::check(5, 3, &shape, committed.range(..)).is_err());
    let conflict = state_machine::applied(applied(3, 1, 2, 8, 3), &mut committed).unwrap_err();
    assert_eq!(conflict.invariant, names::STATE_MACHINE_SAFETY);
    assert!(conflict.detail.contains("index 1"), "{conflict}");
    assert!(state_machine::applied(applied(3, 1, 3, 7, 3), &mut committed).is_err());
    assert_eq!(committed.len(), 1);
}

#[test]
fn a_snapshot_must_record_the_committed_term_of_its_last_entry() {
    let mut committed = CommittedLog::default();
    let entry = Applied {
        node: 1,
        index: 4,
        term: 2,
        digest: 7,
        term_max_seen: 3,
    };
    state_machine::applied(entry, &mut committed).unwrap();
    // A snapshot carries no payload digest: its term alone is compared.
    assert!(state_machine::snapshot_held(2, 4, 2, 3, &mut committed).is_ok());
    let wrong = state_machine::snapshot_held(3, 4, 3, 3, &mut committed).unwrap_err();
    assert_eq!(wrong.invariant, names::STATE_MACHINE_SAFETY);
    assert!(wrong.detail.contains("index 4"), "{wrong}");
    // A snapshot seen first is the record later entries must match.
    state_machine::snapshot_held(2, 9, 3, 3, &mut committed).unwrap();
    let later = Applied {
        index: 9,
        term: 1,
        ..entry
    };
    assert!(state_machine::applied(later, &mut committed).is_err());
}

#[test]
fn state_checkpoints_flag_a_node_whose_whole_state_differs() {
    let mut states = state_machine::StateCheckpoints::default();
    assert!(states.record(1, 64, 0xaa).is_ok());
    assert!(states.record(2, 64, 0xaa).is_ok());
    assert!(states.record(2, 128, 0xbb).is_ok());
    let v = states.record(3, 64, 0xcc).unwrap_err();
    assert_eq!(v.invariant, names::STATE_MACHINE_SAFETY);
    assert!(
        v.detail.contains("index 64") && v.detail.contains("node 3"),
        "{v}"
    );
    // The first report stays the reference.
    assert!(states.record(3, 64, 0xaa).is_ok());
}

#[test]
fn state_machine_safety_flags_different_states_at_one_index() {
    let mut check = StateMachineSafety::default();
    assert!(check.reached(1, 1, 0xaaaa, 1, "applied").is_ok());
    assert!(check.reached(2, 1, 0xaaaa, 1, "applied").is_ok());
    let violation = check.reached(3, 1, 0xbbbb, 1, "applied").unwrap_err();
    assert_eq!(violation.invariant, names::STATE_MACHINE_SAFETY);
    let beyond_commit = check.reached(1, 2, 0xcccc, 1, "applied").unwrap_err();
    assert_eq!(beyond_commit.invariant, names::STATE_MACHINE_SAFETY);
    let gap = check.reached(1, 3, 0xcccc, 3, "applied").unwrap_err();
    assert!(gap.detail.contains("no node ever applied"), "{gap}");
}

#[test]
fn read_check_flags_a_read_below_an_acknowledged_write() {
    let mut check = ReadCheck::default();
    check.acknowledged(5);
    check.issued(1, 1);
    let stale = check.answered(1, 1, &ReadOutcome::Ready { index: 4 }, 9);
    assert_eq!(stale.unwrap_err().invariant, names::READ_LINEARIZABILITY);
    check.issued(2, 1);
    assert!(check
        .answered(2, 1, &ReadOutcome::Ready { index: 5 }, 9)
        .is_ok());
}
