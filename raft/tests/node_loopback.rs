//! The node driver on plain tokio over real loopback TCP: three nodes, a few
//! hundred writes through the client library, and every write applied on
//! every node (the same driver code that runs under turmoil).

use faultline_raft::node::{
    run_node_on, ClientConfig, KvClient, Network, NodeConfig, NodeHandles, TokioClock, TokioNetwork,
};
use faultline_raft::storage::MemStorage;
use faultline_raft::{kv::KvReply, NodeId, Role};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const WRITES: u64 = 300;

#[tokio::test(flavor = "current_thread")]
async fn three_nodes_on_loopback_apply_every_acknowledged_write_everywhere() {
    let ids: Vec<NodeId> = vec![1, 2, 3];
    let mut listeners = Vec::new();
    let mut peers = BTreeMap::new();
    for &id in &ids {
        let listener = TokioNetwork.bind("127.0.0.1:0").await.unwrap();
        let addr = TokioNetwork::local_addr(&listener).unwrap();
        peers.insert(id, addr.to_string());
        listeners.push((id, listener));
    }
    let mut handles = BTreeMap::new();
    let mut tasks = Vec::new();
    for (id, listener) in listeners {
        let mut config = NodeConfig::new(id, peers.clone(), peers[&id].clone());
        config.tick_interval = Duration::from_millis(5);
        config.snapshot_every_entries = 100;
        let h = NodeHandles::new(id, Arc::new(TokioClock::new()));
        handles.insert(id, h.clone());
        tasks.push(tokio::spawn(run_node_on(
            TokioNetwork,
            listener,
            MemStorage::new(),
            config,
            h,
        )));
    }

    let mut client = KvClient::new(TokioNetwork, ClientConfig::new(peers.clone()), 77);
    for i in 0..WRITES {
        let key = format!("k{}", i % 7);
        let outcome = if i % 3 == 0 {
            client.append(&key, &format!("{i},")).await
        } else {
            client.write(&key, &i.to_string()).await
        };
        assert!(outcome.is_ok(), "write {i} ended {outcome:?}");
    }
    // Reads see the last write of each key.
    for k in 0..7u64 {
        let last = (0..WRITES).filter(|i| i % 7 == k).max().unwrap();
        let outcome = client.read(&format!("k{k}")).await;
        let Ok(KvReply::Read { value: Some(value) }) = outcome else {
            panic!("read of k{k} ended {outcome:?}");
        };
        if last % 3 == 0 {
            assert!(value.ends_with(&format!("{last},")), "k{k} = {value}");
        } else {
            assert_eq!(value, last.to_string());
        }
    }

    // Every node applies everything the leader committed.
    let leader = handles
        .values()
        .map(|h| h.observation.get())
        .find(|o| o.role == Role::Leader)
        .expect("a leader");
    let target = leader.commit_index;
    assert!(
        target > WRITES,
        "commit index {target} below {WRITES} writes"
    );
    let mut applied_everywhere = false;
    for _ in 0..500 {
        if handles
            .values()
            .all(|h| h.observation.get().applied_index >= target)
        {
            applied_everywhere = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let applied: Vec<u64> = handles
        .values()
        .map(|h| h.observation.get().applied_index)
        .collect();
    assert!(applied_everywhere, "applied indices {applied:?} < {target}");

    // Replicas applied the same entry at every index they both applied.
    let mut by_index: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for h in handles.values() {
        for e in h.observation.drain_applied() {
            let seen = by_index.entry(e.index).or_insert((e.term, e.digest));
            assert_eq!(*seen, (e.term, e.digest), "divergent entry at {}", e.index);
        }
    }
    for h in handles.values() {
        let stats = h.stats.snapshot();
        assert_eq!(stats.malformed_frames, 0);
        assert!(stats.snapshots_taken >= 1, "no snapshot taken: {stats:?}");
    }
    for t in tasks {
        t.abort();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn garbage_on_a_connection_is_counted_and_closes_it_and_the_node_keeps_serving() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = TokioNetwork.bind("127.0.0.1:0").await.unwrap();
    let addr = TokioNetwork::local_addr(&listener).unwrap().to_string();
    let peers = BTreeMap::from([(1, addr.clone())]);
    let mut config = NodeConfig::new(1, peers.clone(), addr.clone());
    config.tick_interval = Duration::from_millis(2);
    let h = NodeHandles::new(1, Arc::new(TokioClock::new()));
    let node = tokio::spawn(run_node_on(
        TokioNetwork,
        listener,
        MemStorage::new(),
        config,
        h.clone(),
    ));

    // Bad magic, a declared length beyond the maximum, and a valid header
    // with an undecodable payload: each is counted and its connection closed.
    let oversized = {
        let mut b = b"FL\x01".to_vec();
        b.extend_from_slice(&u32::MAX.to_be_bytes());
        b
    };
    let undecodable = {
        let mut b = b"FL\x01".to_vec();
        b.extend_from_slice(&4u32.to_be_bytes());
        b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        b
    };
    for garbage in [b"GET / HTTP/1.1\r\n\r\n".to_vec(), oversized, undecodable] {
        let (mut read, mut write) = TokioNetwork.connect(&addr).await.unwrap();
        write.write_all(&garbage).await.unwrap();
        let mut buf = [0u8; 16];
        // The node closes the connection: the read ends (EOF or reset).
        let n = read.read(&mut buf).await.unwrap_or(0);
        assert_eq!(n, 0, "the node answered garbage");
    }
    assert_eq!(h.stats.snapshot().malformed_frames, 3);

    let mut client = KvClient::new(TokioNetwork, ClientConfig::new(peers), 5);
    let outcome = client.write("k", "v").await;
    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(client.read("k").await.is_ok());
    node.abort();
}
