//! Every seeded bug of the catalogue ([`faultline_raft::bugs`]) breaks the
//! rule it names, in a minimal scenario: each scenario returns whether the
//! rule held, and must hold for correct Raft and break with the bug on.
//! The match in [`scenario`] has no wildcard, so a bug added to the
//! catalogue without a scenario does not compile.

#![cfg(feature = "bug-catalogue")]

mod core_net;

use core_net::{cmd, config, msg, Net};
use faultline_raft::bugs::{Bug, BugSet};
use faultline_raft::kv::{KvCommand, KvOp, KvStateMachine, SessionLimits};
use faultline_raft::{
    Config, HardState, Input, Membership, MembershipChange, MembershipChangeOutcome, MessageBody,
    Raft, ReadMode, ReadOutcome, RecoveredState, Role, SnapshotMeta,
};

/// The scenario that shows `bug`'s rule, if it is a core bug.
fn scenario(bug: Bug) -> Option<fn(BugSet) -> bool> {
    Some(match bug {
        Bug::Figure8Commit => figure_8,
        Bug::UpToDateByLength => up_to_date_by_last_term,
        Bug::CommitQuorumOffByOne => commit_needs_a_majority,
        Bug::FollowerCommitToLastIndex => follower_commit_bounded_by_new_entries,
        Bug::TruncateOnMatchingEntries => matching_entries_are_kept,
        Bug::StaleTermAppendAccepted => stale_append_refused,
        Bug::VoteFromEarlierTerm => votes_count_only_in_their_term,
        Bug::NoStepDownOnHigherTerm => leader_steps_down_on_higher_term_answer,
        Bug::VoteNotDurable => vote_is_persisted,
        Bug::ReadBeforeFirstCommit => read_index_is_a_commit_of_the_leaders_term,
        Bug::ReadIndexNoHeartbeat => read_index_waits_for_a_round,
        Bug::LeaseNoDriftBound => lease_ends_before_drift_bound,
        Bug::LeaseOutlivesElectionTimeout => lease_ends_before_election_timeout,
        Bug::NoCheckQuorum => a_leader_cut_off_stops_leading,
        Bug::SnapshotInstallWrongLastTerm => a_snapshot_keeps_its_last_term,
        Bug::SessionNoDedup => a_retry_executes_once,
        Bug::SessionTableNotInSnapshot => a_retry_after_a_snapshot_executes_once,
        Bug::JointQuorumLargerMajority => joint_commit_needs_both_majorities,
        Bug::ChangeBeforeTermCommit => no_change_before_the_leaders_first_commit,
        Bug::ConfigAtCommit => a_configuration_is_in_force_when_appended,
        Bug::TwoChangesInFlight => one_change_in_flight,
        // Node driver, client and storage bugs: shown where those layers
        // run (`node/driver/bug_tests.rs`, `tests/node_bugs.rs`,
        // `tests/node_client_outcomes.rs`, `storage/wal/tests.rs`).
        Bug::AckWrongResultAfterLeaderChange
        | Bug::FollowerLocalReads
        | Bug::RetryNewSequence
        | Bug::WalSkipDirSync
        | Bug::AckBeforeDurable => return None,
    })
}

#[test]
fn every_core_bug_breaks_its_rule_and_correct_raft_keeps_it() {
    for &bug in Bug::ALL {
        let Some(holds) = scenario(bug) else {
            continue;
        };
        assert!(holds(BugSet::NONE), "{bug}: correct Raft breaks the rule");
        assert!(
            !holds(BugSet::of([bug])),
            "{bug}: the switch changes nothing"
        );
    }
}

#[test]
fn a_configuration_with_bugs_validates_only_in_a_catalogue_build() {
    let mut c = config(1);
    c.bugs = BugSet::of([Bug::Figure8Commit]);
    assert!(c.validate().is_ok());
}

fn with_bugs(bugs: BugSet) -> impl Fn(&mut Config) {
    move |c: &mut Config| {
        c.pre_vote = false;
        c.bugs = bugs;
    }
}

fn restored(id: u64, n: u64, entries: Vec<faultline_raft::Entry>, term: u64, bugs: BugSet) -> Raft {
    let mut c = config(id);
    with_bugs(bugs)(&mut c);
    let state = RecoveredState {
        hard_state: HardState {
            term,
            voted_for: None,
            commit: 0,
        },
        snapshot: None,
        entries,
        truncated_at: None,
    };
    Raft::restore(c, Membership::new(1..=n), state, id).expect("restore")
}

fn append(
    prev: u64,
    prev_term: u64,
    entries: Vec<faultline_raft::Entry>,
    commit: u64,
) -> MessageBody {
    MessageBody::AppendEntries {
        prev_log_index: prev,
        prev_log_term: prev_term,
        entries,
        leader_commit: commit,
        read_round: 0,
    }
}

