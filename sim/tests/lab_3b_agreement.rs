//! MIT 6.5840 lab 3B (log agreement) under turmoil. Commands are KV writes
//! through the client library; "agreement" means the write was acknowledged
//! and applied on the expected number of running nodes within the lab's
//! 10 s (simulated), and the cluster observer (election safety, log
//! matching, leader completeness, state machine safety) found nothing.

mod support;

use faultline_raft::NodeId;
use std::time::Duration;
use support::{config, Lab};

fn lab(nodes: usize, seed: u64) -> Lab<'static> {
    Lab::new(config(nodes, seed))
}

fn others(lab: &Lab<'_>, but: &[NodeId]) -> Vec<NodeId> {
    lab.c
        .ids()
        .into_iter()
        .filter(|id| !but.contains(id))
        .collect()
}

#[test]
fn basic_agree() {
    let mut lab = lab(3, 11);
    lab.await_leader();
    assert_eq!(
        lab.c
            .handles()
            .values()
            .map(|h| h.stats.snapshot().entries_applied)
            .max(),
        Some(lab.max_commit()),
        "only the leader's no-op may be applied before any command"
    );
    let mut last = 0;
    for _ in 0..3 {
        let index = lab.one("x", 3, false);
        assert!(index > last, "index {index} did not advance past {last}");
        last = index;
    }
    assert_eq!(lab.read("x").as_deref(), Some("v3"));
    lab.finish();
}

/// Each command travels to each follower about once: with 5,000-byte
/// values, the frames sent for ten writes stay near one AppendEntries and
/// one answer per follower per write (the node counts Raft messages, not
/// bytes; a batch carries several entries, so fewer frames is fine).
#[test]
fn rpc_bytes() {
    let mut lab = lab(3, 12);
    lab.await_leader();
    lab.one("x", 3, false);
    let before = lab.c.messages_sent();
    let t0 = lab.now();
    let big = "b".repeat(5000);
    for i in 0..10 {
        let t = lab.submit_write("x", &format!("{i}{big}"), None);
        let o = lab.wait(&t, Duration::from_secs(10));
        assert!(matches!(o, Some(Ok(_))), "write {i}: {o:?}");
    }
    let sent = lab.c.messages_sent() - before;
    let secs = (lab.now() - t0).as_secs_f64().ceil() as u64;
    // 2 followers x 2 messages per write, plus heartbeats and their answers.
    let budget = 10 * 4 + secs * 2 * 2 * 10 + 8;
    assert!(
        sent <= budget,
        "{sent} messages for 10 writes (budget {budget})"
    );
    lab.sleep(Duration::from_millis(500));
    assert_eq!(lab.n_applied(lab.max_commit()), 3);
    lab.finish();
}

#[test]
fn follower_failure() {
    let mut lab = lab(3, 13);
    lab.one("x", 3, false);
    let (leader1, _) = lab.await_leader();
    let follower = others(&lab, &[leader1])[0];
    lab.isolate(follower);
    lab.one("x", 2, false);
    lab.sleep(Duration::from_secs(1)); // an election timeout
    lab.one("x", 2, false);
    // Disconnect the remaining follower too: nothing commits.
    let (leader2, _) = lab.await_leader();
    for id in others(&lab, &[leader2]) {
        lab.isolate(id);
    }
    lab.assert_no_commit_for("x", leader2, Duration::from_secs(2));
    lab.finish();
}

