//! Unit tests of the Raft core named after the sections of the Raft paper
//! (§5.x, §7) and of Ongaro's thesis (§3.10 transfer, §4.2.3 stickiness,
//! §6.4 reads, §9.6 pre-vote), driving cores through the tiny network in
//! `core_net`.

mod core_net;

use core_net::{cmd, config, msg, Net};
use faultline_raft::{
    Config, EntryPayload, HardState, Input, Membership, MessageBody, ProgressState,
    ProposalOutcome, Raft, ReadMode, ReadOutcome, RecoveredState, RejectReason, Role, Snapshot,
};

fn no_prevote(c: &mut Config) {
    c.pre_vote = false;
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

fn commands(node: &core_net::Node) -> Vec<Vec<u8>> {
    node.applied
        .iter()
        .filter_map(|e| match &e.payload {
            EntryPayload::Command(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// A follower restored with the given log (term of the hard state = last term).
fn restored(
    id: u64,
    n: u64,
    entries: Vec<faultline_raft::Entry>,
    term: u64,
    tweak: impl Fn(&mut Config),
) -> Raft {
    let mut c = config(id);
    tweak(&mut c);
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

// ---------------------------------------------------------------- §5.2 election

#[test]
fn s5_2_election_timeout_is_randomized_within_t_to_2t() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let mut c = config(1);
        c.pre_vote = false;
        let mut raft = Raft::new(c, Membership::new([1, 2, 3]), seed);
        let mut ticks = 0;
        while raft.role() == Role::Follower {
            raft.step(Input::Tick).unwrap();
            ticks += 1;
            assert!(ticks < 20, "timeout must be below 2T");
        }
        assert!(ticks >= 10, "timeout must be at least T, was {ticks}");
        seen.insert(ticks);
    }
    assert!(
        seen.len() >= 4,
        "timeouts should vary with the seed: {seen:?}"
    );
}

#[test]
fn s5_2_same_seed_gives_same_timeouts() {
    let run = |seed| {
        let mut raft = Raft::new(config(1), Membership::new([1, 2, 3]), seed);
        let mut ticks = 0;
        while raft.role() == Role::Follower {
            raft.step(Input::Tick).unwrap();
            ticks += 1;
        }
        ticks
    };
    assert_eq!(run(7), run(7));
}

#[test]
fn s5_2_candidate_wins_with_majority() {
    let mut net = Net::new(3, no_prevote);
    net.elect(1);
    assert_eq!(net.raft(1).term(), 1);
    for id in [2, 3] {
        assert_eq!(net.raft(id).role(), Role::Follower);
        assert_eq!(net.raft(id).leader(), Some(1));
        assert_eq!(net.raft(id).term(), 1);
    }
    let st = net.raft(1).status();
    assert_eq!(st.counters.elections_started, 1);
    assert_eq!(st.counters.elections_won, 1);
}

#[test]
fn s5_2_candidate_without_majority_retries_in_a_new_term() {
    let mut net = Net::new(5, no_prevote);
    for id in [3, 4, 5] {
        net.isolated.insert(id);
    }
    net.campaign(1);
    assert_eq!(net.raft(1).role(), Role::Candidate);
    assert_eq!(net.raft(1).term(), 1);
    for _ in 0..20 {
        net.tick(1);
    }
    net.settle();
    assert_eq!(net.raft(1).role(), Role::Candidate);
    assert_eq!(
        net.raft(1).term(),
        2,
        "a timed-out candidate starts a new term"
    );
}

#[test]
fn s5_2_voter_grants_at_most_one_vote_per_term() {
    let mut raft = Raft::new(config(1), Membership::new([1, 2, 3]), 1);
    let vote = |from| {
        Input::Message(msg(
            from,
            1,
            1,
            MessageBody::RequestVote {
                pre_vote: false,
                last_log_index: 0,
                last_log_term: 0,
                transfer: false,
            },
        ))
    };
    raft.step(vote(2)).unwrap();
    raft.step(vote(3)).unwrap();
    raft.step(vote(2)).unwrap();
    let out = raft.take_output();
    let grants: Vec<bool> = out
        .messages
        .iter()
        .map(|m| match m.body {
            MessageBody::RequestVoteResponse { granted, .. } => granted,
            _ => panic!("unexpected {m:?}"),
        })
        .collect();
    assert_eq!(grants, vec![true, false, true]);
    let hs = out.hard_state.expect("vote is persisted");
    assert_eq!((hs.term, hs.voted_for), (1, Some(2)));
}

#[test]
fn s5_2_candidate_steps_down_on_append_from_leader_of_same_term() {
    let mut net = Net::new(3, no_prevote);
    net.isolated.insert(1);
    net.campaign(1);
    net.drop_queue();
    assert_eq!(net.raft(1).role(), Role::Candidate);
    net.step(1, Input::Message(msg(2, 1, 1, append(0, 0, vec![], 0))));
    assert_eq!(net.raft(1).role(), Role::Follower);
    assert_eq!(net.raft(1).leader(), Some(2));
}

#[test]
fn s5_1_higher_term_turns_leader_into_follower() {
    let mut net = Net::new(3, no_prevote);
    net.elect(1);
    net.step(1, Input::Message(msg(2, 1, 5, append(0, 0, vec![], 0))));
    assert_eq!(net.raft(1).role(), Role::Follower);
    assert_eq!(net.raft(1).term(), 5);
    assert_eq!(net.raft(1).leader(), Some(2));
}

#[test]
fn s5_1_stale_term_message_is_rejected_counted_and_answered() {
    let mut net = Net::new(3, no_prevote);
    net.elect(1);
    net.step(2, Input::Message(msg(1, 2, 5, append(0, 0, vec![], 0))));
    net.drop_queue();
    let err = net
        .node(2)
        .raft
        .step(Input::Message(msg(3, 2, 1, append(0, 0, vec![], 0))))
        .unwrap_err();
    assert_eq!(err.reason, RejectReason::StaleTerm);
    let out = net.node(2).raft.take_output();
    assert!(matches!(
        out.messages.as_slice(),
        [m] if m.term == 5 && matches!(m.body, MessageBody::AppendEntriesResponse { success: false, .. })
    ));
    assert_eq!(
        net.raft(2).status().counters.rejected.get("stale_term"),
        Some(&1)
    );
}

#[test]
fn s5_2_single_node_elects_itself_and_commits_after_persisted() {
    let mut net = Net::new(1, |_| {});
    net.node(1).auto_persist_ack = false;
    net.campaign(1);
    assert_eq!(net.raft(1).role(), Role::Leader);
    assert_eq!(
        net.raft(1).commit_index(),
        0,
        "nothing commits before it is persisted"
    );
    net.step(1, Input::Persisted { index: 1, term: 1 });
    assert_eq!(net.raft(1).commit_index(), 1);
    net.node(1).auto_persist_ack = true;
    net.propose(1, b"x");
    assert_eq!(net.raft(1).commit_index(), 2);
    assert_eq!(commands(&net.nodes[&1]), vec![b"x".to_vec()]);
}

// ------------------------------------------------------------- §5.3 replication

#[test]
fn s5_3_leader_replicates_and_every_node_applies_in_order() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    for i in 0..5u8 {
        net.propose(1, &[i]);
    }
    net.tick_all(2); // heartbeats carry the final commit index
    for id in [1, 2, 3] {
        let expect: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i]).collect();
        assert_eq!(commands(&net.nodes[&id]), expect, "node {id}");
        assert_eq!(net.raft(id).commit_index(), 6);
    }
    assert!(matches!(
        net.nodes[&1].proposals[0].outcome,
        ProposalOutcome::Appended { index: 2, term: 1 }
    ));
}

#[test]
fn s5_3_follower_rejects_mismatched_prev_log_with_conflict_hint() {
    let mut f = restored(
        2,
        3,
        vec![cmd(1, 1, b"a"), cmd(2, 1, b"b"), cmd(3, 2, b"c")],
        2,
        |_| {},
    );
    // prev beyond the log: hint is the end of the log.
    f.step(Input::Message(msg(1, 2, 3, append(7, 3, vec![], 0))))
        .unwrap();
    // prev term mismatch at 3: hint is the first index of term 2.
    f.step(Input::Message(msg(1, 2, 3, append(3, 3, vec![], 0))))
        .unwrap();
    let out = f.take_output();
    let hints: Vec<(bool, Option<u64>, u64)> = out
        .messages
        .iter()
        .map(|m| match m.body {
            MessageBody::AppendEntriesResponse {
                success,
                conflict_term,
                conflict_index,
                ..
            } => (success, conflict_term, conflict_index),
            _ => panic!("unexpected {m:?}"),
        })
        .collect();
    assert_eq!(hints, vec![(false, None, 4), (false, Some(2), 3)]);
    assert_eq!(f.last_index(), 3, "a rejected append changes nothing");
}

#[test]
fn s5_3_follower_truncates_only_at_a_real_conflict() {
    let mut f = restored(
        2,
        3,
        vec![
            cmd(1, 1, b"a"),
            cmd(2, 1, b"b"),
            cmd(3, 2, b"c"),
            cmd(4, 2, b"d"),
        ],
        2,
        |_| {},
    );
    f.step(Input::Message(msg(
        1,
        2,
        3,
        append(1, 1, vec![cmd(2, 1, b"b"), cmd(3, 3, b"C")], 0),
    )))
    .unwrap();
    assert_eq!(f.last_index(), 3);
    assert_eq!(f.term_at(3), Some(3));
    assert_eq!(f.term_at(2), Some(1));
    let out = f.take_output();
    assert_eq!(
        out.entries,
        vec![cmd(3, 3, b"C")],
        "only the new suffix is persisted"
    );
}

#[test]
fn s5_3_stale_append_entries_does_not_truncate() {
    let mut f = restored(2, 3, vec![], 0, |_| {});
    let all: Vec<_> = (1..=5).map(|i| cmd(i, 1, &[i as u8])).collect();
    f.step(Input::Message(msg(1, 2, 1, append(0, 0, all.clone(), 0))))
        .unwrap();
    // A delayed copy of an older, shorter append arrives afterwards.
    f.step(Input::Message(msg(
        1,
        2,
        1,
        append(1, 1, all[1..3].to_vec(), 0),
    )))
    .unwrap();
    assert_eq!(f.last_index(), 5, "matching entries are never removed");
    let out = f.take_output();
    let last_ack = out.messages.last().unwrap();
    assert!(matches!(
        last_ack.body,
        MessageBody::AppendEntriesResponse {
            success: true,
            match_index: 3,
            ..
        }
    ));
}

#[test]
fn s5_3_leader_backtracks_over_a_conflicting_term_in_one_step() {
    // Node 2 holds 20 entries of term 2 that node 1 (leader of term 3) lacks.
    let mut net = Net::new(3, no_prevote);
    let base: Vec<_> = (1..=3).map(|i| cmd(i, 1, b"x")).collect();
    let mut long = base.clone();
    long.extend((4..=23).map(|i| cmd(i, 2, b"y")));
    let cfg_id = |id| config(id);
    let mk = |id: u64, entries: Vec<faultline_raft::Entry>, term| {
        let mut c = cfg_id(id);
        c.pre_vote = false;
        Raft::restore(
            c,
            Membership::new([1, 2, 3]),
            RecoveredState {
                hard_state: HardState {
                    term,
                    voted_for: None,
                    commit: 3,
                },
                snapshot: None,
                entries,
                truncated_at: None,
            },
            id,
        )
        .unwrap()
    };
    net.node(1).raft = mk(1, base.clone(), 2);
    net.node(2).raft = mk(2, long, 2);
    net.node(3).raft = mk(3, base, 2);
    net.isolated.insert(2);
    net.elect(1);
    net.isolated.clear();
    let before = net.sent_log.len();
    net.tick_all(2);
    let rejections = net.sent_log[before..]
        .iter()
        .filter(|m| {
            m.from == 2
                && matches!(
                    m.body,
                    MessageBody::AppendEntriesResponse { success: false, .. }
                )
        })
        .count();
    assert!(
        rejections <= 2,
        "fast backtracking needs few rounds, took {rejections}"
    );
    assert_eq!(net.raft(2).last_index(), net.raft(1).last_index());
    assert_eq!(net.raft(2).term_at(4), Some(3));
}

#[test]
fn s5_3_appends_are_batched_by_count_and_bytes() {
    let mut net = Net::new(2, |c| {
        c.max_entries_per_msg = 3;
        c.max_bytes_per_msg = 1000;
        c.max_inflight_msgs = 100;
    });
    net.elect(1);
    net.isolated.insert(2);
    for _ in 0..10 {
        net.propose(1, &[7; 100]);
    }
    net.isolated.clear();
    net.drop_queue();
    // Re-probe: the heartbeat carries the first batch.
    net.tick_all(2);
    let sizes: Vec<usize> = net
        .sent_log
        .iter()
        .filter_map(|m| match &m.body {
            MessageBody::AppendEntries { entries, .. } if m.from == 1 => Some(entries.len()),
            _ => None,
        })
        .collect();
    assert!(sizes.iter().all(|&n| n <= 3), "{sizes:?}");
    assert_eq!(net.raft(2).last_index(), 11);

    let mut bytes = Net::new(2, |c| {
        c.max_entries_per_msg = 100;
        c.max_bytes_per_msg = 300;
    });
    bytes.elect(1);
    bytes.isolated.insert(2);
    for _ in 0..6 {
        bytes.propose(1, &[7; 100]);
    }
    bytes.isolated.clear();
    bytes.drop_queue();
    bytes.tick_all(2);
    let max = bytes
        .sent_log
        .iter()
        .filter_map(|m| match &m.body {
            MessageBody::AppendEntries { entries, .. } if m.from == 1 => {
                Some(entries.iter().map(|e| e.size_bytes()).sum::<usize>())
            }
            _ => None,
        })
        .max()
        .unwrap();
    assert!(max <= 300, "a batch of {max} bytes exceeds the bound");
    assert_eq!(bytes.raft(2).last_index(), 7);
}

#[test]
fn s5_3_pipelining_keeps_at_most_the_inflight_window() {
    let mut net = Net::new(2, |c| {
        c.max_entries_per_msg = 1;
        c.max_inflight_msgs = 3;
    });
    net.elect(1);
    assert_eq!(
        net.raft(1).status().peers[0].state,
        ProgressState::Replicate
    );
    for i in 0..10u8 {
        net.step(
            1,
            Input::Propose {
                id: i as u64,
                data: vec![i],
            },
        );
    }
    let appends = net.queued("AppendEntries");
    assert_eq!(appends.len(), 3, "three messages in flight, then paused");
    assert_eq!(net.raft(1).status().peers[0].inflight_msgs, 3);
    net.settle();
    assert_eq!(
        net.raft(2).last_index(),
        11,
        "acks open the window until all is sent"
    );
    assert_eq!(net.raft(1).commit_index(), 11);
}

#[test]
fn s5_3_lost_appends_are_recovered_by_heartbeats() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.cut_links.insert((1, 3));
    net.propose(1, b"a");
    net.propose(1, b"b");
    net.cut_links.clear();
    assert_eq!(net.raft(3).last_index(), 1);
    net.tick_all(4);
    assert_eq!(net.raft(3).last_index(), 3);
    assert_eq!(commands(&net.nodes[&3]), vec![b"a".to_vec(), b"b".to_vec()]);
}

