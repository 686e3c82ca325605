//! Commit throughput of the Raft core: how many entries per second three
//! in-memory cores commit and apply on one thread, with batching.
//!
//! Each iteration starts from a freshly elected 3-node cluster (setup, not
//! measured) and pushes `PROPOSALS` proposals of `PAYLOAD_BYTES` bytes
//! through the leader until every node has applied them all. Messages are
//! delivered in FIFO order without loss; each node persists its output to a
//! `MemStorage` (write + sync) before reporting `Persisted` and sending, in
//! the order the crate docs prescribe. Proposals are submitted as fast as the
//! leader accepts them (it answers `Overloaded` past its uncommitted bound),
//! so AppendEntries carry full batches.
//!
//! Run: `cargo bench -p faultline-raft --bench commit_throughput`.

use criterion::{BatchSize, Criterion, Throughput};
use faultline_raft::storage::MemStorage;
use faultline_raft::{
    Config, Input, LogIndex, LogStorage, Membership, Message, NodeId, ProposalOutcome, Raft, Role,
};
use std::collections::{BTreeMap, VecDeque};

/// Proposals committed per measured iteration.
const PROPOSALS: u64 = 10_000;
/// Size of each proposal's command.
const PAYLOAD_BYTES: usize = 64;
/// Ticks allowed for the initial election.
const ELECTION_TICKS_MAX: u64 = 10_000;

/// One core with its durable store and its applied index.
struct BenchNode {
    raft: Raft,
    storage: MemStorage,
    applied: LogIndex,
}

/// Three cores joined by a lossless FIFO network.
struct BenchCluster {
    nodes: BTreeMap<NodeId, BenchNode>,
    wire: VecDeque<Message>,
    /// The last proposal outcome seen, to learn when the leader is full.
    last_outcome: Option<ProposalOutcome>,
}

impl BenchCluster {
    fn new() -> Self {
        let membership = Membership::new([1, 2, 3]);
        let nodes = (1..=3u64)
            .map(|id| {
                let mut config = Config::new(id);
                config.max_entries_per_msg = 256;
                config.max_bytes_per_msg = 256 * 1024;
                config.max_inflight_msgs = 16;
                config.max_uncommitted_entries = 4096;
                let raft = Raft::new(config, membership.clone(), 0x5eed + id);
                (
                    id,
                    BenchNode {
                        raft,
                        storage: MemStorage::new(),
                        applied: 0,
                    },
                )
            })
            .collect();
        BenchCluster {
            nodes,
            wire: VecDeque::new(),
            last_outcome: None,
        }
    }

    /// Steps one node and carries out its output: persist + sync, report
    /// `Persisted`, send, apply.
    fn step(&mut self, id: NodeId, input: Input) {
        let node = self.nodes.get_mut(&id).expect("bench node exists");
        // Rejections (stale terms and the like) are routine; nothing to do.
        let _ = node.raft.step(input);
        loop {
            let output = node.raft.take_output();
            if output.is_empty() {
                break;
            }
            let wrote = output.snapshot.is_some()
                || !output.entries.is_empty()
                || output.hard_state.is_some();
            if let Some(snapshot) = &output.snapshot {
                node.storage
                    .save_snapshot(snapshot)
                    .expect("snapshot stored");
            }
            node.storage
                .append(&output.entries)
                .expect("entries stored");
            if let Some(hard_state) = &output.hard_state {
                node.storage
                    .save_hard_state(hard_state)
                    .expect("hard state stored");
            }
            node.storage.sync().expect("synced");
            if wrote {
                let index = node.storage.last_index();
                let term = node.storage.term(index).unwrap_or(0);
                let _ = node.raft.step(Input::Persisted { index, term });
            }
            self.wire.extend(output.messages);
            if let Some(snapshot) = &output.snapshot {
                node.applied = snapshot.meta.last_index;
            }
            if let Some(last) = output.committed.last() {
                node.applied = last.index;
            }
            if let Some(result) = output.proposals.last() {
                self.last_outcome = Some(result.outcome.clone());
            }
        }
    }

    /// Delivers every message currently on the wire (and those they cause),
    /// up to `budget` messages.
    fn pump(&mut self, budget: usize) {
        for _ in 0..budget {
            let Some(message) = self.wire.pop_front() else {
                return;
            };
            self.step(message.to, Input::Message(message));
        }
    }

    fn leader(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .find(|(_, n)| n.raft.role() == Role::Leader)
            .map(|(id, _)| *id)
    }

    /// Ticks until a leader is elected and has committed its no-op everywhere.
    fn elect(mut self) -> Self {
        for _ in 0..ELECTION_TICKS_MAX {
            if let Some(leader) = self.leader() {
                let last = self.nodes[&leader].raft.last_index();
                if self.nodes.values().all(|n| n.applied >= last) {
                    return self;
                }
            }
            for id in [1, 2, 3] {
                self.step(id, Input::Tick);
            }
            self.pump(usize::MAX);
        }
        panic!("no leader after {ELECTION_TICKS_MAX} ticks");
    }

    /// Commits `count` proposals on all three nodes; returns the final index.
    fn commit_proposals(&mut self, count: u64) -> LogIndex {
        let leader = self.leader().expect("an elected cluster");
        let payload = vec![0xab_u8; PAYLOAD_BYTES];
        let mut submitted = 0;
        let mut target = self.nodes[&leader].raft.last_index();
        loop {
            while submitted < count {
                self.step(
                    leader,
                    Input::Propose {
                        id: submitted,
                        data: payload.clone(),
                    },
                );
                match self.last_outcome.take() {
                    Some(ProposalOutcome::Appended { index, .. }) => {
                        submitted += 1;
                        target = index;
                    }
                    Some(ProposalOutcome::Overloaded) => break,
                    other => panic!("leader refused a proposal: {other:?}"),
                }
            }
            if submitted == count && self.nodes.values().all(|n| n.applied >= target) {
                return target;
            }
            if self.wire.is_empty() {
                // Nothing in flight: let heartbeats carry the commit index.
                for id in [1, 2, 3] {
                    self.step(id, Input::Tick);
                }
            }
            self.pump(64);
        }
    }
}

fn commit_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit_throughput");
    group.throughput(Throughput::Elements(PROPOSALS));
    group.sample_size(10);
    group.bench_function("3_nodes_10k_x_64B", |b| {
        b.iter_batched(
            || BenchCluster::new().elect(),
            |mut cluster| cluster.commit_proposals(PROPOSALS),
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

// What `criterion_group!`/`criterion_main!` expand to, written out so that
// the generated public function does not trip the workspace's `missing_docs`.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    commit_throughput(&mut criterion);
    criterion.final_summary();
}
