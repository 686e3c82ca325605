//! MIT 6.5840 lab 3A (leader election) under turmoil, with the lab's budgets
//! in simulated time: a leader within 5 s, a new one within 5 s of losing it,
//! at most 10 heartbeats per second per peer, and the cluster observer
//! finding no violation.

mod support;

use faultline_sim::cluster::SimCluster;
use std::time::Duration;
use support::assert_no_violations;

fn cluster(nodes: usize, seed: u64) -> SimCluster<'static> {
    SimCluster::new(support::config(nodes, seed)).expect("cluster")
}

/// Steps until some node leads, at most `budget` of simulated time.
fn await_leader(c: &mut SimCluster<'_>, budget: Duration) -> (u64, u64) {
    let until = c.now() + budget;
    while c.now() < until {
        c.step().expect("step");
        if let Some(l) = c.leader() {
            return l;
        }
    }
    panic!("no leader within {budget:?} (at {:?})", c.now());
}

#[test]
fn initial_election() {
    let mut c = cluster(3, 1);
    let (leader, term) = await_leader(&mut c, Duration::from_secs(5));
    // With no failures the leader and term stay put.
    c.run_until(c.now() + Duration::from_secs(2)).unwrap();
    assert_eq!(
        c.leader(),
        Some((leader, term)),
        "leadership changed without failures"
    );
    // At most 10 heartbeats per second per peer: 3 nodes, 2 s idle.
    let before = c.messages_sent();
    c.run_until(c.now() + Duration::from_secs(1)).unwrap();
    let idle = c.messages_sent() - before;
    assert!(idle <= 60, "{idle} messages in an idle second");
    assert_no_violations(&mut c);
}

#[test]
fn re_election() {
    let mut c = cluster(3, 2);
    let (l1, _) = await_leader(&mut c, Duration::from_secs(5));
    c.isolate(l1);
    let until = c.now() + Duration::from_secs(5);
    let mut l2 = None;
    while c.now() < until && l2.is_none() {
        c.step().unwrap();
        l2 = c
            .handles()
            .iter()
            .filter(|(&id, _)| id != l1)
            .find_map(|(&id, h)| {
                (h.observation.lock().role == faultline_raft::Role::Leader).then_some(id)
            });
    }
    let l2 = l2.expect("no new leader within 5 s of isolating the old one");
    // The old leader rejoins: one leader remains, at most.
    c.heal();
    c.run_until(c.now() + Duration::from_secs(3)).unwrap();
    assert!(c.leader().is_some());
    // No quorum: no leader is elected.
    let others: Vec<u64> = c.ids().into_iter().filter(|&id| id != l2).collect();
    for &id in &c.ids() {
        c.isolate(id);
    }
    c.run_until(c.now() + Duration::from_secs(4)).unwrap();
    let leaders = c
        .handles()
        .values()
        .filter(|h| h.observation.lock().role == faultline_raft::Role::Leader)
        .count();
    let states: Vec<String> = c
        .handles()
        .values()
        .map(|h| {
            let o = h.observation.lock();
            format!(
                "n{} {:?} t{} running={} steps={}",
                o.id, o.role, o.hard_state.term, o.running, o.steps
            )
        })
        .collect();
    assert_eq!(
        leaders, 0,
        "a leader without a quorum (check-quorum): {states:?}"
    );
    // A quorum returns: a leader within 5 s.
    c.repair(others[0], others[1]);
    await_leader(&mut c, Duration::from_secs(5));
    c.heal();
    await_leader(&mut c, Duration::from_secs(5));
    assert_no_violations(&mut c);
}

#[test]
fn many_elections() {
    use rand::{seq::SliceRandom, SeedableRng};
    let mut c = cluster(7, 3);
    await_leader(&mut c, Duration::from_secs(5));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for _ in 0..10 {
        // Disconnect three of seven: the other four still form a quorum.
        let mut ids = c.ids();
        ids.shuffle(&mut rng);
        let cut = &ids[..3];
        for &id in cut {
            c.isolate(id);
        }
        let until = c.now() + Duration::from_secs(5);
        let mut led = false;
        while c.now() < until && !led {
            c.step().unwrap();
            led = ids[3..]
                .iter()
                .any(|id| c.handles()[id].observation.lock().role == faultline_raft::Role::Leader);
        }
        assert!(led, "no leader among the connected four within 5 s");
        c.heal();
    }
    await_leader(&mut c, Duration::from_secs(5));
    assert_no_violations(&mut c);
}
