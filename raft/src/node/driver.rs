//! The node driver: one async task that runs one Raft core on a network, a
//! disk and a clock, and serves the KV protocol.
//!
//! # Starting a node
//!
//! ```text
//! // Created once per node, OUTSIDE a turmoil host factory (they survive crashes):
//! let handles = NodeHandles::new(id, clock);      // clock: SimClock clone or TokioClock
//! //   handles.pause      -> PauseGate   (pause()/resume(), like SIGSTOP/SIGCONT)
//! //   handles.observation -> ObservationHandle (role, term, commit, log terms, applied)
//! //   handles.stats      -> Arc<NodeStats>     (transport and driver counters)
//!
//! // Inside the host (called again after every restart):
//! let storage = /* open the node's LogStorage (a Wal on the simulated disk) */;
//! run_node(TurmoilNetwork, storage, config.clone(), handles.clone()).await
//! ```
//!
//! [`run_node`] binds `config.listen_addr`, recovers from `storage`
//! ([`Raft::restore`] plus the KV state machine from the recovered snapshot;
//! the core then hands out the committed entries after the snapshot again and
//! they are re-applied), starts the transport and loops forever. It returns
//! only on a fatal error (storage failure, corrupt snapshot): like a process
//! that exits on a failed fsync.
//!
//! # The loop
//!
//! A `tokio::select!` with `biased;` over, in priority order: the pause gate,
//! the tick timer (ticks follow the node's [`Clock`]: a clock that runs fast
//! ticks fast; a clock bumped backwards delays ticks until it catches up,
//! but by at most `max_catchup_ticks` intervals; a clock bumped forwards
//! fires at most `max_catchup_ticks` at once), inbound
//! peer messages, and client requests. After every step the core's output
//! is carried out (in `effects`) in the order [`crate::Output`] prescribes
//! and its stages enforce. Every
//! `snapshot_every_entries` applied entries the driver takes an application
//! snapshot, makes it durable and feeds [`Input::SnapshotTaken`].
//!
//! While the gate is paused the loop waits on the gate alone: no ticks, no
//! frames, no requests (connections keep reading into bounded queues).

use crate::core::api::{Config, Input};
use crate::core::{CoreError, Raft};
use crate::invariants::rules::{Incoming, MessageRules, NodeFacts, Sent};
use crate::kv::{KvCommand, KvError, KvOp, KvStateMachine, SessionLimits};
use crate::node::clock::{wait_until_resumed, Clock, PauseGate};
use crate::node::network::Network;
use crate::node::observe::ObservationHandle;
use crate::node::outbound::{OutboundFaults, SendAsIs};
use crate::node::protocol::{ClientResponse, ResponseBody};
use crate::node::stats::NodeStats;
use crate::node::transport::{
    run_listener, ClientCall, Inbound, PeerLinks, TaskSet, TransportConfig,
};
use crate::storage::{LogStorage, StorageError};
use crate::types::{LogIndex, Membership, NodeId, Snapshot, Term};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::Instrument;

#[cfg(all(test, feature = "bug-catalogue"))]
mod bug_tests;
mod effects;
mod reads;

/// The name of the span every event of a node's driver, transport and core
/// is emitted in; its field `id` is the node's id. A subscriber can route
/// events to per-node logs by it.
pub const NODE_SPAN: &str = "raft_node";

/// Everything that configures one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeConfig {
    /// The core's configuration (`raft.id` is this node's id).
    pub raft: Config,
    /// Every voter of the cluster (this node included) and its address
    /// (`host:port`); the initial membership is these ids.
    pub peers: BTreeMap<NodeId, String>,
    /// The address the node listens on (`0.0.0.0:7000` under turmoil).
    pub listen_addr: String,
    /// Node-local time between two ticks.
    pub tick_interval: Duration,
    /// At most this many ticks are fed at once when the clock jumped forward
    /// or the node was paused (default 200: twice the default election
    /// timeout base, so a large forward jump surely expires an election
    /// timer but does not replay minutes of ticks); and a clock jumped
    /// backward stalls the ticks for at most this many intervals.
    pub max_catchup_ticks: u64,
    /// Take an application snapshot every this many applied entries (0: never).
    pub snapshot_every_entries: u64,
    /// Client requests waiting for a proposal, commit or read at once;
    /// beyond this requests are answered `Overloaded`.
    pub max_pending_requests: usize,
    /// The KV state machine's session limits (must be equal on every node).
    pub session_limits: SessionLimits,
    /// Transport bounds and timeouts.
    pub transport: TransportConfig,
    /// Seeds the core's RNG and the transport's backoff jitter.
    pub seed: u64,
}