#[test]
fn s5_3_proposal_on_follower_returns_not_leader_with_hint() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.step(
        2,
        Input::Propose {
            id: 9,
            data: b"x".to_vec(),
        },
    );
    let p = net.nodes[&2].proposals.last().unwrap().clone();
    assert_eq!(p.id, 9);
    assert_eq!(
        p.outcome,
        ProposalOutcome::NotLeader {
            leader_hint: Some(1)
        }
    );
}

#[test]
fn s5_3_uncommitted_bound_answers_overloaded() {
    let mut net = Net::new(3, |c| c.max_uncommitted_entries = 3);
    net.elect(1);
    net.isolated.insert(2);
    net.isolated.insert(3);
    for i in 0..5 {
        net.step(
            1,
            Input::Propose {
                id: i,
                data: vec![1],
            },
        );
    }
    let outcomes: Vec<_> = net.nodes[&1]
        .proposals
        .iter()
        .map(|p| p.outcome.clone())
        .collect();
    assert!(matches!(
        outcomes[2],
        ProposalOutcome::Appended { index: 4, .. }
    ));
    assert_eq!(outcomes[3], ProposalOutcome::Overloaded);
    assert_eq!(outcomes[4], ProposalOutcome::Overloaded);
    assert_eq!(net.raft(1).status().counters.proposals_refused, 2);
}

