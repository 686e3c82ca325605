//! The simulated cluster: N Raft nodes as turmoil hosts, each with a durable
//! write-ahead log on its simulated disk, a skewable clock and a pause gate,
//! watched after every step by the [`crate::observer::Observer`].
//!
//! Hosts are named `n1`, `n2`, ... and listen on [`ClusterConfig::port`].
//! The per-node handles (clock, pause gate, observation, counters) are made
//! once here, outside the host factories, so they survive crashes; each
//! host's future opens its log from its own disk, so a restarted node
//! recovers only what it had synced.
//!
//! A nemesis that crashes nodes must drive the loop itself (`crash` and
//! `bounce` exist only on `Sim`): call [`SimCluster::step`] in a loop and act
//! between steps.

mod fault_target;

use crate::disk::TurmoilDisk;
use crate::net::TurmoilNetwork;
use crate::observer::{Observer, ObserverConfig, Violation};
use faultline_nemesis::clock::SimClock;
use faultline_nemesis::disk_faults::{DiskFaults as DiskFaultSwitch, FaultyDisk};
use faultline_nemesis::message_faults::MessageFaults;
use faultline_raft::node::{run_node, NodeConfig, NodeHandles};
use faultline_raft::storage::{MemStorage, Wal, WalOptions};
use faultline_raft::{Config, NodeId, Role, Term};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use turmoil::Sim;

/// Where nodes keep their durable state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    /// The write-ahead log on turmoil's simulated disk (crash loses unsynced writes).
    Wal,
    /// In-memory storage kept outside the host; a crash still loses what was
    /// not synced.
    Memory,
}

/// Disk fault knobs of turmoil's filesystem shim, applied to every host.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DiskFaults {
    /// Probability that one I/O operation fails.
    pub io_error_probability: f64,
    /// Probability that written data is silently corrupted.
    pub corruption_probability: f64,
}

/// How to build a cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The number of nodes (1 to 9).
    pub nodes: usize,
    /// Seeds turmoil's RNG and every node's core.
    pub seed: u64,
    /// The port every node listens on.
    pub port: u16,
    /// The core configuration template (its `id` is replaced per node).
    pub raft: Config,
    /// Node-local time between two core ticks.
    pub tick_interval: Duration,
    /// Take an application snapshot every this many applied entries (0: never).
    pub snapshot_every_entries: u64,
    /// Where durable state lives.
    pub storage: StorageKind,
    /// Disk faults.
    pub disk: DiskFaults,
    /// One simulation step.
    pub step: Duration,
    /// Turmoil's own limit on simulated time.
    pub sim_duration: Duration,
    /// Smallest and largest one-way message latency.
    pub latency: (Duration, Duration),
    /// Observer tuning.
    pub observer: ObserverConfig,
}

impl ClusterConfig {
    /// A cluster of `nodes` nodes with the defaults of a 10 ms tick.
    pub fn new(nodes: usize, seed: u64) -> Self {
        ClusterConfig {
            nodes,
            seed,
            port: 7000,
            raft: Config::new(1),
            tick_interval: Duration::from_millis(10),
            snapshot_every_entries: 200,
            storage: StorageKind::Wal,
            disk: DiskFaults::default(),
            step: Duration::from_millis(1),
            sim_duration: Duration::from_secs(3600),
            latency: (Duration::from_millis(1), Duration::from_millis(5)),
            observer: ObserverConfig::default(),
        }
    }
}

/// Why a cluster could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The configuration is unusable.
    #[error("invalid cluster configuration: {0}")]
    Config(String),
    /// The simulation itself failed (a host returned an error or panicked).
    #[error("simulation failed: {0}")]
    Sim(String),
}

/// The turmoil host name of node `id`.
pub fn host_name(id: NodeId) -> String {
    format!("n{id}")
}

/// A running simulated cluster.
pub struct SimCluster<'a> {
    /// The simulation (add clients with `sim.client`).
    pub sim: Sim<'a>,
    config: ClusterConfig,
    peers: BTreeMap<NodeId, String>,
    handles: BTreeMap<NodeId, NodeHandles>,
    clocks: BTreeMap<NodeId, SimClock>,
    disks: BTreeMap<NodeId, DiskFaultSwitch>,
    messages: BTreeMap<NodeId, MessageFaults>,
    down: BTreeSet<NodeId>,
    observer: Observer,
}

