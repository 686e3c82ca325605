//! Three nodes under turmoil: writes succeed, and partitioning the leader
//! away from its peers gets a new leader elected in a higher term, after
//! which writes succeed again through the same client library.

use faultline_nemesis::clock::SimClock;
use faultline_raft::node::{run_node, ClientConfig, KvClient, NodeConfig, NodeHandles};
use faultline_raft::storage::MemStorage;
use faultline_raft::{NodeId, Role};
use faultline_sim::net::TurmoilNetwork;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

const PORT: u16 = 7000;

fn host(id: NodeId) -> String {
    format!("n{id}")
}

fn leader_of(handles: &BTreeMap<NodeId, NodeHandles>) -> Option<(NodeId, u64)> {
    handles.iter().find_map(|(&id, h)| {
        let o = h.observation.get();
        (o.role == Role::Leader).then_some((id, o.hard_state.term))
    })
}

#[test]
fn a_partitioned_leader_is_replaced_and_writes_continue() {
    let mut sim = turmoil::Builder::new()
        .epoch(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        .simulation_duration(Duration::from_secs(120))
        .tick_duration(Duration::from_millis(1))
        .tcp_capacity(4096)
        .rng_seed(5)
        .build();
    let ids: Vec<NodeId> = vec![1, 2, 3];
    let peers: BTreeMap<NodeId, String> = ids
        .iter()
        .map(|&id| (id, format!("{}:{PORT}", host(id))))
        .collect();
    let mut handles = BTreeMap::new();
    for &id in &ids {
        // Created outside the host factory: clock, pause gate, observation
        // and counters survive crashes.
        let clock = SimClock::new();
        let h = NodeHandles::new(id, Arc::new(clock));
        handles.insert(id, h.clone());
        let config = NodeConfig::new(id, peers.clone(), format!("0.0.0.0:{PORT}"));
        sim.host(host(id), move || {
            let (config, h) = (config.clone(), h.clone());
            async move {
                run_node(TurmoilNetwork, MemStorage::new(), config, h).await?;
                Ok(())
            }
        });
    }

    let observed = handles.clone();
    sim.client("client", async move {
        let mut client = KvClient::new(TurmoilNetwork, ClientConfig::new(peers.clone()), 9);
        for i in 0..20 {
            let outcome = client.write("x", &i.to_string()).await;
            assert!(
                outcome.is_ok(),
                "write {i} before the partition: {outcome:?}"
            );
        }
        let (old_leader, old_term) = leader_of(&observed).expect("a leader after 20 writes");
        for &other in peers.keys().filter(|&&id| id != old_leader) {
            turmoil::partition(host(old_leader), host(other));
        }
        // A new leader appears in a higher term within a few election timeouts.
        let mut replaced = None;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let new = observed.iter().find_map(|(&id, h)| {
                let o = h.observation.get();
                (id != old_leader && o.role == Role::Leader && o.hard_state.term > old_term)
                    .then_some(id)
            });
            if new.is_some() {
                replaced = new;
                break;
            }
        }
        let new_leader = replaced.expect("no new leader within 10 s of the partition");
        assert_ne!(new_leader, old_leader);
        // The client is not partitioned from anyone: it finds the new leader.
        let mut acknowledged = 0;
        for i in 20..40 {
            if client.write("x", &i.to_string()).await.is_ok() {
                acknowledged += 1;
            }
        }
        assert!(
            acknowledged >= 15,
            "only {acknowledged} of 20 writes after the partition"
        );
        let read = client.read("x").await;
        assert!(read.is_ok(), "read after the partition: {read:?}");
        for &other in peers.keys().filter(|&&id| id != old_leader) {
            turmoil::repair(host(old_leader), host(other));
        }
        Ok(())
    });
    sim.run().expect("simulation");
    for h in handles.values() {
        assert_eq!(h.stats.snapshot().malformed_frames, 0);
    }
}