// ------------------------------------------------------------------ §5.4 safety

#[test]
fn s5_4_1_voter_rejects_candidate_with_stale_log() {
    let mut v = restored(2, 3, vec![cmd(1, 1, b"a"), cmd(2, 2, b"b")], 2, no_prevote);
    let ask = |last_log_index, last_log_term| {
        Input::Message(msg(
            3,
            2,
            3,
            MessageBody::RequestVote {
                pre_vote: false,
                last_log_index,
                last_log_term,
                transfer: false,
            },
        ))
    };
    v.step(ask(5, 1)).unwrap(); // longer but older last term
    v.step(ask(1, 2)).unwrap(); // same last term, shorter
    v.step(ask(2, 2)).unwrap(); // as up to date: granted
    let grants: Vec<bool> = v
        .take_output()
        .messages
        .iter()
        .map(|m| {
            matches!(
                m.body,
                MessageBody::RequestVoteResponse { granted: true, .. }
            )
        })
        .collect();
    assert_eq!(grants, vec![false, false, true]);
}

#[test]
fn s5_4_2_leader_does_not_commit_previous_term_entries_by_counting() {
    // Figure 8: node 1 leads term 3 with an uncommitted term-2 entry at 2.
    let log = vec![cmd(1, 1, b"a"), cmd(2, 2, b"b")];
    let mut leader = restored(1, 3, log, 2, no_prevote);
    for _ in 0..30 {
        leader.step(Input::Tick).unwrap();
        if leader.role() == Role::Candidate {
            break;
        }
    }
    let term = leader.term();
    let grant = |from| {
        Input::Message(msg(
            from,
            1,
            term,
            MessageBody::RequestVoteResponse {
                pre_vote: false,
                granted: true,
            },
        ))
    };
    leader.step(grant(2)).unwrap();
    assert_eq!(leader.role(), Role::Leader);
    assert_eq!(leader.last_index(), 3, "no-op appended at 3");
    leader.step(Input::Persisted { index: 3, term }).unwrap();
    let ack = |from, match_index| {
        Input::Message(msg(
            from,
            1,
            term,
            MessageBody::AppendEntriesResponse {
                success: true,
                match_index,
                conflict_term: None,
                conflict_index: 0,
                rejected_index: 0,
                read_round: 0,
            },
        ))
    };
    // A majority holds index 2 (of term 2): that alone must not commit it.
    leader.step(ack(2, 2)).unwrap();
    assert_eq!(leader.commit_index(), 0);
    // Once the current-term no-op is on a majority, everything up to it commits.
    leader.step(ack(2, 3)).unwrap();
    assert_eq!(leader.commit_index(), 3);
}

