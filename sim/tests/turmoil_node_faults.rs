//! The node's fault hooks under turmoil: a crash and restart recovers from
//! the durable log (and snapshot) and catches up; the pause gate freezes a
//! leader until it is replaced and it rejoins as a follower; the skewable
//! clock drives the tick rate.

use faultline_nemesis::clock::{SimClock, RATE_PPM_NOMINAL};
use faultline_raft::node::{
    run_node, ClientConfig, KvClient, NodeConfig, NodeHandles, SharedStorage,
};
use faultline_raft::storage::MemStorage;
use faultline_raft::{NodeId, ReadMode, Role};
use faultline_sim::net::TurmoilNetwork;
use faultline_sim::node_log::NodeLog;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

const PORT: u16 = 7000;

fn host(id: NodeId) -> String {
    format!("n{id}")
}

struct Cluster {
    sim: turmoil::Sim<'static>,
    handles: BTreeMap<NodeId, NodeHandles>,
    clocks: BTreeMap<NodeId, SimClock>,
    peers: BTreeMap<NodeId, String>,
}

/// Three nodes, each with a clock, handles and a disk that survive crashes.
fn cluster(seed: u64, snapshot_every_entries: u64) -> Cluster {
    cluster_with(seed, snapshot_every_entries, ReadMode::ReadIndex)
}

fn cluster_with(seed: u64, snapshot_every_entries: u64, read_mode: ReadMode) -> Cluster {
    let mut sim = turmoil::Builder::new()
        .epoch(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        .simulation_duration(Duration::from_secs(300))
        .tick_duration(Duration::from_millis(1))
        .tcp_capacity(4096)
        .rng_seed(seed)
        .build();
    let peers: BTreeMap<NodeId, String> = (1..=3)
        .map(|id| (id, format!("{}:{PORT}", host(id))))
        .collect();
    let mut handles = BTreeMap::new();
    let mut clocks = BTreeMap::new();
    for &id in peers.keys() {
        let clock = SimClock::new();
        let h = NodeHandles::new(id, Arc::new(clock.clone()));
        let disk = SharedStorage::new(MemStorage::new());
        let mut config = NodeConfig::new(id, peers.clone(), format!("0.0.0.0:{PORT}"));
        config.snapshot_every_entries = snapshot_every_entries;
        config.raft.read_mode = read_mode;
        config.seed = seed * 31 + id;
        handles.insert(id, h.clone());
        clocks.insert(id, clock);
        sim.host(host(id), move || {
            let (config, h, disk) = (config.clone(), h.clone(), disk.clone());
            async move {
                run_node(TurmoilNetwork, disk, config, h).await?;
                Ok(())
            }
        });
    }
    Cluster {
        sim,
        handles,
        clocks,
        peers,
    }
}

fn leader(handles: &BTreeMap<NodeId, NodeHandles>) -> Option<(NodeId, u64)> {
    handles.iter().find_map(|(&id, h)| {
        let o = h.observation.get();
        (o.running && !o.paused && o.role == Role::Leader).then_some((id, o.hard_state.term))
    })
}

#[test]
fn a_crashed_follower_recovers_from_its_disk_and_catches_up() {
    let mut c = cluster(11, 10);
    // 0: writing; 1: crash requested; 2: crashed; 3: restart requested; 4: restarted.
    let phase = Arc::new(AtomicU64::new(0));
    let victim = Arc::new(AtomicU64::new(0));
    let (p, v, observed, peers) = (
        phase.clone(),
        victim.clone(),
        c.handles.clone(),
        c.peers.clone(),
    );
    c.sim.client("client", async move {
        let mut client = KvClient::new(TurmoilNetwork, ClientConfig::new(peers), 1);
        for i in 0..30 {
            assert!(client.append("log", &format!("{i},")).await.is_ok());
        }
        let (lead, _) = leader(&observed).expect("a leader");
        v.store(if lead == 1 { 2 } else { 1 }, Ordering::SeqCst);
        p.store(1, Ordering::SeqCst);
        while p.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Two of three nodes still make progress.
        for i in 30..60 {
            let outcome = client.append("log", &format!("{i},")).await;
            assert!(
                outcome.is_ok(),
                "append {i} with one node down: {outcome:?}"
            );
        }
        p.store(3, Ordering::SeqCst);
        while p.load(Ordering::SeqCst) < 4 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let crashed = &observed[&v.load(Ordering::SeqCst)];
        let mut caught_up = false;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let commit = observed
                .values()
                .map(|h| h.observation.get().commit_index)
                .max()
                .unwrap_or(0);
            let o = crashed.observation.get();
            if o.running && o.applied_index >= commit && commit > 60 {
                caught_up = true;
                break;
            }
        }
        assert!(caught_up, "the restarted node did not catch up");
        let read = client.read("log").await;
        let expected: String = (0..60).map(|i| format!("{i},")).collect();
        assert_eq!(
            read,
            Ok(faultline_raft::kv::KvReply::Read {
                value: Some(expected)
            })
        );
        Ok(())
    });
    loop {
        let done = c.sim.step().expect("simulation");
        match phase.load(Ordering::SeqCst) {
            1 => {
                let id = victim.load(Ordering::SeqCst);
                c.sim.crash(host(id));
                c.handles[&id].observation.mark_down();
                phase.store(2, Ordering::SeqCst);
            }
            3 => {
                c.sim.bounce(host(victim.load(Ordering::SeqCst)));
                phase.store(4, Ordering::SeqCst);
            }
            _ => {}
        }
        if done {
            break;
        }
    }
    let restarted = c.handles[&victim.load(Ordering::SeqCst)].observation.get();
    assert_eq!(restarted.starts, 2);
    assert!(restarted.snapshot_index > 0, "snapshots were never taken");
}

