//! Membership changes, case by case, named after the sections of the Raft
//! paper (§6, joint consensus) and thesis (§4.1 single-server changes,
//! §4.2.1 catching up new servers, §4.2.2 removing the leader, §4.2.3
//! disruptive servers) they come from.

mod core_net;

use core_net::{Net, Node};
use faultline_raft::{
    Config, EntryPayload, Input, Membership, MembershipChange, MembershipChangeOutcome, Role,
    Snapshot,
};

/// Every node may hear ids up to 9 (joiners, removed servers).
fn joinable(c: &mut Config) {
    c.member_id_max = Some(9);
}

/// A cluster of voters 1..=n led by node 1, with joiners `extra` able to
/// hear it (not members yet).
fn cluster(n: u64, extra: &[u64], tweak: impl Fn(&mut Config) + Copy) -> Net {
    let both = move |c: &mut Config| {
        joinable(c);
        tweak(c);
    };
    let mut net = Net::new(n, both);
    for &id in extra {
        net.add_node(id, both);
    }
    net.elect(1);
    net
}

fn accepted_index(outcome: MembershipChangeOutcome) -> u64 {
    match outcome {
        MembershipChangeOutcome::Accepted { index, .. } => index,
        other => panic!("the change was refused: {other:?}"),
    }
}