impl<'a> SimCluster<'a> {
    /// Builds the simulation and registers one host per node.
    pub fn new(config: ClusterConfig) -> Result<Self, ClusterError> {
        if !(1..=9).contains(&config.nodes) {
            return Err(ClusterError::Config(format!(
                "nodes must be between 1 and 9, not {}",
                config.nodes
            )));
        }
        if config.latency.0 > config.latency.1 {
            return Err(ClusterError::Config("minimum latency above maximum".into()));
        }
        let mut builder = turmoil::Builder::new();
        builder
            .epoch(UNIX_EPOCH + faultline_nemesis::clock::WALL_EPOCH)
            .simulation_duration(config.sim_duration)
            .tick_duration(config.step)
            .min_message_latency(config.latency.0)
            .max_message_latency(config.latency.1)
            .tcp_capacity(8192)
            .rng_seed(config.seed);
        builder
            .fs()
            .io_error_probability(config.disk.io_error_probability)
            .corruption_probability(config.disk.corruption_probability);
        let mut sim = builder.build();
        let ids: Vec<NodeId> = (1..=config.nodes as u64).collect();
        let peers: BTreeMap<NodeId, String> = ids
            .iter()
            .map(|&id| (id, format!("{}:{}", host_name(id), config.port)))
            .collect();
        let mut handles = BTreeMap::new();
        let mut clocks = BTreeMap::new();
        let mut disks = BTreeMap::new();
        let mut messages = BTreeMap::new();
        for &id in &ids {
            let clock = SimClock::new();
            let node = node_config(&config, id, &peers);
            let message_faults = MessageFaults::new(node.seed ^ 0x6d73_6766);
            let h = NodeHandles::new(id, Arc::new(clock.clone()))
                .with_outbound_faults(Arc::new(message_faults.clone()));
            messages.insert(id, message_faults);
            let disk = DiskFaultSwitch::new(node.seed ^ 0xd15c);
            register_host(&mut sim, config.storage, node, h.clone(), disk.clone());
            handles.insert(id, h);
            clocks.insert(id, clock);
            disks.insert(id, disk);
        }
        Ok(SimCluster {
            sim,
            observer: Observer::new(config.observer),
            config,
            peers,
            handles,
            clocks,
            disks,
            messages,
            down: BTreeSet::new(),
        })
    }

    /// The cluster's configuration.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// Node ids, ascending.
    pub fn ids(&self) -> Vec<NodeId> {
        self.peers.keys().copied().collect()
    }

    /// Every node's client address (`n1:7000`), for a client library.
    pub fn peers(&self) -> &BTreeMap<NodeId, String> {
        &self.peers
    }

    /// The surviving handles of every node.
    pub fn handles(&self) -> &BTreeMap<NodeId, NodeHandles> {
        &self.handles
    }

    /// Node `id`'s clock (the clock nemesis moves it).
    pub fn clock(&self, id: NodeId) -> Option<&SimClock> {
        self.clocks.get(&id)
    }

    /// Node `id`'s disk fault switch (the disk nemesis flips it).
    pub fn disk_faults(&self, id: NodeId) -> Option<&DiskFaultSwitch> {
        self.disks.get(&id)
    }

    /// Node `id`'s outbound message fault switch (the packet nemesis flips it).
    pub fn message_faults(&self, id: NodeId) -> Option<&MessageFaults> {
        self.messages.get(&id)
    }

    /// Simulated time since the start.
    pub fn now(&self) -> Duration {
        self.sim.elapsed()
    }

    /// Advances the simulation one step and checks the cluster. Returns
    /// whether every client finished.
    pub fn step(&mut self) -> Result<bool, ClusterError> {
        let done = self
            .sim
            .step()
            .map_err(|e| ClusterError::Sim(e.to_string()))?;
        let now = self.sim.elapsed();
        let disks = &self.disks;
        let corrupted = |id| disks.get(&id).is_some_and(|d| d.injected().1 > 0);
        self.observer.observe(now, &self.handles, &corrupted);
        Ok(done)
    }

    /// Steps until `until` simulated time (clients finishing does not stop it).
    pub fn run_until(&mut self, until: Duration) -> Result<(), ClusterError> {
        while self.now() < until {
            self.step()?;
        }
        Ok(())
    }

    /// Runs the whole-log checks one last time and returns every violation.
    pub fn finish(&mut self) -> &[Violation] {
        let now = self.sim.elapsed();
        let disks = &self.disks;
        let corrupted = |id| disks.get(&id).is_some_and(|d| d.injected().1 > 0);
        self.observer.finish(now, &self.handles, &corrupted);
        self.observer.violations()
    }

    /// Violations found so far.
    pub fn violations(&self) -> &[Violation] {
        self.observer.violations()
    }

    /// The observer (for its counters).
    pub fn observer(&self) -> &Observer {
        &self.observer
    }

    /// Crashes node `id`: its runtime is dropped and unsynced disk writes
    /// are lost (power loss). It stays down until [`SimCluster::restart`].
    pub fn crash(&mut self, id: NodeId) {
        if let Some(h) = self.handles.get(&id) {
            self.sim.crash(host_name(id));
            h.observation.mark_down();
            self.down.insert(id);
        }
    }