#[test]
fn a_paused_leader_is_replaced_and_rejoins_as_a_follower_when_resumed() {
    let mut c = cluster(12, 0);
    let (observed, peers) = (c.handles.clone(), c.peers.clone());
    let log = NodeLog::new(c.clocks.clone());
    faultline_sim::node_log::install().expect("install the node-log router");
    let _capture = log.capture().expect("route node logs");
    c.sim.client("client", async move {
        let mut client = KvClient::new(TurmoilNetwork, ClientConfig::new(peers), 2);
        assert!(client.write("k", "before").await.is_ok());
        let (old, old_term) = leader(&observed).expect("a leader");
        let frozen = &observed[&old];
        frozen.pause.pause();
        let ticks_at_pause = frozen.stats.snapshot().ticks;
        let mut new = None;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            new = leader(&observed).filter(|&(id, term)| id != old && term > old_term);
            if new.is_some() {
                break;
            }
        }
        let (_, new_term) = new.expect("no new leader while the old one was paused");
        assert_eq!(
            frozen.stats.snapshot().ticks,
            ticks_at_pause,
            "a paused driver ticked"
        );
        assert!(frozen.observation.get().paused);
        assert!(client.write("k", "during").await.is_ok());
        frozen.pause.resume();
        let mut rejoined = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let o = frozen.observation.get();
            if !o.paused && o.role == Role::Follower && o.hard_state.term >= new_term {
                rejoined = true;
                break;
            }
        }
        assert!(rejoined, "the resumed node did not step down");
        let text = log.text(old);
        for expected in [
            "started from durable state",
            "paused",
            "resumed",
            "role=leader",
        ] {
            assert!(
                text.contains(expected),
                "no {expected:?} in node {old}'s log:\n{text}"
            );
        }
        assert!(client.write("k", "after").await.is_ok());
        Ok(())
    });
    c.sim.run().expect("simulation");
}

#[test]
fn a_node_clock_running_three_times_fast_ticks_three_times_as_often() {
    let mut c = cluster(13, 0);
    c.clocks[&1].set_rate(Duration::ZERO, 3 * RATE_PPM_NOMINAL);
    c.sim.client("client", async move {
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok(())
    });
    c.sim.run().expect("simulation");
    let fast = c.handles[&1].stats.snapshot().ticks as f64;
    let normal = c.handles[&2].stats.snapshot().ticks as f64;
    assert!(normal > 900.0, "{normal} ticks in 10 s at a 10 ms tick");
    let ratio = fast / normal;
    assert!((2.7..=3.3).contains(&ratio), "tick ratio {ratio}");
}

/// Everything observable about one run: each operation's outcome and
/// simulated completion time, then every node's counters, state and
/// applied entries.
fn trace_of_run(seed: u64) -> Vec<String> {
    let mut c = cluster(seed, 10);
    let trace = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (observed, peers, out) = (c.handles.clone(), c.peers.clone(), trace.clone());
    c.sim.client("client", async move {
        let mut client = KvClient::new(TurmoilNetwork, ClientConfig::new(peers.clone()), 3);
        for i in 0..40 {
            if i == 20 {
                let (lead, _) = leader(&observed).expect("a leader");
                let other = peers.keys().copied().find(|&id| id != lead).unwrap();
                turmoil::partition(host(lead), host(other));
            }
            let outcome = client.append("k", &format!("{i},")).await;
            let line = format!("op {i} {outcome:?} at {:?}", turmoil::sim_elapsed());
            out.lock().unwrap().push(line);
        }
        Ok(())
    });
    c.sim.run().expect("simulation");
    let mut lines = trace.lock().unwrap().clone();
    for (id, h) in &c.handles {
        let o = h.observation.get();
        lines.push(format!(
            "node {id} {:?} {:?} {:?} commit {} applied {} terms {:?} applied {:?}",
            h.stats.snapshot(),
            o.role,
            o.hard_state,
            o.commit_index,
            o.applied_index,
            o.log_terms,
            h.observation.drain_applied()
        ));
    }
    lines
}