#[test]
fn leader_failure() {
    let mut lab = lab(3, 14);
    lab.one("x", 3, false);
    let (leader1, _) = lab.await_leader();
    lab.isolate(leader1);
    lab.one("x", 2, false);
    lab.sleep(Duration::from_secs(1));
    lab.one("x", 2, false);
    let leader2 = lab.await_leader_among(&others(&lab, &[leader1]));
    lab.isolate(leader2);
    // Every node is now alone: nothing commits anywhere.
    let before = lab.commits();
    let pending: Vec<_> = lab
        .c
        .ids()
        .into_iter()
        .map(|id| lab.submit_write("x", "lost", Some(id)))
        .collect();
    lab.sleep(Duration::from_secs(2));
    assert_eq!(
        lab.commits(),
        before,
        "a write committed without a majority"
    );
    for t in &pending {
        let o = lab.wait(t, Duration::from_secs(10)).expect("ends");
        assert!(
            o.is_err(),
            "a write without a majority was acknowledged: {o:?}"
        );
    }
    lab.finish();
}

#[test]
fn fail_agree() {
    let mut lab = lab(3, 15);
    lab.one("x", 3, false);
    let (leader, _) = lab.await_leader();
    let follower = others(&lab, &[leader])[0];
    lab.isolate(follower);
    for _ in 0..4 {
        lab.one("x", 2, false);
    }
    lab.sleep(Duration::from_secs(1));
    lab.one("x", 2, false);
    lab.heal();
    // The rejoined follower catches up and takes part again.
    lab.one("x", 3, true);
    lab.sleep(Duration::from_secs(1));
    lab.one("x", 3, true);
    lab.finish();
}

#[test]
fn fail_no_agree() {
    let mut lab = lab(5, 16);
    lab.one("x", 5, false);
    let (leader, _) = lab.await_leader();
    let cut: Vec<NodeId> = others(&lab, &[leader]).into_iter().take(3).collect();
    for &id in &cut {
        lab.isolate(id);
    }
    let pending = lab.assert_no_commit_for("x", leader, Duration::from_secs(2));
    lab.heal();
    // The pending write may or may not survive the new leader; the cluster
    // agrees again either way.
    lab.await_leader();
    lab.one("x", 5, true);
    let _ = lab
        .wait(&pending, Duration::from_secs(10))
        .expect("the pending write ends");
    lab.one("x", 5, true);
    lab.finish();
}

#[test]
fn concurrent_starts() {
    let mut lab = lab(3, 17);
    lab.await_leader();
    let tickets: Vec<_> = (0..5)
        .map(|i| lab.submit_write(&format!("k{i}"), &format!("c{i}"), None))
        .collect();
    for (i, t) in tickets.iter().enumerate() {
        let o = lab.wait(t, Duration::from_secs(10));
        assert!(matches!(o, Some(Ok(_))), "concurrent write {i}: {o:?}");
    }
    let index = lab.max_commit();
    let until = lab.now() + Duration::from_secs(10);
    while lab.n_applied(index) < 3 && lab.now() < until {
        lab.step();
    }
    assert_eq!(lab.n_applied(index), 3);
    for i in 0..5 {
        assert_eq!(lab.read(&format!("k{i}")), Some(format!("c{i}")));
    }
    lab.finish();
}

#[test]
fn rejoin() {
    let mut lab = lab(3, 18);
    lab.one("x", 3, true);
    let (leader1, _) = lab.await_leader();
    lab.isolate(leader1);
    // The old leader takes commands it can never commit.
    let stale: Vec<_> = (0..3)
        .map(|i| lab.submit_write("x", &format!("stale{i}"), Some(leader1)))
        .collect();
    lab.one("x", 2, true);
    let leader2 = lab.await_leader_among(&others(&lab, &[leader1]));
    lab.isolate(leader2);
    lab.connect(leader1, &[leader2]);
    lab.one("x", 2, true);
    lab.heal();
    lab.one("x", 3, true);
    for t in &stale {
        let o = lab.wait(t, Duration::from_secs(10)).expect("ends");
        assert!(
            o.is_err(),
            "a write to a partitioned leader was acknowledged"
        );
    }
    lab.finish();
}

