//! Seeded bugs of the node driver ([`faultline_raft::bugs`]) break the rule
//! they name, shown on a real node over loopback TCP.

#![cfg(feature = "bug-catalogue")]

use faultline_raft::bugs::{Bug, BugSet};
use faultline_raft::node::{
    run_node_on, ClientConfig, KvClient, Network, NodeConfig, NodeHandles, SharedStorage,
    TokioClock, TokioNetwork,
};
use faultline_raft::storage::MemStorage;
use faultline_raft::LogStorage;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Runs a single-node cluster, acknowledges `writes` writes to a client, then
/// loses power: returns how many log entries survive.
async fn entries_durable_after_acknowledged_writes(bugs: BugSet, writes: u64) -> usize {
    let listener = TokioNetwork.bind("127.0.0.1:0").await.unwrap();
    let addr = TokioNetwork::local_addr(&listener).unwrap().to_string();
    let peers = BTreeMap::from([(1, addr.clone())]);
    let mut config = NodeConfig::new(1, peers.clone(), addr);
    config.tick_interval = Duration::from_millis(5);
    config.raft.bugs = bugs;
    let storage = SharedStorage::new(MemStorage::new());
    let handles = NodeHandles::new(1, Arc::new(TokioClock::new()));
    let node = tokio::spawn(run_node_on(
        TokioNetwork,
        listener,
        storage.clone(),
        config,
        handles,
    ));
    let mut client = KvClient::new(TokioNetwork, ClientConfig::new(peers), 5);
    for i in 0..writes {
        let outcome = client.write("k", &i.to_string()).await;
        assert!(outcome.is_ok(), "write {i} ended {outcome:?}");
    }
    node.abort();
    let recovered = storage.lock().recover().expect("recover");
    recovered.entries.len()
}

#[tokio::test(flavor = "current_thread")]
async fn ack_before_durable_skips_the_sync() {
    let writes = 5;
    let correct = entries_durable_after_acknowledged_writes(BugSet::NONE, writes).await;
    assert!(
        correct as u64 > writes,
        "every acknowledged write survives a power loss"
    );
    let buggy =
        entries_durable_after_acknowledged_writes(BugSet::of([Bug::AckBeforeDurable]), writes)
            .await;
    assert!(
        (buggy as u64) < writes,
        "with the bug, acknowledged writes are lost: {buggy} entries survived"
    );
}
