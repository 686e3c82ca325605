//! The node driver's seeded bugs ([`crate::bugs`]) break the rule they
//! name: each test drives a real [`Driver`] by hand, once correct and once
//! with the bug on.

use super::{Driver, Waiter};
use crate::bugs::{Bug, BugSet};
use crate::kv::{KvCommand, KvOp, KvReply};
use crate::node::clock::TokioClock;
use crate::node::protocol::{ClientRequest, ClientResponse, ResponseBody};
use crate::node::transport::ClientCall;
use crate::node::{NodeConfig, NodeHandles};
use crate::storage::MemStorage;
use crate::types::{Entry, EntryPayload};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::mpsc;

fn driver(peers: &[u64], bugs: BugSet) -> Driver<MemStorage> {
    let peers: BTreeMap<u64, String> = peers.iter().map(|&p| (p, format!("n{p}:1"))).collect();
    let mut config = NodeConfig::new(1, peers, "n1:1".to_string());
    config.raft.bugs = bugs;
    let handles = NodeHandles::new(1, Arc::new(TokioClock::new()));
    Driver::recover(MemStorage::new(), &config, &handles).expect("a fresh node starts")
}

fn answer_of(rx: &mut mpsc::Receiver<ClientResponse>) -> ResponseBody {
    rx.try_recv().expect("the client was answered").body
}

/// A proposer waiting at index 1 for its term-1 entry, when index 1
/// commits another term's entry, must not get that entry's result.
fn proposer_answer_when_its_entry_lost(bugs: BugSet) -> ResponseBody {
    let mut d = driver(&[1, 2, 3], bugs);
    let (reply, mut rx) = mpsc::channel(4);
    d.appended.insert(1, vec![(1, Waiter { reply, req_id: 9 })]);
    let other = KvCommand {
        client_id: 77,
        seq: 1,
        op: KvOp::Write {
            key: "k".into(),
            value: "someone else's".into(),
        },
    };
    let entry = Entry {
        index: 1,
        term: 2,
        payload: EntryPayload::Command(other.encode()),
    };
    d.apply_committed(&[entry]).expect("applies");
    answer_of(&mut rx)
}

#[test]
fn ack_wrong_result_after_leader_change_answers_with_another_entrys_result() {
    assert_eq!(
        proposer_answer_when_its_entry_lost(BugSet::NONE),
        ResponseBody::Dropped
    );
    let buggy = BugSet::of([Bug::AckWrongResultAfterLeaderChange]);
    assert_eq!(
        proposer_answer_when_its_entry_lost(buggy),
        ResponseBody::Reply(KvReply::Done)
    );
}

/// What a follower of a three-node cluster answers a read.
fn follower_read_answer(bugs: BugSet) -> ResponseBody {
    let mut d = driver(&[1, 2, 3], bugs);
    let (reply, mut rx) = mpsc::channel(4);
    let request = ClientRequest {
        req_id: 3,
        client_id: 5,
        seq: 0,
        op: KvOp::Read { key: "k".into() },
    };
    d.client(ClientCall { request, reply }).expect("handled");
    answer_of(&mut rx)
}

#[test]
fn follower_local_reads_serve_a_read_without_a_leader() {
    assert!(matches!(
        follower_read_answer(BugSet::NONE),
        ResponseBody::NotLeader { .. }
    ));
    let buggy = BugSet::of([Bug::FollowerLocalReads]);
    assert_eq!(
        follower_read_answer(buggy),
        ResponseBody::Reply(KvReply::Read { value: None })
    );
}