#[test]
fn s5_4_2_leader_counts_its_own_log_only_once_persisted() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.node(1).auto_persist_ack = false;
    net.isolated.insert(3);
    net.propose(1, b"x");
    assert_eq!(net.raft(1).status().peers[0].match_index, 2);
    assert_eq!(
        net.raft(1).commit_index(),
        1,
        "one follower plus an unpersisted leader is no quorum"
    );
    let term = net.raft(1).term();
    net.step(1, Input::Persisted { index: 2, term });
    assert_eq!(net.raft(1).commit_index(), 2);
}

#[test]
fn s5_4_3_new_leader_holds_every_committed_entry() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.propose(1, b"committed");
    let committed = net.raft(1).commit_index();
    net.isolated.insert(1);
    net.tick_all(40);
    let new_leader = [2, 3]
        .into_iter()
        .find(|&id| net.raft(id).role() == Role::Leader)
        .expect("a new leader");
    assert!(net.raft(new_leader).term() > 1);
    assert_eq!(
        net.raft(new_leader)
            .entry(committed)
            .map(|e| e.payload.clone()),
        Some(EntryPayload::Command(b"committed".to_vec()))
    );
    // The old leader rejoins, steps down and converges.
    net.isolated.clear();
    net.tick_all(30);
    assert_eq!(net.raft(1).role(), Role::Follower);
    assert_eq!(net.raft(1).last_index(), net.raft(new_leader).last_index());
}

// ------------------------------------------------- pre-vote, stickiness, quorum

#[test]
fn s9_6_prevote_keeps_a_partitioned_node_from_raising_its_term() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    let term = net.raft(1).term();
    net.isolated.insert(3);
    net.tick_all(100);
    assert_eq!(
        net.raft(3).term(),
        term,
        "pre-votes never win, so the term stays"
    );
    assert!(net.raft(3).status().counters.pre_votes_started > 0);
    net.isolated.clear();
    net.tick_all(10);
    assert_eq!(
        net.raft(1).role(),
        Role::Leader,
        "the rejoining node disturbs nobody"
    );
    assert_eq!(net.raft(1).term(), term);
}

#[test]
fn s9_6_without_prevote_a_partitioned_node_raises_its_term() {
    let mut net = Net::new(3, |c| {
        c.pre_vote = false;
        c.check_quorum = false;
    });
    net.elect(1);
    net.isolated.insert(3);
    net.tick_all(100);
    assert!(net.raft(3).term() > net.raft(1).term());
}

#[test]
fn s4_2_3_voters_ignore_campaigns_while_hearing_from_a_leader() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    let term = net.raft(1).term();
    let ask = MessageBody::RequestVote {
        pre_vote: false,
        last_log_index: 100,
        last_log_term: 100,
        transfer: false,
    };
    let err = net
        .node(2)
        .raft
        .step(Input::Message(msg(3, 2, term + 1, ask)))
        .unwrap_err();
    assert_eq!(err.reason, RejectReason::LeaderLease);
    assert_eq!(net.raft(2).term(), term);
    assert_eq!(
        net.raft(2).status().counters.rejected.get("leader_lease"),
        Some(&1)
    );
}

#[test]
fn s6_2_check_quorum_leader_steps_down_without_a_quorum() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.isolated.insert(1);
    net.tick_all(25);
    assert_eq!(net.raft(1).role(), Role::Follower);
    assert_eq!(net.raft(1).status().counters.check_quorum_step_downs, 1);
}

#[test]
fn s6_2_leader_with_a_quorum_stays_leader() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.isolated.insert(3);
    net.tick_all(50);
    assert_eq!(net.raft(1).role(), Role::Leader);
}

// ------------------------------------------------------ §3.10 leadership transfer

#[test]
fn s3_10_transfer_hands_leadership_to_an_up_to_date_follower() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.propose(1, b"x");
    net.step(1, Input::TransferLeadership { to: 2 });
    net.settle();
    assert_eq!(net.raft(2).role(), Role::Leader);
    assert_eq!(net.raft(1).role(), Role::Follower);
    assert_eq!(net.raft(1).leader(), Some(2));
    assert_eq!(net.raft(1).status().counters.transfers_timeout_now_sent, 1);
}

#[test]
fn s3_10_transfer_catches_the_target_up_first_and_refuses_proposals() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.cut_links.insert((1, 3));
    net.propose(1, b"x");
    net.propose(1, b"y");
    net.cut_links.clear();
    assert!(net.raft(3).last_index() < net.raft(1).last_index());
    net.step(1, Input::TransferLeadership { to: 3 });
    assert!(
        net.queued("TimeoutNow").is_empty(),
        "not before the target caught up"
    );
    net.step(
        1,
        Input::Propose {
            id: 99,
            data: b"z".to_vec(),
        },
    );
    assert_eq!(
        net.nodes[&1].proposals.last().unwrap().outcome,
        ProposalOutcome::Overloaded
    );
    net.settle();
    net.tick_all(3);
    assert_eq!(net.raft(3).role(), Role::Leader);
    assert_eq!(net.raft(3).entry(3).map(|e| e.term), Some(1));
    assert_eq!(
        net.raft(3).entry(4).map(|e| &e.payload),
        Some(&EntryPayload::Noop)
    );
}

#[test]
fn s3_10_transfer_is_abandoned_after_an_election_timeout() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.isolated.insert(3);
    net.step(1, Input::TransferLeadership { to: 3 });
    assert_eq!(net.raft(1).status().transfer_target, Some(3));
    net.tick_all(12);
    assert_eq!(net.raft(1).role(), Role::Leader);
    assert_eq!(net.raft(1).status().transfer_target, None);
    assert_eq!(net.raft(1).status().counters.transfers_aborted, 1);
    net.propose(1, b"after");
    assert!(matches!(
        net.nodes[&1].proposals.last().unwrap().outcome,
        ProposalOutcome::Appended { .. }
    ));
}

// ------------------------------------------------------------------- §6.4 reads

fn read_outcomes(net: &Net, id: u64) -> Vec<(u64, ReadOutcome)> {
    net.nodes[&id]
        .reads
        .iter()
        .map(|r| (r.id, r.outcome.clone()))
        .collect()
}