fn append_ack(match_index: u64) -> MessageBody {
    MessageBody::AppendEntriesResponse {
        success: true,
        match_index,
        conflict_term: None,
        conflict_index: 0,
        rejected_index: 0,
        read_round: 0,
    }
}

/// Figure 8: a leader of term 3 holding an uncommitted term-2 entry at
/// index 2 must not commit it when a majority acknowledges index 2.
fn figure_8(bugs: BugSet) -> bool {
    let log = vec![cmd(1, 1, b"a"), cmd(2, 2, b"b")];
    let mut leader = restored(1, 3, log, 2, bugs);
    // Become leader of term 3 with votes from 2 and 3, then hold back the
    // new term's no-op: only index 2 is acknowledged by node 2.
    leader.step(Input::Tick).ok();
    for _ in 0..100 {
        if leader.role() != Role::Follower {
            break;
        }
        leader.step(Input::Tick).ok();
    }
    let term = leader.term();
    for from in [2, 3] {
        let granted = MessageBody::RequestVoteResponse {
            pre_vote: false,
            granted: true,
        };
        leader
            .step(Input::Message(msg(from, 1, term, granted)))
            .ok();
    }
    assert_eq!(leader.role(), Role::Leader);
    let _ = leader.take_output();
    leader.step(Input::Persisted { index: 2, term: 2 }).ok();
    leader
        .step(Input::Message(msg(2, 1, term, append_ack(2))))
        .ok();
    leader.commit_index() < 2
}

/// A voter whose log ends with a term-2 entry refuses a longer log ending in term 1.
fn up_to_date_by_last_term(bugs: BugSet) -> bool {
    let mut voter = restored(1, 3, vec![cmd(1, 1, b"a"), cmd(2, 2, b"b")], 2, bugs);
    let request = MessageBody::RequestVote {
        pre_vote: false,
        last_log_index: 3,
        last_log_term: 1,
        transfer: false,
    };
    voter.step(Input::Message(msg(2, 1, 3, request))).ok();
    !voter.take_output().messages.iter().any(|m| {
        matches!(
            m.body,
            MessageBody::RequestVoteResponse { granted: true, .. }
        )
    })
}

/// In a cluster of five, an entry held by the leader and one follower is not committed.
fn commit_needs_a_majority(bugs: BugSet) -> bool {
    let mut net = Net::new(5, with_bugs(bugs));
    net.elect(1);
    for id in [3, 4, 5] {
        net.isolated.insert(id);
    }
    net.propose(1, b"x");
    let last = net.raft(1).last_index();
    net.raft(1).commit_index() < last
}

/// A follower with a stale tail commits only what the leader's entries proved.
fn follower_commit_bounded_by_new_entries(bugs: BugSet) -> bool {
    let log = vec![cmd(1, 1, b"a"), cmd(2, 1, b"b"), cmd(3, 1, b"stale")];
    let mut f = restored(2, 3, log, 1, bugs);
    // The leader of term 2 proves only index 2 and has committed up to 3 (its own entry 3).
    f.step(Input::Message(msg(
        1,
        2,
        2,
        append(1, 1, vec![cmd(2, 1, b"b")], 3),
    )))
    .ok();
    f.commit_index() <= 2
}

/// A delayed, shorter copy of an append does not remove later entries.
fn matching_entries_are_kept(bugs: BugSet) -> bool {
    let mut f = restored(2, 3, vec![], 0, bugs);
    let all: Vec<_> = (1..=5).map(|i| cmd(i, 1, &[i as u8])).collect();
    f.step(Input::Message(msg(1, 2, 1, append(0, 0, all.clone(), 0))))
        .ok();
    f.step(Input::Message(msg(
        1,
        2,
        1,
        append(1, 1, all[1..3].to_vec(), 0),
    )))
    .ok();
    f.last_index() == 5
}

/// A follower in term 3 refuses entries from a leader of term 2.
fn stale_append_refused(bugs: BugSet) -> bool {
    let mut f = restored(2, 3, vec![cmd(1, 3, b"new")], 3, bugs);
    f.step(Input::Message(msg(
        1,
        2,
        2,
        append(0, 0, vec![cmd(1, 2, b"old")], 0),
    )))
    .ok();
    f.term_at(1) == Some(3)
}