impl NodeConfig {
    /// Defaults for node `id` of the cluster `peers`: a 10 ms tick (the core's
    /// default 1 s election timeout base and 100 ms heartbeat), a snapshot
    /// every 1,000 entries.
    pub fn new(id: NodeId, peers: BTreeMap<NodeId, String>, listen_addr: String) -> Self {
        NodeConfig {
            raft: Config::new(id),
            peers,
            listen_addr,
            tick_interval: Duration::from_millis(10),
            max_catchup_ticks: 200,
            snapshot_every_entries: 200,
            max_pending_requests: 4096,
            session_limits: SessionLimits::default(),
            transport: TransportConfig::default(),
            seed: id,
        }
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.raft.id
    }
}

/// The per-node handles that must outlive a crash: create them once, outside
/// the host factory, and pass clones to every [`run_node`] call.
#[derive(Clone)]
pub struct NodeHandles {
    /// The node's clock.
    pub clock: Arc<dyn Clock>,
    /// Freezes and resumes the driver.
    pub pause: PauseGate,
    /// What the node exposes to a cluster observer.
    pub observation: ObservationHandle,
    /// Transport and driver counters (kept across restarts).
    pub stats: Arc<NodeStats>,
    /// Outbound message duplication and reordering (the packet nemesis;
    /// [`SendAsIs`] unless set with [`NodeHandles::with_outbound_faults`]).
    pub outbound: Arc<dyn OutboundFaults>,
}

impl std::fmt::Debug for NodeHandles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeHandles")
            .field("pause", &self.pause)
            .field("observation", &self.observation)
            .finish_non_exhaustive()
    }
}

impl NodeHandles {
    /// Fresh handles for node `id` reading time from `clock`.
    pub fn new(id: NodeId, clock: Arc<dyn Clock>) -> Self {
        NodeHandles {
            clock,
            pause: PauseGate::new(),
            observation: ObservationHandle::new(id),
            stats: Arc::new(NodeStats::default()),
            outbound: Arc::new(SendAsIs),
        }
    }

    /// The same handles with `outbound` deciding each message's fate.
    pub fn with_outbound_faults(mut self, outbound: Arc<dyn OutboundFaults>) -> Self {
        self.outbound = outbound;
        self
    }
}

