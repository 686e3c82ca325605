//! The shared harness of the MIT 6.5840 lab scenario tests: a [`Lab`] wraps
//! a [`SimCluster`] and one simulated client host that runs KV operations on
//! request, each in its own task with a fresh [`KvClient`] session (so a
//! pending operation never blocks the next, and an `info` outcome never
//! poisons a later one). The test code drives simulated time itself, step by
//! step, and acts between steps (crash, partition, submit), as the lab's
//! `config.go` does between its `time.Sleep`s.
//!
//! The lab's `one(cmd, expected, retry)` becomes [`Lab::one`]: a write
//! through the client library, acknowledged `ok`, then applied on at least
//! `expected` running nodes, all within the lab's 10 s agreement budget in
//! simulated time. The observer (checked after every step and again by
//! [`Lab::finish`]) ensures that every node applied the same entries.

#![allow(dead_code)] // Each test binary uses its own subset of the harness.

use faultline_raft::kv::{KvOp, KvReply};
use faultline_raft::node::{ClientConfig, KvClient, OpResult};
use faultline_raft::{LogIndex, NodeId, Role, Term};
use faultline_sim::cluster::{host_name, ClusterConfig, SimCluster};
use faultline_sim::net::TurmoilNetwork;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// The lab's budget for electing a leader.
pub const LEADER_BUDGET: Duration = Duration::from_secs(5);
/// The lab's budget for one agreement.
pub const AGREEMENT_BUDGET: Duration = Duration::from_secs(10);
/// The lab's unreliable network: at most 26 ms one-way delay.
pub const UNRELIABLE_LATENCY_MAX: Duration = Duration::from_millis(26);
/// The lab drops 10% of requests and 10% of replies. turmoil's `fail_rate`
/// cuts the link at a send with this probability and drops everything in
/// flight on it (DESIGN §7), so the per-send rate is lower than the lab's
/// per-message rate to keep a similar share of lost traffic.
pub const UNRELIABLE_FAIL_RATE: f64 = 0.05;

/// An operation handed to the client host, and where its outcome goes.
struct Job {
    op: KvOp,
    /// Talk to this node only (the lab's `Start` on a chosen server).
    pin: Option<NodeId>,
    slot: Arc<Mutex<Option<OpResult>>>,
}

/// The outcome of a submitted operation, once it has one.
#[derive(Debug, Clone)]
pub struct Ticket(Arc<Mutex<Option<OpResult>>>);

impl Ticket {
    /// The outcome, if the operation finished.
    pub fn outcome(&self) -> Option<OpResult> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A cluster under test plus its client host.
pub struct Lab<'a> {
    /// The cluster (crash, partition, step, observe).
    pub c: SimCluster<'a>,
    jobs: mpsc::UnboundedSender<Job>,
    next_value: u64,
}

/// Added to every test's seed: `FAULTLINE_LAB_SEED_OFFSET=7 cargo test
/// --test lab_3c_persistence` replays the scenarios under other seeds (a
/// failure message's seed is the base seed plus this offset).
pub fn seed(base: u64) -> u64 {
    let offset = std::env::var("FAULTLINE_LAB_SEED_OFFSET")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    base.wrapping_add(offset)
}

/// The test's own random choices, seeded like its cluster.
pub fn rng(base: u64) -> rand_chacha::ChaCha8Rng {
    rand::SeedableRng::seed_from_u64(seed(base))
}

/// A cluster of `nodes` with the defaults (10 ms tick, 1 s election base,
/// 100 ms heartbeat) and `seed` (plus the offset of [`seed`]).
pub fn config(nodes: usize, base: u64) -> ClusterConfig {
    ClusterConfig::new(nodes, seed(base))
}