/// A follower of term 3 installing a snapshot whose last entry (index 4)
/// is of term 2 records term 2 there, and so accepts the leader's next
/// AppendEntries, whose previous entry is that one.
fn a_snapshot_keeps_its_last_term(bugs: BugSet) -> bool {
    let mut f = restored(2, 3, vec![], 3, bugs);
    let meta = SnapshotMeta {
        last_index: 4,
        last_term: 2,
        membership: Membership::new(1..=3),
    };
    let snapshot = MessageBody::InstallSnapshot {
        meta,
        offset: 0,
        data: KvStateMachine::new(SessionLimits::default()).snapshot(),
        done: true,
    };
    f.step(Input::Message(msg(1, 2, 3, snapshot))).ok();
    f.step(Input::Message(msg(
        1,
        2,
        3,
        append(4, 2, vec![cmd(5, 3, b"next")], 5),
    )))
    .ok();
    f.term_at(4) == Some(2) && f.last_index() == 5
}

/// A candidate of term 2 does not win on a vote granted in its term-1 campaign.
fn votes_count_only_in_their_term(bugs: BugSet) -> bool {
    let mut c = restored(1, 3, vec![], 1, bugs);
    for _ in 0..100 {
        if c.role() == Role::Candidate {
            break;
        }
        c.step(Input::Tick).ok();
    }
    let term = c.term();
    let old_grant = MessageBody::RequestVoteResponse {
        pre_vote: false,
        granted: true,
    };
    c.step(Input::Message(msg(2, 1, term - 1, old_grant))).ok();
    c.role() != Role::Leader
}

/// A leader that hears a higher term in an AppendEntries answer steps down.
fn leader_steps_down_on_higher_term_answer(bugs: BugSet) -> bool {
    let mut net = Net::new(3, with_bugs(bugs));
    net.elect(1);
    let term = net.raft(1).term();
    let refusal = MessageBody::AppendEntriesResponse {
        success: false,
        match_index: 0,
        conflict_term: None,
        conflict_index: 0,
        rejected_index: 0,
        read_round: 0,
    };
    net.step(1, Input::Message(msg(2, 1, term + 1, refusal)));
    net.raft(1).role() == Role::Follower && net.raft(1).term() == term + 1
}

/// A granted vote is in the hard state written before the reply.
fn vote_is_persisted(bugs: BugSet) -> bool {
    let mut voter = restored(1, 3, vec![], 0, bugs);
    let request = MessageBody::RequestVote {
        pre_vote: false,
        last_log_index: 0,
        last_log_term: 0,
        transfer: false,
    };
    voter.step(Input::Message(msg(2, 1, 1, request))).ok();
    let out = voter.take_output();
    out.hard_state.is_some_and(|hs| hs.voted_for == Some(2))
}

/// A ReadIndex read is not answered before a heartbeat round confirms the leader.
fn read_index_waits_for_a_round(bugs: BugSet) -> bool {
    let mut net = Net::new(3, with_bugs(bugs));
    net.elect(1);
    net.propose(1, b"x");
    net.step(1, Input::Read { id: 1 });
    net.nodes[&1].reads.is_empty()
}

/// Lease reads stop `lease_drift_ticks` before the base election timeout
/// after the last acknowledged round.
fn lease_ends_before_drift_bound(bugs: BugSet) -> bool {
    lease_held_after_silence(bugs, 8)
}

/// Lease reads stop well before the election timeout after the last
/// acknowledged round (the mutated lease, twice the timeout, still holds one
/// tick before it; check-quorum deposes the leader at the timeout itself).
fn lease_ends_before_election_timeout(bugs: BugSet) -> bool {
    lease_held_after_silence(bugs, 9)
}

/// Whether the leader has stopped serving lease reads `silent_ticks` ticks
/// after its followers went silent (election timeout 10, drift bound 2).
fn lease_held_after_silence(bugs: BugSet, silent_ticks: u64) -> bool {
    let mut net = Net::new(3, move |c| {
        with_bugs(bugs)(c);
        c.read_mode = ReadMode::Lease;
    });
    net.elect(1);
    net.tick_all(2);
    net.isolated.insert(2);
    net.isolated.insert(3);
    for _ in 0..silent_ticks {
        net.tick(1);
    }
    net.step(1, Input::Read { id: 7 });
    let served = net.nodes[&1]
        .reads
        .iter()
        .any(|r| r.id == 7 && matches!(r.outcome, ReadOutcome::Ready { .. }));
    !served
}

/// A leader cut off from every follower for three election timeouts has
/// stepped down (check-quorum).
fn a_leader_cut_off_stops_leading(bugs: BugSet) -> bool {
    let mut net = Net::new(3, with_bugs(bugs));
    net.elect(1);
    net.isolated.insert(2);
    net.isolated.insert(3);
    for _ in 0..30 {
        net.tick(1);
    }
    net.raft(1).role() != Role::Leader
}