/// Why a node stopped.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// Durable storage failed; continuing could break Raft's promises.
    #[error("storage failure: {0}")]
    Storage(#[from] StorageError),
    /// The recovered state was inconsistent.
    #[error("cannot restore the core: {0}")]
    Core(#[from] CoreError),
    /// The state machine refused a snapshot or an entry.
    #[error("state machine failure: {0}")]
    StateMachine(#[from] KvError),
}

/// Who is waiting for an answer.
#[derive(Debug)]
struct Waiter {
    reply: mpsc::Sender<ClientResponse>,
    req_id: u64,
}

impl Waiter {
    fn answer(self, body: ResponseBody, stats: &NodeStats) {
        let resp = ClientResponse {
            req_id: self.req_id,
            body,
        };
        if self.reply.try_send(resp).is_err() {
            NodeStats::bump(&stats.client_response_drops);
        }
    }
}

/// Binds `config.listen_addr` and runs the node until a fatal error.
pub async fn run_node<N: Network, S: LogStorage>(
    net: N,
    storage: S,
    config: NodeConfig,
    handles: NodeHandles,
) -> Result<(), NodeError> {
    let listener = net
        .bind(&config.listen_addr)
        .await
        .map_err(|source| NodeError::Bind {
            addr: config.listen_addr.clone(),
            source,
        })?;
    run_node_on(net, listener, storage, config, handles).await
}

/// Runs the node on an already bound listener until a fatal error.
pub async fn run_node_on<N: Network, S: LogStorage>(
    net: N,
    listener: N::Listener,
    storage: S,
    config: NodeConfig,
    handles: NodeHandles,
) -> Result<(), NodeError> {
    let observation = handles.observation.clone();
    let span = tracing::info_span!(NODE_SPAN, id = config.id());
    let result = run_inner(net, listener, storage, config, handles)
        .instrument(span.clone())
        .await;
    let mut obs = observation.lock();
    obs.running = false;
    if let Err(e) = &result {
        obs.fatal_error = Some(e.to_string());
        span.in_scope(|| tracing::error!(error = %e, "node stopped"));
    }
    result
}

async fn run_inner<N: Network, S: LogStorage>(
    net: N,
    listener: N::Listener,
    storage: S,
    config: NodeConfig,
    handles: NodeHandles,
) -> Result<(), NodeError> {
    let transport = Arc::new(config.transport.clone());
    let (peer_tx, mut peer_rx) = mpsc::channel(transport.inbox_frames.max(1));
    let (client_tx, mut client_rx) = mpsc::channel(transport.client_inbox_requests.max(1));
    let mut driver = Driver::recover(storage, &config, &handles)?;
    let links = PeerLinks::start(
        net,
        config.id(),
        &config.peers,
        transport.clone(),
        handles.stats.clone(),
        config.seed,
    );
    driver.links = Some(links);
    let mut tasks = TaskSet::default();
    tasks.push(tokio::spawn(
        run_listener::<N>(
            listener,
            Inbound {
                me: config.id(),
                peer_tx,
                client_tx,
                config: transport,
                stats: handles.stats.clone(),
            },
        )
        .in_current_span(),
    ));
    driver.process()?;

    let clock = handles.clock.clone();
    let interval = config.tick_interval.max(Duration::from_micros(1));
    let mut pause_rx = handles.pause.subscribe();
    let mut next_tick = clock.now() + interval;
    loop {
        if *pause_rx.borrow_and_update() {
            driver.set_paused(true);
            if !wait_until_resumed(&mut pause_rx).await {
                // The gate is gone: nobody can resume us, so run on.
                handles.pause.resume();
            }
            driver.set_paused(false);
            continue;
        }
        let now = clock.now();
        // A clock stepped far backwards (an operator, NTP, the clock nemesis)
        // stalls the timers for at most `max_catchup_ticks` intervals, as a
        // forward step fires at most that many ticks: waiting for minutes
        // until it catches up would freeze the node's elections, heartbeats
        // and check-quorum.
        let stall_max = interval
            .checked_mul(config.max_catchup_ticks.clamp(1, u64::from(u32::MAX)) as u32)
            .unwrap_or(Duration::MAX);
        if next_tick.saturating_sub(now) > stall_max {
            tracing::debug!(
                stepped_back = ?next_tick.saturating_sub(now).saturating_sub(interval),
                "clock stepped backwards: timers resynchronised"
            );
            next_tick = now.saturating_add(stall_max);
        }
        if now >= next_tick {
            let due = ((now - next_tick).as_nanos() / interval.as_nanos()) as u64 + 1;
            let fire = due.min(config.max_catchup_ticks.max(1));
            if fire < due {
                // Ticks dropped: the core's sense of elapsed time (and so
                // any lease) is behind the clock.
                driver.raft.time_skipped();
                tracing::info!(
                    dropped_ticks = due - fire,
                    "timers skipped time: lease reads off for this term"
                );
            }
            for _ in 0..fire {
                driver.tick()?;
            }
            next_tick = if fire < due {
                now + interval
            } else {
                next_tick + interval * fire as u32
            };
            continue;
        }
        // Sleep in runtime time, at most one interval, then re-read the clock
        // (it may have been moved meanwhile).
        let wait = (next_tick - now).min(interval);
        tokio::select! {
            biased;
            _ = pause_rx.changed() => {}
            _ = tokio::time::sleep(wait) => driver.take_late_deliveries()?,
            Some(msg) = peer_rx.recv() => {
                // An old message delivered now lands before this one.
                driver.take_late_deliveries()?;
                driver.step(Input::Message(msg))?
            }
            Some(call) = client_rx.recv() => driver.client(call)?,
        }
    }
}

/// The node's state between steps.
struct Driver<S: LogStorage> {
    id: NodeId,
    raft: Raft,
    storage: S,
    kv: KvStateMachine,
    links: Option<PeerLinks>,
    stats: Arc<NodeStats>,
    observation: ObservationHandle,
    outbound: Arc<dyn OutboundFaults>,
    snapshot_every_entries: u64,
    last_snapshot_index: LogIndex,
    max_pending_requests: usize,
    next_request_id: u64,
    /// Proposals fed to the core, waiting for its outcome.
    proposing: BTreeMap<u64, Waiter>,
    /// Appended proposals by log index, with the term they were appended
    /// in. Several waiters can share an index: an entry truncated from this
    /// node's log may still be committed elsewhere, so its waiter stays
    /// until the index is applied and the terms are compared.
    appended: BTreeMap<LogIndex, Vec<(Term, Waiter)>>,
    /// Reads fed to the core, waiting for a read index.
    reading: BTreeMap<u64, reads::PendingRead>,
    /// Confirmed reads waiting for the state machine to reach their index.
    ready_reads: BTreeMap<LogIndex, Vec<reads::PendingRead>>,
    /// Raft's per-message rules, checked after every input.
    rules: MessageRules,
    /// The answers sent while the current input is carried out.
    sent: Vec<Sent>,
}

impl<S: LogStorage> Driver<S> {
    fn recover(
        mut storage: S,
        config: &NodeConfig,
        handles: &NodeHandles,
    ) -> Result<Self, NodeError> {
        let recovered = storage.recover()?;
        let membership = Membership::new(config.peers.keys().copied());
        let mut kv = KvStateMachine::new(config.session_limits).with_bugs(config.raft.bugs);
        if let Some(snapshot) = &recovered.snapshot {
            kv.restore(&snapshot.data)?;
        }
        {
            let mut obs = handles.observation.lock();
            obs.running = true;
            obs.starts += 1;
            obs.lease_reads = 0;
            obs.steps = 0;
            obs.recovery_note = recovered.truncated_at.clone();
            obs.log_terms.clear();
            obs.snapshot_index = 0;
            obs.snapshot_term = 0;
            obs.last_index = 0;
            if let Some(snapshot) = &recovered.snapshot {
                obs.record_snapshot(snapshot);
            }
            obs.record_append(&recovered.entries);
            obs.record_sync();
            obs.applied_index = kv.applied_index();
            tracing::info!(
                start = obs.starts,
                term = recovered.hard_state.term,
                voted_for = ?recovered.hard_state.voted_for,
                snapshot_index = obs.snapshot_index,
                last_index = obs.last_index,
                "started from durable state"
            );
            if let Some(at) = &recovered.truncated_at {
                tracing::warn!(reason = %at, "log recovery stopped early");
            }
        }
        let last_snapshot_index = recovered.snapshot.as_ref().map_or(0, |s| s.meta.last_index);
        let raft = Raft::restore(config.raft.clone(), membership, recovered, config.seed)?;
        let driver = Driver {
            id: config.id(),
            raft,
            storage,
            kv,
            links: None,
            stats: handles.stats.clone(),
            observation: handles.observation.clone(),
            outbound: handles.outbound.clone(),
            snapshot_every_entries: config.snapshot_every_entries,
            last_snapshot_index,
            max_pending_requests: config.max_pending_requests.max(1),
            next_request_id: 1,
            proposing: BTreeMap::new(),
            appended: BTreeMap::new(),
            reading: BTreeMap::new(),
            ready_reads: BTreeMap::new(),
            rules: MessageRules::default(),
            sent: Vec::new(),
        };
        driver.observe();
        driver.observation.lock().status = Some(driver.raft.status());
        Ok(driver)
    }

    fn set_paused(&self, paused: bool) {
        self.observation.lock().paused = paused;
        tracing::info!("{}", if paused { "paused" } else { "resumed" });
    }

    fn tick(&mut self) -> Result<(), NodeError> {
        NodeStats::bump(&self.stats.ticks);
        self.step(Input::Tick)?;
        // The full status (counters of messages by kind, peer progress) is
        // refreshed once per tick, not per step: it clones a few maps.
        self.observation.lock().status = Some(self.raft.status());
        Ok(())
    }

    /// Feeds one input and carries out everything it caused, then checks
    /// the per-message rules on what it did ([`MessageRules`]).
    fn step(&mut self, input: Input) -> Result<(), NodeError> {
        let incoming = match &input {
            Input::Message(msg) => Some(Incoming::of(msg)),
            _ => None,
        };
        let before = NodeFacts::of(&self.raft);
        self.sent.clear();
        if self.raft.step(input).is_err() {
            NodeStats::bump(&self.stats.step_errors);
        }
        self.observation.lock().steps += 1;
        let result = self.process();
        let after = NodeFacts::of(&self.raft);
        let found = self.rules.check(
            &before,
            incoming.as_ref(),
            &after,
            &self.sent,
            self.raft.membership(),
        );
        if !found.is_empty() {
            self.observation.lock().record_local_violations(found);
        }
        result
    }

    fn pending_requests(&self) -> usize {
        self.proposing.len()
            + self.appended.values().map(Vec::len).sum::<usize>()
            + self.reading.len()
            + self.ready_reads.values().map(Vec::len).sum::<usize>()
    }

    fn client(&mut self, call: ClientCall) -> Result<(), NodeError> {
        let ClientCall { request, reply } = call;
        let waiter = Waiter {
            reply,
            req_id: request.req_id,
        };
        if self.pending_requests() >= self.max_pending_requests {
            waiter.answer(ResponseBody::Overloaded, &self.stats);
            return Ok(());
        }
        let id = self.next_request_id;
        self.next_request_id += 1;
        match request.op {
            KvOp::Read { key } => self.read(id, key, waiter),
            op => {
                let command = KvCommand {
                    client_id: request.client_id,
                    seq: request.seq,
                    op,
                };
                self.proposing.insert(id, waiter);
                self.step(Input::Propose {
                    id,
                    data: command.encode(),
                })
            }
        }
    }

    fn install_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), NodeError> {
        if snapshot.meta.last_index <= self.kv.applied_index() {
            return Ok(());
        }
        self.kv.restore(&snapshot.data)?;
        self.last_snapshot_index = snapshot.meta.last_index;
        NodeStats::bump(&self.stats.snapshots_installed);
        tracing::info!(
            index = snapshot.meta.last_index,
            term = snapshot.meta.last_term,
            "state machine restored from the leader's snapshot"
        );
        // Proposals inside the snapshot may or may not have committed.
        let later = self.appended.split_off(&(snapshot.meta.last_index + 1));
        for (_, waiters) in std::mem::replace(&mut self.appended, later) {
            for (_, waiter) in waiters {
                waiter.answer(ResponseBody::Unknown, &self.stats);
            }
        }
        Ok(())
    }

    fn maybe_snapshot(&mut self) -> Result<(), NodeError> {
        let applied = self.kv.applied_index();
        if self.snapshot_every_entries == 0
            || applied < self.last_snapshot_index + self.snapshot_every_entries
        {
            return Ok(());
        }
        let Some(meta) = self.raft.snapshot_meta(applied) else {
            return Ok(());
        };
        let snapshot = Snapshot {
            meta,
            data: self.kv.snapshot(),
        };
        self.storage.save_snapshot(&snapshot)?;
        self.storage.sync()?;
        self.observation.lock().record_snapshot(&snapshot);
        self.last_snapshot_index = applied;
        NodeStats::bump(&self.stats.snapshots_taken);
        tracing::debug!(index = applied, "took a snapshot");
        if self.raft.step(Input::SnapshotTaken { snapshot }).is_err() {
            NodeStats::bump(&self.stats.step_errors);
        }
        Ok(())
    }

    fn observe(&self) {
        let mut obs = self.observation.lock();
        let (role, hard_state, leader) =
            (self.raft.role(), self.raft.hard_state(), self.raft.leader());
        obs.role = role;
        obs.hard_state = hard_state;
        obs.leader = leader;
        obs.commit_index = self.raft.commit_index();
        obs.applied_index = self.kv.applied_index();
        obs.lease_reads = self.raft.lease_reads();
        debug_assert_eq!(obs.id, self.id);
    }
}