/// The configurations node `id` applied, in order.
fn applied_configs(node: &Node) -> Vec<Membership> {
    node.applied
        .iter()
        .filter_map(|e| match &e.payload {
            EntryPayload::Membership(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

// ------------------------------------------------------ §6 joint consensus

#[test]
fn s6_joint_consensus_commits_with_both_majorities_and_leaves_joint_automatically() {
    let mut net = cluster(3, &[4, 5], |_| {});
    let target = Membership::new([1, 4, 5]);
    // C_new's new voters are unreachable: C_old,new reaches only C_old.
    net.isolated.extend([4, 5]);
    let joint_index = accepted_index(net.change(1, MembershipChange::Target(target.clone())));
    net.settle();
    let joint = net.raft(2).membership().clone();
    assert!(joint.is_joint(), "in force on a follower once appended");
    assert_eq!(joint.outgoing, [1, 2, 3].into_iter().collect());
    assert_eq!(joint.voters, target.voters);
    assert!(
        net.raft(1).commit_index() < joint_index,
        "a majority of C_old alone does not commit C_old,new"
    );
    assert_eq!(
        net.change(1, MembershipChange::Remove(2)),
        MembershipChangeOutcome::ChangeInProgress,
        "no change while joint"
    );
    net.isolated.clear();
    net.tick_all(5);
    assert!(net.raft(1).commit_index() > joint_index);
    for id in [1, 4, 5] {
        assert_eq!(net.raft(id).membership(), &target, "node {id} left joint");
        assert_eq!(
            applied_configs(&net.nodes[&id]),
            vec![joint.clone(), target.clone()]
        );
    }
    let status = net.raft(1).status();
    assert_eq!(status.membership, target);
    assert!(status.membership_index <= status.commit_index);
    // The new configuration works without the old voters 2 and 3.
    net.isolated.extend([2, 3]);
    net.propose(1, b"after");
    net.tick_all(2);
    assert!(net.nodes[&4]
        .applied
        .iter()
        .any(|e| e.payload == EntryPayload::Command(b"after".to_vec())));
}

#[test]
fn s6_a_truncated_joint_entry_rolls_the_configuration_back() {
    let mut net = cluster(3, &[4, 5], |c| {
        c.pre_vote = false;
        c.check_quorum = false;
    });
    net.isolated.extend([2, 3, 4, 5]);
    net.change(1, MembershipChange::Target(Membership::new([1, 4, 5])));
    assert!(net.raft(1).membership().is_joint());
    // Node 2 leads term 2 without the joint entry and overwrites it on 1.
    net.isolated.clear();
    net.isolated.insert(1);
    net.drop_queue();
    net.elect(2);
    net.propose(2, b"x");
    net.isolated.clear();
    net.tick_all(3);
    assert_eq!(net.raft(1).role(), Role::Follower);
    assert_eq!(net.raft(1).membership(), &Membership::new([1, 2, 3]));
}

// ------------------------------------------- thesis §4.1 single-server changes

#[test]
fn thesis_4_1_single_server_changes_wait_for_a_commit_of_the_term_and_go_one_at_a_time() {
    let mut net = cluster(3, &[4, 5], |c| c.pre_vote = false);
    assert_eq!(
        net.change(2, MembershipChange::AddLearner(4)),
        MembershipChangeOutcome::NotLeader {
            leader_hint: Some(1)
        }
    );
    // One change in flight: the second waits for the first to commit.
    net.isolated.extend([2, 3]);
    let first = accepted_index(net.change(1, MembershipChange::AddVoter(4)));
    assert_eq!(net.raft(1).membership(), &Membership::new([1, 2, 3, 4]));
    assert_eq!(
        net.change(1, MembershipChange::AddVoter(5)),
        MembershipChangeOutcome::ChangeInProgress
    );
    net.isolated.clear();
    net.tick_all(3);
    assert!(net.raft(1).commit_index() >= first);
    accepted_index(net.change(1, MembershipChange::AddVoter(5)));
    net.tick_all(3);
    assert_eq!(net.raft(5).membership(), &Membership::new(1..=5));
    // Refusals.
    assert_eq!(
        net.change(1, MembershipChange::Remove(8)),
        MembershipChangeOutcome::UnknownNode(8)
    );
    assert_eq!(
        net.change(1, MembershipChange::Promote(8)),
        MembershipChangeOutcome::UnknownNode(8)
    );
    assert_eq!(
        net.change(1, MembershipChange::AddVoter(5)),
        MembershipChangeOutcome::Unchanged
    );
    let counters = net.raft(1).status().counters;
    assert_eq!(counters.membership_changes_accepted, 2);
    assert!(counters.membership_changes_refused >= 4);
}

#[test]
fn thesis_4_1_a_new_leader_changes_nothing_before_its_no_op_commits() {
    let mut net = Net::new(3, |c| c.pre_vote = false);
    while net.raft(1).role() == Role::Follower {
        net.tick(1);
    }
    while net.raft(1).role() != Role::Leader {
        net.deliver_one().expect("the election completes");
    }
    net.drop_queue();
    assert_eq!(
        net.change(1, MembershipChange::Remove(3)),
        MembershipChangeOutcome::ChangeInProgress
    );
    net.tick_all(3);
    accepted_index(net.change(1, MembershipChange::Remove(3)));
}

#[test]
fn thesis_4_1_no_change_leaves_the_cluster_without_voters() {
    let mut net = Net::new(1, |_| {});
    net.elect(1);
    assert_eq!(
        net.change(1, MembershipChange::Remove(1)),
        MembershipChangeOutcome::NoVotersLeft
    );
    assert_eq!(
        net.change(1, MembershipChange::Target(Membership::default())),
        MembershipChangeOutcome::NoVotersLeft
    );
}

// --------------------------------------- thesis §4.2.1 catching up new servers

#[test]
fn s4_2_1_a_new_server_catches_up_as_a_learner_before_it_can_be_promoted() {
    let mut net = cluster(3, &[4], |c| c.catch_up_entries_max = 2);
    for k in 0..6u8 {
        net.propose(1, &[k]);
    }
    // Compact the leader's log: the learner must be sent a snapshot.
    let index = net.raft(1).applied_index();
    let meta = net.raft(1).snapshot_meta(index).expect("known term");
    let snapshot = Snapshot {
        meta,
        data: b"state".to_vec(),
    };
    net.node(1).disk.save_snapshot(&snapshot);
    net.step(1, Input::SnapshotTaken { snapshot });
    net.isolated.insert(4);
    accepted_index(net.change(1, MembershipChange::AddLearner(4)));
    net.tick_all(3);
    assert_eq!(
        net.change(1, MembershipChange::Promote(4)),
        MembershipChangeOutcome::NotCaughtUp(4),
        "a learner that has nothing is not promoted"
    );
    // Cut off, the learner never campaigns: it has no vote.
    for _ in 0..100 {
        net.tick(4);
    }
    assert_eq!(net.raft(4).role(), Role::Follower);
    assert_eq!(net.raft(4).term(), 0);
    net.isolated.clear();
    net.tick_all(5);
    assert_eq!(net.nodes[&4].installed.len(), 1, "caught up by snapshot");
    assert_eq!(net.raft(4).last_index(), net.raft(1).last_index());
    assert!(net.raft(4).membership().learners.contains(&4));
    accepted_index(net.change(1, MembershipChange::Promote(4)));
    net.tick_all(3);
    assert_eq!(net.raft(4).membership(), &Membership::new(1..=4));
}

// ------------------------------------------- thesis §4.2.2 removing the leader

#[test]
fn s4_2_2_a_removed_leader_steps_down_once_c_new_commits_without_counting_itself() {
    let mut net = cluster(3, &[], |c| c.pre_vote = false);
    net.isolated.insert(3);
    let index = accepted_index(net.change(1, MembershipChange::Remove(1)));
    net.settle();
    // Nodes 1 and 2 hold C_new = {2, 3}: a majority of the old voters, but
    // the leader no longer counts itself, and 2 alone is no majority.
    assert_eq!(net.raft(1).role(), Role::Leader, "it manages the change");
    assert!(net.raft(1).commit_index() < index);
    net.isolated.clear();
    net.tick_all(3);
    assert!(net.raft(2).commit_index() >= index);
    assert_eq!(net.raft(1).role(), Role::Follower, "stepped down");
    assert_eq!(net.raft(1).status().counters.removed_step_downs, 1);
    // A removed node never campaigns; the others elect a leader.
    let started = |net: &Net| {
        let c = net.raft(1).status().counters;
        c.pre_votes_started + c.elections_started
    };
    let campaigns = started(&net);
    net.tick_all(40);
    assert_eq!(started(&net), campaigns, "node 1 never campaigns again");
    assert_ne!(net.raft(1).role(), Role::Leader);
    let leaders: Vec<_> = [2, 3]
        .into_iter()
        .filter(|&id| net.raft(id).role() == Role::Leader)
        .collect();
    assert_eq!(leaders.len(), 1, "one of 2 and 3 leads");
}

// ------------------------------------------ thesis §4.2.3 disruptive servers

/// Removes node 4 from {1, 2, 3, 4} while it is cut off (so it never learns
/// of its removal), then lets it rejoin the network and time out; returns
/// the leader's term before and after.
fn removed_server_campaigns(tweak: impl Fn(&mut Config) + Copy) -> (u64, u64, Net) {
    let mut net = cluster(4, &[], tweak);
    net.isolated.insert(4);
    accepted_index(net.change(1, MembershipChange::Remove(4)));
    net.tick_all(3);
    assert_eq!(net.raft(1).membership(), &Membership::new([1, 2, 3]));
    assert!(
        net.raft(4).membership().voters.contains(&4),
        "4 never heard"
    );
    let before = net.raft(1).term();
    net.isolated.clear();
    // Node 4 times out again and again while the leader keeps leading.
    for _ in 0..60 {
        for _ in 0..4 {
            net.tick(4);
        }
        net.tick_all(1);
    }
    (before, net.raft(1).term(), net)
}

#[test]
fn s4_2_3_a_removed_server_cannot_depose_a_stable_leader() {
    let (before, after, net) = removed_server_campaigns(|_| {});
    assert_eq!(before, after, "pre-vote and the leader lease hold");
    assert_eq!(net.raft(1).role(), Role::Leader);
    let refused = net
        .raft(2)
        .status()
        .counters
        .rejected
        .get("leader_lease")
        .copied();
    assert!(refused.unwrap_or(0) > 0, "its campaigns were refused");
}

#[test]
fn s4_2_3_without_pre_vote_and_check_quorum_a_removed_server_disrupts() {
    let (before, after, _) = removed_server_campaigns(|c| {
        c.pre_vote = false;
        c.check_quorum = false;
    });
    assert!(
        after > before,
        "the removed server's terms depose the leader"
    );
}

// ------------------------------------------------ configuration in snapshots

#[test]
fn a_snapshot_carries_the_configuration_across_a_restart() {
    let mut net = cluster(3, &[4], |_| {});
    accepted_index(net.change(1, MembershipChange::AddLearner(4)));
    net.tick_all(3);
    let grown = net.raft(1).membership().clone();
    net.propose(1, b"x");
    let index = net.raft(2).applied_index();
    let meta = net.raft(2).snapshot_meta(index).expect("known term");
    assert_eq!(meta.membership, grown);
    let snapshot = Snapshot {
        meta,
        data: Vec::new(),
    };
    net.node(2).disk.save_snapshot(&snapshot);
    net.step(2, Input::SnapshotTaken { snapshot });
    net.node(2).disk.entries.clear();
    // Restarted with the bootstrap {1, 2, 3}: the snapshot's configuration wins.
    net.restart(2, 7);
    assert_eq!(net.raft(2).membership(), &grown);
    assert_eq!(net.raft(2).status().membership_index, index);
}