#[test]
fn s6_4_read_index_waits_for_a_heartbeat_quorum() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.propose(1, b"x");
    let commit = net.raft(1).commit_index();
    net.step(1, Input::Read { id: 1 });
    assert!(
        read_outcomes(&net, 1).is_empty(),
        "not before a quorum confirms"
    );
    net.settle();
    assert_eq!(
        read_outcomes(&net, 1),
        vec![(1, ReadOutcome::Ready { index: commit })]
    );
    assert_eq!(net.raft(1).status().counters.reads_read_index, 1);
}

#[test]
fn s6_4_read_index_is_not_confirmed_by_a_minority() {
    let mut net = Net::new(5, |_| {});
    net.elect(1);
    for id in [3, 4, 5] {
        net.isolated.insert(id);
    }
    net.step(1, Input::Read { id: 1 });
    net.settle();
    assert!(read_outcomes(&net, 1).is_empty());
    net.tick_all(25); // check-quorum deposes the leader, which refuses the read
    assert_eq!(
        read_outcomes(&net, 1),
        vec![(1, ReadOutcome::NotLeader { leader_hint: None })]
    );
}

#[test]
fn s6_4_read_waits_for_the_leaders_first_commit_in_its_term() {
    let mut net = Net::new(3, no_prevote);
    net.isolated.insert(1);
    net.campaign(1);
    net.isolated.clear();
    net.drop_queue();
    // Elect by hand so the no-op is not yet committed.
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
    let _ = net.node(1).raft.step(Input::Read { id: 5 });
    let out = net.node(1).raft.take_output();
    assert!(out.reads.is_empty(), "the no-op has not committed yet");
    assert_eq!(net.raft(1).status().pending_reads, 1);
}

#[test]
fn s6_4_read_on_a_follower_answers_not_leader() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.step(3, Input::Read { id: 4 });
    assert_eq!(
        read_outcomes(&net, 3),
        vec![(
            4,
            ReadOutcome::NotLeader {
                leader_hint: Some(1)
            }
        )]
    );
}

#[test]
fn s6_4_1_lease_read_is_served_without_a_round_trip_and_expires() {
    let mut net = Net::new(3, |c| c.read_mode = ReadMode::Lease);
    net.elect(1);
    net.tick_all(2); // one acknowledged heartbeat round
    assert!(net.raft(1).status().lease_held);
    let sent_before = net.sent_log.len();
    net.step(1, Input::Read { id: 1 });
    assert_eq!(read_outcomes(&net, 1).len(), 1, "served at once");
    assert_eq!(net.sent_log.len(), sent_before, "no messages needed");
    assert_eq!(net.raft(1).status().counters.reads_lease, 1);
    // Followers go silent: the lease ends before the election timeout.
    net.isolated.insert(2);
    net.isolated.insert(3);
    for _ in 0..8 {
        net.tick(1);
    }
    assert!(!net.raft(1).status().lease_held);
    net.step(1, Input::Read { id: 2 });
    assert_eq!(
        read_outcomes(&net, 1).len(),
        1,
        "falls back to ReadIndex and waits"
    );
}

#[test]
fn s6_4_1_a_leader_whose_ticks_skipped_time_gives_up_its_lease() {
    let mut net = Net::new(3, |c| c.read_mode = ReadMode::Lease);
    net.elect(1);
    net.tick_all(2);
    assert!(net.raft(1).status().lease_held);
    net.node(1).raft.time_skipped();
    assert!(!net.raft(1).status().lease_held);
    net.step(1, Input::Read { id: 1 });
    assert!(
        read_outcomes(&net, 1).is_empty(),
        "waits for a heartbeat round"
    );
    // Another acknowledged round does not bring the lease back this term.
    net.tick_all(2);
    assert!(!net.raft(1).status().lease_held);
}

// ------------------------------------------------------------- §7 compaction

fn take_snapshot(net: &mut Net, id: u64, index: u64) {
    let meta = net.raft(id).snapshot_meta(index).expect("meta");
    let snap = Snapshot {
        meta,
        data: (0..10u8).collect(),
    };
    net.node(id).disk.save_snapshot(&snap);
    net.step(id, Input::SnapshotTaken { snapshot: snap });
}

#[test]
fn s7_snapshot_taken_compacts_the_log() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    for i in 0..4u8 {
        net.propose(1, &[i]);
    }
    take_snapshot(&mut net, 1, 3);
    let st = net.raft(1).status();
    assert_eq!(
        (st.snapshot_index, st.first_index, st.last_index),
        (3, 4, 5)
    );
    assert!(net.raft(1).entry(3).is_none());
    assert_eq!(net.raft(1).term_at(3), Some(1));
    assert_eq!(st.counters.compactions, 1);
}

#[test]
fn s7_snapshot_beyond_applied_or_with_wrong_meta_is_rejected() {
    let mut net = Net::new(1, |_| {});
    net.elect(1);
    net.propose(1, b"a");
    let mut meta = net.raft(1).snapshot_meta(2).unwrap();
    meta.last_term = 9;
    let r = net.node(1).raft.step(Input::SnapshotTaken {
        snapshot: Snapshot { meta, data: vec![] },
    });
    assert_eq!(r.unwrap_err().reason, RejectReason::BadSnapshot);
    let meta = faultline_raft::SnapshotMeta {
        last_index: 50,
        last_term: 1,
        membership: Membership::new([1]),
    };
    let r = net.node(1).raft.step(Input::SnapshotTaken {
        snapshot: Snapshot { meta, data: vec![] },
    });
    assert_eq!(r.unwrap_err().reason, RejectReason::BadSnapshot);
    assert_eq!(net.raft(1).snapshot_index(), 0);
}

#[test]
fn s7_follower_installs_snapshot_in_chunks() {
    let mut net = Net::new(3, |c| c.snapshot_chunk_bytes = 4);
    net.elect(1);
    net.isolated.insert(3);
    for i in 0..4u8 {
        net.propose(1, &[i]);
    }
    take_snapshot(&mut net, 1, 4);
    net.isolated.clear();
    net.tick_all(3);
    let chunks: Vec<(u64, usize, bool)> = net
        .sent_log
        .iter()
        .filter_map(|m| match &m.body {
            MessageBody::InstallSnapshot {
                offset, data, done, ..
            } if m.to == 3 => Some((*offset, data.len(), *done)),
            _ => None,
        })
        .collect();
    assert_eq!(chunks, vec![(0, 4, false), (4, 4, false), (8, 2, true)]);
    let n3 = &net.nodes[&3];
    assert_eq!(n3.installed.len(), 1);
    assert_eq!(n3.installed[0].data, (0..10u8).collect::<Vec<_>>());
    assert_eq!(n3.raft.snapshot_index(), 4);
    assert_eq!(n3.raft.last_index(), net.raft(1).last_index());
    assert_eq!(
        commands(n3),
        vec![vec![3u8]],
        "entries after the snapshot are applied"
    );
    assert_eq!(n3.raft.status().counters.snapshots_installed, 1);
}