/// A new leader answers a read at an index no lower than its term's first
/// entry: its commit index may lag what the old leader committed.
fn read_index_is_a_commit_of_the_leaders_term(bugs: BugSet) -> bool {
    let mut net = Net::new(3, with_bugs(bugs));
    net.isolated.insert(1);
    net.campaign(1);
    net.isolated.clear();
    net.drop_queue();
    let term = net.raft(1).term();
    let grant = MessageBody::RequestVoteResponse {
        pre_vote: false,
        granted: true,
    };
    let _ = net
        .node(1)
        .raft
        .step(Input::Message(msg(2, 1, term, grant)));
    assert_eq!(net.raft(1).role(), Role::Leader);
    let first_of_term = net.raft(1).last_index();
    net.step(1, Input::Read { id: 5 });
    net.settle();
    net.nodes[&1].reads.iter().all(|r| match r.outcome {
        ReadOutcome::Ready { index } => index >= first_of_term,
        ReadOutcome::NotLeader { .. } => true,
    })
}

fn append_command(seq: u64) -> Vec<u8> {
    KvCommand {
        client_id: 9,
        seq,
        op: KvOp::Append {
            key: "k".into(),
            value: "x".into(),
        },
    }
    .encode()
}

fn store(bugs: BugSet) -> KvStateMachine {
    KvStateMachine::new(SessionLimits::default()).with_bugs(bugs)
}

/// The same (client, sequence) applied twice appends once.
fn a_retry_executes_once(bugs: BugSet) -> bool {
    let mut kv = store(bugs);
    kv.apply(1, &append_command(1)).unwrap();
    kv.apply(2, &append_command(1)).unwrap();
    kv.read("k") == Some("x")
}

/// A retry applied after a snapshot install is still recognized.
fn a_retry_after_a_snapshot_executes_once(bugs: BugSet) -> bool {
    let mut leader = store(bugs);
    leader.apply(1, &append_command(1)).unwrap();
    let mut follower = store(bugs);
    follower.restore(&leader.snapshot()).unwrap();
    follower.apply(2, &append_command(1)).unwrap();
    follower.read("k") == Some("x")
}

/// A three-node cluster led by node 1 (its no-op committed), with joiners
/// 4 and 5 able to hear it.
fn led_cluster_with_joiners(bugs: BugSet) -> Net {
    let tweak = move |c: &mut Config| {
        with_bugs(bugs)(c);
        c.member_id_max = Some(5);
    };
    let mut net = Net::new(3, tweak);
    net.add_node(4, tweak);
    net.add_node(5, tweak);
    net.elect(1);
    net
}

/// Raft §6: while joint, C_old's majority alone commits nothing.
fn joint_commit_needs_both_majorities(bugs: BugSet) -> bool {
    let mut net = led_cluster_with_joiners(bugs);
    net.isolated.extend([4, 5]);
    let outcome = net.change(1, MembershipChange::Target(Membership::new([1, 4, 5])));
    let MembershipChangeOutcome::Accepted { index, .. } = outcome else {
        return false;
    };
    net.settle();
    // Nodes 1, 2 and 3 hold C_old,new: a majority of C_old, one of C_new.
    net.raft(1).commit_index() < index
}

/// Thesis §4.1: a leader whose no-op has not committed starts no change.
fn no_change_before_the_leaders_first_commit(bugs: BugSet) -> bool {
    let mut net = Net::new(3, with_bugs(bugs));
    net.settle();
    while net.raft(1).role() == Role::Follower {
        net.tick(1);
    }
    while net.raft(1).role() != Role::Leader {
        if net.deliver_one().is_none() {
            return false;
        }
    }
    // The no-op's AppendEntries are lost: nothing of term 2 commits.
    net.drop_queue();
    let outcome = net.change(1, MembershipChange::Remove(3));
    outcome == MembershipChangeOutcome::ChangeInProgress
}

/// Raft §6: a follower uses a configuration as soon as it appends it.
fn a_configuration_is_in_force_when_appended(bugs: BugSet) -> bool {
    let mut c = config(2);
    with_bugs(bugs)(&mut c);
    let mut follower = Raft::new(c, Membership::new([1, 2, 3]), 2);
    let grown = Membership::new([1, 2, 3, 4]);
    let entry = faultline_raft::Entry {
        index: 1,
        term: 1,
        payload: faultline_raft::EntryPayload::Membership(grown.clone()),
    };
    follower
        .step(Input::Message(msg(1, 2, 1, append(0, 0, vec![entry], 0))))
        .ok();
    follower.membership() == &grown
}

/// Thesis §4.1: a second change waits until the first commits.
fn one_change_in_flight(bugs: BugSet) -> bool {
    let mut net = led_cluster_with_joiners(bugs);
    net.isolated.extend([2, 3]);
    let first = net.change(1, MembershipChange::AddLearner(4));
    if !matches!(first, MembershipChangeOutcome::Accepted { .. }) {
        return false;
    }
    net.change(1, MembershipChange::AddLearner(5)) == MembershipChangeOutcome::ChangeInProgress
}