    /// Restarts a crashed node: it recovers from what its disk kept.
    pub fn restart(&mut self, id: NodeId) {
        if self.down.remove(&id) {
            self.sim.bounce(host_name(id));
        }
    }

    /// Restarts node `id` if its driver stopped on a fatal error (a failed
    /// disk, like a process that exits on a failed fsync) and it was not
    /// crashed on purpose. Returns whether it was restarted.
    pub fn revive(&mut self, id: NodeId) -> bool {
        let Some(h) = self.handles.get(&id) else {
            return false;
        };
        let dead = {
            let o = h.observation.lock();
            !o.running && o.starts > 0
        };
        if dead && !self.down.contains(&id) {
            self.sim.bounce(host_name(id));
            return true;
        }
        false
    }

    /// Whether node `id` is crashed.
    pub fn is_down(&self, id: NodeId) -> bool {
        self.down.contains(&id)
    }

    /// Cuts both directions between `a` and `b`.
    pub fn partition(&self, a: NodeId, b: NodeId) {
        self.sim.partition(host_name(a), host_name(b));
    }

    /// Heals both directions between `a` and `b`.
    pub fn repair(&self, a: NodeId, b: NodeId) {
        self.sim.repair(host_name(a), host_name(b));
    }

    /// Isolates `id` from every other node (clients can still reach it).
    pub fn isolate(&self, id: NodeId) {
        for other in self.ids().into_iter().filter(|&o| o != id) {
            self.partition(id, other);
        }
    }

    /// Heals every link between nodes.
    pub fn heal(&self) {
        let ids = self.ids();
        for (i, &a) in ids.iter().enumerate() {
            for &b in &ids[i + 1..] {
                self.repair(a, b);
            }
        }
    }

    /// The running leader with the highest term, if any.
    pub fn leader(&self) -> Option<(NodeId, Term)> {
        self.handles
            .iter()
            .filter(|(id, _)| !self.down.contains(id))
            .filter_map(|(&id, h)| {
                let o = h.observation.lock();
                (o.running && o.role == Role::Leader).then_some((id, o.hard_state.term))
            })
            .max_by_key(|&(id, term)| (term, std::cmp::Reverse(id)))
    }

    /// Messages of all kinds sent by every node so far (RPC counts).
    pub fn messages_sent(&self) -> u64 {
        self.handles
            .values()
            .map(|h| h.stats.snapshot().peer_frames_sent)
            .sum()
    }
}

fn node_config(config: &ClusterConfig, id: NodeId, peers: &BTreeMap<NodeId, String>) -> NodeConfig {
    let mut node = NodeConfig::new(id, peers.clone(), format!("0.0.0.0:{}", config.port));
    node.raft = Config {
        id,
        ..config.raft.clone()
    };
    node.tick_interval = config.tick_interval;
    node.snapshot_every_entries = config.snapshot_every_entries;
    node.seed = config.seed.wrapping_mul(1_000_003).wrapping_add(id);
    node
}

/// Registers node `node`'s host. A node whose driver stops on a fatal error
/// (a storage failure) ends its host cleanly, like a process exiting: the
/// error is kept in its observation, and [`SimCluster::revive`] restarts it.
fn register_host(
    sim: &mut Sim<'_>,
    storage: StorageKind,
    node: NodeConfig,
    h: NodeHandles,
    faults: DiskFaultSwitch,
) {
    let name = host_name(node.id());
    match storage {
        StorageKind::Wal => sim.host(name, move || {
            let (node, h, faults) = (node.clone(), h.clone(), faults.clone());
            async move {
                let disk = FaultyDisk::new(TurmoilDisk::new(), faults);
                let options = WalOptions {
                    bugs: node.raft.bugs,
                    ..WalOptions::default()
                };
                match Wal::open_with(disk, "/raft", options) {
                    Ok(wal) => {
                        let _ = run_node(TurmoilNetwork, wal, node, h).await;
                    }
                    Err(e) => {
                        tracing::info_span!(faultline_raft::node::NODE_SPAN, id = node.id())
                            .in_scope(|| tracing::error!(error = %e, "cannot open the log"));
                        let mut o = h.observation.lock();
                        o.running = false;
                        o.starts += 1;
                        o.fatal_error = Some(format!("cannot open the log: {e}"));
                    }
                }
                Ok(())
            }
        }),
        StorageKind::Memory => {
            let disk = faultline_raft::node::SharedStorage::new(MemStorage::new());
            sim.host(name, move || {
                let (node, h, disk) = (node.clone(), h.clone(), disk.clone());
                async move {
                    let _ = run_node(TurmoilNetwork, disk, node, h).await;
                    Ok(())
                }
            })
        }
    }
}