#[test]
fn s7_inconsistent_snapshot_chunk_is_rejected_and_counted() {
    let mut f = Raft::new(config(2), Membership::new([1, 2, 3]), 2);
    let meta = faultline_raft::SnapshotMeta {
        last_index: 10,
        last_term: 1,
        membership: Membership::new([1, 2, 3]),
    };
    let chunk = |offset, data: &[u8], done, meta: &faultline_raft::SnapshotMeta| {
        Input::Message(msg(
            1,
            2,
            1,
            MessageBody::InstallSnapshot {
                meta: meta.clone(),
                offset,
                data: data.to_vec(),
                done,
            },
        ))
    };
    f.step(chunk(0, b"abcd", false, &meta)).unwrap();
    // A gap.
    let e = f.step(chunk(8, b"ij", true, &meta)).unwrap_err();
    assert_eq!(e.reason, RejectReason::InconsistentSnapshotChunk);
    // Different metadata in the middle of a transfer.
    let mut other = meta.clone();
    other.last_index = 11;
    let e = f.step(chunk(4, b"efgh", false, &other)).unwrap_err();
    assert_eq!(e.reason, RejectReason::InconsistentSnapshotChunk);
    // A duplicate is acknowledged, not installed twice.
    f.step(chunk(0, b"abcd", false, &meta)).unwrap();
    f.step(chunk(4, b"efgh", false, &meta)).unwrap();
    f.step(chunk(8, b"ij", true, &meta)).unwrap();
    let out = f.take_output();
    let snap = out.snapshot.expect("installed");
    assert_eq!(snap.data, b"abcdefghij".to_vec());
    assert_eq!(f.commit_index(), 10);
    assert_eq!(
        f.status()
            .counters
            .rejected
            .get("inconsistent_snapshot_chunk"),
        Some(&2)
    );
    let rejected: Vec<(u64, bool)> = out
        .messages
        .iter()
        .filter_map(|m| match m.body {
            MessageBody::InstallSnapshotResponse {
                next_offset,
                rejected,
                ..
            } => Some((next_offset, rejected)),
            _ => None,
        })
        .collect();
    assert_eq!(
        rejected,
        vec![
            (4, false),
            (4, true),
            (0, true),
            (4, false),
            (8, false),
            (10, false)
        ]
    );
}

// ----------------------------------------------------------------- restarts

#[test]
fn restart_restores_term_vote_log_and_reapplies_committed_entries() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.propose(1, b"a");
    net.propose(1, b"b");
    net.tick_all(2);
    let (term, last) = (net.raft(2).term(), net.raft(2).last_index());
    net.restart(2, 77);
    let r = net.raft(2);
    assert_eq!(r.term(), term);
    assert_eq!(r.last_index(), last);
    assert_eq!(r.status().persisted_index, last);
    assert_eq!(commands(&net.nodes[&2]), vec![b"a".to_vec(), b"b".to_vec()]);
    net.propose(1, b"c");
    net.tick_all(2);
    assert_eq!(
        commands(&net.nodes[&2]),
        vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
    );
}

#[test]
fn restart_from_snapshot_and_log() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    for i in 0..4u8 {
        net.propose(1, &[i]);
    }
    net.tick_all(2);
    take_snapshot(&mut net, 2, 3);
    net.restart(2, 5);
    let r = net.raft(2);
    assert_eq!(r.snapshot_index(), 3);
    assert_eq!(r.last_index(), 5);
    assert_eq!(r.commit_index(), 5);
    assert_eq!(
        commands(&net.nodes[&2]),
        vec![vec![2u8], vec![3u8]],
        "only entries after the snapshot"
    );
}

#[test]
fn restart_refuses_inconsistent_state_and_resumes_a_log_ahead_of_its_term() {
    let state = RecoveredState {
        hard_state: HardState {
            term: 1,
            voted_for: None,
            commit: 0,
        },
        snapshot: None,
        entries: vec![cmd(1, 1, b"a"), cmd(3, 1, b"c")],
        truncated_at: None,
    };
    assert!(Raft::restore(config(1), Membership::new([1]), state, 1).is_err());
    let state = RecoveredState {
        hard_state: HardState {
            term: 1,
            voted_for: None,
            commit: 0,
        },
        snapshot: None,
        entries: vec![cmd(1, 2, b"a")],
        truncated_at: None,
    };
    // A log ahead of the hard state (the hard state's write was lost after
    // the entries') is not refused: the node resumes in the log's term with
    // no vote, and writes that before anything else.
    let mut r = Raft::restore(config(1), Membership::new([1]), state, 1).unwrap();
    assert_eq!(r.term(), 2);
    r.step(Input::Tick).unwrap();
    let written = r
        .take_output()
        .hard_state
        .expect("the resumed term is written");
    assert_eq!((written.term, written.voted_for), (2, None));
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_input_from_unknown_peer_or_to_another_node_is_rejected_and_counted() {
    let mut r = Raft::new(config(1), Membership::new([1, 2, 3]), 1);
    let e = r
        .step(Input::Message(msg(9, 1, 1, append(0, 0, vec![], 0))))
        .unwrap_err();
    assert_eq!(e.reason, RejectReason::UnknownPeer);
    let e = r
        .step(Input::Message(msg(2, 5, 1, append(0, 0, vec![], 0))))
        .unwrap_err();
    assert_eq!(e.reason, RejectReason::WrongRecipient);
    let c = r.status().counters;
    assert_eq!(c.rejected.get("unknown_peer"), Some(&1));
    assert_eq!(c.rejected.get("wrong_recipient"), Some(&1));
    assert_eq!(c.messages_received.get("AppendEntries"), Some(&2));
    assert_eq!(r.term(), 0, "nothing else changed");
}

#[test]
fn bad_input_out_of_range_indices_are_rejected() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    let term = net.raft(1).term();
    let e = net
        .node(1)
        .raft
        .step(Input::Message(msg(
            2,
            1,
            term,
            MessageBody::AppendEntriesResponse {
                success: true,
                match_index: u64::MAX,
                conflict_term: None,
                conflict_index: 0,
                rejected_index: 0,
                read_round: u64::MAX,
            },
        )))
        .unwrap_err();
    assert_eq!(e.reason, RejectReason::IndexOutOfRange);
    // Non-contiguous entries from a leader.
    let e = net
        .node(2)
        .raft
        .step(Input::Message(msg(
            1,
            2,
            term,
            append(1, 1, vec![cmd(5, 1, b"x")], 0),
        )))
        .unwrap_err();
    assert_eq!(e.reason, RejectReason::IndexOutOfRange);
    // Entries of a term newer than the sender's.
    let e = net
        .node(2)
        .raft
        .step(Input::Message(msg(
            1,
            2,
            term,
            append(1, 1, vec![cmd(2, term + 1, b"x")], 0),
        )))
        .unwrap_err();
    assert_eq!(e.reason, RejectReason::MalformedEntries);
    // A Persisted notice for a term we do not hold.
    let e = net
        .node(1)
        .raft
        .step(Input::Persisted {
            index: 99,
            term: 42,
        })
        .unwrap_err();
    assert_eq!(e.reason, RejectReason::StalePersisted);
    assert_eq!(net.raft(1).role(), Role::Leader);
    assert_eq!(net.raft(2).last_index(), 1);
}

