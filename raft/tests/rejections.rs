//! How a leader answers refusals of its AppendEntries (Raft §5.3): one
//! probe per window of refusals, not one per refusal, and recovery when a
//! follower lost entries it had acknowledged.

mod core_net;

use core_net::{msg, Net};
use faultline_raft::{Input, MessageBody, NodeId, ProgressState};

fn refusal(rejected_index: u64, conflict_index: u64) -> MessageBody {
    MessageBody::AppendEntriesResponse {
        success: false,
        match_index: 0,
        conflict_term: None,
        conflict_index,
        rejected_index,
        read_round: 0,
    }
}

fn appends_to(messages: &[faultline_raft::Message], to: NodeId) -> Vec<u64> {
    messages
        .iter()
        .filter(|m| m.to == to)
        .filter_map(|m| match m.body {
            MessageBody::AppendEntries { prev_log_index, .. } => Some(prev_log_index),
            _ => None,
        })
        .collect()
}

#[test]
fn a_window_of_refusals_costs_one_probe() {
    let mut net = Net::new(3, |c| c.max_entries_per_msg = 1);
    net.elect(1);
    let start = net.raft(1).last_index();
    net.isolated.insert(2);
    for id in 1..=4 {
        net.step(
            1,
            Input::Propose {
                id,
                data: vec![id as u8],
            },
        );
    }
    let sent = appends_to(&net.drop_queue(), 2);
    assert_eq!(
        sent,
        vec![start, start + 1, start + 2, start + 3],
        "one entry per message, pipelined"
    );
    let term = net.raft(1).term();
    let mut probes = Vec::new();
    // The first message was lost, so the follower refuses the other three.
    for &prev in &sent[1..] {
        let leader = &mut net.node(1).raft;
        let _ = leader.step(Input::Message(msg(2, 1, term, refusal(prev, start + 1))));
        probes.extend(appends_to(&leader.take_output().messages, 2));
    }
    assert_eq!(probes, vec![start], "one probe from the follower's end");
    let status = net.raft(1).status();
    assert_eq!(status.counters.rejected.get("stale_rejection"), Some(&2));
    let peer = status.peers.iter().find(|p| p.id == 2).expect("peer 2");
    assert_eq!(peer.state, ProgressState::Probe);
}

#[test]
fn a_refusal_of_nothing_sent_is_ignored() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    net.isolated.insert(2);
    net.propose(1, b"a");
    let last = net.raft(1).last_index();
    let term = net.raft(1).term();
    // A refusal of a message never sent (a confused or lying follower).
    let leader = &mut net.node(1).raft;
    let _ = leader.step(Input::Message(msg(2, 1, term, refusal(last + 5, 1))));
    assert!(appends_to(&leader.take_output().messages, 2).is_empty());
    assert_eq!(
        net.raft(1)
            .status()
            .counters
            .rejected
            .get("stale_rejection"),
        Some(&1)
    );
}

#[test]
fn a_follower_that_lost_acknowledged_entries_catches_up() {
    let mut net = Net::new(3, |_| {});
    net.elect(1);
    for data in [b"a", b"b", b"c"] {
        net.propose(1, data);
    }
    net.tick_all(12);
    let last = net.raft(1).last_index();
    let peer = |net: &Net| {
        net.raft(1)
            .status()
            .peers
            .into_iter()
            .find(|p| p.id == 2)
            .expect("peer 2")
    };
    assert_eq!(peer(&net).match_index, last);
    // A damaged disk: node 2 comes back with only its first entry.
    let disk = &mut net.node(2).disk;
    disk.entries.truncate(1);
    disk.hard_state.commit = disk.hard_state.commit.min(1);
    net.restart(2, 7);
    let sent_before = net.sent_log.len();
    net.propose(1, b"d");
    net.tick_all(30);
    assert_eq!(net.raft(2).last_index(), net.raft(1).last_index());
    assert_eq!(peer(&net).match_index, net.raft(1).last_index());
    let to_2 = appends_to(&net.sent_log[sent_before..], 2).len();
    assert!(to_2 < 20, "{to_2} AppendEntries to the recovering follower");
}