/// Leaders with long divergent tails: the new leader must back the
/// followers up quickly over 50-entry conflicts (the lab's Backup).
#[test]
fn backup() {
    let mut lab = lab(5, 19);
    lab.one("x", 5, true);
    let (leader1, _) = lab.await_leader();
    let rest = others(&lab, &[leader1]);
    // Keep leader1 and one follower; cut the other three off.
    let kept = rest[0];
    for &id in &rest[1..] {
        lab.isolate(id);
    }
    lab.connect(leader1, &rest[1..]);
    lab.c.repair(leader1, kept);
    let uncommitted: Vec<_> = (0..50)
        .map(|i| lab.submit_write("x", &format!("a{i}"), Some(leader1)))
        .collect();
    lab.sleep(Duration::from_millis(500));
    // Swap: the three take over and commit 50 entries of their own.
    lab.isolate(leader1);
    lab.isolate(kept);
    let three: Vec<NodeId> = rest[1..].to_vec();
    for (i, &a) in three.iter().enumerate() {
        for &b in &three[i + 1..] {
            lab.c.repair(a, b);
        }
    }
    for _ in 0..50 {
        lab.one("x", 3, true);
    }
    // Now the three lose one member; the new leader's tail stays uncommitted.
    let leader2 = lab.await_leader_among(&three);
    let other = *three
        .iter()
        .find(|&&id| id != leader2)
        .expect("three nodes");
    lab.isolate(other);
    let more: Vec<_> = (0..50)
        .map(|i| lab.submit_write("x", &format!("b{i}"), Some(leader2)))
        .collect();
    lab.sleep(Duration::from_millis(500));
    // Bring back the original leader and follower with `other`.
    for id in lab.c.ids() {
        lab.isolate(id);
    }
    let group = [leader1, kept, other];
    for (i, &a) in group.iter().enumerate() {
        for &b in &group[i + 1..] {
            lab.c.repair(a, b);
        }
    }
    for _ in 0..50 {
        lab.one("x", 3, true);
    }
    lab.heal();
    for t in uncommitted.iter().chain(&more) {
        let _ = lab.wait(t, Duration::from_secs(10)).expect("ends");
    }
    lab.one("x", 5, true);
    lab.finish();
}

/// The lab's Count, in Raft messages (`NodeStats::peer_frames_sent`:
/// requests and answers both count; the transport's acknowledgement frames
/// do not). The lab counts a call and its reply as one RPC, so its limits
/// are doubled here. Seed 20 measures 10 messages for the election, 43 for
/// 11 agreements and 41 for an idle second.
#[test]
fn count() {
    let mut lab = lab(3, 20);
    lab.await_leader();
    let election = lab.c.messages_sent();
    assert!(
        election <= 2 * 30,
        "{election} messages to elect a leader (lab: 30 RPCs)"
    );
    let mut attempt = 0;
    let agreements = loop {
        attempt += 1;
        assert!(attempt <= 5, "the term kept changing");
        lab.sleep(Duration::from_secs(1));
        let (leader, term) = lab.await_leader();
        let before = lab.c.messages_sent();
        let mut last = 0;
        for i in 0..11 {
            let t = lab.submit_write("x", &format!("c{i}"), Some(leader));
            let o = lab.wait(&t, Duration::from_secs(10));
            assert!(matches!(o, Some(Ok(_))), "write {i}: {o:?}");
            let index = lab.max_commit();
            assert!(index > last);
            last = index;
        }
        if lab.c.leader() != Some((leader, term)) {
            continue;
        }
        let used = lab.c.messages_sent() - before;
        assert!(
            used <= 2 * (11 + 3) * 3,
            "{used} messages for 11 agreements (lab: 42 RPCs)"
        );
        break used;
    };
    let before = lab.c.messages_sent();
    lab.sleep(Duration::from_secs(1));
    let idle = lab.c.messages_sent() - before;
    eprintln!(
        "count: election {election} messages, 11 agreements {agreements}, idle second {idle}"
    );
    assert!(
        idle <= 3 * 20,
        "{idle} messages in an idle second (lab: 60)"
    );
    lab.finish();
}
