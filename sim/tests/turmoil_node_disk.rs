//! A node on the write-ahead log over turmoil's simulated disk: after a
//! power loss (`Sim::crash`, unsynced writes discarded) and a restart, it
//! comes back with its durable log and term, then catches up.

use faultline_nemesis::clock::SimClock;
use faultline_raft::node::{run_node, ClientConfig, KvClient, NodeConfig, NodeHandles};
use faultline_raft::storage::Wal;
use faultline_raft::{NodeId, Role};
use faultline_sim::disk::TurmoilDisk;
use faultline_sim::net::TurmoilNetwork;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

const PORT: u16 = 7000;
const WAL_DIR: &str = "/data/raft";

fn host(id: NodeId) -> String {
    format!("n{id}")
}

#[test]
fn a_node_restarted_after_power_loss_recovers_its_durable_log_and_catches_up() {
    let mut sim = turmoil::Builder::new()
        .epoch(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        .simulation_duration(Duration::from_secs(300))
        .tick_duration(Duration::from_millis(1))
        .tcp_capacity(4096)
        .rng_seed(21)
        .build();
    let peers: BTreeMap<NodeId, String> = (1..=3)
        .map(|id| (id, format!("{}:{PORT}", host(id))))
        .collect();
    let mut handles = BTreeMap::new();
    for &id in peers.keys() {
        let h = NodeHandles::new(id, Arc::new(SimClock::new()));
        let mut config = NodeConfig::new(id, peers.clone(), format!("0.0.0.0:{PORT}"));
        config.snapshot_every_entries = 15;
        config.seed = 100 + id;
        handles.insert(id, h.clone());
        sim.host(host(id), move || {
            let (config, h) = (config.clone(), h.clone());
            async move {
                // Opened inside the host: a restart recovers from the disk.
                let wal = Wal::open(TurmoilDisk::new(), WAL_DIR)?;
                run_node(TurmoilNetwork, wal, config, h).await?;
                Ok(())
            }
        });
    }
    // 0 writing; 1 crash requested; 2 restarted and isolated; 3 done.
    let phase = Arc::new(AtomicU64::new(0));
    let victim = Arc::new(AtomicU64::new(0));
    let durable_last = Arc::new(AtomicU64::new(0));
    let (p, v, d, observed, client_peers) = (
        phase.clone(),
        victim.clone(),
        durable_last.clone(),
        handles.clone(),
        peers.clone(),
    );
    sim.client("client", async move {
        let mut client = KvClient::new(TurmoilNetwork, ClientConfig::new(client_peers.clone()), 1);
        for i in 0..40 {
            assert!(client.append("log", &format!("{i},")).await.is_ok());
        }
        let lead = observed
            .iter()
            .find(|(_, h)| h.observation.get().role == Role::Leader)
            .map(|(&id, _)| id)
            .expect("a leader");
        let id = if lead == 1 { 2 } else { 1 };
        // Everything the victim acknowledged was synced before it answered.
        d.store(observed[&id].observation.get().last_index, Ordering::SeqCst);
        v.store(id, Ordering::SeqCst);
        p.store(1, Ordering::SeqCst);
        while p.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Isolated since its restart, the victim shows only what it recovered.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let o = observed[&id].observation.get();
        assert!(o.running && o.starts == 2, "{o:?}");
        assert!(
            o.last_index >= d.load(Ordering::SeqCst),
            "recovered last index {} below the durable {}",
            o.last_index,
            d.load(Ordering::SeqCst)
        );
        assert!(o.snapshot_index > 0, "the snapshot was not recovered");
        for &other in client_peers.keys().filter(|&&n| n != id) {
            turmoil::repair(host(id), host(other));
        }
        for i in 40..60 {
            assert!(client.append("log", &format!("{i},")).await.is_ok());
        }
        let mut caught_up = false;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let commit = observed[&lead].observation.get().commit_index;
            if observed[&id].observation.get().applied_index >= commit {
                caught_up = true;
                break;
            }
        }
        assert!(caught_up, "the restarted node did not catch up");
        p.store(3, Ordering::SeqCst);
        Ok(())
    });
    loop {
        let done = sim.step().expect("simulation");
        if phase.load(Ordering::SeqCst) == 1 {
            let id = victim.load(Ordering::SeqCst);
            sim.crash(host(id));
            handles[&id].observation.mark_down();
            sim.bounce(host(id));
            for &other in peers.keys().filter(|&&n| n != id) {
                sim.partition(host(id), host(other));
            }
            phase.store(2, Ordering::SeqCst);
        }
        if done {
            break;
        }
    }
}