/// Panics listing every invariant violation the observer found.
pub fn assert_no_violations(c: &mut SimCluster<'_>) {
    let v = c.finish();
    assert!(
        v.is_empty(),
        "invariant violations:\n{}",
        v.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

impl<'a> Lab<'a> {
    /// Builds the cluster and its client host (`lab-client`).
    pub fn new(config: ClusterConfig) -> Self {
        let mut c = SimCluster::new(config).expect("cluster");
        let (jobs, rx) = mpsc::unbounded_channel();
        let nodes = c.peers().clone();
        c.sim.client("lab-client", client_host(nodes, rx));
        Lab {
            c,
            jobs,
            next_value: 0,
        }
    }

    /// Simulated time since the start.
    pub fn now(&self) -> Duration {
        self.c.now()
    }

    /// One simulation step (the observer checks the cluster after it).
    pub fn step(&mut self) {
        self.c.step().expect("simulation step");
    }

    /// Lets `d` of simulated time pass.
    pub fn sleep(&mut self, d: Duration) {
        let until = self.now() + d;
        self.c.run_until(until).expect("simulation");
    }

    /// Steps until some running node leads (within the lab's 5 s).
    pub fn await_leader(&mut self) -> (NodeId, Term) {
        let until = self.now() + LEADER_BUDGET;
        while self.now() < until {
            self.step();
            if let Some(l) = self.c.leader() {
                return l;
            }
        }
        panic!("no leader within {LEADER_BUDGET:?} (at {:?})", self.now());
    }

    /// Steps until one of `among` leads (within 5 s).
    pub fn await_leader_among(&mut self, among: &[NodeId]) -> NodeId {
        let until = self.now() + LEADER_BUDGET;
        while self.now() < until {
            self.step();
            if let Some(&id) = among.iter().find(|&&id| self.role(id) == Role::Leader) {
                return id;
            }
        }
        panic!(
            "no leader among {among:?} within {LEADER_BUDGET:?} (at {:?})",
            self.now()
        );
    }

    /// Node `id`'s role (a crashed node reports its last one).
    pub fn role(&self, id: NodeId) -> Role {
        self.c.handles()[&id].observation.lock().role
    }

    /// A fresh value, unique in this test.
    pub fn value(&mut self) -> String {
        self.next_value += 1;
        format!("v{}", self.next_value)
    }

    /// Hands `op` to the client host (to any node, or only to `pin`).
    pub fn submit(&mut self, op: KvOp, pin: Option<NodeId>) -> Ticket {
        let slot = Arc::new(Mutex::new(None));
        self.jobs
            .send(Job {
                op,
                pin,
                slot: slot.clone(),
            })
            .expect("the client host is running");
        Ticket(slot)
    }

    /// Submits a write of `value` to `key`.
    pub fn submit_write(&mut self, key: &str, value: &str, pin: Option<NodeId>) -> Ticket {
        self.submit(
            KvOp::Write {
                key: key.into(),
                value: value.into(),
            },
            pin,
        )
    }

    /// Steps until `ticket` has an outcome or `budget` passed.
    pub fn wait(&mut self, ticket: &Ticket, budget: Duration) -> Option<OpResult> {
        let until = self.now() + budget;
        loop {
            if let Some(o) = ticket.outcome() {
                return Some(o);
            }
            if self.now() >= until {
                return None;
            }
            self.step();
        }
    }

    /// Runs `op` to its outcome (the client's own 5 s timeout bounds it).
    pub fn run(&mut self, op: KvOp) -> OpResult {
        let t = self.submit(op, None);
        self.wait(&t, Duration::from_secs(30))
            .expect("the client library bounds every operation")
    }

    /// Reads `key` through the log (retrying a read that could not be served).
    pub fn read(&mut self, key: &str) -> Option<String> {
        let until = self.now() + AGREEMENT_BUDGET;
        while self.now() < until {
            match self.run(KvOp::Read { key: key.into() }) {
                Ok(KvReply::Read { value }) => return value,
                Ok(other) => panic!("a read answered {other:?}"),
                Err(_) => {}
            }
        }
        panic!("read of {key} not served within {AGREEMENT_BUDGET:?}");
    }

    /// The running nodes' largest commit index.
    pub fn max_commit(&self) -> LogIndex {
        self.c
            .handles()
            .values()
            .map(|h| h.observation.lock())
            .filter(|o| o.running)
            .map(|o| o.commit_index)
            .max()
            .unwrap_or(0)
    }

    /// Every node's commit index (crashed ones report their last).
    pub fn commits(&self) -> BTreeMap<NodeId, LogIndex> {
        self.c
            .handles()
            .iter()
            .map(|(&id, h)| (id, h.observation.lock().commit_index))
            .collect()
    }

    /// How many running nodes applied index `index` (the lab's `nCommitted`;
    /// the observer checks that they applied the same entry).
    pub fn n_applied(&self, index: LogIndex) -> usize {
        self.c
            .handles()
            .values()
            .map(|h| h.observation.lock())
            .filter(|o| o.running && o.applied_index >= index)
            .count()
    }

    /// The lab's `one`: writes a fresh value to `key` and waits until it is
    /// applied on at least `expected` running nodes, all within 10 s of
    /// simulated time. With `retry`, an attempt that did not end `ok` is made
    /// again (as the lab resubmits when no leader took the command). Returns
    /// an index at or above the write's own (the leader's commit index when
    /// it answered).
    pub fn one(&mut self, key: &str, expected: usize, retry: bool) -> LogIndex {
        let start = self.now();
        let deadline = start + AGREEMENT_BUDGET;
        let value = self.value();
        let mut last = None;
        while self.now() < deadline {
            let t = self.submit_write(key, &value, None);
            let left = deadline.saturating_sub(self.now());
            match self.wait(&t, left) {
                Some(Ok(_)) => {
                    let index = self.max_commit();
                    while self.now() < deadline {
                        if self.n_applied(index) >= expected {
                            return index;
                        }
                        self.step();
                    }
                    panic!(
                        "{key}={value} (index <= {index}) applied on {} nodes, not {expected}, within {AGREEMENT_BUDGET:?} (started at {start:?}); commits {:?}",
                        self.n_applied(index),
                        self.commits()
                    );
                }
                Some(other) if retry => last = Some(other),
                other => panic!("{key}={value} did not agree (no retry): {other:?}"),
            }
        }
        panic!("{key}={value}: no agreement within {AGREEMENT_BUDGET:?} from {start:?}: last outcome {last:?}");
    }

    /// Submits a write to `pin` only and checks that within `d` no node's
    /// commit index moved (the lab's "should not commit" checks); the write
    /// is left pending.
    pub fn assert_no_commit_for(&mut self, key: &str, pin: NodeId, d: Duration) -> Ticket {
        let before = self.commits();
        let value = self.value();
        let t = self.submit_write(key, &value, Some(pin));
        self.sleep(d);
        assert_eq!(
            self.commits(),
            before,
            "a write committed without a majority"
        );
        assert!(
            !matches!(t.outcome(), Some(Ok(_))),
            "a write was acknowledged without a majority"
        );
        t
    }

    /// Makes node-to-node links lossy and slow like the lab's unreliable
    /// network (0-26 ms delay, lost messages); `false` restores a reliable
    /// network. Client links stay reliable.
    pub fn set_unreliable(&mut self, unreliable: bool) {
        let ids = self.c.ids();
        let (rate, max) = if unreliable {
            (UNRELIABLE_FAIL_RATE, UNRELIABLE_LATENCY_MAX)
        } else {
            (0.0, self.c.config().latency.1)
        };
        for (i, &a) in ids.iter().enumerate() {
            for &b in &ids[i + 1..] {
                self.c
                    .sim
                    .set_link_fail_rate(host_name(a), host_name(b), rate);
                self.c
                    .sim
                    .set_link_max_message_latency(host_name(a), host_name(b), max);
            }
        }
    }

    /// Reconnects every node pair.
    pub fn heal(&mut self) {
        self.c.heal();
    }

    /// Isolates `id` from the other nodes.
    pub fn isolate(&mut self, id: NodeId) {
        self.c.isolate(id);
    }

    /// Reconnects `id` with every other node that is not isolated in `cut`.
    pub fn connect(&mut self, id: NodeId, cut: &[NodeId]) {
        for other in self.c.ids() {
            if other != id && !cut.contains(&other) {
                self.c.repair(id, other);
            }
        }
    }

    /// Transport counters summed over the nodes, for a test's log line.
    pub fn transport_summary(&self) -> String {
        let (mut sent, mut stalls, mut connects, mut failures) = (0, 0, 0, 0);
        for h in self.c.handles().values() {
            let s = h.stats.snapshot();
            sent += s.peer_frames_sent;
            stalls += s.stalls_detected;
            connects += s.connects;
            failures += s.connect_failures;
        }
        format!(
            "{sent} raft messages, {connects} connects, {failures} failed connects, {stalls} stalled links"
        )
    }

    /// Asserts the observer found nothing, then drops the cluster.
    pub fn finish(mut self) {
        assert_no_violations(&mut self.c);
    }
}

/// The client host: runs every job in its own task with a fresh session.
async fn client_host(
    nodes: BTreeMap<NodeId, String>,
    mut rx: mpsc::UnboundedReceiver<Job>,
) -> turmoil::Result {
    let mut next_client_id: u64 = 1_000;
    while let Some(job) = rx.recv().await {
        next_client_id += 1;
        let mut targets = nodes.clone();
        if let Some(pin) = job.pin {
            targets.retain(|&id, _| id == pin);
        }
        let client_id = next_client_id;
        tokio::spawn(async move {
            let mut client = KvClient::new(TurmoilNetwork, ClientConfig::new(targets), client_id);
            let outcome = client.execute(job.op).await;
            *job.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        });
    }
    Ok(())
}
