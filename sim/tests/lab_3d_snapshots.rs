//! MIT 6.5840 lab 3D (log compaction) under turmoil. Nodes snapshot their
//! state machine every 10 applied entries, so the log stays short; a node
//! that fell behind a leader's snapshot can only catch up through
//! InstallSnapshot, and each test checks that this was the only way (the
//! leader's log started after the laggard's last entry) before it caught up.
//! Crashes are power loss; the unreliable network is the one described in
//! `lab_3c_persistence.rs`.

mod support;

use faultline_raft::NodeId;
use faultline_sim::cluster::ClusterConfig;
use rand::Rng;
use std::time::Duration;
use support::{config, Lab, Ticket};

/// Snapshot interval in applied entries (the lab's `SnapShotInterval`).
const SNAPSHOT_EVERY: u64 = 10;
/// The most entries any node may keep beyond its snapshot (the lab bounds
/// the persisted state at 2,000 bytes; here the log length is bounded).
const LOG_ENTRIES_MAX: usize = 4 * SNAPSHOT_EVERY as usize;

/// Rounds of `snapcommon` (the lab runs 30).
const ROUNDS: usize = 20;

fn snapshot_config(nodes: usize, seed: u64) -> ClusterConfig {
    let mut c = config(nodes, seed);
    c.snapshot_every_entries = SNAPSHOT_EVERY;
    c
}

fn lab(nodes: usize, seed: u64) -> Lab<'static> {
    Lab::new(snapshot_config(nodes, seed))
}

fn after(lab: &Lab<'_>, leader: NodeId, k: usize) -> NodeId {
    let ids = lab.c.ids();
    let at = ids.iter().position(|&id| id == leader).expect("a node");
    ids[(at + k) % ids.len()]
}

/// Every running node's log beyond its snapshot stays short.
fn assert_log_compacted(lab: &Lab<'_>) {
    for (id, h) in lab.c.handles() {
        let o = h.observation.lock();
        if o.running {
            assert!(
                o.log_terms.len() <= LOG_ENTRIES_MAX,
                "n{id} keeps {} entries after its snapshot at {} (max {LOG_ENTRIES_MAX})",
                o.log_terms.len(),
                o.snapshot_index
            );
        }
    }
}

/// The first index node `id`'s log holds after its snapshot.
fn first_log_index(lab: &Lab<'_>, id: NodeId) -> u64 {
    lab.c.handles()[&id].observation.lock().snapshot_index + 1
}

fn last_index(lab: &Lab<'_>, id: NodeId) -> u64 {
    lab.c.handles()[&id].observation.lock().last_index
}

/// Submits `count` writes to the cluster at once and waits for them all.
fn burst(lab: &mut Lab<'_>, count: u64) {
    let tickets: Vec<Ticket> = (0..count)
        .map(|_| {
            let v = lab.value();
            lab.submit_write("x", &v, None)
        })
        .collect();
    for t in &tickets {
        let _ = lab
            .wait(t, Duration::from_secs(15))
            .expect("every write ends");
    }
}