#[test]
fn the_same_seed_gives_the_same_trace_twice() {
    let first = trace_of_run(17);
    let second = trace_of_run(17);
    assert_eq!(first.len(), 43);
    assert_eq!(first, second);
}

#[test]
fn lease_reads_see_every_acknowledged_write() {
    let mut c = cluster_with(14, 0, ReadMode::Lease);
    let (observed, peers) = (c.handles.clone(), c.peers.clone());
    c.sim.client("client", async move {
        let mut client = KvClient::new(TurmoilNetwork, ClientConfig::new(peers), 4);
        for i in 0..20 {
            assert!(client.write("k", &i.to_string()).await.is_ok());
            let read = client.read("k").await;
            assert_eq!(
                read,
                Ok(faultline_raft::kv::KvReply::Read {
                    value: Some(i.to_string())
                })
            );
        }
        assert!(leader(&observed).is_some());
        Ok(())
    });
    c.sim.run().expect("simulation");
}

#[test]
fn a_follower_cut_off_mid_stream_catches_up_after_the_partition_heals() {
    let mut c = cluster(15, 0);
    let (observed, peers) = (c.handles.clone(), c.peers.clone());
    c.sim.client("client", async move {
        let mut client = KvClient::new(TurmoilNetwork, ClientConfig::new(peers.clone()), 6);
        for i in 0..10 {
            assert!(client.write("k", &i.to_string()).await.is_ok());
        }
        let (lead, _) = leader(&observed).expect("a leader");
        let follower = peers.keys().copied().find(|&id| id != lead).unwrap();
        // Cut the link while entries are streaming: segments in flight are
        // lost and simulated TCP never retransmits them.
        turmoil::partition(host(lead), host(follower));
        for i in 10..30 {
            assert!(client.write("k", &i.to_string()).await.is_ok());
        }
        turmoil::repair(host(lead), host(follower));
        for i in 30..40 {
            assert!(client.write("k", &i.to_string()).await.is_ok());
        }
        let mut caught_up = false;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let commit = observed[&lead].observation.get().commit_index;
            if observed[&follower].observation.get().applied_index >= commit {
                caught_up = true;
                break;
            }
        }
        assert!(caught_up, "the cut-off follower never caught up");
        Ok(())
    });
    c.sim.run().expect("simulation");
    let recovered: u64 = c
        .handles
        .values()
        .map(|h| {
            let s = h.stats.snapshot();
            s.stalls_detected + s.connect_failures + s.write_timeouts
        })
        .sum();
    assert!(
        recovered > 0,
        "the partition left no trace in the transport"
    );
}

#[test]
fn a_forward_clock_jump_on_a_follower_expires_its_election_timer() {
    let mut c = cluster(16, 0);
    let (observed, peers, clocks) = (c.handles.clone(), c.peers.clone(), c.clocks.clone());
    c.sim.client("client", async move {
        let mut client = KvClient::new(TurmoilNetwork, ClientConfig::new(peers.clone()), 7);
        assert!(client.write("k", "v").await.is_ok());
        let (lead, term) = leader(&observed).expect("a leader");
        let follower = peers.keys().copied().find(|&id| id != lead).unwrap();
        let campaigns = |id: NodeId| {
            let status = observed[&id].observation.get().status.expect("status");
            status.counters.pre_votes_started + status.counters.elections_started
        };
        let before = campaigns(follower);
        let now = faultline_nemesis::clock::true_now().expect("inside the simulation");
        clocks[&follower].bump(now, 60_000);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            campaigns(follower) > before,
            "a one-minute jump did not expire the follower's election timer"
        );
        // Pre-vote keeps the healthy leader in place.
        assert_eq!(leader(&observed), Some((lead, term)));
        assert!(client.write("k", "w").await.is_ok());
        Ok(())
    });
    c.sim.run().expect("simulation");
}

#[test]
fn a_clock_stepped_back_by_minutes_stalls_ticks_for_two_seconds_at_most() {
    let mut c = cluster(17, 0);
    let clock = c.clocks[&1].clone();
    c.sim.client("client", async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = faultline_nemesis::clock::true_now().expect("inside the simulation");
        clock.bump(now, -120_000);
        tokio::time::sleep(Duration::from_secs(9)).await;
        Ok(())
    });
    c.sim.run().expect("simulation");
    let stepped = c.handles[&1].stats.snapshot().ticks as f64;
    let normal = c.handles[&2].stats.snapshot().ticks as f64;
    // 10 s of 10 ms ticks, minus a stall of at most 200 ticks (2 s): waiting
    // for the clock to catch up would have left about 100.
    assert!(normal > 900.0, "{normal} ticks in 10 s at a 10 ms tick");
    assert!(
        stepped >= normal - 210.0,
        "{stepped} ticks after a two-minute step back, {normal} on a healthy node"
    );
    assert!(
        stepped < normal - 150.0,
        "the step back did not stall the ticks at all"
    );
}