#[test]
fn bad_input_overwriting_a_committed_entry_is_refused() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.propose(1, b"a");
    net.tick_all(2);
    let term = net.raft(2).term() + 1;
    assert_eq!(net.raft(2).commit_index(), 2);
    let e = net
        .node(2)
        .raft
        .step(Input::Message(msg(
            1,
            2,
            term,
            append(0, 0, vec![cmd(1, term, b"evil")], 0),
        )))
        .unwrap_err();
    assert_eq!(e.reason, RejectReason::ConflictBelowCommit);
    assert_eq!(
        net.raft(2).entry(2).map(|e| e.payload.clone()),
        Some(EntryPayload::Command(b"a".to_vec()))
    );
}

#[test]
fn bad_input_random_messages_never_panic_and_keep_invariants() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let mut net = Net::new(3, |c| c.snapshot_chunk_bytes = 3);
    net.elect(1);
    net.propose(1, b"a");
    for round in 0..3000u64 {
        let to = rng.gen_range(1..=3);
        let from = rng.gen_range(0..=4);
        let term = rng.gen_range(0..4);
        let idx = |rng: &mut rand_chacha::ChaCha8Rng| match rng.gen_range(0..4) {
            0 => u64::MAX - rng.gen_range(0..3),
            _ => rng.gen_range(0..8),
        };
        let body = match rng.gen_range(0..8) {
            0 => MessageBody::RequestVote {
                pre_vote: rng.gen(),
                last_log_index: idx(&mut rng),
                last_log_term: rng.gen_range(0..5),
                transfer: rng.gen(),
            },
            1 => MessageBody::RequestVoteResponse {
                pre_vote: rng.gen(),
                granted: rng.gen(),
            },
            2 => {
                let prev = idx(&mut rng);
                let n = rng.gen_range(0..3);
                let entries = (0..n)
                    .map(|k| cmd(prev.wrapping_add(k + 1), rng.gen_range(0..5), b"r"))
                    .collect();
                append(prev, rng.gen_range(0..5), entries, idx(&mut rng))
            }
            3 => MessageBody::AppendEntriesResponse {
                success: rng.gen(),
                match_index: idx(&mut rng),
                conflict_term: rng.gen::<bool>().then(|| rng.gen_range(0..5)),
                conflict_index: idx(&mut rng),
                rejected_index: idx(&mut rng),
                read_round: idx(&mut rng),
            },
            4 => MessageBody::InstallSnapshot {
                meta: faultline_raft::SnapshotMeta {
                    last_index: idx(&mut rng),
                    last_term: rng.gen_range(0..5),
                    membership: Membership::new([1, 2, 3]),
                },
                offset: idx(&mut rng),
                data: vec![1, 2, 3],
                done: rng.gen(),
            },
            5 => MessageBody::InstallSnapshotResponse {
                last_index: idx(&mut rng),
                next_offset: idx(&mut rng),
                done: rng.gen(),
                rejected: rng.gen(),
            },
            6 => MessageBody::TimeoutNow,
            _ => {
                net.tick_all(1);
                continue;
            }
        };
        net.step(to, Input::Message(msg(from, to, term, body)));
        if round % 7 == 0 {
            net.settle();
        }
        for id in 1..=3 {
            let st = net.raft(id).status();
            assert!(st.applied_index <= st.commit_index && st.commit_index <= st.last_index);
            assert!(st.snapshot_index <= st.applied_index);
        }
    }
    let rejected: u64 = (1..=3)
        .map(|id| net.raft(id).status().counters.rejected_total())
        .sum();
    assert!(
        rejected > 100,
        "garbage must be refused, only {rejected} were"
    );
}

// ------------------------------------------------------------ configuration

#[test]
fn membership_entry_takes_effect_when_appended_and_reverts_when_truncated() {
    let mut f = Raft::new(config(2), Membership::new([1, 2, 3]), 2);
    let grown = Membership::new([1, 2, 3, 4]);
    let entry = faultline_raft::Entry {
        index: 1,
        term: 1,
        payload: EntryPayload::Membership(grown.clone()),
    };
    f.step(Input::Message(msg(1, 2, 1, append(0, 0, vec![entry], 0))))
        .unwrap();
    assert_eq!(f.membership(), &grown, "in force as soon as it is appended");
    // Node 4 is now a known peer.
    f.step(Input::Message(msg(4, 2, 1, MessageBody::TimeoutNow)))
        .unwrap_err();
    assert_eq!(f.status().counters.rejected.get("unknown_peer"), None);
    // A new leader of term 2 overwrites the uncommitted entry.
    f.step(Input::Message(msg(
        3,
        2,
        2,
        append(0, 0, vec![cmd(1, 2, b"x")], 0),
    )))
    .unwrap();
    assert_eq!(f.membership(), &Membership::new([1, 2, 3]));
    let e = f
        .step(Input::Message(msg(4, 2, 2, append(0, 0, vec![], 0))))
        .unwrap_err();
    assert_eq!(e.reason, RejectReason::UnknownPeer);
}