/// The lab's `snapcommon`: a victim (a follower, or every third round the
/// leader) is cut off or crashed, the others commit enough entries to
/// snapshot past its log, it comes back and must agree again.
fn snapcommon(seed: u64, disconnect: bool, reliable: bool, crash: bool) {
    let mut lab = lab(3, seed);
    let mut rng = support::rng(seed);
    if !reliable {
        lab.set_unreliable(true);
    }
    let n = 3;
    lab.one("x", n, true);
    let (mut leader, _) = lab.await_leader();
    let mut installs = 0;
    for i in 0..ROUNDS {
        let victim = if i % 3 == 1 {
            leader
        } else {
            after(&lab, leader, 1)
        };
        if disconnect {
            lab.isolate(victim);
            lab.one("x", n - 1, true);
        }
        if crash {
            lab.c.crash(victim);
            lab.one("x", n - 1, true);
        }
        let nn = SNAPSHOT_EVERY / 2 + rng.gen_range(0..SNAPSHOT_EVERY);
        // Away rounds write at least two snapshot intervals, so that the
        // others' logs start after the victim's last entry.
        let away = disconnect || crash;
        burst(&mut lab, if away { nn + 2 * SNAPSHOT_EVERY } else { nn });
        lab.one("x", if away { n - 1 } else { n }, true);
        assert_log_compacted(&lab);
        if away {
            let behind = last_index(&lab, victim);
            let (now_leader, _) = lab.await_leader();
            assert_ne!(now_leader, victim);
            let first = first_log_index(&lab, now_leader);
            assert!(
                first > behind + 1,
                "round {i}: the leader's log starts at {first}, the victim's ends at {behind}: no snapshot needed"
            );
            if crash {
                lab.c.restart(victim);
            }
            if disconnect {
                lab.heal();
            }
            lab.one("x", n, true);
            // The victim caught up from a snapshot it did not take itself.
            let o = lab.c.handles()[&victim].observation.get();
            assert!(
                o.snapshot_index >= first - 1,
                "round {i}: n{victim} caught up without the leader's snapshot ({} < {})",
                o.snapshot_index,
                first - 1
            );
            installs += 1;
        }
        let (l, _) = lab.await_leader();
        leader = l;
    }
    if disconnect || crash {
        assert_eq!(installs, ROUNDS);
    }
    lab.set_unreliable(false);
    lab.one("x", n, true);
    for (id, h) in lab.c.handles() {
        assert!(
            h.stats.snapshot().snapshots_taken > 0,
            "n{id} never took a snapshot"
        );
    }
    eprintln!("snapcommon seed {seed}: {}", lab.transport_summary());
    lab.finish();
}

#[test]
fn snapshot_basic() {
    snapcommon(41, false, true, false);
}

#[test]
fn snapshot_install() {
    snapcommon(42, true, true, false);
}

#[test]
fn snapshot_install_unreliable() {
    snapcommon(43, true, false, false);
}

#[test]
fn snapshot_install_crash() {
    snapcommon(44, false, true, true);
}

#[test]
fn snapshot_install_uncrash() {
    snapcommon(45, false, false, true);
}

/// Crash every node after a burst of writes, repeatedly: each restart
/// recovers from a snapshot plus the log after it, and the next agreement
/// lands after everything committed before the crash.
#[test]
fn snapshot_all_crash() {
    let mut lab = lab(3, 46);
    let mut rng = support::rng(46);
    let n = 3;
    lab.one("x", n, true);
    for _ in 0..5 {
        let nn = SNAPSHOT_EVERY / 2 + rng.gen_range(0..SNAPSHOT_EVERY);
        for _ in 0..nn {
            lab.one("x", n, true);
        }
        let index1 = lab.one("x", n, true);
        for id in lab.c.ids() {
            lab.c.crash(id);
        }
        for id in lab.c.ids() {
            lab.c.restart(id);
        }
        let index2 = lab.one("x", n, true);
        assert!(
            index2 > index1,
            "index {index2} after the crash is not past {index1}"
        );
        assert_log_compacted(&lab);
    }
    lab.finish();
}

/// A node restarted from a snapshot serves from it: after enough writes
/// for a snapshot, two whole-cluster power losses in a row (the second with
/// only one new entry since the first) still recover the same state.
#[test]
fn snapshot_init() {
    let mut lab = lab(3, 47);
    let n = 3;
    lab.one("x", n, true);
    for _ in 0..=SNAPSHOT_EVERY {
        lab.one("x", 1, false);
    }
    let before = lab.read("x");
    for round in 0..2 {
        for id in lab.c.ids() {
            lab.c.crash(id);
        }
        for id in lab.c.ids() {
            lab.c.restart(id);
        }
        lab.step();
        for (id, h) in lab.c.handles() {
            let o = h.observation.lock();
            assert!(
                o.snapshot_index > 0 && o.applied_index >= o.snapshot_index,
                "round {round}: n{id} restarted without its snapshot (snapshot {}, applied {})",
                o.snapshot_index,
                o.applied_index
            );
        }
        if round == 0 {
            assert_eq!(lab.read("x"), before, "state lost across the power loss");
        }
        lab.one("x", n, true);
    }
    lab.finish();
}