#[test]
fn output_replaces_a_suffix_queued_earlier_in_the_same_output() {
    let mut f = Raft::new(config(2), Membership::new([1, 2, 3]), 2);
    let first: Vec<_> = (1..=4).map(|i| cmd(i, 1, b"a")).collect();
    f.step(Input::Message(msg(1, 2, 1, append(0, 0, first, 0))))
        .unwrap();
    f.step(Input::Message(msg(
        3,
        2,
        2,
        append(2, 1, vec![cmd(3, 2, b"b")], 0),
    )))
    .unwrap();
    let out = f.take_output();
    let shape: Vec<(u64, u64)> = out.entries.iter().map(|e| (e.index, e.term)).collect();
    assert_eq!(shape, vec![(1, 1), (2, 1), (3, 2)]);
    assert_eq!(f.last_index(), 3);
}

#[test]
fn status_counts_messages_by_kind_and_elections() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.propose(1, b"x");
    let st = net.raft(1).status();
    assert_eq!(st.role, Role::Leader);
    assert_eq!(st.counters.pre_votes_started, 1);
    assert_eq!(st.counters.elections_won, 1);
    assert_eq!(st.counters.messages_sent.get("PreVote"), Some(&2));
    assert_eq!(st.counters.messages_sent.get("RequestVote"), Some(&2));
    assert!(
        st.counters
            .messages_received
            .get("AppendEntriesResponse")
            .copied()
            .unwrap_or(0)
            >= 2
    );
    let sent: u64 = net.sent_log.iter().filter(|m| m.from == 1).count() as u64;
    assert_eq!(st.counters.messages_sent.values().sum::<u64>(), sent);
    assert_eq!(st.applied_index, st.commit_index);
    assert_eq!(st.peers.len(), 2);
}

#[test]
fn s9_6_prevote_is_refused_to_a_candidate_with_a_stale_log() {
    let mut v = restored(2, 3, vec![cmd(1, 1, b"a"), cmd(2, 2, b"b")], 2, |_| {});
    let ask = |last_log_index, last_log_term| {
        Input::Message(msg(
            3,
            2,
            3,
            MessageBody::RequestVote {
                pre_vote: true,
                last_log_index,
                last_log_term,
                transfer: false,
            },
        ))
    };
    v.step(ask(1, 1)).unwrap();
    v.step(ask(2, 2)).unwrap();
    let answers: Vec<(u64, bool)> = v
        .take_output()
        .messages
        .iter()
        .map(|m| match m.body {
            MessageBody::RequestVoteResponse {
                pre_vote: true,
                granted,
            } => (m.term, granted),
            _ => panic!("unexpected {m:?}"),
        })
        .collect();
    assert_eq!(answers, vec![(2, false), (3, true)]);
    assert_eq!(v.term(), 2, "pre-votes change no term");
    assert_eq!(v.status().voted_for, None, "and record no vote");
}

#[test]
fn s7_lost_snapshot_chunk_is_resent_on_heartbeat() {
    let mut net = Net::new(3, |c| c.snapshot_chunk_bytes = 4);
    net.elect(1);
    net.isolated.insert(3);
    net.propose(1, b"a");
    net.propose(1, b"b");
    take_snapshot(&mut net, 1, 3);
    net.isolated.clear();
    net.drop_queue();
    // The heartbeat's rejection starts the transfer; drop its first chunk.
    let mut dropped = 0;
    for _ in 0..20 {
        for id in [1, 2, 3] {
            net.tick(id);
        }
        while let Some(m) = net.queue.pop_front() {
            if matches!(m.body, MessageBody::InstallSnapshot { offset: 0, .. }) && dropped == 0 {
                dropped += 1;
                continue;
            }
            let to = m.to;
            net.step(to, Input::Message(m));
        }
    }
    net.settle();
    assert_eq!(dropped, 1);
    assert_eq!(net.nodes[&3].installed.len(), 1);
    assert_eq!(net.raft(3).snapshot_index(), 3);
    assert_eq!(net.raft(3).last_index(), net.raft(1).last_index());
}

#[test]
fn s7_a_newer_snapshot_restarts_a_transfer_in_progress() {
    let mut net = Net::new(3, |c| c.snapshot_chunk_bytes = 4);
    net.elect(1);
    net.isolated.insert(3);
    for i in 0..4u8 {
        net.propose(1, &[i]);
    }
    take_snapshot(&mut net, 1, 2);
    net.isolated.clear();
    net.drop_queue();
    // Let the transfer of the snapshot at 2 begin, then compact further.
    for id in [1, 2, 3] {
        net.tick(id);
        net.tick(id);
    }
    while let Some(m) = net.queue.pop_front() {
        let is_first_chunk = matches!(m.body, MessageBody::InstallSnapshot { offset: 0, .. });
        let to = m.to;
        net.step(to, Input::Message(m));
        if is_first_chunk {
            break;
        }
    }
    take_snapshot(&mut net, 1, 5);
    net.settle();
    net.tick_all(3);
    let n3 = &net.nodes[&3];
    let installed: Vec<u64> = n3.installed.iter().map(|s| s.meta.last_index).collect();
    assert_eq!(installed, vec![5], "only the newer snapshot is installed");
    let old_chunks = net
        .sent_log
        .iter()
        .filter(|m| matches!(&m.body, MessageBody::InstallSnapshot { meta, .. } if meta.last_index == 2))
        .count();
    assert!(old_chunks >= 1, "the older transfer had begun");
    assert_eq!(n3.raft.last_index(), net.raft(1).last_index());
    assert_eq!(n3.raft.commit_index(), net.raft(1).commit_index());
}

#[test]
fn s5_2_candidate_rejected_by_a_majority_returns_to_follower() {
    // Node 1 has the shortest log: both peers refuse it.
    let mut net = Net::new(3, no_prevote);
    let long = vec![cmd(1, 1, b"a"), cmd(2, 1, b"b")];
    net.node(1).raft = restored(1, 3, vec![cmd(1, 1, b"a")], 1, no_prevote);
    net.node(2).raft = restored(2, 3, long.clone(), 1, no_prevote);
    net.node(3).raft = restored(3, 3, long, 1, no_prevote);
    net.campaign(1);
    assert_eq!(net.raft(1).role(), Role::Follower);
    assert_eq!(net.raft(1).term(), 2);
    assert_eq!(net.raft(1).status().counters.elections_won, 0);
    // One of the up-to-date nodes then wins and repairs node 1's log.
    net.tick_all(40);
    let leader = net
        .ids()
        .into_iter()
        .find(|&id| net.raft(id).role() == Role::Leader)
        .expect("a leader");
    assert_ne!(leader, 1);
    assert_eq!(net.raft(1).term_at(2), Some(1));
}
